"""The command line answers at once (issue 12, section 5): what each command imports.

Each command runs in a fresh interpreter and reports ``sys.modules``; the assertions are on
what was imported, never on time (benchmarks/startup.py measures the time). ``vagus --help``
loads typer and the cli modules only; ``vagus hrv FILE`` loads the HRV path only: no journal
(SQLAlchemy, Alembic), no web, no Bluetooth, no scipy.signal or scipy.interpolate.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import vagus

SRC = Path(vagus.__file__).resolve().parent

#: Prints the top-level names of the modules a command imported, as JSON on stderr's last line.
_REPORT = """
import json, sys
sys.argv = ["vagus", *sys.argv[1:]]
try:
    from vagus.cli import main
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
#: What `vagus --help` must not load: the app and everything behind it.
NOT_FOR_HELP = (
    "vagus.app",
    "vagus.journal",
    "vagus.hrv",
    "vagus.program",
    "vagus.config",
    "vagus.formats",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "numpy",
    "scipy",
    "rich",
)
#: What `vagus hrv FILE` must not load.
NOT_FOR_HRV = (
    "vagus.journal",
    "vagus.web",
    "vagus.devices.ble",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "bleak",
    "scipy.signal",
    "scipy.interpolate",
    "scipy.fft",
)


def _imported(tmp_path: Path, *args: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAGUS_")}
    env |= {"VAGUS_HOME": str(tmp_path / "home"), "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, "-c", _REPORT, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.stderr.strip(), result.stdout
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (a package counts with its submodules) were imported."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.fixture
def rr_file(tmp_path: Path) -> Path:
    """Five minutes of RR (350 beats): below the beats where sample entropy compiles."""
    path = tmp_path / "rr.txt"
    beats = [857.0 + 40.0 * ((i * 7) % 11 - 5) / 5.0 for i in range(350)]
    path.write_text("\n".join(f"{x:g}" for x in beats) + "\n")
    return path


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("hrv", "--help")])
def test_help_loads_no_app(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = _imported(tmp_path, *args)
    assert "vagus.cli" in modules
    # A command's own help builds its options, and typer checks their types with pydantic.
    allowed = {"pydantic"} if args[0] == "hrv" else set()
    assert [name for name in _loaded(modules, NOT_FOR_HELP) if name not in allowed] == []


def test_hrv_with_lang_loads_only_the_hrv_path(tmp_path: Path, rr_file: Path) -> None:
    modules = _imported(tmp_path, "hrv", str(rr_file), "--lang", "en")
    assert "vagus.hrv._analyze" in modules  # it did analyse
    assert _loaded(modules, NOT_FOR_HRV) == []


def test_hrv_loads_only_the_hrv_path(tmp_path: Path, rr_file: Path) -> None:
    """The language comes from the saved preference without opening the journal; a journal
    that does not exist is not created."""
    modules = _imported(tmp_path, "hrv", str(rr_file))
    assert "vagus.hrv._analyze" in modules
    assert _loaded(modules, NOT_FOR_HRV) == []
    assert not (tmp_path / "home").exists()


def test_building_the_app_loads_no_journal(tmp_path: Path) -> None:
    """Services load on first use: the app alone, and its measurements, need no journal."""
    code = (
        "import sys, json\n"
        "from vagus.app import build_app\n"
        f"app = build_app(env={{'VAGUS_HOME': {str(tmp_path)!r}}})\n"
        "app.measurements\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    modules = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert _loaded(modules, ("vagus.journal", "sqlalchemy", "alembic", "scipy")) == []


def test_stored_setting_reads_what_the_journal_holds(tmp_path: Path) -> None:
    """The fast path (sqlite3, read-only) and the plain one (the journal) agree."""
    from vagus.app import build_app

    env = {"VAGUS_HOME": str(tmp_path / "home")}
    fresh = build_app(env=env)
    assert fresh.stored_setting("web_prefs", {"none": 1}) == {"none": 1}
    assert not (tmp_path / "home").exists()  # reading a setting creates no journal
    writer = build_app(env=env)
    value = {"lang": "nb", "pacer": {"inhale_s": 4.0, "exhale_s": 6.0}, "note": "æøå"}
    try:
        _journal_set(writer, "web_prefs", value)
        assert writer.stored_setting("web_prefs") == value  # the journal is open: asked
        assert writer.stored_setting("missing", 5) == 5
    finally:
        writer.close()
    reader = build_app(env=env)
    assert reader.stored_setting("web_prefs") == value
    assert reader.stored_setting("missing", 5) == 5
    assert reader._journal is None  # read without opening the journal


def test_stored_setting_falls_back_to_the_journal_for_a_file_it_cannot_read(
    tmp_path: Path,
) -> None:
    from vagus.app import build_app
    from vagus.app._core import _read_setting

    not_a_journal = tmp_path / "other.sqlite3"
    not_a_journal.write_bytes(b"this is not a database")
    assert _read_setting(not_a_journal, "web_prefs") is None
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    assert _read_setting(empty, "web_prefs") is None  # no setting table: ask the journal
    app = build_app(env={"VAGUS_DATABASE_URL": f"sqlite:///{empty}", "VAGUS_HOME": str(tmp_path)})
    try:
        assert app.stored_setting("web_prefs", {}) == {}  # the journal made its tables
        assert app._journal is not None
    finally:
        app.close()


def _journal_set(app: object, key: str, value: object) -> None:
    # The journal is the app's business (the faces never touch it): tests/test_architecture.py
    # forbids `.journal` in cli/ and web/, not in tests.
    app.journal.set_setting(key, value)  # type: ignore[attr-defined]


def test_help_texts_written_out_match_their_sources() -> None:
    """Names the help shows without loading their modules are the modules' own."""
    from vagus.app import FORMATS, MIN_MEASUREMENT_S
    from vagus.cli.hrv import FORMAT_NAMES
    from vagus.cli.live import MIN_MEASURE_MINUTES
    from vagus.cli.player import EXERCISE_NAMES
    from vagus.program import EXERCISE_IDS

    assert FORMAT_NAMES == FORMATS
    assert EXERCISE_NAMES == EXERCISE_IDS
    assert MIN_MEASURE_MINUTES == MIN_MEASUREMENT_S / 60.0
