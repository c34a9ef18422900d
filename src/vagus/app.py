"""The composition root: one app object, built the same way by the CLI, the server and tests.

``build_app()`` reads the settings once, and the app opens the journal on first use (running its
migrations). Every edge (``cli``, later ``web``) reaches the core and the journal only through
the services here, so the CLI, the web app and the tests see the same behaviour.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vagus.config import Settings, load_settings
from vagus.devices import (
    Beat,
    ReplaySensor,
    Sensor,
    SensorError,
    SensorInfo,
    SimulatedSensor,
)
from vagus.formats import FORMATS, Recording, load, write_beats_csv
from vagus.journal import Journal, read_export, write_export
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    BreathPattern,
    CheckIn,
    Clock,
    GuidedSession,
    Lang,
    MonotonicClock,
    QuestionnaireResult,
    ScreeningResult,
    SessionOutcome,
    Step,
    StepEnded,
    TodayPlan,
    build_steps,
    evaluate,
    param_specs,
    plan_today,
    resolve_lang,
    score,
    validate_params,
)
from vagus.program.plan import (
    ExerciseOverride,
    Overrides,
    PlanEntry,
    PlanRules,
    load_rules,
    parse_rules,
)

if TYPE_CHECKING:
    from vagus.hrv import HrvReport, Method, Unit
    from vagus.hrv.streaming import StreamingHrv, Update

#: The example recording that ships with the package (see its header for source and licence).
EXAMPLE_RR_FILE: Final = "example_rr.txt"
#: A person's or clinician's own plan rules, beside the journal, replace the shipped ones.
PLAN_RULES_FILE: Final = "plan_rules.toml"
#: Version of the stored plan JSON.
PLAN_FORMAT: Final = 1
#: How far back check-ins and sessions are read for the plan (its rules look back 7 days for a
#: baseline and 72 h for post-exertional worsening).
PLAN_LOOKBACK_DAYS: Final = 21
SETTING_FIRST_RUN_DONE: Final = "first_run_done"
SETTING_MODE: Final = "plan_mode"
SETTING_OVERRIDES: Final = "plan_overrides"
SETTING_LIVE_SESSIONS: Final = "live_sessions"
SETTING_RESONANCE: Final = "resonance"
#: Out-breath / in-breath at the resonance rate: Lehrer's protocols pace a slightly longer
#: exhale (about 40:60).
RESONANCE_EXHALE_RATIO: Final = 1.5
#: The person's preferences (language, breathing pacer defaults, the web's sensor). The name is
#: historical: the web app's settings page wrote them first.
SETTING_PREFS: Final = "web_prefs"
#: The breathing parameters the pacer defaults set (``vagus.program.exercises``).
PACER_KEYS: Final[tuple[str, ...]] = ("inhale_s", "exhale_s", "hold_in_s", "hold_out_s")
#: Longest Bluetooth address or platform id accepted after ``ble:`` (a macOS UUID is 36).
MAX_SENSOR_ADDRESS: Final = 64
#: How a step may end (``vagus.program.session.Outcome``).
STEP_OUTCOMES: Final[tuple[str, ...]] = ("completed", "skipped", "aborted")
#: Before this local hour a resting measurement is tagged "morning" (a waking measurement is the
#: usual HRV baseline; Plews et al. 2013, Int J Sports Physiol Perform 8:688).
MORNING_BEFORE_HOUR: Final = 10
#: How long `BeatFeed.start` waits for a sensor to connect before giving up.
CONNECT_WAIT_S: Final = 30.0


__all__ = [
    "FORMATS",
    "PACER_KEYS",
    "STEP_OUTCOMES",
    "App",
    "AppError",
    "Beat",
    "ConflictError",
    "NotFoundError",
    "PushFeed",
    "SensorError",
    "SessionRun",
    "build_app",
    "check_sensor",
    "example_rr_path",
    "write_beats_csv",
]


class AppError(ValueError):
    """A user error at the app level (unknown exercise, bad override, unreadable export).

    ``field`` names the field it is about, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(AppError):
    """An id that names nothing stored (a 404 on the web)."""


