"""Crash safety: a process killed with SIGKILL mid-session loses nothing it had committed.

A child process opens the journal, starts a session and a recording, then records steps and
appends beats in a tight loop, printing each id or beat count only after the call (and so its
commit) returned. The parent kills it with SIGKILL after 40 reports, while it is still writing,
then reopens the journal: every reported step and beat is there, at most the one call in flight
beyond them, the session is still ``running`` and (SQLite) the file passes integrity_check.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from vagus.journal import Journal
from waiting import GUARD_S, ChildLines

#: Reports to wait for before the kill: enough that the loop is well under way.
REPORTS_BEFORE_KILL = 40
#: Beats appended per loop: two per call, as a strap sends one notification per second.
BEATS_PER_CALL = 2

CHILD = """
import sys
from datetime import UTC, datetime, timedelta

from vagus.journal import Journal

journal = Journal.open(sys.argv[1])
t0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
session = journal.start_session("belly_breathing", {"inhale_s": 4, "exhale_s": 8}, t0)
recording = journal.start_recording("simulated", t0, ["crash-test"], session_id=session)
print("session", session, recording, flush=True)
i = 0
while True:
    start = t0 + timedelta(seconds=12 * i)
    step = journal.record_step(
        session, f"breath-{i}", "pacer", start, start + timedelta(seconds=12), 12.0, "done"
    )
    print("step", step, flush=True)
    total = journal.append_beats(recording, [800.0 + i % 50, 900.0 - i % 50])
    print("beats", total, flush=True)
    i += 1
"""


def expected_rr(n_beats: int) -> list[float]:
    """The beats the child writes, in order (pairs per loop: 800 + i % 50, 900 - i % 50)."""
    values: list[float] = []
    for i in range((n_beats + 1) // BEATS_PER_CALL):
        values += [800.0 + i % 50, 900.0 - i % 50]
    return values[:n_beats]


def run_and_kill(url: str) -> tuple[list[str], str]:
    """Run the child until it reported enough, SIGKILL it, and return every line it printed.

    The child's reports are the signal: the kill waits for them, however slow the machine
    (only a child silent for ``GUARD_S`` is taken for hung), and never for a fixed time.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    output = ChildLines(child)
    try:
        output.wait_for(
            lambda lines: len(lines) >= REPORTS_BEFORE_KILL + 1,
            what=f"the child's first {REPORTS_BEFORE_KILL} reports",
            timeout_s=GUARD_S,
        )
        # Kill it while it is still writing (its loop never ends on its own).
        assert child.poll() is None, "the child must still be running when it is killed"
        child.send_signal(signal.SIGKILL)
        child.wait()
        lines = output.rest()  # whatever it printed before it died
        errors = child.stderr.read().decode()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        output.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return lines, errors


def check_survivors(url: str, lines: list[str]) -> None:
    assert lines[0].startswith("session "), lines[:3]
    _, session_text, recording_text = lines[0].split()
    session_id, recording_id = int(session_text), int(recording_text)
    reported_steps = [int(line.split()[1]) for line in lines if line.startswith("step ")]
    reported_beats = max(
        [int(line.split()[1]) for line in lines if line.startswith("beats ")] + [0]
    )
    assert len(reported_steps) >= REPORTS_BEFORE_KILL // 2

    with Journal.open(url) as journal:
        session = journal.session(session_id)
        stored_steps = [step["id"] for step in session["steps"]]
        rr = journal.recording_rr(recording_id)
        assert list(journal.running_sessions()) == [session_id]
        assert journal.unfinished_recordings() == [recording_id]
    assert session["status"] == "running"
    assert session["ended_at"] is None
    # Every reported step is stored; at most one more (committed, killed before printing).
    assert stored_steps[: len(reported_steps)] == reported_steps
    assert len(stored_steps) - len(reported_steps) in (0, 1)
    # Every reported beat is stored, in order; at most one call's worth more.
    assert len(rr) - reported_beats in (0, BEATS_PER_CALL)
    assert rr == expected_rr(len(rr))


def test_sigkill_keeps_every_committed_step_and_beat_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    url = f"sqlite:///{path}"
    lines, errors = run_and_kill(url)
    assert errors == ""
    # Before anyone reopens the file: SQLite finds it intact, WAL and all.
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()
    check_survivors(url, lines)


def test_sigkill_keeps_every_committed_step_and_beat_postgresql(postgres_url: str) -> None:
    lines, errors = run_and_kill(postgres_url)
    assert errors == ""
    check_survivors(postgres_url, lines)
