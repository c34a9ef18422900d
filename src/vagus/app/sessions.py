"""Guided sessions: start (through the plan's gate, at today's dose), steps written the moment
they end, ratings, feedback, and an honest end status.

Statuses: ``completed`` means every timed main step (``do``/``repeat``) ended completed; a
session with a main step skipped or cut short is ``stopped``; one whose process or browser tab
went away while it ran is ``interrupted``; a session cancelled before its first step leaves no
row at all (it did not happen).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from vagus.app.checkins import check_symptoms, safety_out
from vagus.app.errors import AppError, ConflictError, NotFoundError
from vagus.app.models import FeedbackOut
from vagus.app.plan import Gate
from vagus.app.preferences import PACER_KEYS
from vagus.program import (
    BreathPattern,
    Clock,
    GuidedSession,
    Lang,
    MonotonicClock,
    Step,
    StepEnded,
    build_steps,
)

if TYPE_CHECKING:
    from vagus.app._core import App

#: How a step may end (``vagus.program.session.Outcome``).
STEP_OUTCOMES: Final[tuple[str, ...]] = ("completed", "skipped", "aborted")
#: What a face may ask a session to end as; the app decides the stored status.
END_REQUESTS: Final[tuple[str, ...]] = ("completed", "stopped", "aborted", "interrupted")
#: Out-breath / in-breath at the resonance rate: Lehrer's protocols pace a slightly longer
#: exhale (about 40:60).
RESONANCE_EXHALE_RATIO: Final = 1.5
#: Step kinds that are the exercise itself (the rest prepares, rests or closes).
MAIN_KINDS: Final = frozenset({"do", "repeat"})


def _process_alive(pid: object) -> bool:
    """Is the process that started a session still running (on this machine)?"""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def end_status(steps: Sequence[Step], recorded: Sequence[Mapping[str, Any]]) -> str:
    """``completed`` when every timed main step ended completed, else ``stopped``.

    >>> from vagus.program import build_steps
    >>> steps = build_steps("breathing", minutes=2)
    >>> end_status(steps, [{"step_id": "breathe", "outcome": "completed"}])
    'completed'
    >>> end_status(steps, [{"step_id": "breathe", "outcome": "skipped"}])
    'stopped'
    """
    outcomes = {str(s["step_id"]): s["outcome"] for s in recorded}
    main = [s for s in steps if s.kind in MAIN_KINDS and s.duration_s is not None]
    if main and all(outcomes.get(s.id) == "completed" for s in main):
        return "completed"
    return "stopped"


@dataclass(frozen=True)
class Pace:
    """The breathing pattern a breathing session will use, and where it comes from:
    ``"chosen"`` (the person's own pacer setting), ``"resonance"`` (their candidate resonance
    rate), ``"default"`` (the settings' 4 s in / 8 s out unless changed)."""

    pattern: dict[str, float]
    source: str


@dataclass
class SessionRun:
    """A guided session wired to the journal: each step is written the moment it ends.

    The CLI drives it (``session.start/pause/resume/skip/next/abort`` and :meth:`pump`); the
    journal holds every ended step, so a crash loses at most the running one.
    """

    app: App
    exercise_id: str
    params: dict[str, Any]
    session: GuidedSession
    session_id: int
    clock: Clock
    gate: Gate
    _t0: float = 0.0
    _w0: datetime | None = None
    #: Stop-rule symptoms reported while the session ran.
    reported: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Session times are monotonic seconds; the journal wants wall-clock UTC. One anchor
        # taken together maps the first onto the second without drift from clock changes.
        self._t0 = self.clock.now()
        self._w0 = self.app.now()

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.session.steps

    def wall(self, t: float) -> datetime:
        """Monotonic session time -> UTC."""
        assert self._w0 is not None
        return self._w0 + timedelta(seconds=t - self._t0)

    def pump(self) -> list[object]:
        """Advance timed steps and write every step that ended; returns the drained events."""
        if self.session.status == "running":
            self.session.update()
        events: list[object] = list(self.session.events())
        for event in events:
            if isinstance(event, StepEnded):
                self.app.journal.record_step(
                    self.session_id,
                    event.step.id,
                    event.step.kind,
                    self.wall(event.started_at),
                    self.wall(event.ended_at),
                    event.active_s,
                    event.outcome,
                )
        return events

    def rate(self, moment: str, calm: int) -> None:
        """A 0-10 calm rating before or after."""
        self.app.journal.add_rating(self.session_id, moment, calm)  # type: ignore[arg-type]

    def log(self, step: Step, values: Mapping[str, Any]) -> None:
        """Save what the person wrote at a logging step (gratitude, what they did)."""
        for key, value in values.items():
            if value is None or value == "":
                continue
            if key == "gratitude":
                self.app.journal.add_gratitude(self.session_id, str(value))
            else:
                note = json.dumps({"step": step.id, "field": key, "value": value})
                self.app.journal.add_feedback(self.session_id, note, ())

    def feedback(self, text: str, symptoms: Sequence[str]) -> None:
        """How it felt, and any stop-rule symptoms (ids from vagus.program.safety)."""
        self.app.journal.add_feedback(self.session_id, text, symptoms)

    def finish(self) -> str | None:
        """Close the session: its status (completed/stopped), or None when it was cancelled
        before its first step (then it leaves no row)."""
        self.pump()
        return self.app.sessions.finish(self.session_id, "stopped")


class SessionService:
    def __init__(self, app: App) -> None:
        self._app = app

    # -- the pace a breathing session uses
    def pace(self) -> Pace:
        """The breathing pattern a breathing session without its own pattern will use."""
        prefs = self._app.prefs.get()
        if prefs.pacer_set:
            return Pace(dict(prefs.pacer), "chosen")
        rate = self._app.resonance.rate()
        if rate is not None:
            pattern = BreathPattern.from_rate(rate, RESONANCE_EXHALE_RATIO)
            return Pace(
                dict(prefs.pacer) | {"inhale_s": pattern.inhale_s, "exhale_s": pattern.exhale_s},
                "resonance",
            )
        return Pace(dict(prefs.pacer), "default")

    def params_for(self, exercise_id: str, gate: Gate, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters a session runs with: the person's own choice, else today's plan dose,
        else the exercise's default; a breathing session paces at :meth:`pace` unless the
        person gave a pattern."""
        chosen = dict(gate.params) | {k: v for k, v in params.items() if v is not None}
        if exercise_id == "breathing" and not set(PACER_KEYS) & set(params):
            chosen |= self.pace().pattern
        return chosen

    def start(
        self,
        exercise_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        confirm_cleared: bool = False,
    ) -> SessionRun:
        """Open a session in the journal, after the gate (RefusedError with the reason when the
        screening or plan does not allow it) and with validated parameters."""
        gate = self._app.plan.gate(exercise_id, confirm_cleared=confirm_cleared)
        chosen = self.params_for(exercise_id, gate, params or {})
        steps = build_steps(exercise_id, **chosen)  # a UserError names a bad parameter
        clock = clock or MonotonicClock()
        journal = self._app.journal
        session_id = journal.start_session(exercise_id, chosen, at=self._app.now(), pid=os.getpid())
        # The plan the session was done under is the day's plan: tomorrow's grows from it.
        self._app.plan.today()
        return SessionRun(
            app=self._app,
            exercise_id=exercise_id,
            params=chosen,
            session=GuidedSession(steps, clock),
            session_id=session_id,
            clock=clock,
            gate=gate,
        )

    def get(self, session_id: int) -> dict[str, Any]:
        """A session as the journal stores it (NotFoundError when there is none)."""
        try:
            return self._app.journal.session(session_id)
        except ValueError:  # the journal's error for an unknown id
            raise NotFoundError(f"session_id: no session {session_id}", "session_id") from None

    def steps_of(self, stored: Mapping[str, Any]) -> tuple[Step, ...]:
        return tuple(build_steps(stored["exercise_id"], **stored["params"]))

    def record_step(
        self,
        session_id: int,
        step_id: str,
        kind: str,
        started_at: datetime,
        ended_at: datetime,
        active_s: float,
        outcome: str,
    ) -> int:
        """Store one step that ended outside a :class:`SessionRun` (the browser's player).

        The step must be one of the session's own (its exercise and parameters rebuild the
        steps), of its kind, and not recorded yet; else AppError (ConflictError when recorded)
        names the field, and nothing is stored.
        """
        stored = self.get(session_id)
        if stored["status"] != "running":
            raise ConflictError(
                f"session_id: session {session_id} is {stored['status']}, not running",
                "session_id",
            )
        steps = {s.id: s for s in self.steps_of(stored)}
        step = steps.get(step_id)
        if step is None:
            raise AppError(
                f"step_id: {step_id!r} is not a step of this {stored['exercise_id']} session; "
                f"expected one of {', '.join(steps)}",
                "step_id",
            )
        if kind != step.kind:
            raise AppError(f"kind: step {step.id!r} is a {step.kind!r} step, got {kind!r}", "kind")
        if outcome not in STEP_OUTCOMES:
            raise AppError(
                f"outcome: expected one of {', '.join(STEP_OUTCOMES)}, got {outcome!r}", "outcome"
            )
        if any(s["step_id"] == step.id for s in stored["steps"]):
            raise ConflictError(f"step_id: step {step.id!r} is already recorded", "step_id")
        return self._app.journal.record_step(
            session_id, step.id, step.kind, started_at, ended_at, active_s, outcome
        )

    def finish(self, session_id: int, requested: str = "stopped") -> str | None:
        """Close a running session; returns the stored status, or None when it had no step
        yet and was cancelled (then the session and its ratings are removed).

        ``requested`` is what the face saw (``completed``, ``stopped``, ``aborted``,
        ``interrupted``); the app decides: ``completed`` only when every timed main step ended
        completed, ``interrupted`` when the face lost the person, else ``stopped``.
        """
        if requested not in END_REQUESTS:
            raise AppError(
                f"status: expected one of {', '.join(END_REQUESTS)}, got {requested!r}", "status"
            )
        stored = self.get(session_id)
        journal = self._app.journal
        if stored["status"] != "running":
            return str(stored["status"])
        if not stored["steps"] and not stored.get("feedback"):
            # Cancelled before it began (or the tab closed then): it did not happen. One with
            # a reported symptom is kept: the report belongs to it.
            journal.discard_session(session_id)
            return None
        if requested == "interrupted":
            status = "interrupted"
        else:
            status = end_status(self.steps_of(stored), stored["steps"])
        journal.finish_session(session_id, status)  # type: ignore[arg-type]
        return status

    def rate(self, session_id: int, moment: str, calm: int) -> int:
        """A 0-10 calm rating before or after a session (one of each)."""
        self.get(session_id)
        return self._app.journal.add_rating(session_id, moment, calm)  # type: ignore[arg-type]

    def feedback(self, session_id: int, text: str, symptoms: Sequence[str]) -> int:
        """How it felt and any stop-rule symptoms, after (or during) a session."""
        self.get(session_id)
        return self._app.journal.add_feedback(session_id, text, symptoms)

    def close_interrupted(self) -> list[int]:
        """Mark sessions still "running" whose process is gone as interrupted.

        A session cut off by a crash or a closed terminal keeps its completed steps; one
        another live process runs (vagus do in another terminal, the web server) is left alone:
        each session's row holds the process that runs it. One with no step at all is removed.
        """
        closed = []
        for session_id, pid in self._app.journal.running_sessions().items():
            if not _process_alive(pid):
                self.finish(session_id, "interrupted")
                closed.append(session_id)
        return closed

    def report_symptoms(
        self, session_id: int, symptom_ids: Sequence[str], note: str, lang: Lang
    ) -> FeedbackOut:
        """Warning signs reported during or after a session: stored as the session's
        feedback, the advice returned at once, a red flag kept for Today, and a running
        session stopped (every reported sign is a stop rule or a red flag)."""
        stored = self.get(session_id)
        outcome = check_symptoms(symptom_ids, stored["exercise_id"])
        row = self._app.journal.add_feedback(session_id, note, list(outcome.symptoms))
        self._app.checkins.raise_flag(outcome, self._app.now(), source="session")
        status: str | None = str(stored["status"])
        if stored["status"] == "running" and outcome.stop_session:
            status = self.finish(session_id, "stopped")
        return FeedbackOut(
            id=row, session_id=session_id, safety=safety_out(outcome, lang), status=status
        )