class ConflictError(AppError):
    """A request that clashes with what is stored, such as a step recorded twice (a 409)."""


def check_sensor(spec: str) -> str:
    """A sensor choice for the web (``replay``, ``simulated``, ``ble``, ``ble:ADDRESS``), cleaned.

    A file replay (``replay:FILE``) is a command-line choice only: a web form must not name
    files on the server's disk.

    >>> check_sensor(" ble:AA:BB:CC:DD:EE:FF ")
    'ble:AA:BB:CC:DD:EE:FF'
    >>> check_sensor("usb")
    Traceback (most recent call last):
    vagus.app.AppError: sensor: expected replay, simulated, ble or ble:ADDRESS, got 'usb'
    """
    clean = spec.strip()
    kind, colon, argument = clean.partition(":")
    ok = (kind in ("replay", "simulated", "ble") and not colon) or (
        kind == "ble" and bool(argument.strip()) and len(argument) <= MAX_SENSOR_ADDRESS
    )
    if not ok:
        raise AppError(
            f"sensor: expected replay, simulated, ble or ble:ADDRESS, got {clean!r}", "sensor"
        )
    return clean


def example_rr_path() -> Path:
    """Path of the bundled example RR recording (MIT-BIH record 100, 30 min)."""
    return Path(str(resources.files("vagus") / "data" / EXAMPLE_RR_FILE))


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


def _mark_live(journal: Journal, session_id: int, pid: int | None) -> None:
    """Record (pid) or forget (None) which process runs a session, in the journal's settings."""
    live = dict(journal.get_setting(SETTING_LIVE_SESSIONS, {}) or {})
    if pid is None:
        if live.pop(str(session_id), None) is None:
            return
    else:
        live[str(session_id)] = pid
    journal.set_setting(SETTING_LIVE_SESSIONS, live)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


# --- plan persistence ----------


def _entry_to_json(entry: PlanEntry) -> dict[str, Any]:
    return {
        "exercise_id": entry.exercise_id,
        "dose": entry.dose,
        "started": entry.started.isoformat(),
        "since": entry.since.isoformat(),
        "previous_dose": entry.previous_dose,
        "last_change": entry.last_change,
    }


def _entry_from_json(data: Mapping[str, Any]) -> PlanEntry:
    previous = data.get("previous_dose")
    return PlanEntry(
        exercise_id=str(data["exercise_id"]),
        dose=float(data["dose"]),
        started=date.fromisoformat(str(data["started"])),
        since=date.fromisoformat(str(data["since"])),
        previous_dose=None if previous is None else float(previous),
        last_change=data.get("last_change", "new"),
    )


def plan_to_json(plan: TodayPlan, based_on: Sequence[PlanEntry]) -> dict[str, Any]:
    """The stored form of a day's plan: what it was built from, and what it says."""

    def item(i: Any) -> dict[str, Any]:
        return {
            "exercise_id": i.exercise_id,
            "dose": i.dose,
            "unit": i.unit,
            "param": i.param,
            "status": i.status,
            "screening": i.screening,
            "params": i.params(),
            "reason": {"nb": i.text("nb"), "en": i.text("en")},
        }

    return {
        "format": PLAN_FORMAT,
        "day": plan.day.isoformat(),
        "mode": plan.mode,
        "based_on": [_entry_to_json(e) for e in based_on],
        "entries": [_entry_to_json(e) for e in plan.current()],
        "items": [item(i) for i in plan.items],
        "pending": [item(i) for i in plan.pending],
        "excluded": [item(i) for i in plan.excluded],
        "notices": [{"nb": n("nb"), "en": n("en")} for n in plan.notices],
    }


def overrides_from_json(data: Mapping[str, Any]) -> Overrides:
    """Overrides as stored in the journal's settings (see ``vagus plan set``)."""
    exercises = {
        ex: ExerciseOverride(**dict(values))
        for ex, values in dict(data.get("exercises", {})).items()
    }
    return Overrides(
        exercises=exercises,
        hold_all=bool(data.get("hold_all", False)),
        include=tuple(data.get("include", ())),
        set_by=data.get("set_by", "person"),
    )


