"""The import direction of ../shared/DESIGN.md, kept by an AST walk over src/vagus."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "vagus"

# Which of our own top-level parts each part may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "hrv": {"hrv", "signals", "program"},
    "signals": {"hrv", "signals", "program"},
    "program": {"hrv", "signals", "program"},
    "formats": {"formats", "signals", "hrv"},
    "devices": {"devices", "hrv"},
    "journal": {"journal", "program"},
    "insights": {"insights", "hrv", "journal"},
    "config": {"config"},
    "app": {"hrv", "signals", "program", "formats", "devices", "journal", "insights", "config"},
    # `vagus serve` is a CLI command that starts the web app: the one cli -> web import.
    "cli": {"cli", "app", "hrv", "program", "config", "web"},
    "web": {"web", "app", "hrv", "program", "config"},
    "__main__": {"cli"},
    "__init__": set(),
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
