"""The guided-session state machine: a program of steps, run against an injected clock.

A session runs a list of :class:`Step` objects in order. Timed steps end by themselves when their
active time is up (the app calls :meth:`GuidedSession.update` from its timer); untimed steps wait
for the person (:meth:`GuidedSession.next`). Time spent paused never counts as active time. The
session emits events that the app drains with :meth:`GuidedSession.events` and writes to the
journal at once, so that a crash loses at most the step that was running.

States and transitions (anything else raises :class:`SessionError`)::

    ready --start--> running <--pause/resume--> paused
    running|paused --skip/next/time up (last step)--> finished
    ready|running|paused --abort--> aborted

After ``finished`` or ``aborted`` only :meth:`~GuidedSession.state` and
:meth:`~GuidedSession.events` may be called.

>>> clock = ManualClock()
>>> steps = [Step("settle", "prepare", None, "breathing.prepare"),
...          Step("breathe", "do", 60.0, "breathing.do", pattern=BreathPattern())]
>>> s = GuidedSession(steps, clock)
>>> s.start(); s.next(); clock.advance(30.0)
>>> st = s.state()
>>> (st.status, st.index, st.step_elapsed_s, st.step_remaining_s, st.pacer.phase)
('running', 1, 30.0, 30.0, 'exhale')
>>> clock.advance(30.0); s.update()
>>> [type(e).__name__ for e in s.events()]
['StepStarted', 'StepEnded', 'StepStarted', 'StepEnded', 'SessionEnded']
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, Protocol

from vagus.program.pacer import BreathPattern, PacerState, phase_at

StepKind = Literal["prepare", "do", "rest", "repeat", "finish"]
#: ``prepare``: get ready (position, water, posture); ``do``: the exercise itself; ``rest``: a
#: pause between rounds; ``repeat``: a movement repeated slowly for the step's time (``data``
#: may give a suggested count as ``"reps"``); ``finish``: the way out (return to natural
#: breathing, a grounding cue, a log of what was done).
STEP_KINDS: Final[tuple[StepKind, ...]] = ("prepare", "do", "rest", "repeat", "finish")
Status = Literal["ready", "running", "paused", "finished", "aborted"]
Outcome = Literal["completed", "skipped", "aborted"]

#: Clock readings are floats; ``0.1 + 4.0 - 0.1`` is ``3.9999999999999996``. A timed step counts
#: as done when its active time is within this of its length, so float noise in the clock never
#: leaves a step hanging for one more tick. One microsecond is far below anything a person sees.
TIME_EPSILON_S: Final[float] = 1e-6
#: Untimed steps have no length; for the progress bar each weighs as much as this many seconds
#: of a timed step (about the time it takes to read a cue and press "continue").
UNTIMED_STEP_WEIGHT_S: Final[float] = 10.0


class SessionError(RuntimeError):
    """An action the session cannot take in its current state (the message says why)."""


class Clock(Protocol):
    """A source of monotonic time in seconds (never goes backwards; the origin is arbitrary)."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...


class MonotonicClock:
    """The real clock: :func:`time.monotonic`, which wall-clock changes do not affect."""

    def now(self) -> float:
        """Seconds on the system's monotonic clock."""
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to, for tests and simulations.

    >>> c = ManualClock(10.0)
    >>> c.advance(2.5); c.now()
    12.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        """The current reading, seconds."""
        return self._t

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (>= 0); a monotonic clock cannot go back."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"a monotonic clock only moves forward: advance({seconds!r})")
        self._t += seconds

    def set(self, t: float) -> None:
        """Jump to reading ``t`` (not earlier than the current reading)."""
        if not math.isfinite(t) or t < self._t:
            raise ValueError(f"a monotonic clock only moves forward: set({t!r}) from {self._t!r}")
        self._t = float(t)


@dataclass(frozen=True)
class Step:
    """One step of a guided program.

    Parameters
    ----------
    id : str
        Stable identifier within the program (``"round-2"``); the journal stores it.
    kind : StepKind
        ``"prepare"``, ``"do"``, ``"rest"``, ``"repeat"`` or ``"finish"``.
    duration_s : float or None
        Length in seconds (> 0), or None: the step lasts until the person continues.
    cue : str
        A cue id from ``program/data/cues.toml`` (the text shown and spoken).
    pattern : BreathPattern or None
        When set, the breathing pacer runs during the step (from the step's own start).
    round : int or None
        Round number (1-based) for repeated rounds, else None.
    data : Mapping[str, object]
        Extra facts for the app (for example which fields a log step asks for); read-only.
    """

    id: str
    kind: StepKind
    duration_s: float | None
    cue: str
    pattern: BreathPattern | None = None
    round: int | None = None
    # Not hashed (a mapping is not hashable); equality still compares it.
    data: Mapping[str, object] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("step id must not be empty")
        if self.kind not in STEP_KINDS:
            raise ValueError(
                f"step {self.id!r}: kind {self.kind!r} is not one of {', '.join(STEP_KINDS)}"
            )
        if self.duration_s is not None and not (
            math.isfinite(self.duration_s) and self.duration_s > 0
        ):
            raise ValueError(
                f"step {self.id!r}: duration_s must be > 0 seconds or None, got {self.duration_s!r}"
            )
        if self.round is not None and self.round < 1:
            raise ValueError(f"step {self.id!r}: round must be >= 1, got {self.round}")
        if not self.cue:
            raise ValueError(f"step {self.id!r}: a cue id is required")
        # A read-only view: a Step is a value, shared between the session and the journal.
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    @property
    def timed(self) -> bool:
        """True when the step ends by itself after ``duration_s``."""
        return self.duration_s is not None