# --- guided sessions ----------


@dataclass
class SessionRun:
    """A guided session wired to the journal: each step is written the moment it ends.

    The CLI and the web app drive it (``session.start/pause/resume/skip/next/abort`` and
    :meth:`pump`); the journal holds every ended step, so a crash loses at most the running one.
    """

    journal: Journal
    exercise_id: str
    params: dict[str, Any]
    session: GuidedSession
    session_id: int
    clock: Clock
    wall_clock: Callable[[], datetime]
    _t0: float = 0.0
    _w0: datetime = field(default_factory=utc_now)
    #: Stop-rule symptoms reported while the session ran.
    reported: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Session times are monotonic seconds; the journal wants wall-clock UTC. One anchor
        # taken together maps the first onto the second without drift from clock changes.
        self._t0 = self.clock.now()
        self._w0 = self.wall_clock()

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.session.steps

    def wall(self, t: float) -> datetime:
        """Monotonic session time -> UTC."""
        return self._w0 + timedelta(seconds=t - self._t0)

    def pump(self) -> list[object]:
        """Advance timed steps and write every step that ended; returns the drained events."""
        if self.session.status == "running":
            self.session.update()
        events: list[object] = list(self.session.events())
        for event in events:
            if isinstance(event, StepEnded):
                self.journal.record_step(
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
        self.journal.add_rating(self.session_id, moment, calm)  # type: ignore[arg-type]

    def log(self, step: Step, values: Mapping[str, Any]) -> None:
        """Save what the person wrote at a logging step (gratitude, what they did)."""
        for key, value in values.items():
            if value is None or value == "":
                continue
            if key == "gratitude":
                self.journal.add_gratitude(self.session_id, str(value))
            else:
                note = json.dumps({"step": step.id, "field": key, "value": value})
                self.journal.add_feedback(self.session_id, note, ())

    def feedback(self, text: str, symptoms: Sequence[str]) -> None:
        """How it felt, and any stop-rule symptoms (ids from vagus.program.safety)."""
        self.journal.add_feedback(self.session_id, text, symptoms)

    def finish(self) -> str:
        """Close the session in the journal: completed, or stopped early."""
        self.pump()
        status = "completed" if self.session.status == "finished" else "stopped"
        self.journal.finish_session(self.session_id, status)  # type: ignore[arg-type]
        _mark_live(self.journal, self.session_id, None)
        return status


# --- live measurement ----------------------------------------------------------------------------


def _drain(beats: queue.SimpleQueue[Beat]) -> list[Beat]:
    out = []
    while True:
        try:
            out.append(beats.get_nowait())
        except queue.Empty:
            return out


class BeatFeed:
    """Runs a sensor in a background thread with its own event loop and hands its beats over.

    The journal writes and the streaming HRV stay on the caller's thread (``drain`` from the
    display loop), so the sensor's I/O never waits for the disk and nothing is shared but a
    queue.
    """

    def __init__(self, sensor: Sensor) -> None:
        self.sensor = sensor
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[Beat] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="vagus-sensor", daemon=True)

    def start(self, timeout_s: float = CONNECT_WAIT_S) -> None:
        """Connect; raises the sensor's error (SensorError) if it fails."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            self.stop()
            raise SensorError(f"the sensor did not connect within {timeout_s:g} s")
        if self.error is not None:
            raise self.error

    @property
    def name(self) -> str:
        """The sensor's name, as recordings store it."""
        return self.sensor.info.name

    @property
    def ended(self) -> bool:
        """The stream ended (a replay ran out, or the sensor failed: see ``error``)."""
        return self._ended.is_set() and self._queue.empty()

    def drain(self) -> list[Beat]:
        """The beats that arrived since the last call, oldest first."""
        return _drain(self._queue)

    def stop(self) -> None:
        """Stop the stream and disconnect (the sensor's exit always runs)."""
        if self._loop is not None and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread.is_alive():
            self._thread.join(10.0)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._main())
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()
            self._ready.set()
            self._ended.set()

    async def _main(self) -> None:
        try:
            async with self.sensor:
                self._ready.set()
                async for beat in self.sensor.beats():
                    self._queue.put(beat)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # handed to the caller's thread, which reports it
            self.error = error


