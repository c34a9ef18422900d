"""Live measurement: sensors (one spec, parsed once), beats handed from a sensor thread or
pushed by the browser, recordings written beat by beat, and the rules for what a recording is:

- a *measurement* is what the person starts; one shorter than :data:`MIN_MEASUREMENT_S` is
  discarded with a message, never kept as a misleading entry;
- ``morning`` tags a standalone resting measurement started before :data:`MORNING_BEFORE_HOUR`
  local time (a waking measurement is the usual HRV baseline; Plews et al. 2013, Int J Sports
  Physiol Perform 8:688), never the rests around a session;
- the rests before and after a session, and the recording during it, are linked to the session.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from vagus.app.errors import AppError
from vagus.app.measurements import analysis_to_store
from vagus.app.sensors import SensorSpec
from vagus.devices import Beat, ReplaySensor, Sensor, SensorError, SensorInfo, SimulatedSensor

if TYPE_CHECKING:
    from vagus.app._core import App
    from vagus.hrv import HrvReport
    from vagus.hrv.streaming import StreamingHrv, Update
    from vagus.journal import Journal

#: Before this local hour a standalone resting measurement is tagged "morning".
MORNING_BEFORE_HOUR: Final = 10
#: How long `BeatFeed.start` waits for a sensor to connect before giving up.
CONNECT_WAIT_S: Final = 30.0
#: Shortest measurement kept, in seconds of beats: below a minute not even the HF band (the
#: shortest Task Force window) is defined, and ln RMSSD is unstable (Munoz et al. 2015).
MIN_MEASUREMENT_S: Final = 60.0
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

    def pump(self, breath_cycle: int | None = None) -> list[Update]:
        """Store and analyse the beats that arrived since the last call."""
        beats = self.feed.drain()
        if not beats:
            return []
        if self.journal is not None:
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
        """Close the recording with its full HRV analysis (None when it holds no beats).

        A measurement shorter than :data:`MIN_MEASUREMENT_S` is deleted instead (``discarded``
        is set, None returned): the face says so.
        """
        if stop_sensor:
            self.feed.stop()
        self.pump()
        if self.journal is None:
            return None
        if self.kind == "measurement" and self.t_s < MIN_MEASUREMENT_S:
            self.journal.delete_recording(self.recording_id)
            self.discarded = True
            return None
        rr = self.journal.recording_rr(self.recording_id)
        from vagus.hrv import analyze

        report = analyze(rr) if rr else None
        self.journal.finish_recording(
            self.recording_id, analysis=analysis_to_store(report) if report is not None else None
        )
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
