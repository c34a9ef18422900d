"""A long write does not lock others out (issue 11, finding 8), and the small items of
finding 9 that are the journal's: no row values in database errors, a private home folder, an
honest ``forget``.

Written as the attack: a write arrives while a long import (several batches of beats) holds
the journal. It waits for one batch and succeeds, or, when the import holds the journal past
the busy timeout, is refused with :class:`BusyError` and changes nothing; the import is whole
afterwards. Every wait is on an event (tests/waiting.py), never on the clock.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import traceback
from pathlib import Path
from typing import Any

import psycopg
import pytest
from busy_helpers import LONG_IMPORT_BEATS, T0, DuringBatch, export_with_beats
from journal_helpers import FakeClock, populate, snapshot
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from vagus.config import DATABASE_FILE_NAME
from vagus.errors import BusyError
from vagus.journal import Journal, JournalError, _engine, _journal
from vagus.journal._export import BATCH_ROWS
from vagus.journal._models import Beat
from waiting import wait_until


@pytest.fixture(scope="module")
def long_export() -> dict[str, Any]:
    return export_with_beats()


def _in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    """Run ``call`` in a thread; its result (or exception) lands in the list."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _queued_or_done(journal: Journal, outcome: list[Any]) -> bool:
    """The other writer is waiting for the journal's writer lock (it holds the gate), or done
    (PostgreSQL's writes to other rows do not wait at all)."""
    lock = journal._write_lock
    return bool(outcome) or (lock is not None and lock._thread_gate.locked())


# -- finding 8: a write during a long import ----------------------------------------------


def test_a_checkin_during_a_long_import_waits_one_batch(
    journal: Journal, long_export: dict[str, Any]
) -> None:
    checkin: list[Any] = []

    def check_in_now() -> None:
        _thread, outcome = _in_thread(lambda: journal.add_checkin(T0, pain=3, note="meanwhile"))
        checkin.append(outcome)
        wait_until(lambda: _queued_or_done(journal, outcome), what="the check-in is queued")

    probe = journal.counts
    with DuringBatch(journal, check_in_now, probe) as hook:
        counts = journal.import_(long_export)
    assert counts["beats"] == LONG_IMPORT_BEATS
    outcome = wait_until(lambda: checkin[0], what="the check-in's answer")
    assert isinstance(outcome[0], int), outcome
    # The check-in went in before the import's next batch: it waited for one batch, not for
    # the whole import (the gate of _lock hands the journal over between batches).
    assert hook.seen_at_next["checkin"] == 2
    assert hook.batches > 2
    notes = {entry["note"] for entry in journal.history(types=["checkin"])}
    assert notes == {"imported", "meanwhile"}
    recording = journal.history(types=["measurement"])[0]["id"]
    assert journal.recording_rr(recording) == long_export["recordings"][0]["rr_ms"]


def test_a_checkin_held_out_past_the_wait_is_busy_and_changes_nothing(
    tmp_path: Path, long_export: dict[str, Any]
) -> None:
    with Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal:
        assert journal._write_lock is not None
        journal._write_lock._timeout_s = 0.05  # the import's batch outlasts the wait
        answers: list[Any] = []

        def refused_check_in() -> None:
            _thread, outcome = _in_thread(lambda: journal.add_checkin(T0, pain=3))
            answers.append(wait_until(lambda: outcome, what="the check-in's answer")[0])

        with DuringBatch(journal, refused_check_in, journal.counts):
            journal.import_(long_export)
        assert isinstance(answers[0], BusyError), answers
        assert answers[0].retry_after_s > 0
        assert "try again" in str(answers[0])
        assert journal.counts()["checkin"] == 1  # only the imported one
        assert journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


