"""Insights (issue 13): which exercise works for the person, whether this week is a normal one
for them, and how symptoms and load move together.

The computations are pure (:mod:`vagus.insights`); this service reads the journal's records
(sessions with their linked rests and calm ratings, morning measurements, check-ins), turns
them into the typed records insights take, and hands the result to the faces: the JSON of
``vagus insights --json`` and ``/api/insights``, the words, Today's line, a session's before and
after, and the therapist's report.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from vagus.app.errors import AppError, NotFoundError
from vagus.insights import (
    CheckinRecord,
    ExerciseEffect,
    Insights,
    LoadFatigue,
    Morning,
    MorningPoint,
    Normal,
    Readiness,
    Rest,
    SessionEffect,
    SessionRecord,
    Suggestion,
    Trend,
    best_text,
    compute,
    effect_text,
    interval_text,
    left_out_text,
    load_text,
    morning_numbers,
    morning_text,
    next_text,
    percent_change,
    probability_text,
    readiness,
    rest_problem,
    say,
    session_effect,
    session_text,
    signed,
    to_json,
    trend_text,
)
from vagus.program import CHECKIN_FIELDS, EXERCISE_IDS, Lang, load_catalog

if TYPE_CHECKING:
    from vagus.app._core import App

# The faces render insights with these (they import the app, never vagus.insights itself).
__all__ = [
    "ExerciseEffect",
    "Insights",
    "InsightsService",
    "LoadFatigue",
    "MorningPoint",
    "Normal",
    "Readiness",
    "SessionChange",
    "Suggestion",
    "Trend",
    "best_text",
    "effect_text",
    "exercise_names",
    "interval_text",
    "left_out_text",
    "load_text",
    "local_day",
    "morning_numbers",
    "morning_text",
    "next_text",
    "percent_change",
    "probability_text",
    "say",
    "session_text",
    "signed",
    "trend_text",
]

#: Tags of a session's rests (``vagus.app.live.RecordingKind``).
REST_BEFORE_TAG = "rest-before"
REST_AFTER_TAG = "rest-after"
MORNING_TAG = "morning"


def exercise_names(lang: Lang) -> dict[str, str]:
    """Every exercise's short name in ``lang``."""
    catalog = load_catalog()
    return {i: catalog.exercises[i].text("name", lang) for i in EXERCISE_IDS}


def local_day(at: str) -> date:
    """The local calendar day of a stored instant (the person's time zone, as Today uses)."""
    return datetime.fromisoformat(at).astimezone().date()


@dataclass(frozen=True)
class SessionChange:
    """One session's before and after, for its summary: the rests' numbers and the change
    (None where it cannot be said, with the reasons in ``left_out``)."""

    session_id: int
    exercise_id: str
    before: Rest | None
    after: Rest | None
    calm_before: int | None
    calm_after: int | None
    effect: SessionEffect

    def text(self, lang: Lang) -> str:
        """The before and after in words (the CLI's session summary)."""
        return session_text(self.effect, self.before, self.after, lang)

    def to_json(self) -> dict[str, Any]:
        def rest(value: Rest | None) -> dict[str, Any] | None:
            if value is None:
                return None
            return {
                "ln_rmssd": value.ln_rmssd,
                "mean_hr_bpm": value.mean_hr_bpm,
                "duration_s": value.duration_s,
                "corrected_percent": value.corrected_percent,
                "usable": rest_problem(value) is None,
            }

        return {
            "session_id": self.session_id,
            "exercise_id": self.exercise_id,
            "before": rest(self.before),
            "after": rest(self.after),
            "calm_before": self.calm_before,
            "calm_after": self.calm_after,
            "ln_rmssd_change": self.effect.ln_rmssd_change,
            "hr_change_bpm": self.effect.hr_change_bpm,
            "calm_change": self.effect.calm_change,
            "left_out": list(self.effect.left_out),
        }


