"""Live measurement: sensors (one spec, parsed once), beats handed from a sensor thread or
pushed by the browser, recordings written beat by beat, and the rules for what a recording is:

- a *measurement* is what the person starts; one shorter than :data:`MIN_MEASUREMENT_S` is
  discarded with a message, never kept as a misleading entry;
- ``morning`` tags a standalone resting measurement started before :data:`MORNING_BEFORE_HOUR`
  local time (a waking measurement is the usual HRV baseline; Plews et al. 2013, Int J Sports
  Physiol Perform 8:688), never the rests around a session;
- the rests before and after a session, and the recording during it, are linked to the session;
- what a live display shows is what is saved (issue 12): the heart rate, RMSSD and ln RMSSD on
  the screen are :func:`recording_analysis` (the very call the save makes) of every beat
  received so far, shown from :data:`MIN_LIVE_S` of beats on ("measuring" with a progress
  before that); the coherence ratio is computed on that analysis' corrected NN series, so the
  live values follow the batch artifact correction's rules, and the share of the recording in
  each coherence level (:data:`COHERENCE_LEVELS`) is saved with its analysis.
"""

from __future__ import annotations

import asyncio
import math
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from vagus.app.errors import AppError
from vagus.app.measurements import analysis_to_store
from vagus.app.sensors import SensorSpec
from vagus.devices import Beat, ReplaySensor, Sensor, SensorError, SensorInfo, SimulatedSensor

if TYPE_CHECKING:
    from vagus.app._core import App
    from vagus.hrv import HrvReport
    from vagus.hrv._types import FloatArray
    from vagus.hrv.streaming import StreamingHrv, Update
    from vagus.journal import Journal

#: Before this local hour a standalone resting measurement is tagged "morning".
MORNING_BEFORE_HOUR: Final = 10
#: How long `BeatFeed.start` waits for a sensor to connect before giving up.
CONNECT_WAIT_S: Final = 30.0
#: Shortest measurement kept, in seconds of beats: below a minute not even the HF band (the
#: shortest Task Force window) is defined, and ln RMSSD is unstable (Munoz et al. 2015).
MIN_MEASUREMENT_S: Final = 60.0
#: Live HRV numbers are shown from this many seconds of beats on, "measuring" before. RMSSD is
#: the index that holds up best in ultra-short recordings: in 3,387 adults, three 10-s periods
#: (30 s) agreed with a 4-5 min recording at r = 0.94, one 10-s period at r = 0.85-0.86
#: (Munoz et al. 2015, PLoS One 10(9):e0138921). A number after 2 beats (issue 12) is noise.
MIN_LIVE_S: Final = 30.0
#: The coherence ratio's window and step, s (HeartMath's published method: the last 64 s,
#: every 5 s; McCraty et al. 2009, see vagus.hrv.streaming): it first appears at 64 s of beats.
COHERENCE_WINDOW_S: Final = 64.0
COHERENCE_EVERY_S: Final = 5.0
#: Coherence levels by the ratio: low below 0.5, medium from 0.5, high from 1.8. These are
#: HeartMath's published thresholds for their default challenge level (level 1: low/medium 0.5,
#: medium/high 1.8; HeartMath Help Center, "How do the challenge levels work in Inner Balance?",
#: and Knowledgebase article of 2 Nov 2020). HeartMath applies them to its own coherence score,
#: whose exact computation is proprietary; its published description (Knowledgebase, "How is
#: Coherence determined by HeartMath programs?", 2018) says the thresholds classify the ratio of
#: the peak's power to the rest of the spectrum, which is what vagus computes. The levels are a
#: guide for practice, not a validated scale.
COHERENCE_MEDIUM_FROM: Final = 0.5
COHERENCE_HIGH_FROM: Final = 1.8
CoherenceLevel = Literal["low", "medium", "high"]
COHERENCE_LEVELS: Final[tuple[CoherenceLevel, ...]] = ("low", "medium", "high")
#: What a recording is: a measurement the person started, a rest before or after a session,
#: the recording during a session, or an assessment (resonance).
RecordingKind = Literal["measurement", "rest-before", "rest-after", "session", "resonance"]


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


