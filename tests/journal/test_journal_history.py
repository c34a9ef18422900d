"""History's ordering rules under limits and ties, and the writer lock (SQLite and PostgreSQL).

history() picks the newest entries across all tables in one query, then fetches each kind's
rows by time; these tests pin down that the result is the full, newest-first history cut to
the limit, whatever the ties of time between kinds and within one kind.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from journal_helpers import T0

from vagus.errors import BusyError
from vagus.journal import ENTRY_TYPES, Journal
from vagus.journal._lock import WriterLock, lock_path


def fill_with_ties(journal: Journal) -> None:
    """Entries of every kind, many at the same instants (T0 and T0 + 1 s) and some apart."""
    same = [T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(microseconds=1)]
    for index in range(3):
        for at in same:
            journal.add_checkin(at, pain=index, note=f"c{index}")
            journal.add_questionnaire(at, "PHQ-8", [index], float(index), None)
            journal.save_screening({"q": index}, at=at)
            journal.save_plan({"n": index}, f"plan {index}", at=at)
            session = journal.start_session("humming", {"i": index}, at=at)
            journal.record_step(session, "hum", "pacer", at, at + timedelta(seconds=9), 9.0, "done")
            journal.add_rating(session, "before", index, at=at)
            recording = journal.start_recording("replay", at, [], session_id=session)
            journal.append_beats(recording, [800.0 + index])
    journal.add_checkin(T0 - timedelta(days=1), sleep=5)
    journal.add_checkin(T0 + timedelta(days=1), sleep=6)


def order_key(entry: dict[str, object]) -> tuple[datetime, int, int]:
    """The documented order: newest first, then ENTRY_TYPES order, then the newest id."""
    started = datetime.fromisoformat(str(entry["started_at"]))
    rank = ENTRY_TYPES.index(entry["type"])  # type: ignore[arg-type]
    return (started, -rank, int(entry["id"]))  # type: ignore[call-overload]


def test_history_order_with_ties(journal: Journal) -> None:
    fill_with_ties(journal)
    everything = journal.history()
    assert len(everything) == 3 * 4 * 6 + 2
    assert everything == sorted(everything, key=order_key, reverse=True)


@pytest.mark.parametrize("limit", [1, 2, 5, 6, 7, 13, 24, 25, 50, 73, 74, 75, 1000])
def test_history_limit_is_the_newest_of_the_whole(journal: Journal, limit: int) -> None:
    fill_with_ties(journal)
    everything = journal.history()
    # The limit often falls inside a run of entries of one kind at one instant: the rows the
    # cut leaves out must stay out.
    assert journal.history(limit=limit) == everything[:limit]


@pytest.mark.parametrize(
    "types",
    [["checkin"], ["session", "measurement"], ["plan", "screening", "questionnaire"]],
)
def test_history_types_since_and_limit_agree_with_the_whole(
    journal: Journal, types: list[str]
) -> None:
    fill_with_ties(journal)
    everything = journal.history()
    since = T0 + timedelta(microseconds=1)
    chosen = [e for e in everything if e["type"] in types]
    assert journal.history(types=types) == chosen  # type: ignore[arg-type]
    recent = [e for e in chosen if datetime.fromisoformat(str(e["started_at"])) >= since]
    assert journal.history(types=types, since=since) == recent  # type: ignore[arg-type]
    for limit in (1, 3, 4, 10):
        assert journal.history(types=types, since=since, limit=limit) == recent[:limit]  # type: ignore[arg-type]


def test_session_and_recording_lookups_match_history(journal: Journal) -> None:
    fill_with_ties(journal)
    for entry in journal.history(types=["session", "measurement"]):
        if entry["type"] == "session":
            assert journal.session(entry["id"]) == entry
        else:
            assert journal.recording(entry["id"]) == entry


# --- the writer lock ----------------------------------------------------------------------


def test_writer_if_free_says_false_while_another_thread_writes(tmp_path: Path) -> None:
    with Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal:
        with journal.writer_if_free() as free:
            assert free
            # The holder's own writes go ahead (the lock is reentrant).
            checkin = journal.add_checkin(T0, pain=1)
        holding, release = threading.Event(), threading.Event()

        def writer() -> None:
            with journal._one_writer():
                holding.set()
                release.wait(10)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert holding.wait(10)
            with journal.writer_if_free() as free:
                assert not free
        finally:
            release.set()
            thread.join(10)
        with journal.writer_if_free() as free:
            assert free
        assert [e["id"] for e in journal.history(types=["checkin"])] == [checkin]


#: A process that takes the lock file (argv[1]) and holds it until its stdin closes.
HOLD_LOCK_FILE = (
    "import fcntl, sys; f = open(sys.argv[1], 'r+'); fcntl.flock(f, fcntl.LOCK_EX); "
    "print('held', flush=True); sys.stdin.read()"
)


def test_writer_if_free_says_false_while_another_process_writes(tmp_path: Path) -> None:
    database = tmp_path / "journal.sqlite3"
    with Journal.open(f"sqlite:///{database}") as journal:
        journal.add_checkin(T0, pain=1)  # creates the lock file
        assert lock_path(database).exists()
        assert lock_path(database).stat().st_mode & 0o777 == 0o600
        # Another process holds the lock file (as another vagus process's write would).
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLD_LOCK_FILE,
                str(lock_path(database)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            with journal.writer_if_free() as free:
                assert not free
        finally:
            holder.communicate("", timeout=10)
        with journal.writer_if_free() as free:
            assert free
            journal.add_checkin(T0, pain=2)
        assert len(journal.history(types=["checkin"])) == 2


def test_writer_lock_times_out_instead_of_hanging(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "journal.sqlite3", timeout_s=0.05)
    other = WriterLock(tmp_path / "journal.sqlite3", timeout_s=0.05)
    try:
        # A second writer of the same file (as another process would be) is refused as busy
        # after the timeout: SQLite would refuse it as well (issue 11, finding 8).
        with lock.hold(), pytest.raises(BusyError, match="busy"), other.hold():
            pass
        with other.hold():  # free again
            pass
    finally:
        lock.close()
        other.close()


def test_writer_if_free_only_on_sqlite(backend: str, journal: Journal) -> None:
    with journal.writer_if_free() as free:
        assert free == (backend == "sqlite")