class InsightsService:
    """The person's insights, from the journal."""

    def __init__(self, app: App) -> None:
        self._app = app
        # Analyses of recordings that stored none (imports from elsewhere), by (id, beats):
        # each is computed once per process, not on every look at the insights.
        self._analysed: dict[tuple[int, int], Mapping[str, Any] | None] = {}

    # -- records --------------------------------------------------------------------------

    def _rest(self, entry: Mapping[str, Any] | None) -> Rest | None:
        """A stored recording as a rest: its stored analysis, or (an import from elsewhere
        stores none) an analysis of its beats now."""
        if entry is None:
            return None
        analysis = entry.get("analysis")
        if not isinstance(analysis, Mapping) or not isinstance(analysis.get("indices"), Mapping):
            key = (int(entry["id"]), int(entry.get("n_beats") or 0))
            if key not in self._analysed:
                self._analysed[key] = self._analyse(key[0])
            analysis = self._analysed[key]
            if analysis is None:  # too few beats to analyse at all
                rr = self._app.journal.recording_rr(key[0])
                return Rest(None, None, sum(rr) / 1000.0, 0.0)
        indices = analysis.get("indices") or {}
        artifacts = analysis.get("artifacts") or {}
        return Rest(
            ln_rmssd=_float(indices.get("ln_rmssd")),
            mean_hr_bpm=_float(indices.get("mean_hr")),
            duration_s=_float(analysis.get("duration_s")) or 0.0,
            corrected_percent=_float(artifacts.get("percent")) or 0.0,
        )

    def _analyse(self, recording_id: int) -> Mapping[str, Any] | None:
        from vagus.app.measurements import analysis_to_store
        from vagus.hrv import analyze

        try:
            return analysis_to_store(analyze(self._app.journal.recording_rr(recording_id)))
        except ValueError:
            return None

    def _session_records(
        self, sessions: Sequence[Mapping[str, Any]], recordings: Mapping[int, Mapping[str, Any]]
    ) -> list[SessionRecord]:
        out = []
        for entry in sessions:
            if entry.get("status") == "running":
                continue
            linked = sorted(
                (recordings[i] for i in entry.get("recording_ids", []) if i in recordings),
                key=lambda r: (r["started_at"], r["id"]),
            )
            befores = [r for r in linked if REST_BEFORE_TAG in (r.get("tags") or ())]
            afters = [r for r in linked if REST_AFTER_TAG in (r.get("tags") or ())]
            ratings = entry.get("ratings") or {}
            steps = entry.get("steps") or []
            out.append(
                SessionRecord(
                    id=int(entry["id"]),
                    exercise_id=str(entry["exercise_id"]),
                    started_at=datetime.fromisoformat(entry["started_at"]),
                    day=local_day(entry["started_at"]),
                    minutes=sum(float(s.get("active_s") or 0.0) for s in steps) / 60.0,
                    # The rest just before the exercise and the one just after it.
                    before=self._rest(befores[-1] if befores else None),
                    after=self._rest(afters[0] if afters else None),
                    calm_before=ratings.get("before"),
                    calm_after=ratings.get("after"),
                )
            )
        return sorted(out, key=lambda s: (s.started_at, s.id))

    def _mornings(self, recordings: Sequence[Mapping[str, Any]]) -> list[Morning]:
        """The first morning measurement of each local day, when it is usable."""
        firsts: dict[date, Mapping[str, Any]] = {}
        for entry in sorted(recordings, key=lambda r: (r["started_at"], r["id"])):
            if MORNING_TAG not in (entry.get("tags") or ()) or entry.get("session_id") is not None:
                continue
            firsts.setdefault(local_day(entry["started_at"]), entry)
        out = []
        for day, entry in sorted(firsts.items()):
            rest = self._rest(entry)
            if rest is not None and rest_problem(rest) is None and rest.ln_rmssd is not None:
                out.append(Morning(day, rest.ln_rmssd))
        return out

    @staticmethod
    def _checkins(entries: Sequence[Mapping[str, Any]]) -> list[CheckinRecord]:
        return [
            CheckinRecord(local_day(e["started_at"]), {f: e.get(f) for f in CHECKIN_FIELDS})
            for e in entries
        ]

    def compute(self, *, since: date | None = None, until: date | None = None) -> Insights:
        """Everything insights say, from the records of the local days ``since``..``until``
        (all, up to today, when not given)."""
        today = self._app.local_now().date()
        end = min(until, today) if until is not None else today
        if since is not None and since > end:
            raise AppError(
                f"from: {since.isoformat()} is after {end.isoformat()}; expected a first day "
                f"on or before the last",
                "from",
            )
        journal = self._app.journal

        def kept(day: date) -> bool:
            return (since is None or day >= since) and day <= end

        measurements = journal.history(types=["measurement"])
        by_id = {int(m["id"]): m for m in measurements}
        sessions = [
            s for s in journal.history(types=["session"]) if kept(local_day(s["started_at"]))
        ]
        records = self._session_records(sessions, by_id)
        mornings = [m for m in self._mornings(measurements) if kept(m.day)]
        checkins = [c for c in self._checkins(journal.history(types=["checkin"])) if kept(c.day)]
        statuses = self._app.plan.exercises()
        planned = [s.exercise_id for s in statuses if s.status == "planned"]
        allowed = planned or [s.exercise_id for s in statuses if s.status == "open"]
        # ME/CFS from the screening, or the plan set to its mode by the person or clinician.
        me_cfs = self._app.plan.mode() == "mecfs"
        # The same suggestion all day until another session is done: a person who looks
        # twice should not be told two different things.
        seed = zlib.crc32(f"{end.isoformat()}:{len(records)}".encode())
        return compute(
            records,
            mornings,
            checkins,
            exercise_ids=EXERCISE_IDS,
            allowed=allowed,
            today=end,
            me_cfs=me_cfs,
            seed=seed,
        )

    def morning_status(self, day: date | None = None) -> str:
        """This week's morning HRV against the person's normal range (``below``, ``within``,
        ``above``, ``too-few``), up to ``day``; what the plan's readiness rule reads. It
        reads the mornings only, never the plan (which asks it)."""
        end = day or self._app.local_now().date()
        measurements = self._app.journal.history(types=["measurement"])
        return readiness(self._mornings(measurements), end).status

    # -- what the faces show ----------------------------------------------------------------

    def overview(self, lang: Lang) -> dict[str, Any]:
        """The JSON of ``vagus insights --json`` and ``GET /api/insights``."""
        return to_json(self.compute(), exercise_names(lang), lang)

    def today_line(self, lang: Lang) -> str:
        """Today's one line: the morning status and what to try next."""
        result = self.compute()
        morning = morning_text(result.morning, lang)
        if result.suggestion is None:
            return morning
        suggestion = next_text(result.suggestion, exercise_names(lang), lang)
        return say("today.line", lang, morning=morning, next=suggestion)

    def session_change(self, session_id: int) -> SessionChange:
        """One session's rests before and after and what changed (its summary shows it)."""
        journal = self._app.journal
        try:
            entry = journal.session(session_id)
        except ValueError:
            raise NotFoundError(f"id: no session {session_id}", "id") from None
        recordings = {}
        for recording_id in entry.get("recording_ids", []):
            recordings[int(recording_id)] = journal.recording(int(recording_id))
        entry = dict(entry) | {"status": entry.get("status") or "completed"}
        if entry["status"] == "running":
            entry["status"] = "stopped"  # its summary may be asked for before it is closed
        [record] = self._session_records([entry], recordings)
        return SessionChange(
            session_id=record.id,
            exercise_id=record.exercise_id,
            before=record.before,
            after=record.after,
            calm_before=record.calm_before,
            calm_after=record.calm_after,
            effect=session_effect(record),
        )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