def recording_analysis(rr_ms: Sequence[float]) -> HrvReport:
    """The analysis a live recording is saved with, and that its live display shows: one call,
    so the two cannot disagree (``vagus.hrv.analyze`` with its defaults: artifact correction
    on, Welch spectra)."""
    from vagus.hrv import analyze

    return analyze(rr_ms)


def coherence_level(ratio: float) -> CoherenceLevel:
    """The level of a coherence ratio (:data:`COHERENCE_MEDIUM_FROM`,
    :data:`COHERENCE_HIGH_FROM`).

    >>> [coherence_level(r) for r in (0.2, 0.5, 1.79, 1.8)]
    ['low', 'medium', 'medium', 'high']
    """
    if ratio >= COHERENCE_HIGH_FROM:
        return "high"
    if ratio >= COHERENCE_MEDIUM_FROM:
        return "medium"
    return "low"


@dataclass(frozen=True)
class CoherenceShares:
    """How the coherence ratios of a recording fell into the levels: one ratio per
    :data:`COHERENCE_EVERY_S` of beats from :data:`COHERENCE_WINDOW_S` on."""

    low: int = 0
    medium: int = 0
    high: int = 0

    @property
    def n_windows(self) -> int:
        """Ratios counted."""
        return self.low + self.medium + self.high

    def share(self, level: CoherenceLevel) -> float | None:
        """The fraction (0-1) of the ratios at ``level``; None before the first."""
        n = self.n_windows
        return getattr(self, level) / n if n else None

    def add(self, level: CoherenceLevel) -> CoherenceShares:
        counts = {name: getattr(self, name) for name in COHERENCE_LEVELS}
        counts[level] += 1
        return CoherenceShares(**counts)

    def to_json(self) -> dict[str, Any]:
        """``n_windows``, ``every_s``, ``window_s`` and the fraction (0-1, None before the
        first ratio) at each level, as saved with a recording's analysis (``coherence``)."""
        return {
            "n_windows": self.n_windows,
            "window_s": COHERENCE_WINDOW_S,
            "every_s": COHERENCE_EVERY_S,
            "thresholds": {"medium": COHERENCE_MEDIUM_FROM, "high": COHERENCE_HIGH_FROM},
            **{level: self.share(level) for level in COHERENCE_LEVELS},
        }