class PushFeed:
    """Beats handed in by the caller instead of read from a sensor: a strap connected to the
    person's browser (Web Bluetooth) posts its RR intervals to the server, which pushes them
    here. Same interface as :class:`BeatFeed` for :class:`LiveRecording`.

    >>> feed = PushFeed("Polar H10 (browser)")
    >>> feed.push([Beat(rr_ms=800.0, t_s=0.8)])
    >>> [b.rr_ms for b in feed.drain()], feed.ended
    ([800.0], False)
    >>> feed.stop(); feed.ended
    True
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[Beat] = queue.SimpleQueue()
        self._stopped = False

    def push(self, beats: Sequence[Beat]) -> None:
        """Hand over beats (oldest first)."""
        for beat in beats:
            self._queue.put(beat)

    @property
    def ended(self) -> bool:
        """Stopped, and every pushed beat taken."""
        return self._stopped and self._queue.empty()

    def drain(self) -> list[Beat]:
        """The beats that arrived since the last call, oldest first."""
        return _drain(self._queue)

    def stop(self) -> None:
        self._stopped = True


def _streaming_hrv() -> StreamingHrv:
    from vagus.hrv.streaming import StreamingHrv

    return StreamingHrv()


@dataclass
class LiveRecording:
    """A recording in progress: every beat is written to the journal as it arrives.

    Call :meth:`pump` from the display loop; a crash keeps every beat pumped so far.
    """

    journal: Journal
    recording_id: int
    feed: BeatFeed | PushFeed
    stream: StreamingHrv = field(default_factory=lambda: _streaming_hrv())
    last: Update | None = None
    #: Seconds of beats received in this recording (the sum of their RR intervals).
    t_s: float = 0.0

    def pump(self, breath_cycle: int | None = None) -> list[Update]:
        """Store and analyse the beats that arrived since the last call."""
        beats = self.feed.drain()
        if not beats:
            return []
        self.journal.append_beats(self.recording_id, [beat.rr_ms for beat in beats])
        updates = []
        for beat in beats:
            update = self.stream.add(
                beat.rr_ms, t_s=beat.t_s, gap_before=beat.gap_before, breath_cycle=breath_cycle
            )
            updates.append(update)
            self.t_s += beat.rr_ms / 1000.0
        self.last = updates[-1]
        return updates

    def finish(self, *, stop_sensor: bool = True) -> HrvReport | None:
        """Close the recording with its full HRV analysis (None when it holds no beats)."""
        if stop_sensor:
            self.feed.stop()
        self.pump()
        rr = self.journal.recording_rr(self.recording_id)
        from vagus.hrv import analyze

        report = analyze(rr) if rr else None
        self.journal.finish_recording(
            self.recording_id, analysis=report.to_dict() if report is not None else None
        )
        return report


# --- the app ----------


@dataclass
class App:
    """Services the edges call. Build it with :func:`build_app`."""

    settings: Settings
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    now: Callable[[], datetime] = utc_now
    _journal: Journal | None = None

    # -- infrastructure
    @property
    def journal(self) -> Journal:
        """The journal, opened (and migrated) on first use."""
        if self._journal is None:
            self._journal = Journal.open(self.settings.database_url)
            self._close_interrupted_sessions()
        return self._journal

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def lang(self, override: str | None = None) -> Lang:
        """--lang, then the setting, then the system locale."""
        return resolve_lang(override or self.settings.lang, self.env)

    def _close_interrupted_sessions(self) -> None:
        # A session still "running" when the journal opens was cut off by a crash or a closed
        # terminal: its completed steps are kept, and it is marked interrupted.
        # A session another live process is running (vagus do in another terminal) is left
        # alone: each session's process id is kept while it runs.
        assert self._journal is not None
        live = dict(self._journal.get_setting(SETTING_LIVE_SESSIONS, {}) or {})
        for session_id in self._journal.running_sessions():
            if not _process_alive(live.get(str(session_id))):
                self._journal.finish_session(session_id, "interrupted")
                _mark_live(self._journal, session_id, None)

    # -- HRV
    def load_recording(
        self,
        path: str | Path,
        *,
        unit: Unit | None = None,
        column: str | None = None,
        channel: str | None = None,
        format: str | None = None,
    ) -> Recording:
        """Read any supported file (format detected by content; RrDataError when bad)."""
        return load(path, format=format, unit=unit, column=column, channel=channel)

    def analyze_file(
        self,
        path: str | Path,
        *,
        method: Method = "welch",
        correct: bool = True,
        unit: Unit | None = None,
        column: str | None = None,
        channel: str | None = None,
        format: str | None = None,
    ) -> HrvReport:
        """Read a recording of any supported format, find its beats and analyse them.

        The file's own warnings (PPG is pulse-rate variability, gaps, ...) come first in the
        report's warnings.
        """
        recording = self.load_recording(
            path, unit=unit, column=column, channel=channel, format=format
        )
        rr, file_warnings = recording.beats()
        from vagus.hrv import analyze  # scipy loads here, not when the CLI starts

        report = analyze(rr, method=method, correct=correct)
        return replace(report, warnings=[*file_warnings, *report.warnings])

    # -- first run and screening
    def first_run(self) -> bool:
        """True until the person has seen the first-run text and done the screening."""
        return not self.journal.get_setting(SETTING_FIRST_RUN_DONE, False)

    def mark_first_run_done(self) -> None:
        self.journal.set_setting(SETTING_FIRST_RUN_DONE, True)

    def save_screening(
        self, answers: Mapping[str, bool], cleared: Sequence[str] = ()
    ) -> ScreeningResult:
        """Evaluate and store the answers (ValueError naming unknown or missing ones)."""
        result = evaluate(answers, frozenset(cleared))
        self.journal.save_screening(
            {"answers": dict(answers), "cleared": sorted(set(cleared))}, at=self.now()
        )
        return result

    def screening(self) -> ScreeningResult | None:
        """The latest screening, evaluated with today's rules; None before the first."""
        record = self.journal.latest_screening()
        if record is None:
            return None
        data = record.answers
        return evaluate(data.get("answers", {}), frozenset(data.get("cleared", ())))

    def confirm_clearance(self, exercise_id: str) -> ScreeningResult:
        """The person confirms their clinician cleared an exercise."""
        record = self.journal.latest_screening()
        if record is None:
            raise AppError("no screening yet: run `vagus screen` first")
        self._check_exercise(exercise_id)
        answers = record.answers.get("answers", {})
        cleared = set(record.answers.get("cleared", ())) | {exercise_id}
        return self.save_screening(answers, sorted(cleared))

    # -- plan
    def plan_rules(self) -> PlanRules:
        """The shipped rules, or the person's/clinician's own file beside the journal."""
        own = self.settings.home / PLAN_RULES_FILE
        if own.exists():
            return parse_rules(own.read_text(encoding="utf-8"), str(own))
        return load_rules()

    def plan_mode(self) -> str:
        """The mode set with ``vagus plan --mode``; else ME/CFS when the screening says so
        (NICE NG206: no fixed increments), else standard."""
        chosen = self.journal.get_setting(SETTING_MODE)
        if chosen is not None:
            return str(chosen)
        record = self.journal.latest_screening()
        has_mecfs = bool(record and record.answers.get("answers", {}).get("me-cfs"))
        return "mecfs" if has_mecfs else "standard"

    def set_plan_mode(self, mode: str) -> None:
        if mode not in ("standard", "mecfs"):
            raise AppError(f"mode: expected standard or mecfs, got {mode!r}")
        self.journal.set_setting(SETTING_MODE, mode)

    def overrides(self) -> dict[str, Any]:
        return dict(self.journal.get_setting(SETTING_OVERRIDES, {}) or {})

    def set_override(self, exercise_id: str, values: Mapping[str, Any]) -> None:
        """Set (or with an empty mapping, clear) one exercise's overrides."""
        self._check_exercise(exercise_id)
        data = self.overrides()
        exercises = dict(data.get("exercises", {}))
        if values:
            try:
                ExerciseOverride(**dict(values))
            except TypeError as error:
                raise AppError(f"override: {error}") from None
            exercises[exercise_id] = {**exercises.get(exercise_id, {}), **values}
        else:
            exercises.pop(exercise_id, None)
        data["exercises"] = exercises
        self.journal.set_setting(SETTING_OVERRIDES, data)

    def today_plan(self, today: date | None = None) -> TodayPlan:
        """Today's plan, built from the last earlier day's plan and stored when it changes."""
        now = self.now()
        day = today or now.date()
        screening = self.screening()
        statuses = {ex: s.status for ex, s in screening.exercises.items()} if screening else {}
        based_on = self._plan_before(day)
        since = datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=PLAN_LOOKBACK_DAYS)
        plan = plan_today(
            day,
            statuses,
            based_on,
            self._checkins(since),
            self._outcomes(since),
            mode=self.plan_mode(),  # type: ignore[arg-type]
            overrides=overrides_from_json(self.overrides()),
            rules=self.plan_rules(),
        )
        stored = plan_to_json(plan, based_on)
        latest = self.journal.latest_plan()
        if latest is None or latest.plan != stored:
            reason = "; ".join(i.text("en") for i in plan.items) or "no exercises today"
            self.journal.save_plan(stored, reason, at=now)
        return plan

    def _plan_before(self, day: date) -> list[PlanEntry]:
        for record in reversed(self.journal.plans()):
            if date.fromisoformat(record.plan["day"]) < day:
                return [_entry_from_json(e) for e in record.plan.get("entries", [])]
        return []

    def _checkins(self, since: datetime) -> list[CheckIn]:
        out = []
        for entry in self.journal.history(types=["checkin"], since=since):
            values = {k: entry.get(k) for k in CHECKIN_FIELDS}
            if any(v is None for v in values.values()):
                continue  # a partial check-in cannot be judged against the baseline
            out.append(
                CheckIn(
                    at=datetime.fromisoformat(entry["started_at"]),
                    note=entry.get("note") or "",
                    **{k: int(str(v)) for k, v in values.items()},
                )
            )
        return sorted(out, key=lambda c: c.at)

    def _outcomes(self, since: datetime) -> list[SessionOutcome]:
        out = []
        for entry in self.journal.history(types=["session"], since=since):
            symptoms: list[str] = []
            for feedback in entry.get("feedback", []):
                symptoms.extend(feedback.get("symptoms", []))
            out.append(
                SessionOutcome(
                    at=datetime.fromisoformat(entry["started_at"]),
                    exercise_id=entry["exercise_id"],
                    completed=entry.get("status") == "completed",
                    stop_symptoms=tuple(symptoms),
                )
            )
        return sorted(out, key=lambda o: o.at)

    # -- sessions
    def _check_exercise(self, exercise_id: str) -> None:
        if exercise_id not in EXERCISE_IDS:
            raise AppError(
                f"unknown exercise {exercise_id!r}; expected one of {', '.join(EXERCISE_IDS)}"
            )

    def start_session(
        self,
        exercise_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> SessionRun:
        """Build the exercise's steps (validating params) and open it in the journal."""
        self._check_exercise(exercise_id)
        chosen = dict(params or {})
        if exercise_id == "breathing" and not set(PACER_KEYS) & set(chosen):
            prefs = self.prefs()
            rate = self.resonance_rate()
            if prefs["pacer_set"]:
                # The pattern the person set on the settings page.
                chosen |= prefs["pacer"]
            elif rate is not None:
                # Else their candidate resonance rate (vagus resonance).
                pattern = BreathPattern.from_rate(rate, RESONANCE_EXHALE_RATIO)
                chosen |= {"inhale_s": pattern.inhale_s, "exhale_s": pattern.exhale_s}
        steps = build_steps(exercise_id, **chosen)  # ValueError names a bad parameter
        clock = clock or MonotonicClock()
        session_id = self.journal.start_session(exercise_id, chosen, at=self.now())
        _mark_live(self.journal, session_id, os.getpid())
        return SessionRun(
            journal=self.journal,
            exercise_id=exercise_id,
            params=chosen,
            session=GuidedSession(steps, clock),
            session_id=session_id,
            clock=clock,
            wall_clock=self.now,
        )

    # -- sessions driven step by step from outside (the browser's player)
    def session(self, session_id: int) -> dict[str, Any]:
        """A session as the journal stores it (NotFoundError when there is none)."""
        try:
            return self.journal.session(session_id)
        except ValueError:  # the journal's error for an unknown id
            raise NotFoundError(f"session_id: no session {session_id}", "session_id") from None

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
        stored = self.session(session_id)
        steps = {s.id: s for s in build_steps(stored["exercise_id"], **stored["params"])}
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
        return self.journal.record_step(
            session_id,
            step.id,
            step.kind,
            started_at,
            ended_at,
            active_s,
            outcome,
        )

    def finish_session(self, session_id: int, status: str) -> dict[str, Any]:
        """Close a running session (completed, stopped or aborted); returns it as stored."""
        self.session(session_id)
        self.journal.finish_session(session_id, status)  # type: ignore[arg-type]
        _mark_live(self.journal, session_id, None)
        return self.session(session_id)

    def rate_session(self, session_id: int, moment: str, calm: int) -> int:
        """A 0-10 calm rating before or after a session (one of each)."""
        self.session(session_id)
        return self.journal.add_rating(session_id, moment, calm)  # type: ignore[arg-type]

    # -- the person's preferences
    def prefs(self) -> dict[str, Any]:
        """``{"lang", "pacer", "pacer_set", "sensor", "sensor_set"}``.

        ``lang`` is None until chosen; ``pacer`` holds the breathing defaults (seconds of each
        phase) until the person sets their own, which every breathing session then uses (the CLI
        and the web); ``sensor`` is the web's sensor: the one chosen in the settings, else the
        setting (``vagus serve --sensor``, ``VAGUS_SENSOR``).
        """
        stored = dict(self.journal.get_setting(SETTING_PREFS, {}) or {})
        defaults = {spec.name: spec.default for spec in param_specs("breathing")}
        saved = stored.get("pacer", {})
        pacer = {key: float(saved.get(key, defaults[key])) for key in PACER_KEYS}
        sensor = stored.get("sensor")
        return {
            "lang": stored.get("lang"),
            "pacer": pacer,
            "pacer_set": "pacer" in stored,
            "sensor": sensor if isinstance(sensor, str) else self.settings.sensor,
            "sensor_set": isinstance(sensor, str),
        }

    def set_prefs(
        self,
        *,
        lang: Lang | None = None,
        pacer: Mapping[str, float] | None = None,
        sensor: str | None = None,
    ) -> dict[str, Any]:
        """Validate and store any of the three; nothing is stored when one is bad.

        Raises
        ------
        ValueError
            Naming the bad field (a breath outside 3-12 a minute, a length out of range, an
            unknown sensor).
        """
        stored = dict(self.journal.get_setting(SETTING_PREFS, {}) or {})
        if sensor is not None:
            stored["sensor"] = check_sensor(sensor)
        if pacer is not None:
            clean = validate_params("breathing", dict(pacer))
            BreathPattern(**{key: float(clean[key]) for key in PACER_KEYS})
            stored["pacer"] = {key: float(clean[key]) for key in PACER_KEYS}
        if lang is not None:
            stored["lang"] = lang
        self.journal.set_setting(SETTING_PREFS, stored)
        return self.prefs()

    # -- sensors and live measurement
    def make_sensor(
        self,
        spec: str | None = None,
        *,
        speed: float = 1.0,
        breathing: Callable[[float], float | None] | None = None,
    ) -> Sensor:
        """A sensor from ``replay``, ``replay:FILE``, ``simulated`` or ``ble[:ADDRESS]``.

        The default is the setting (``replay``: the bundled recording), so everything works
        without a strap. ``breathing`` lets the simulator's heart follow the pacer.
        """
        chosen = spec or self.settings.sensor
        kind, _, argument = chosen.partition(":")
        if kind == "replay":
            if not argument:
                return ReplaySensor(speed=speed)
            rr, _ = self.load_recording(argument).beats()
            return ReplaySensor.from_rr(rr, name=Path(argument).name, speed=speed)
        if kind == "simulated":
            return SimulatedSensor(breathing=breathing, speed=speed)
        if kind == "ble":
            from vagus.devices.ble import BleHeartRateSensor

            return BleHeartRateSensor(argument or None)
        raise AppError(
            f"sensor: expected replay, replay:FILE, simulated or ble[:ADDRESS], got {chosen!r}"
        )

    def start_recording(
        self,
        sensor: Sensor,
        *,
        tags: Sequence[str] = (),
        session_id: int | None = None,
    ) -> LiveRecording:
        """Connect the sensor and open a recording in the journal (morning ones tagged)."""
        feed = BeatFeed(sensor)
        feed.start()
        return self.open_recording(feed, tags=tags, session_id=session_id)

    def open_recording(
        self,
        feed: BeatFeed | PushFeed,
        *,
        tags: Sequence[str] = (),
        session_id: int | None = None,
    ) -> LiveRecording:
        """A new recording on an already connected sensor (rest, session, rest), or on beats
        pushed by the caller (:class:`PushFeed`: a strap connected in the browser)."""
        feed.drain()  # beats from before this recording belong to none
        now = self.now()
        all_tags = list(tags)
        if now.astimezone().hour < MORNING_BEFORE_HOUR and "morning" not in all_tags:
            all_tags.append("morning")
        recording_id = self.journal.start_recording(feed.name, now, all_tags, session_id=session_id)
        return LiveRecording(self.journal, recording_id, feed)

    def scan_ble(self, timeout_s: float = 5.0) -> list[SensorInfo]:
        """Bluetooth heart-rate sensors nearby (SensorError when there is no Bluetooth)."""
        from vagus.devices.ble import scan

        return asyncio.run(scan(timeout_s))

    def resonance_rate(self) -> float | None:
        """The person's candidate resonance breathing rate (breaths/min), if assessed."""
        data = self.journal.get_setting(SETTING_RESONANCE)
        return float(data["best_bpm"]) if data else None

    def save_resonance(self, result: Mapping[str, Any]) -> None:
        self.journal.set_setting(SETTING_RESONANCE, dict(result))

    # -- check-ins and questionnaires
    def checkin(self, values: Mapping[str, int], note: str = "") -> int:
        """Validate (0-10 each; ValueError naming the field) and store a daily check-in."""
        at = self.now()
        CheckIn(at=at, note=note, **{k: int(v) for k, v in values.items()})
        return self.journal.add_checkin(at, note=note or None, **values)

    def questionnaire(self, name: str, answers: Sequence[int]) -> QuestionnaireResult:
        """Score a questionnaire as published and store it."""
        result = score(name, answers)
        self.journal.add_questionnaire(
            self.now(), name, list(answers), result.score, result.severity
        )
        return result

    # -- the journal as a whole
    def history(self, types: Sequence[str] | None = None, limit: int | None = None) -> list[Any]:
        return self.journal.history(types=types, limit=limit)  # type: ignore[arg-type]

    def export(self, path: Path) -> dict[str, int]:
        """Everything, as one JSON file (docs/export-schema.md)."""
        data = self.journal.export()
        write_export(data, path)
        return self.journal.counts()

    def import_(self, path: Path) -> dict[str, int]:
        """Read an export (refused whole if anything in it is wrong)."""
        return self.journal.import_(read_export(path))

    def forget(self) -> None:
        """Delete every stored entry."""
        self.journal.forget()


def build_app(settings: Settings | None = None, *, env: Mapping[str, str] | None = None) -> App:
    """The one way to build the app (settings from defaults, config.toml and VAGUS_* vars)."""
    environment = dict(os.environ if env is None else env)
    return App(settings=settings or load_settings(environment), env=environment)