@pytest.mark.parametrize("fail_at", [0, 3])
def test_an_import_that_fails_midway_leaves_the_journal_unchanged(
    journal: Journal, clock: FakeClock, fail_at: int
) -> None:
    with Journal.open("sqlite://", clock=clock) as source:
        populated = populate(source, clock)  # one of every kind of record
        source.append_beats(populated.open_recording, [700.0] * (4 * BATCH_ROWS))
        data = source.export()
    data["settings"].append(
        {"key": "theme", "value": "light", "updated_at": "2024-05-01T07:30:00+00:00"}
    )
    journal.set_setting("theme", "dark")  # the import would replace it
    before = snapshot(journal)

    def disk_full() -> None:
        raise OSError("disk full (simulated)")

    with (
        DuringBatch(journal, disk_full, journal.counts, at=fail_at),
        pytest.raises(OSError, match="simulated"),
    ):
        journal.import_(data)
    assert snapshot(journal) == before
    assert journal.get_setting("theme") == "dark"
    journal.import_(data)  # and it can be imported afterwards
    assert journal.recording_rr(populated.open_recording) == [900.0] + [700.0] * (4 * BATCH_ROWS)
    assert journal.get_setting("theme") == "light"


def test_a_long_append_is_batched_and_all_or_nothing(journal: Journal) -> None:
    recording = journal.start_recording("replay", T0)
    journal.append_beats(recording, [800.0, 810.0])
    many = [700.0 + index % 100 for index in range(3 * BATCH_ROWS + 5)]

    def fail() -> None:
        raise OSError("disk full (simulated)")

    with (
        DuringBatch(journal, fail, journal.counts, at=2),
        pytest.raises(OSError, match="simulated"),
    ):
        journal.append_beats(recording, many)
    assert journal.recording_rr(recording) == [800.0, 810.0]
    assert journal.append_beats(recording, many) == 2 + len(many)
    assert journal.recording_rr(recording) == [800.0, 810.0, *many]