@dataclass(frozen=True)
class LiveValues:
    """What a live display shows after a beat.

    ``heart_rate_bpm`` is the beat's own rate (60000 / RR of the last beat the streaming
    engine kept): the line of the live chart. Every number is :func:`recording_analysis` of
    the recording's beats so far (``analysed_beats`` of them): None while fewer than
    :data:`MIN_LIVE_S` seconds of beats are in (``ready`` False: the face says "measuring"
    and shows ``progress``). The coherence ratio is that analysis' NN series over the last
    :data:`COHERENCE_WINDOW_S`, from then on.
    """

    t_s: float
    n_beats: int
    heart_rate_bpm: float | None = None
    analysed_beats: int = 0
    mean_hr_bpm: float | None = None
    rmssd_ms: float | None = None
    ln_rmssd: float | None = None
    coherence: float | None = None
    coherence_level: CoherenceLevel | None = None
    coherence_shares: CoherenceShares = field(default_factory=CoherenceShares)

    @property
    def ready(self) -> bool:
        """The numbers are shown (:data:`MIN_LIVE_S` of beats are in)."""
        return self.analysed_beats > 0

    @property
    def progress(self) -> float:
        """Seconds of beats over :data:`MIN_LIVE_S`, at most 1."""
        return min(1.0, self.t_s / MIN_LIVE_S)

    def to_json(self) -> dict[str, Any]:
        """The live view's event (the web's ``beat`` event; see ``vagus.web._live``)."""
        return {
            "t_s": round(self.t_s, 3),
            "n_beats": self.n_beats,
            "heart_rate_bpm": _finite(self.heart_rate_bpm),
            "ready": self.ready,
            "progress": round(self.progress, 4),
            "min_s": MIN_LIVE_S,
            "analysed_beats": self.analysed_beats,
            "mean_hr_bpm": _finite(self.mean_hr_bpm),
            "rmssd_ms": _finite(self.rmssd_ms),
            "ln_rmssd": _finite(self.ln_rmssd),
            "coherence": _finite(self.coherence),
            "coherence_level": self.coherence_level,
            "coherence_from_s": COHERENCE_WINDOW_S,
            "coherence_every_s": COHERENCE_EVERY_S,
            "coherence_thresholds": [COHERENCE_MEDIUM_FROM, COHERENCE_HIGH_FROM],
            "coherence_shares": {
                level: self.coherence_shares.share(level) for level in COHERENCE_LEVELS
            },
        }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class LiveAnalysis:
    """The live numbers of one recording: :func:`recording_analysis` of its beats so far.

    :meth:`refresh` reruns the analysis on every beat received (O(n); measured in
    benchmarks/streaming.py: a few ms for an hour of beats); :class:`LiveRecording` calls it
    once per batch of beats from the sensor, that is about once per beat from a strap.
    """

    def __init__(self) -> None:
        self.rr_ms: list[float] = []
        self.t_s = 0.0
        self.analysed_beats = 0
        self.indices: dict[str, float | None] = {}
        self.coherence: float | None = None
        self.shares = CoherenceShares()
        # The end of the next coherence window, on the NN series' own timeline, s.
        self._next_coherence_s = COHERENCE_WINDOW_S

    def add(self, rr_ms: float) -> None:
        self.rr_ms.append(float(rr_ms))
        self.t_s += float(rr_ms) / 1000.0

    @property
    def stale(self) -> bool:
        """Beats arrived since the last analysis, and there are enough to show numbers."""
        return self.t_s >= MIN_LIVE_S and self.analysed_beats < len(self.rr_ms)

    def refresh(self, report: HrvReport | None = None) -> None:
        """Analyse every beat so far (or take ``report``, the analysis of exactly these beats)
        and add a coherence ratio for each :data:`COHERENCE_EVERY_S` step reached."""
        if not self.rr_ms or self.t_s < MIN_LIVE_S:
            return
        from vagus.hrv import RrDataError

        if report is None or report.n_intervals != len(self.rr_ms):
            try:
                report = recording_analysis(self.rr_ms)
            except RrDataError:
                return  # not RR data: the save refuses it too; nothing is shown
        self.analysed_beats = len(self.rr_ms)
        self.indices = dict(report.indices)
        self._coherence(report.nn_ms)

    def _coherence(self, nn_ms: FloatArray) -> None:
        import numpy as np

        from vagus.hrv.streaming import coherence_ratio

        if nn_ms.size < 2:
            return
        t = np.cumsum(nn_ms) / 1000.0
        # The window's 2 Hz grid begins 0.5 s after the window does and needs a beat at or
        # before its first point (coherence_ratio), and the first beat comes one interval after
        # the recording began: the first window ends that much later than COHERENCE_WINDOW_S.
        first_end = float(t[0]) + COHERENCE_WINDOW_S - 0.5
        self._next_coherence_s = max(self._next_coherence_s, first_end)
        while self._next_coherence_s <= float(t[-1]):
            found = coherence_ratio(
                t, nn_ms, end_s=self._next_coherence_s, window_s=COHERENCE_WINDOW_S
            )
            self._next_coherence_s += COHERENCE_EVERY_S
            if found is not None:
                self.coherence = found.ratio
                self.shares = self.shares.add(coherence_level(found.ratio))

    def values(self, update: Update | None) -> LiveValues:
        """The values to show, with the beat's own rate from the stream's ``update``."""
        n_beats = len(self.rr_ms)
        hr = update.heart_rate_bpm if update is not None else None
        if not self.analysed_beats:
            return LiveValues(t_s=self.t_s, n_beats=n_beats, heart_rate_bpm=hr)
        return LiveValues(
            t_s=self.t_s,
            n_beats=n_beats,
            heart_rate_bpm=hr,
            analysed_beats=self.analysed_beats,
            mean_hr_bpm=self.indices.get("mean_hr"),
            rmssd_ms=self.indices.get("rmssd"),
            ln_rmssd=self.indices.get("ln_rmssd"),
            coherence=self.coherence,
            coherence_level=coherence_level(self.coherence) if self.coherence is not None else None,
            coherence_shares=self.shares,
        )


