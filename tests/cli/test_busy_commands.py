"""``vagus checkin`` while a long import holds the journal (issue 11, finding 8): it waits for
one batch and succeeds, or says "busy" on one line and exits 75 (EX_TEMPFAIL), no traceback,
nothing stored. The import runs in this process (through the app, as the web's import does),
the check-in in a child process, as a person would run it; every wait is on an event."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journal.busy_helpers import LONG_IMPORT_BEATS, DuringBatch, export_with_beats
from vagus.app import App, build_app
from vagus.cli import EXIT_BUSY, app
from vagus.journal import Journal
from vagus.journal._engine import busy_error
from vagus.journal._lock import gate_path
from vagus.program import t
from waiting import stop_child, wait_until

CHECKIN_ARGS = (
    "checkin",
    "--sleep=6",
    "--headache=1",
    "--digestion=1",
    "--anxiety=2",
    "--pain=3",
    "--fatigue=4",
    "--note=from the terminal",
)
#: ``vagus`` in a child, with the writer lock's wait cut to ``argv[1]`` seconds (so a refused
#: check-in does not wait the full busy timeout).
CHILD = (
    "import sys; import vagus.journal._journal as j;"
    " j.WRITE_LOCK_TIMEOUT_S = float(sys.argv.pop(1)); from vagus.cli import main; main()"
)


@pytest.fixture(scope="module")
def long_export() -> dict[str, Any]:
    return export_with_beats()


@pytest.fixture
def home_app(tmp_path: Path) -> Iterator[tuple[App, dict[str, str]]]:
    env = {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}
    built = build_app(env=env)
    yield built, env
    built.close()


def _child(env: dict[str, str], wait_s: float) -> subprocess.Popen[bytes]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("VAGUS_")} | env
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(wait_s), *CHECKIN_ARGS],
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _holds_gate(database: Path) -> bool:
    """Another process holds the journal's writer gate: it waits for the writer lock."""
    fd = os.open(gate_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _database(env: dict[str, str]) -> Path:
    return Path(env["VAGUS_HOME"]) / "journal.sqlite3"


def test_vagus_checkin_during_a_long_import_waits_and_succeeds(
    home_app: tuple[App, dict[str, str]], long_export: dict[str, Any]
) -> None:
    vagus_app, env = home_app
    journal: Journal = vagus_app.journal
    children: list[subprocess.Popen[bytes]] = []

    def check_in_from_the_terminal() -> None:
        child = _child(env, 60.0)
        children.append(child)
        wait_until(
            lambda: _holds_gate(_database(env)) or child.poll() is not None,
            what="vagus checkin is queued",
        )

    try:
        with DuringBatch(journal, check_in_from_the_terminal, journal.counts) as hook:
            counts = vagus_app.transfer.import_data(long_export)
        _out, err = children[0].communicate(timeout=120)
    finally:
        for child in children:
            stop_child(child)
    assert children[0].returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert counts["beats"] == LONG_IMPORT_BEATS
    # It got in before the import's next batch: it waited for one batch, not the import.
    assert hook.seen_at_next["checkin"] == 2
    notes = {entry["note"] for entry in journal.history(types=["checkin"])}
    assert notes == {"imported", "from the terminal"}
    assert journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


def test_vagus_checkin_held_out_says_busy_on_one_line(
    home_app: tuple[App, dict[str, str]], long_export: dict[str, Any]
) -> None:
    vagus_app, env = home_app
    journal: Journal = vagus_app.journal
    answers: list[tuple[int, bytes, bytes]] = []

    def refused_check_in() -> None:
        # The import holds the journal until the child gave up waiting.
        child = _child(env, 0.05)
        try:
            out, err = child.communicate(timeout=120)
        finally:
            stop_child(child)
        answers.append((child.returncode, out, err))

    with DuringBatch(journal, refused_check_in, journal.counts):
        vagus_app.transfer.import_data(long_export)
    code, _out, err = answers[0]
    assert code == EXIT_BUSY == 75, err.decode()
    message = err.decode().strip()
    assert "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    assert "busy" in message
    assert "try again" in message
    assert journal.counts()["checkin"] == 1  # only the imported one: the refused one is not
    assert journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


def test_busy_anywhere_in_a_command_is_one_line_and_75(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A write outside the commands' user-error blocks (forget) is caught as well.
    def busy(*_args: object, **_kwargs: object) -> None:
        raise busy_error()

    monkeypatch.setattr(Journal, "forget", busy)
    monkeypatch.setattr(Journal, "add_checkin", busy)
    env = {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}
    runner = CliRunner()
    for args in (["forget", "--confirm", "DELETE"], list(CHECKIN_ARGS)):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == EXIT_BUSY, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "busy" in result.stderr
        assert "Traceback" not in result.output


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_forget_says_so_when_old_copies_may_remain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lang: str
) -> None:
    # The journal reports that another reader kept the checkpoint from finishing (tested with a
    # real reader in tests/journal/test_journal_busy.py); the CLI must not say "Everything is
    # deleted." then, but say what remains and what to do.
    monkeypatch.setattr(Journal, "forget", lambda _self: False)
    env = {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": lang}
    result = CliRunner().invoke(app, ["forget", "--confirm", "DELETE"], env=env)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())  # rich wraps long lines
    assert " ".join(t("cli.forget_done_pending", lang).split()) in flat
    assert t("cli.forget_done", lang) not in flat