def test_a_foreign_sqlite_writer_gives_a_busy_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A program that does not queue on vagus's writer lock (the sqlite3 shell) holds the
    # write lock: SQLite's busy timeout runs out, and that is BusyError, not OperationalError.
    monkeypatch.setattr(_engine, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "journal.sqlite3"
    with Journal.open(f"sqlite:///{path}") as journal:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(BusyError, match="busy") as caught:
                journal.add_checkin(T0, pain=2)
            assert caught.value.field == "journal"
            with pytest.raises(BusyError):
                journal.start_recording("replay", T0)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert journal.counts()["checkin"] == 0
        journal.add_checkin(T0, pain=2)
        assert journal.counts()["checkin"] == 1


def test_a_postgres_row_lock_gives_a_busy_answer(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "SQLITE_BUSY_TIMEOUT_MS", 50)  # also PostgreSQL's lock_timeout
    with Journal.open(postgres_url) as journal:
        recording = journal.start_recording("replay", T0)
        libpq_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(libpq_url) as other:
            other.execute("SELECT id FROM rr_recording WHERE id = %s FOR UPDATE", (recording,))
            with pytest.raises(BusyError, match="busy"):
                journal.finish_recording(recording, at=T0)
            other.rollback()
        assert journal.unfinished_recordings() == [recording]


# -- finding 9: no health data in error messages and logs ------------------------------------


def _logged(error: BaseException) -> str:
    """What a log line of ``error`` says: its message and those of the exceptions it came
    from (a traceback's source lines are left out: this file's own text is not the error's)."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        parts += traceback.format_exception_only(current)
        current = current.__cause__ or current.__context__
    return "".join(parts)


def test_a_failing_statement_shows_no_row_values(journal: Journal) -> None:
    recording = journal.start_recording("replay", T0)
    journal.append_beats(recording, [812.0])
    secret = -(987 + 654321 / 1e6)  # not written out here, so a traceback cannot quote it
    with pytest.raises(DBAPIError) as caught, journal._write_engine.begin() as connection:
        # Past the journal's checks, as a bug would be: the database refuses the row.
        connection.execute(insert(Beat), {"recording_id": recording, "seq": 1, "rr_ms": secret})
    shown = _logged(caught.value)
    assert "987.654" not in shown
    assert "Failing row" not in shown
    assert "parameters hidden" in shown
    # A key the database refuses (a race) names no values either.
    again_value = 555 + 1 / 8
    with pytest.raises(DBAPIError) as again, journal._write_engine.begin() as connection:
        connection.execute(
            insert(Beat), {"recording_id": recording, "seq": 0, "rr_ms": again_value}
        )
    assert "555.125" not in _logged(again.value)


# -- finding 9: the home folder is private --------------------------------------------------


def test_the_journal_file_name_is_the_homes() -> None:
    assert _engine.HOME_FILE_NAME == DATABASE_FILE_NAME


def test_an_existing_open_home_is_made_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    with Journal.open(f"sqlite:///{home / DATABASE_FILE_NAME}"):
        pass
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / DATABASE_FILE_NAME).stat().st_mode) == 0o600


def test_a_home_that_is_the_persons_own_home_directory_keeps_its_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = tmp_path / "person"
    person.mkdir()
    person.chmod(0o755)
    monkeypatch.setenv("HOME", str(person))  # VAGUS_HOME=~
    with Journal.open(f"sqlite:///{person / DATABASE_FILE_NAME}"):
        pass
    assert stat.S_IMODE(person.stat().st_mode) == 0o755
    assert stat.S_IMODE((person / DATABASE_FILE_NAME).stat().st_mode) == 0o600


def test_a_folder_the_person_chose_for_a_journal_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "documents"
    shared.mkdir()
    shared.chmod(0o755)
    with Journal.open(f"sqlite:///{shared / 'my-journal.db'}"):
        pass
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "my-journal.db").stat().st_mode) == 0o600


# -- finding 9: forget says whether the data left the file ----------------------------------


def test_forget_says_when_a_reader_keeps_old_pages_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_journal, "CHECKPOINT_WAIT_S", 0.05)
    path = tmp_path / "journal.sqlite3"
    marker = "private-marker-5b1e07"

    def files() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())

    with Journal.open(f"sqlite:///{path}") as journal:
        session_id = journal.start_session("meditation")
        journal.add_gratitude(session_id, marker * 20)
        journal._engine.dispose()
        # Copy the log into the main file, so the marker is in the file a reader reads.
        with sqlite3.connect(path) as plain:
            plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM gratitude").fetchone() == (1,)
            assert journal.forget() is False  # deleted, but the old pages are still there
            assert journal.counts()["gratitude"] == 0
        finally:
            reader.execute("COMMIT")
            reader.close()
        assert journal.forget() is True
        assert marker.encode() not in files()
        assert journal.forget() is True
        journal.start_session("walk")  # still usable


def test_forget_on_postgres_says_done(postgres_url: str) -> None:
    with Journal.open(postgres_url) as journal:
        journal.add_checkin(T0, pain=1)
        assert journal.forget() is True
        assert journal.counts()["checkin"] == 0


def test_journal_error_for_a_refused_write_names_no_values(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A race the checks cannot see (the same id twice): JournalError, first line only.
    journal.add_checkin(T0, pain=4, note="first")
    with pytest.raises(JournalError) as caught, journal._write_core() as connection:
        connection.execute(
            _journal._INSERT_CHECKIN,
            {"id": 1, "at": T0, "note": "-".join(("second", "secret")), "symptoms": [], "pain": 9},
        )
    assert "second-secret" not in _logged(caught.value)
    assert "\n" not in str(caught.value)


def test_lock_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(f"sqlite:///{path}") as journal:
        journal.add_checkin(T0, pain=1)
    for name in ("journal.sqlite3-writer.lock", "journal.sqlite3-writer.gate"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_a_failed_imports_undo_keeps_what_the_person_added_meanwhile(
    journal: Journal, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in review: between two beat batches the person rates an imported session (other
    # writers get in between batches by design); the next batch fails. Undoing the import must
    # not take their rating with it (deleting the session would cascade to it).
    with Journal.open("sqlite://", clock=clock) as source:
        session_id = source.start_session("breathing")
        recording_id = source.start_recording("replay", session_id=session_id)
        source.append_beats(recording_id, [800.0] * (2 * BATCH_ROWS + 1))
        source.finish_recording(recording_id)
        source.finish_session(session_id, "completed")
        data = source.export()
    batches = _journal.beat_batches
    added: list[int] = []

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        for index, batch in enumerate(batches(*args, **kwargs)):
            if index == 1:
                added.append(journal.add_feedback(session_id, "felt calmer"))
                raise OSError("disk full (simulated)")
            yield batch

    monkeypatch.setattr(_journal, "beat_batches", meanwhile)
    with pytest.raises(OSError, match="simulated"):
        journal.import_(data)
    assert added
    assert journal.counts()["session_feedback"] == 1  # the person's words are kept
    assert journal.counts()["guided_session"] == 1  # with the session they belong to
    assert journal.counts()["rr_beat"] == 0  # the import's beats are gone