@dataclass(frozen=True)
class StepStarted:
    """A step began at clock time ``at`` (seconds)."""

    step: Step
    index: int
    at: float


@dataclass(frozen=True)
class StepEnded:
    """A step ended.

    ``active_s`` excludes pauses; for a timed step that ran out it is exactly ``duration_s`` and
    ``ended_at`` is the moment its time was up (not the later tick that noticed).
    """

    step: Step
    index: int
    started_at: float
    ended_at: float
    active_s: float
    outcome: Outcome


@dataclass(frozen=True)
class SessionEnded:
    """The session ended (``"finished"`` after its last step, or ``"aborted"``) at ``at``."""

    status: Literal["finished", "aborted"]
    at: float


Event = StepStarted | StepEnded | SessionEnded


@dataclass(frozen=True)
class SessionState:
    """A snapshot of a session.

    Attributes
    ----------
    status : Status
        ``"ready"``, ``"running"``, ``"paused"``, ``"finished"`` or ``"aborted"``.
    index : int
        Index of the current step (0 when ready; ``len(steps)`` when finished; the aborted
        step's index when aborted).
    step : Step or None
        The current step, None once the session has ended.
    step_elapsed_s : float
        Active seconds in the current step (pauses excluded; capped at the step's length).
    step_remaining_s : float or None
        Seconds left in a timed step, None for an untimed one or after the end.
    progress : float
        0..1 through the whole program: ended steps plus the share of the current one, each
        weighted by its length (an untimed step by :data:`UNTIMED_STEP_WEIGHT_S`).
    pacer : PacerState or None
        The breathing pacer when the current step has a pattern.
    """

    status: Status
    index: int
    step: Step | None
    step_elapsed_s: float
    step_remaining_s: float | None
    progress: float
    pacer: PacerState | None


def _weight_s(step: Step) -> float:
    return step.duration_s if step.duration_s is not None else UNTIMED_STEP_WEIGHT_S


