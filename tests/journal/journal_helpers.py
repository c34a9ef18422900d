"""Shared pieces of the journal tests: the PostgreSQL test server, a hand-moved clock, the
standard test data and a snapshot of a whole journal.

PostgreSQL is the local server of the developers' guide (127.0.0.1:5432, trust auth, user
postgres, database ``test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pg_helpers import POSTGRES_DSN, POSTGRES_URL, postgres_problem, postgres_schema
from vagus.journal import Journal

__all__ = ["POSTGRES_DSN", "POSTGRES_URL", "postgres_problem", "postgres_schema"]

BACKENDS = ("sqlite", "postgresql")
#: A fixed start time for every test (an ordinary Wednesday morning).
T0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand; starts at :data:`T0`."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass(frozen=True)
class Populated:
    """Ids of the rows :func:`populate` stored."""

    running: int
    finished: int
    open_recording: int
    finished_recording: int


def populate(journal: Journal, clock: FakeClock) -> Populated:
    """One of everything: a finished and a running session, a finished and an open recording."""
    journal.set_setting("lang", "nb")
    journal.save_screening({"faint_history": False}, at=T0)
    journal.save_plan({"exercises": ["belly_breathing"]}, "first plan", at=T0)
    finished = journal.start_session("belly_breathing", {"inhale_s": 4, "exhale_s": 8}, at=T0)
    journal.record_step(finished, "breathe", "pacer", T0, T0 + timedelta(minutes=3), 170.5, "done")
    journal.add_rating(finished, "before", 3, at=T0)
    journal.add_rating(finished, "after", 7, at=T0 + timedelta(minutes=4))
    journal.add_feedback(finished, "warmer hands", ["tingling"], at=T0 + timedelta(minutes=4))
    journal.add_gratitude(finished, "the morning sun", at=T0 + timedelta(minutes=2))
    journal.finish_session(finished, "completed", at=T0 + timedelta(minutes=4))
    recording = journal.start_recording("replay", T0, ["morning"], session_id=finished)
    journal.append_beats(recording, [812.0, 798.5, 805.25])
    journal.finish_recording(recording, T0 + timedelta(minutes=4), {"rmssd": 31.2})
    journal.add_checkin(
        T0 + timedelta(hours=1), sleep=6, pain=4, note="stiff neck", symptoms=["dizziness"]
    )
    journal.add_questionnaire(T0 + timedelta(hours=2), "PHQ-8", [1, 0, 2, 1, 0, 1, 0, 0], 5, "mild")
    clock.advance(3 * 3600)
    running = journal.start_session("humming", {"minutes": 2})
    open_recording = journal.start_recording("simulated", clock.now, [])
    journal.append_beats(open_recording, [900.0])
    return Populated(running, finished, open_recording, recording)


def snapshot(journal: Journal) -> dict[str, Any]:
    """Everything in the journal (the export without its time stamp) and the row counts."""
    data = journal.export()
    data.pop("exported_at")
    return {"export": data, "counts": journal.counts()}