@dataclass
class LiveRecording:
    """A recording in progress: every beat is written to the journal as it arrives.

    Call :meth:`pump` from the display loop; a crash keeps every beat pumped so far.
    """

    #: None for a preview: live numbers, stored nowhere (opening the live view stores nothing).
    journal: Journal | None
    recording_id: int
    feed: BeatFeed | PushFeed
    stream: StreamingHrv = field(default_factory=lambda: _streaming_hrv())
    last: Update | None = None
    #: Seconds of beats received in this recording (the sum of their RR intervals).
    t_s: float = 0.0
    kind: RecordingKind = "measurement"
    #: Set by :meth:`finish` when a measurement was too short to keep (it was deleted).
    discarded: bool = False
    #: The live numbers (:class:`LiveAnalysis`): what the faces show, after every batch.
    analysis: LiveAnalysis = field(default_factory=LiveAnalysis)
    #: The values after the latest beat (None before the first).
    values: LiveValues | None = None

    def pump(self, breath_cycle: int | None = None) -> list[Update]:
        """Store and analyse the beats that arrived since the last call."""
        return [update for update, _ in self.pump_live(breath_cycle)]

    def pump_live(self, breath_cycle: int | None = None) -> list[tuple[Update, LiveValues]]:
        """Store the beats that arrived since the last call; return each beat's streaming
        update and the live values after it.

        The live analysis is rerun once per call, after its last beat, so the values of that
        beat are the analysis of every beat stored so far; the beats before it in the same
        batch show the values of the previous batch.
        """
        beats = self.feed.drain()
        if not beats:
            return []
        if self.journal is not None:
            self.journal.append_beats(self.recording_id, [beat.rr_ms for beat in beats])
        out = []
        for i, beat in enumerate(beats):
            update = self.stream.add(
                beat.rr_ms, t_s=beat.t_s, gap_before=beat.gap_before, breath_cycle=breath_cycle
            )
            self.t_s += beat.rr_ms / 1000.0
            self.analysis.add(beat.rr_ms)
            if i == len(beats) - 1 and self.analysis.stale:
                self.analysis.refresh()
            out.append((update, self.analysis.values(update)))
        self.last, self.values = out[-1]
        return out

    def settle(self, *, stop_sensor: bool = True) -> LiveValues | None:
        """Stop the sensor (unless told not to) and take its last beats: the values returned
        are then those of every beat the recording will be saved with. A face shows them last.
        """
        if stop_sensor:
            self.feed.stop()
        self.pump_live()
        return self.values

    def finish(self, *, stop_sensor: bool = True) -> HrvReport | None:
        """Close the recording with its full HRV analysis (None when it holds no beats).

        A measurement shorter than :data:`MIN_MEASUREMENT_S` is deleted instead (``discarded``
        is set, None returned): the face says so. The analysis is stored with the share of the
        recording in each coherence level (``coherence``, :meth:`CoherenceShares.to_json`).
        """
        self.settle(stop_sensor=stop_sensor)
        if self.journal is None:
            return None
        if self.kind == "measurement" and self.t_s < MIN_MEASUREMENT_S:
            self.journal.delete_recording(self.recording_id)
            self.discarded = True
            return None
        rr = self.journal.recording_rr(self.recording_id)
        report = recording_analysis(rr) if rr else None
        stored = None
        if report is not None:
            if rr == self.analysis.rr_ms:
                self.analysis.refresh(report)
                self.values = self.analysis.values(self.last)
            stored = analysis_to_store(report) | {"coherence": self.analysis.shares.to_json()}
        self.journal.finish_recording(self.recording_id, analysis=stored)
        return report