class GuidedSession:
    """Runs a program of steps against a clock (see the module docstring for the transitions).

    Parameters
    ----------
    steps : Sequence[Step]
        The program, at least one step.
    clock : Clock
        Monotonic time source; :class:`ManualClock` in tests.
    """

    def __init__(self, steps: Sequence[Step], clock: Clock) -> None:
        if not steps:
            raise SessionError("a session needs at least one step")
        self._steps: tuple[Step, ...] = tuple(steps)
        self._clock = clock
        self._status: Status = "ready"
        self._index = 0
        self._events: list[Event] = []
        self._step_started_at = 0.0
        self._banked_s = 0.0  # active seconds of the current step before the last resume
        self._resumed_at = 0.0  # clock time the current running stretch began
        self._total_weight_s = sum(_weight_s(s) for s in self._steps)
        self._done_weight_s = 0.0

    @property
    def steps(self) -> tuple[Step, ...]:
        """The program."""
        return self._steps

    @property
    def status(self) -> Status:
        """The current status."""
        return self._status

    # --- transitions --------------------------------------------------------------------------
    def start(self) -> None:
        """Begin the first step."""
        self._require({"ready"}, "start")
        self._status = "running"
        self._begin_step(0, self._clock.now())

    def pause(self) -> None:
        """Pause: the step's active time stops counting."""
        self._require({"running"}, "pause")
        self.update()
        if self._status != "running":  # the last step ran out before the pause
            raise SessionError(f"cannot pause: the session has {self._status}")
        now = self._clock.now()
        self._banked_s += now - self._resumed_at
        self._status = "paused"

    def resume(self) -> None:
        """Resume after a pause."""
        self._require({"paused"}, "resume")
        self._resumed_at = self._clock.now()
        self._status = "running"

    def skip(self) -> None:
        """End the current step as skipped and go on (from running or paused)."""
        self._require({"running", "paused"}, "skip")
        if self._status == "running":
            self.update()
            if self._status != "running":
                raise SessionError(f"cannot skip: the session has {self._status}")
        self._end_step("skipped", self._clock.now())

    def next(self) -> None:
        """Finish an untimed step (the person pressed "continue"); from running or paused."""
        self._require({"running", "paused"}, "continue")
        if self._status == "running":
            self.update()
            if self._status != "running":
                raise SessionError(f"cannot continue: the session has {self._status}")
        step = self._steps[self._index]
        if step.timed:
            raise SessionError(
                f"cannot continue: step {step.id!r} is timed ({step.duration_s:g} s) and ends by "
                "itself; use skip() to leave it early"
            )
        self._end_step("completed", self._clock.now())

    def abort(self) -> None:
        """Stop the session: the running step is reported as aborted with its active time."""
        self._require({"ready", "running", "paused"}, "abort")
        now = self._clock.now()
        if self._status == "ready":
            self._finish("aborted", now)
            return
        if self._status == "running":
            self.update()
            if self._status != "running":
                raise SessionError(f"cannot abort: the session has {self._status}")
        step = self._steps[self._index]
        active = self._active_s(now)
        self._events.append(
            StepEnded(step, self._index, self._step_started_at, now, active, "aborted")
        )
        self._finish("aborted", now)

    def update(self) -> None:
        """End every timed step whose active time is up; several may end in one call.

        Each ended step gets ``ended_at`` = the moment its time was up, and the next step starts
        at that same moment, so a late tick never shortens the next step. Does nothing while
        ready or paused, or while the current step is untimed.
        """
        self._require({"ready", "running", "paused"}, "update")
        now = self._clock.now()
        while self._status == "running":
            step = self._steps[self._index]
            if step.duration_s is None:
                return
            if self._active_s(now) < step.duration_s - TIME_EPSILON_S:
                return
            # The clock time at which active time reached the step's length: no pause has
            # happened since _resumed_at, so it is a straight line from there.
            ends_at = self._resumed_at + (step.duration_s - self._banked_s)
            self._end_step("completed", ends_at, active_s=step.duration_s)

    # --- queries ------------------------------------------------------------------------------
    def state(self) -> SessionState:
        """A snapshot at the clock's current time (call :meth:`update` first to end due steps)."""
        now = self._clock.now()
        if self._status in ("finished", "aborted"):
            progress = 1.0 if self._status == "finished" else self._done_weight_s / self._total
            return SessionState(self._status, self._index, None, 0.0, None, progress, None)
        step = self._steps[self._index]
        elapsed = self._active_s(now) if self._status != "ready" else 0.0
        remaining: float | None = None
        share = min(elapsed, UNTIMED_STEP_WEIGHT_S) if not step.timed else 0.0
        if step.duration_s is not None:
            elapsed = min(elapsed, step.duration_s)
            remaining = step.duration_s - elapsed
            share = elapsed
        pacer = phase_at(step.pattern, elapsed) if step.pattern is not None else None
        progress = min(1.0, (self._done_weight_s + share) / self._total)
        return SessionState(self._status, self._index, step, elapsed, remaining, progress, pacer)

    def events(self) -> list[Event]:
        """Events since the last call, in order; the list is emptied."""
        out, self._events = self._events, []
        return out

    # --- internals ----------------------------------------------------------------------------
    @property
    def _total(self) -> float:
        return self._total_weight_s

    def _require(self, allowed: set[Status], action: str) -> None:
        if self._status in allowed:
            return
        if self._status in ("finished", "aborted"):
            raise SessionError(f"cannot {action}: the session has already {self._status}")
        when = " or ".join(sorted(allowed))
        raise SessionError(f"cannot {action} while {self._status}: allowed only when {when}")

    def _active_s(self, now: float) -> float:
        if self._status == "running":
            return self._banked_s + max(0.0, now - self._resumed_at)
        return self._banked_s

    def _begin_step(self, index: int, at: float) -> None:
        self._index = index
        self._step_started_at = at
        self._banked_s = 0.0
        self._resumed_at = at
        self._events.append(StepStarted(self._steps[index], index, at))

    def _end_step(self, outcome: Outcome, at: float, active_s: float | None = None) -> None:
        step = self._steps[self._index]
        active = self._active_s(at) if active_s is None else active_s
        self._events.append(
            StepEnded(step, self._index, self._step_started_at, at, active, outcome)
        )
        self._done_weight_s += _weight_s(step)
        if self._index + 1 < len(self._steps):
            # Going on from a pause: the person pressed a button, so the next step runs.
            self._status = "running"
            self._begin_step(self._index + 1, at)
        else:
            self._index += 1
            self._finish("finished", at)

    def _finish(self, status: Literal["finished", "aborted"], at: float) -> None:
        self._status = status
        self._events.append(SessionEnded(status, at))
