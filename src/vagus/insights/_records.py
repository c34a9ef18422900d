"""The records insights work on: plain, typed, built by the app from the journal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Rest:
    """A resting recording's analysis: the numbers insights use from it.

    ``corrected_percent`` is the share of RR intervals the artifact correction changed.
    """

    ln_rmssd: float | None
    mean_hr_bpm: float | None
    duration_s: float
    corrected_percent: float


@dataclass(frozen=True)
class SessionRecord:
    """One finished guided session, its rests and calm ratings (``None`` where missing)."""

    id: int
    exercise_id: str
    started_at: datetime
    day: date
    minutes: float
    before: Rest | None = None
    after: Rest | None = None
    calm_before: int | None = None
    calm_after: int | None = None


@dataclass(frozen=True)
class Morning:
    """The day's morning measurement (the first one of the local day)."""

    day: date
    ln_rmssd: float


@dataclass(frozen=True)
class CheckinRecord:
    """A check-in's 0-10 scores (a skipped question is absent or None), on its local day."""

    day: date
    scores: Mapping[str, int | None] = field(default_factory=dict)