class LiveService:
    def __init__(self, app: App) -> None:
        self._app = app

    def make_sensor(
        self,
        spec: str | SensorSpec | None = None,
        *,
        speed: float = 1.0,
        breathing: Callable[[float], float | None] | None = None,
    ) -> Sensor:
        """A sensor from ``replay``, ``replay:FILE``, ``simulated`` or ``ble[:ADDRESS]``.

        The default is the setting (``replay``: the bundled recording), so everything works
        without a strap. ``breathing`` lets the simulator's heart follow the pacer.
        """
        chosen = (
            spec
            if isinstance(spec, SensorSpec)
            else SensorSpec.parse(spec or self._app.settings.sensor)
        )
        if chosen.kind == "replay":
            if not chosen.argument:
                return ReplaySensor(speed=speed)
            rr, _ = self._app.measurements.load_recording(chosen.argument).beats()
            return ReplaySensor.from_rr(rr, name=Path(chosen.argument).name, speed=speed)
        if chosen.kind == "simulated":
            return SimulatedSensor(breathing=breathing, speed=speed)
        from vagus.devices.ble import BleHeartRateSensor

        return BleHeartRateSensor(chosen.argument or None)

    def web_sensor(self) -> SensorSpec:
        """The sensor the web's live view uses: the settings page's choice, else the setting."""
        return SensorSpec.parse(self._app.prefs.get().sensor)

    def preview(self, sensor: Sensor) -> LiveRecording:
        """Connect the sensor for live numbers only: nothing is stored (``recording_id`` 0)."""
        feed = BeatFeed(sensor)
        feed.start()
        return LiveRecording(None, 0, feed)

    def start_recording(
        self,
        sensor: Sensor,
        *,
        kind: RecordingKind = "measurement",
        tags: Sequence[str] = (),
        session_id: int | None = None,
    ) -> LiveRecording:
        """Connect the sensor and open a recording in the journal."""
        feed = BeatFeed(sensor)
        feed.start()
        return self.open_recording(feed, kind=kind, tags=tags, session_id=session_id)

    def open_recording(
        self,
        feed: BeatFeed | PushFeed,
        *,
        kind: RecordingKind = "measurement",
        tags: Sequence[str] = (),
        session_id: int | None = None,
    ) -> LiveRecording:
        """A new recording on an already connected sensor (rest, session, rest), or on beats
        pushed by the caller (:class:`PushFeed`: a strap connected in the browser).

        Tags: the kind (but ``measurement``), the caller's tags, and ``morning`` for a
        standalone measurement started before :data:`MORNING_BEFORE_HOUR` local time. A
        session's recordings must name their session.
        """
        if kind in ("rest-before", "rest-after", "session") and session_id is None:
            raise AppError(f"session_id: a {kind} recording belongs to a session", "session_id")
        if session_id is not None:
            self._app.sessions.get(session_id)
        feed.drain()  # beats from before this recording belong to none
        now = self._app.now()
        all_tags = [tag for tag in tags if tag != "morning"]
        if kind != "measurement" and kind not in all_tags:
            all_tags.insert(0, kind)
        if (
            kind == "measurement"
            and session_id is None
            and self._app.local_now().hour < MORNING_BEFORE_HOUR
        ):
            all_tags.append("morning")
        recording_id = self._app.journal.start_recording(
            feed.name, now, all_tags, session_id=session_id
        )
        return LiveRecording(self._app.journal, recording_id, feed, kind=kind)

    def scan_ble(self, timeout_s: float = 5.0) -> list[SensorInfo]:
        """Bluetooth heart-rate sensors nearby (SensorError when there is no Bluetooth)."""
        from vagus.devices.ble import scan

        return asyncio.run(scan(timeout_s))
