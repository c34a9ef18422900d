"""Fill a journal with what insights read, the way the app stores it: guided sessions with a
rest recorded before and after (tags ``rest-before``/``rest-after``, linked to the session),
calm ratings, morning measurements and check-ins.

The rests' RR intervals alternate around their mean by exactly the RMSSD asked for, so every
successive difference is that RMSSD and ln RMSSD is known by hand (no artifact is flagged: the
swing is a few percent of the interval). Times are passed in; no test depends on the clock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from vagus.journal import Journal

#: Seconds of a rest (the player's rests are 60 s).
REST_S = 60.0


def rr_with_rmssd(
    rmssd_ms: float, mean_rr_ms: float = 900.0, seconds: float = REST_S
) -> list[float]:
    """RR intervals alternating +/- rmssd/2 around the mean: RMSSD is exactly ``rmssd_ms``.

    >>> rr = rr_with_rmssd(40.0)
    >>> rr[:2], len(rr)
    ([880.0, 920.0], 67)
    """
    n = math.ceil(seconds * 1000.0 / mean_rr_ms)
    return [mean_rr_ms + (rmssd_ms / 2.0) * (1 if i % 2 else -1) for i in range(n)]


def add_recording(
    journal: Journal,
    at: datetime,
    rr: list[float],
    tags: list[str],
    *,
    session_id: int | None = None,
    analyse: bool = True,
) -> int:
    """A finished recording with its beats; its analysis stored unless ``analyse`` is False
    (as an import from elsewhere arrives)."""
    from vagus.app.measurements import analysis_to_store
    from vagus.hrv import analyze

    recording = journal.start_recording("test", at, tags, session_id=session_id)
    journal.append_beats(recording, rr)
    analysis = analysis_to_store(analyze(rr)) if analyse else None
    journal.finish_recording(recording, at + timedelta(seconds=sum(rr) / 1000.0), analysis)
    return recording


def add_session(
    journal: Journal,
    at: datetime,
    exercise_id: str,
    *,
    rmssd_before: float | None = 40.0,
    rmssd_after: float | None = 44.0,
    hr_before: float = 66.0,
    hr_after: float = 64.0,
    calm: tuple[int, int] | None = (4, 6),
    minutes: float = 5.0,
    analyse: bool = True,
    before_seconds: float = REST_S,
) -> int:
    """A completed session of ``exercise_id`` at ``at``: rest, exercise, rest."""
    session = journal.start_session(exercise_id, {}, at)
    t = at
    if rmssd_before is not None:
        rr = rr_with_rmssd(rmssd_before, 60000.0 / hr_before, before_seconds)
        add_recording(journal, t, rr, ["rest-before"], session_id=session, analyse=analyse)
    t += timedelta(seconds=REST_S)
    if calm is not None:
        journal.add_rating(session, "before", calm[0], t)
    journal.record_step(
        session, "main", "timed", t, t + timedelta(minutes=minutes), minutes * 60.0, "completed"
    )
    t += timedelta(minutes=minutes)
    if rmssd_after is not None:
        rr = rr_with_rmssd(rmssd_after, 60000.0 / hr_after)
        add_recording(journal, t, rr, ["rest-after"], session_id=session, analyse=analyse)
    t += timedelta(seconds=REST_S)
    if calm is not None:
        journal.add_rating(session, "after", calm[1], t)
    journal.finish_session(session, "completed", t)
    return session


def add_morning(journal: Journal, at: datetime, rmssd_ms: float) -> int:
    """A standalone morning measurement (tag ``morning``), 2 minutes."""
    return add_recording(journal, at, rr_with_rmssd(rmssd_ms, seconds=120.0), ["morning"])
