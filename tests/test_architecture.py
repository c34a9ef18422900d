"""The import direction of ../shared/DESIGN.md, kept by an AST walk over src/vagus."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "vagus"

# Which of our own top-level parts each part may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "hrv": {"hrv", "signals", "program", "errors"},
    "signals": {"hrv", "signals", "program", "errors"},
    "program": {"hrv", "signals", "program", "errors"},
    "formats": {"formats", "signals", "hrv", "errors"},
    "devices": {"devices", "hrv", "errors"},
    "journal": {"journal", "program", "errors"},
    "insights": {"insights", "hrv", "program", "errors"},
    "config": {"config", "errors"},
    "errors": set(),
    "app": {
        "hrv",
        "signals",
        "program",
        "formats",
        "devices",
        "journal",
        "insights",
        "config",
        "errors",
    },
    # The faces: the app and the types they render (program's catalog texts, hrv's index
    # registry), nothing that computes (FACE_FORBIDDEN). `vagus serve` is a CLI command that
    # starts the web app: the one cli -> web import.
    "cli": {"cli", "app", "hrv", "program", "config", "errors", "web"},
    "web": {"web", "app", "hrv", "program", "config", "errors"},
    "__main__": {"cli"},
    "__init__": set(),
}
FACES = {"cli", "web"}
#: Names of the core that compute or decide: the faces call the app for these (issue 10).
FACE_FORBIDDEN = {
    "analyze",
    "correct_rr",
    "detect_artifacts",
    "power_spectrum",
    "welch_psd",
    "StreamingHrv",
    "assess",
    "evaluate",
    "plan_today",
    "score",
    "build_steps",
    "Journal",
    "load",
}
# Nothing but `vagus serve` (cli/web.py) imports web.
WEB_IMPORTERS = {"cli/web.py"}
# The pure core stays lean (DESIGN.md: no pandas, matplotlib or scikit-learn there).
HEAVY = {"pandas", "matplotlib", "sklearn", "neurokit2", "pyhrv"}
PURE = {"hrv", "signals", "program"}


def part_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py") if relative.parts else ""


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_import_direction(path: Path) -> None:
    part = part_of(path)
    assert part in ALLOWED, f"{part}: a new top-level part needs a line in ALLOWED"
    for name in imports(path):
        top, _, rest = name.partition(".")
        if top == "vagus" and rest:
            ours = rest.split(".")[0]
            assert ours in ALLOWED[part] | {part}, f"{path.name}: {part} must not import {ours}"
        if part in PURE:
            assert top not in HEAVY, f"{path.name}: the pure core must not import {top}"


def test_only_devices_ble_imports_bleak() -> None:
    for path in FILES:
        if path.relative_to(SRC).as_posix() != "devices/ble.py":
            assert "bleak" not in {n.split(".")[0] for n in imports(path)}, path


def test_only_vagus_serve_imports_web() -> None:
    for path in FILES:
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith("web/") or relative in WEB_IMPORTERS:
            continue
        assert not any(n == "vagus.web" or n.startswith("vagus.web.") for n in imports(path)), path


def _face_files() -> list[Path]:
    return [p for p in FILES if part_of(p) in FACES]


@pytest.mark.parametrize("path", _face_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_faces_hold_no_rules(path: Path) -> None:
    """cli/ and web/ call the app: no core computation, no journal, no ValueError as 'bad
    input' (only vagus.errors.UserError is a user error)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        core = {"hrv", "program", "journal", "formats", "devices"}
        module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
        if module.startswith("vagus.") and module.split(".")[1] in core:
            names = {alias.name for alias in node.names}  # type: ignore[attr-defined]
            assert not names & FACE_FORBIDDEN, f"{path.name}: imports {names & FACE_FORBIDDEN}"
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"journal", "_journal"}, f"{path.name}:{node.lineno}: .journal"
        if isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name):
            assert node.type.id != "ValueError", (
                f"{path.name}:{node.lineno}: catch vagus.errors.UserError, not ValueError"
            )
