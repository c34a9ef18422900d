"""Live heart data for the browser player: the server's own sensor, or a strap in the browser.

Two ways in, one journal. No GET stores anything or changes a session (issue 11, finding 4:
an ``<img>`` on any site could start a recording):

``GET /api/live/stream``
    A preview: connects the server's sensor, the one chosen on the settings page
    (``app.live.web_sensor``: else the app's setting; the replay of the bundled recording by
    default), and sends one event per beat with the live values (:func:`event_json`: the beat's
    own heart rate, and from 30 s of beats the analysis a recording is saved with; issue 12).
    It stores nothing (opening the live view is not a measurement).
``POST /api/live/stream`` (CSRF token) with ``{session_id, speed}``, then ``GET
/api/live/stream?stream=ID``
    A live view that records: the POST connects the sensor and opens the session's recording
    (kind ``"session"``, linked to it, tagged ``"web"``) and answers with an unguessable
    stream id; the GET reads that stream's events, once. The recording is finished with its
    full analysis when the client goes away or the sensor's stream ends, and a session still
    running when its client went away is marked ``interrupted``; a recording no GET attached
    to within :data:`ATTACH_WITHIN_S` is closed the same way. ``GET ?session_id=`` is refused
    (400), and so is a GET that another site's page sent (``Sec-Fetch-Site``, 403).
    At most :data:`MAX_STREAMS` streams are open at once (:data:`MAX_PREVIEWS` of them
    previews, so another site's previews cannot take the slots a session needs); beyond
    that the answer is 503 with ``Retry-After`` and nothing is started.
``POST /api/live/browser`` + ``/{id}/beats`` + ``/{id}/finish``
    A heart-rate strap connected in the person's browser (Web Bluetooth, ``static/strap.js``)
    posts its RR intervals about once a second; each post is written to the journal before the
    answer goes out (a crash loses nothing that was acknowledged) and is answered with the
    same events the stream sends, so the player draws both the same way. With a
    ``session_id`` the recording is the session's (kind ``"session"``, tagged ``"web"`` and
    ``"browser-strap"``); without, it is a measurement the person started (tagged
    ``"browser-strap"``), which the app discards when it is under a minute. At most
    :data:`MAX_BROWSER_RECORDINGS` are open at once (503 with ``Retry-After`` beyond).

Why server-sent events for the server's sensor and not a WebSocket: the data flows one way
and it is plain HTTP (WHATWG HTML Living Standard, section 9.2 "Server-sent events"). A
recording's stream id is used once, so EventSource's own reconnect after a drop gets a 404
and stops: the drop has ended the recording (the session is interrupted), and a silent new
recording would hide that. Why plain POSTs for the browser's strap: each batch must be acknowledged
only once it is stored, which is what a request/response is; a batch that was not acknowledged
is sent again, and its ``seq`` makes the repeat harmless (see :meth:`BrowserRecordings.add`).

Every blocking call (connecting, the journal's writes, the analysis) runs in a worker thread:
the stream's in ``asyncio.to_thread``, the browser routes because they are plain ``def`` routes,
which FastAPI runs in its thread pool. So a slow disk or a slow strap never holds up the server's
event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from vagus.app import (
    App,
    AppError,
    Beat,
    BusyError,
    ConflictError,
    LiveRecording,
    NotFoundError,
    PushFeed,
    SensorError,
    UserError,
)
from vagus.app.live import LiveValues
from vagus.app.models import Text
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS
from vagus.web._csrf import FOREIGN_FETCH_SITES, CsrfError
from vagus.web._deps import csrf_protect, get_app
from vagus.web._errors import SensorUnavailableError

__all__ = [
    "ABANDONED_AFTER_S",
    "ATTACH_WITHIN_S",
    "BROWSER_TAG",
    "LIVE_TAG",
    "MAX_BEATS_PER_POST",
    "MAX_BROWSER_RECORDINGS",
    "MAX_PREVIEWS",
    "MAX_SPEED",
    "MAX_STREAMS",
    "BrowserRecordings",
    "LiveStream",
    "LiveStreams",
    "PostToRecordError",
    "browser_recordings",
    "event_json",
    "finish_all",
    "live_streams",
    "router",
]

_log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/live", tags=["live"])
AppDep = Annotated[App, Depends(get_app)]
#: Every unsafe route checks the CSRF token (the router has a GET too, so it is per route).
CSRF: Final = [Depends(csrf_protect)]

#: Tag of the journal recordings made by a browser's live view (either way in).
LIVE_TAG: Final = "web"
#: Second tag of the recordings of a strap connected in the browser (Web Bluetooth).
BROWSER_TAG: Final = "browser-strap"
#: Appended to the strap's name in the recording's source, so the journal tells the two apart.
BROWSER_SUFFIX: Final = " (browser)"
#: The source name when the browser does not know the strap's name (Web Bluetooth's
#: ``BluetoothDevice.name`` may be empty).
DEFAULT_STRAP_NAME: Final = "Bluetooth heart-rate strap"
#: Longest strap name accepted, characters (the GAP Device Name is at most 248 bytes, but the
#: names straps advertise are short; the journal keeps 200 for the whole source).
MAX_NAME_CHARS: Final = 100
#: Most beats in one post: 600 beats is 2 minutes at 300 bpm, 10 minutes at 60 bpm, so a tab
#: that was throttled in the background (Chrome runs its timers once a minute there) catches up
#: in one post, and one post is still a small request (about 25 kB).
MAX_BEATS_PER_POST: Final = 600
#: Longest gap a beat may declare before it, s (a day: beyond that it is a new recording).
MAX_GAP_S: Final = 86_400.0
#: A browser recording without a post for this long is taken to be abandoned (the tab closed,
#: the laptop slept) and is finished with its analysis at the next browser request, s.
ABANDONED_AFTER_S: Final = 600.0
#: Key on the server's ``app.state`` that holds the :class:`BrowserRecordings`.
STATE_KEY: Final = "vagus_browser_recordings"
_MS_PER_S: Final = 1000.0

#: Fastest replay speed a client may ask for (x real time; tests and demos).
MAX_SPEED: Final = 50.0
#: How often the stream looks for new beats, s (a beat is at least ~0.3 s apart at 200 bpm).
POLL_INTERVAL_S: Final = 0.1
#: A comment line this often keeps proxies from closing a quiet stream, s.
KEEPALIVE_S: Final = 15.0
#: What EventSource should wait before reconnecting after a drop, ms (the SSE ``retry`` field).
RETRY_MS: Final = 3000
#: The fields of every ``beat`` event (:func:`event_json`).
EVENT_FIELDS: Final = (
    "t_s",
    "n_beats",
    "heart_rate_bpm",
    "ready",
    "progress",
    "min_s",
    "analysed_beats",
    "mean_hr_bpm",
    "rmssd_ms",
    "ln_rmssd",
    "coherence",
    "coherence_level",
    "coherence_from_s",
    "coherence_every_s",
    "coherence_thresholds",
    "coherence_shares",
)
#: Most streams of the server's sensor open at once: previews, recordings, and recordings
#: opened but not attached yet. Each holds a sensor thread (and a Bluetooth connection for a
#: strap) and a worker thread per poll; one person needs one, a second tab two (issue 11,
#: finding 4: 50 streams made 87 threads).
MAX_STREAMS: Final = 4
#: Most of those that may be previews, which any page can open with a GET: the rest stays free
#: for a session's recording, which only this site's pages can open (POST with the token).
MAX_PREVIEWS: Final = 2
#: A recording opened by POST and not attached to (GET ``?stream=``) within this is closed as
#: if its client had left, s: the page attaches at once, so this is only a tab that died.
ATTACH_WITHIN_S: Final = 30.0
#: What a client is told to wait when the streams are all in use (``Retry-After``), s.
BUSY_RETRY_S: Final = 5
#: Random bytes in a stream's id (:func:`secrets.token_urlsafe`: 43 characters, 256 bits).
STREAM_ID_BYTES: Final = 32
#: Longest stream id accepted, characters (the ids handed out are 43).
MAX_STREAM_ID_CHARS: Final = 100
#: Most browser recordings open at once: one a tab with a strap, with room for tabs reloaded
#: (a recording left behind is finished after :data:`ABANDONED_AFTER_S`).
MAX_BROWSER_RECORDINGS: Final = 8
#: Key on the server's ``app.state`` that holds the :class:`LiveStreams`.
STREAMS_KEY: Final = "vagus_live_streams"
_STATE_LOCK: Final = threading.Lock()


def event_json(values: LiveValues) -> dict[str, Any]:
    """One beat's event: the live values after it (:class:`vagus.app.live.LiveValues`).

    Returns
    -------
    dict
        :data:`EVENT_FIELDS`: ``t_s`` (s of beats since the stream began), ``n_beats``,
        ``heart_rate_bpm`` (the beat's own rate, beats/min: the chart's line), ``ready`` (the
        numbers are shown: ``min_s`` seconds of beats are in), ``progress`` (0-1 towards
        ``min_s``), ``analysed_beats``, ``mean_hr_bpm``, ``rmssd_ms``, ``ln_rmssd`` (the
        analysis the recording is saved with, of every beat so far; null before ``min_s``),
        ``coherence`` (ratio) and ``coherence_level`` (low, medium, high; null before
        ``coherence_from_s``; one every ``coherence_every_s``), ``coherence_thresholds``
        (medium and high from) and
        ``coherence_shares`` (the fraction of the ratios so far at each level).

    >>> from vagus.app.live import LiveValues
    >>> event_json(LiveValues(t_s=12.5, n_beats=15, heart_rate_bpm=63.0))["ready"]
    False
    """
    return values.to_json()


# --- the server's own sensor: server-sent events ------------------------------------------------


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


def _close_stream(
    app: App, recording: LiveRecording, session_id: int | None, *, client_left: bool
) -> None:
    """Finish what a stream opened: a session's recording with its analysis (a display-only
    stream's sensor is just stopped), and a session still running when its client went away
    is marked ``interrupted`` by the app."""
    if session_id is None:
        recording.settle()  # stops the sensor; the last values cover every beat it sent
        return
    try:
        recording.finish()
    except Exception:  # a cleanup: logged, and the journal keeps the beats (as after a crash)
        _log.exception("could not finish live recording %d", recording.recording_id)
    if not client_left:
        return
    try:
        if app.sessions.get(session_id)["status"] == "running":
            app.sessions.finish(session_id, "interrupted")
    except UserError:
        pass  # the session is gone (cancelled before its first step) or already closed


class PostToRecordError(AppError):
    """``GET /api/live/stream?session_id=...``: a GET never records (400)."""


def _busy(what: str, limit: int) -> BusyError:
    return BusyError(
        f"stream: the server already has {limit} {what} open; try again when one has ended",
        "stream",
        retry_after_s=BUSY_RETRY_S,
    )


class LiveStream:
    """One stream of the server's sensor; it holds one of the server's stream slots until
    :meth:`close` (idempotent, so the stream's end, a client leaving and the sweep of a stream
    never attached can all call it)."""

    def __init__(
        self,
        streams: LiveStreams,
        app: App,
        recording: LiveRecording,
        session_id: int | None,
    ) -> None:
        self._streams = streams
        self.app = app
        self.recording = recording
        self.session_id = session_id
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """:meth:`close` was called."""
        return self._closed

    def close(self, *, client_left: bool) -> None:
        """Finish what the stream opened (:func:`_close_stream`) and free its slot."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            _close_stream(self.app, self.recording, self.session_id, client_left=client_left)
        finally:
            self._streams._release(self)


@dataclass(eq=False)
class _Waiting:
    """A recording stream opened by POST that no client has attached to yet."""

    stream: LiveStream
    opened_s: float
    timer: threading.Timer | None = None


class LiveStreams:
    """The streams of the server's sensor, safe to use from the thread pool: at most
    ``max_streams`` open at once (previews, recordings and recordings not attached yet), of
    which at most ``max_previews`` previews; a recording opened by POST waits under an
    unguessable id for its client's GET.

    Parameters
    ----------
    clock : callable
        Monotonic seconds (``time.monotonic``); tests pass their own to age waiting streams.
    max_streams, max_previews : int
        The caps (:data:`MAX_STREAMS`, :data:`MAX_PREVIEWS`).
    attach_within_s : float
        A recording not attached to within this long is closed by :meth:`sweep` as if its
        client had left; a timer sweeps then too, so it needs no further request.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_streams: int = MAX_STREAMS,
        max_previews: int = MAX_PREVIEWS,
        attach_within_s: float = ATTACH_WITHIN_S,
    ) -> None:
        self.clock = clock
        self.max_streams = max_streams
        self.max_previews = max_previews
        self.attach_within_s = attach_within_s
        self._lock = threading.Lock()
        self._n_open = 0
        self._n_previews = 0
        self._waiting: dict[str, _Waiting] = {}

    def counts(self) -> dict[str, int]:
        """``open`` (every slot in use, opening ones included), ``previews`` and ``waiting``
        (recordings not attached yet)."""
        with self._lock:
            return {
                "open": self._n_open,
                "previews": self._n_previews,
                "waiting": len(self._waiting),
            }

    def _reserve(self, *, preview: bool) -> None:
        # The slot is taken before the sensor connects, so requests racing each other cannot
        # open more than the cap between the check and the start.
        with self._lock:
            if self._n_open >= self.max_streams:
                raise _busy("live streams", self.max_streams)
            if preview and self._n_previews >= self.max_previews:
                raise _busy("live previews", self.max_previews)
            self._n_open += 1
            self._n_previews += preview

    def _unreserve(self, *, preview: bool) -> None:
        with self._lock:
            self._n_open -= 1
            self._n_previews -= preview

    def _release(self, stream: LiveStream) -> None:
        self._unreserve(preview=stream.session_id is None)

    def _open(self, app: App, speed: float, session_id: int | None) -> LiveStream:
        self.sweep()  # a recording nobody attached to frees its slot first
        preview = session_id is None
        self._reserve(preview=preview)
        try:
            recording = _open_stream(app, speed, session_id)
        except BaseException:
            self._unreserve(preview=preview)
            raise
        return LiveStream(self, app, recording, session_id)

    def preview(self, app: App, speed: float) -> LiveStream:
        """Connect the web's sensor for live numbers only (nothing stored).

        Raises
        ------
        BusyError
            When the server has its streams, or its previews, open already (503).
        """
        return self._open(app, speed, None)

    def record(self, app: App, session_id: int, speed: float) -> tuple[str, LiveStream]:
        """Connect the web's sensor and open the session's recording; returns the id under
        which the stream waits for :meth:`attach`, and the stream.

        Raises
        ------
        NotFoundError
            For an unknown session (404), before the sensor connects.
        BusyError
            When the server has its streams open already (503).
        """
        stream = self._open(app, speed, session_id)
        stream_id = secrets.token_urlsafe(STREAM_ID_BYTES)
        # Swept by a timer too: the sensor of a recording nobody attaches to (the tab closed
        # between the POST and the GET) must not run until some later request comes.
        timer = threading.Timer(self.attach_within_s, self.sweep)
        timer.daemon = True
        with self._lock:
            self._waiting[stream_id] = _Waiting(stream, self.clock(), timer)
        timer.start()
        return stream_id, stream

    def attach(self, stream_id: str) -> LiveStream:
        """The recording stream waiting under ``stream_id``, once: the id is used up.

        Raises
        ------
        NotFoundError
            When no stream waits under that id (unknown, used, or not attached in time: 404).
        """
        self.sweep()
        with self._lock:
            waiting = self._waiting.pop(stream_id, None)
        if waiting is None:
            raise NotFoundError(
                "stream: no live stream waits under this id (it is used once, within "
                f"{self.attach_within_s:g} s of its POST /api/live/stream)",
                "stream",
            )
        if waiting.timer is not None:
            waiting.timer.cancel()
        return waiting.stream

    def sweep(self) -> int:
        """Close the recordings not attached to within ``attach_within_s``, as if their
        client had left (the recording finished, a running session interrupted); returns how
        many."""
        now = self.clock()
        with self._lock:
            late = [
                key
                for key, waiting in self._waiting.items()
                if now - waiting.opened_s >= self.attach_within_s
            ]
            gone = [self._waiting.pop(key) for key in late]
        self._close_quietly(gone)
        return len(gone)

    def close_waiting(self) -> int:
        """Close every recording not attached yet (the server is stopping); returns how many."""
        with self._lock:
            gone = list(self._waiting.values())
            self._waiting.clear()
        self._close_quietly(gone)
        return len(gone)

    @staticmethod
    def _close_quietly(gone: list[_Waiting]) -> None:
        for waiting in gone:
            if waiting.timer is not None:
                waiting.timer.cancel()
            try:
                waiting.stream.close(client_left=True)
            except Exception:  # one that cannot be closed must not keep the others open
                _log.exception(
                    "could not close live recording %d", waiting.stream.recording.recording_id
                )


def live_streams(app_state: State) -> LiveStreams:
    """The server's :class:`LiveStreams` (made on first use), kept on ``app.state``."""
    with _STATE_LOCK:
        streams = getattr(app_state, STREAMS_KEY, None)
        if not isinstance(streams, LiveStreams):
            streams = LiveStreams()
            setattr(app_state, STREAMS_KEY, streams)
        return streams


async def _events(request: Request, stream: LiveStream, limit: int | None) -> AsyncIterator[str]:
    recording = stream.recording
    sent = 0
    quiet_s = 0.0
    ended: str | None = None  # why the stream ended on its own (limit, or the sensor stopped)
    try:
        yield f"retry: {RETRY_MS}\n"
        recording_id = recording.recording_id if stream.session_id is not None else None
        yield _sse("start", {"recording_id": recording_id})
        while ended is None:
            pumped = await asyncio.to_thread(recording.pump_live)
            for _, values in pumped:
                yield _sse("beat", event_json(values))
                sent += 1
                if limit is not None and sent >= limit:
                    ended = "limit"
                    break
            if ended is not None:
                break
            if pumped:
                quiet_s = 0.0
            elif recording.feed.ended:
                ended = str(recording.feed.error or "the sensor stopped")
                break
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_INTERVAL_S)
            quiet_s += POLL_INTERVAL_S
            if quiet_s >= KEEPALIVE_S:
                quiet_s = 0.0
                yield ": keepalive\n\n"
        # Ended on its own: the recording is finished first, so the last values sent are those
        # of every beat it was saved with (a batch may hold beats past the limit).
        await anyio.to_thread.run_sync(lambda: stream.close(client_left=False))
        final = recording.values
        yield _sse(
            "end",
            {"reason": ended, "values": event_json(final) if final is not None else None},
        )
    finally:
        # Runs when the client disconnects too. Starlette then cancels this generator through
        # an anyio cancel scope, which cancels every later await as well, so the finishing is
        # shielded: without it the recording stayed open (seen with the browser tests).
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: stream.close(client_left=ended is None))


class _StreamResponse(StreamingResponse):
    """The stream's server-sent events; the stream is closed when the response ends, even
    when its events were never iterated (a client gone before the first byte: a generator
    that never started does not run its ``finally``), so no slot and no recording is left
    open."""

    def __init__(self, request: Request, stream: LiveStream, limit: int | None) -> None:
        super().__init__(
            _events(request, stream, limit),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self.stream.closed:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(lambda: self.stream.close(client_left=True))


def _open_stream(app: App, speed: float, session_id: int | None) -> LiveRecording:
    """Connect the web's sensor; record it only for a session."""
    if session_id is not None:
        app.sessions.get(session_id)  # 404 before the sensor connects
    sensor = app.live.make_sensor(app.live.web_sensor(), speed=speed)
    try:
        if session_id is None:
            return app.live.preview(sensor)  # live numbers only: nothing stored
        return app.live.start_recording(
            sensor, kind="session", tags=[LIVE_TAG], session_id=session_id
        )
    except SensorError as error:
        raise SensorUnavailableError(f"sensor: {error}", "sensor") from None


class StreamIn(BaseModel):
    """A live view that records: the session whose recording it is."""

    model_config = ConfigDict(extra="forbid")

    session_id: int = Field(strict=True, description="The session this stream records.")
    speed: float = Field(
        1.0, gt=0, le=MAX_SPEED, allow_inf_nan=False, description="Replay speed, x real time."
    )


class StreamOut(BaseModel):
    """A recording stream opened and waiting for its client."""

    stream: str = Field(description="Its id: GET /api/live/stream?stream=<id>, once.")
    recording_id: int = Field(description="The session's recording in the journal.")
    url: str = Field(description="Where to read its server-sent events.")
    attach_within_s: float = Field(description="Seconds to attach within before it is closed.")


@router.post("/stream", status_code=201, dependencies=CSRF)
async def open_live_stream(body: StreamIn, request: Request, app: AppDep) -> StreamOut:
    """Open a live view that records: connect the server's sensor and open the session's
    recording (kind ``session``, tagged ``web``); its events are then read, once, from
    ``GET /api/live/stream?stream=<id>``. Not attached within ``attach_within_s`` it is
    closed as if its client had left. 404 for an unknown session; 503 with ``Retry-After``
    when the server's live streams are all in use."""
    streams = live_streams(request.app.state)
    stream_id, stream = await asyncio.to_thread(streams.record, app, body.session_id, body.speed)
    return StreamOut(
        stream=stream_id,
        recording_id=stream.recording.recording_id,
        url=f"{router.prefix}/stream?{urlencode({'stream': stream_id})}",
        attach_within_s=streams.attach_within_s,
    )


@router.get("/stream", response_class=StreamingResponse)
async def live_stream(
    request: Request,
    app: AppDep,
    stream: Annotated[
        str | None,
        Query(
            max_length=MAX_STREAM_ID_CHARS,
            description="The id POST /api/live/stream answered: read that recording's events. "
            "Without it, a preview that stores nothing.",
        ),
    ] = None,
    speed: Annotated[
        float, Query(gt=0, le=MAX_SPEED, description="A preview's replay speed, x real time")
    ] = 1.0,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Stop after this many beats")
    ] = None,
) -> StreamingResponse:
    """Server-sent events from the server's sensor (the one chosen on the settings page):
    ``start`` with ``{recording_id}`` (null for a preview), then ``beat`` events with the
    live values (``EVENT_FIELDS``: the beat's own heart rate for the chart; after 30 s of beats
    the mean heart rate, RMSSD and ln RMSSD of the analysis the recording is saved with;
    after 64 s the coherence ratio, its level and the share of each level so far). A stream
    that ends on its own (``limit``, or the sensor stopped) sends ``end`` with ``{reason,
    values}``: the values of every beat the recording was saved with.

    A GET changes nothing stored: without ``stream`` it is a preview (nothing stored), with it
    it reads the recording ``POST /api/live/stream`` opened (finished when the client
    disconnects; a session still running then is marked ``interrupted``). ``session_id`` is
    refused (400: POST to record); another site's page is refused (403); 503 with
    ``Retry-After`` when the server's live streams are all in use.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site in FOREIGN_FETCH_SITES:
        # An <img> or <script> on another site: it may not even connect the sensor.
        raise CsrfError(f"Sec-Fetch-Site: {fetch_site} (the live stream is this site's only)")
    if "session_id" in request.query_params:
        raise PostToRecordError(
            "session_id: a GET does not record; open a recording live view with "
            "POST /api/live/stream (with the CSRF token), then GET ?stream=<its id>",
            "session_id",
        )
    streams = live_streams(request.app.state)
    if stream is None:
        opened = await asyncio.to_thread(streams.preview, app, speed)
    else:
        opened = await asyncio.to_thread(streams.attach, stream)
    return _StreamResponse(request, opened, limit)


# --- a strap connected in the browser: beats posted by strap.js --------------------------------


@dataclass(eq=False)
class _Open:
    """One browser recording in progress. ``lock`` keeps its posts (and its finish) in order."""

    recording: LiveRecording
    feed: PushFeed
    last_post_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Beats stored so far (the ``seq`` the next post should carry).
    n_beats: int = 0
    #: Time of the last stored beat on the recording's timeline, s.
    t_s: float = 0.0
    finished: bool = False
    #: The events of the last beats stored (the newest last), for a batch sent again.
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_BEATS_PER_POST))


@dataclass(frozen=True)
class PostedBeat:
    """One beat as the browser posts it (already validated by the route's model).

    Attributes
    ----------
    rr_ms : float
        The RR interval that ends this beat, ms (200-3000).
    gap_before : bool
        Data was lost just before it (lost contact, a reconnect, wall time beyond the RR sum).
    gap_s : float
        With ``gap_before``: seconds before the beat's own RR interval that no RR interval
        accounts for (its time on the timeline moves on by this much); else 0.
    """

    rr_ms: float
    gap_before: bool = False
    gap_s: float = 0.0


def _not_open(recording_id: int) -> NotFoundError:
    return NotFoundError(
        f"recording_id: no browser recording {recording_id} in progress", "recording_id"
    )


class BrowserRecordings:
    """The open browser recordings of one server, safe to use from the thread pool.

    Parameters
    ----------
    clock : callable
        Monotonic seconds (``time.monotonic``); tests pass their own to age recordings.
    abandoned_after_s : float
        A recording without a post for this long is finished by :meth:`sweep`.
    max_open : int
        Most recordings open at once (:data:`MAX_BROWSER_RECORDINGS`); :meth:`start` refuses
        one more.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        abandoned_after_s: float = ABANDONED_AFTER_S,
        max_open: int = MAX_BROWSER_RECORDINGS,
    ) -> None:
        self.clock = clock
        self.abandoned_after_s = abandoned_after_s
        self.max_open = max_open
        self._lock = threading.Lock()
        self._open: dict[int, _Open] = {}
        #: Starts between their check of the cap and their entry in ``_open``.
        self._starting = 0

    def open_ids(self) -> list[int]:
        """Ids of the recordings in progress."""
        with self._lock:
            return sorted(self._open)

    def start(self, app: App, name: str, session_id: int | None = None) -> int:
        """Open a recording for the strap called ``name``; returns its journal id.

        With ``session_id`` it is the session's recording (kind ``session``); without, a
        measurement the person started (the app discards it under a minute).

        Raises
        ------
        BusyError
            When ``max_open`` recordings are open already (503 with ``Retry-After``).
        """
        with self._lock:
            if len(self._open) + self._starting >= self.max_open:
                raise _busy("browser recordings", self.max_open)
            self._starting += 1
        try:
            shown = name.strip() or DEFAULT_STRAP_NAME
            feed = PushFeed(shown + BROWSER_SUFFIX)
            if session_id is None:
                recording = app.live.open_recording(feed, kind="measurement", tags=[BROWSER_TAG])
            else:
                recording = app.live.open_recording(
                    feed, kind="session", tags=[LIVE_TAG, BROWSER_TAG], session_id=session_id
                )
            entry = _Open(recording=recording, feed=feed, last_post_s=self.clock())
            with self._lock:
                self._open[recording.recording_id] = entry
        finally:
            with self._lock:
                self._starting -= 1
        return recording.recording_id

    def _touch(self, recording_id: int) -> _Open:
        with self._lock:
            entry = self._open.get(recording_id)
            if entry is None:
                raise _not_open(recording_id)
            entry.last_post_s = self.clock()
            return entry

    def add(
        self, recording_id: int, beats: Sequence[PostedBeat], seq: int | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Store beats (oldest first) and return their events and the recording's beat count.

        ``seq`` is the number of beats the client believes are stored before this batch. A
        batch whose answer was lost is sent again with the same ``seq``; the beats already
        stored are then skipped, so no beat is stored twice, and their events are answered
        again (the last ``MAX_BEATS_PER_POST`` are kept), so the client still sees each beat
        once. None: no check (append all).

        Parameters
        ----------
        recording_id : int
            A recording opened by :meth:`start` and not finished.
        beats : sequence of PostedBeat
            The batch, oldest first (validated: RR 200-3000 ms).
        seq : int, optional
            Beats stored before this batch, as the client counts them.

        Returns
        -------
        tuple of (list of dict, int)
            The ``beat`` events (:func:`event_json`) of the batch's beats, and the number of
            beats the recording holds now.

        Raises
        ------
        NotFoundError
            For an unknown or finished recording (404).
        ConflictError
            When ``seq`` is beyond the beats stored: beats in between were never received (409).
        """
        entry = self._touch(recording_id)
        with entry.lock:
            if entry.finished:
                raise _not_open(recording_id)
            skip = 0
            if seq is not None:
                if seq > entry.n_beats:
                    raise ConflictError(
                        f"seq: expected at most {entry.n_beats} (the beats stored), got {seq}",
                        "seq",
                    )
                skip = min(entry.n_beats - seq, len(beats))
            # Events of the repeated beats that are still kept: beat i (0-based) is at
            # recent[i - first_kept].
            first_kept = entry.n_beats - len(entry.recent)
            repeated = [
                entry.recent[i - first_kept]
                for i in range(max(seq or 0, first_kept), (seq or 0) + skip)
            ]
            fresh = beats[skip:]
            if not fresh:
                return repeated, entry.n_beats
            t_s = entry.t_s
            pushed = []
            for beat in fresh:
                t_s += (beat.gap_s if beat.gap_before else 0.0) + beat.rr_ms / _MS_PER_S
                pushed.append(Beat(t_s=t_s, rr_ms=beat.rr_ms, gap_before=beat.gap_before))
            entry.feed.push(pushed)
            # The journal write happens here, before the answer: an acknowledged beat is stored.
            events = [event_json(values) for _, values in entry.recording.pump_live()]
            entry.t_s = t_s
            entry.n_beats += len(fresh)
            entry.recent.extend(events)
            return repeated + events, entry.n_beats

    def finish(self, recording_id: int) -> dict[str, Any]:
        """Finish a recording with its full HRV analysis (stored in the journal).

        Returns
        -------
        dict
            ``recording_id``, ``n_beats``, ``indices`` (the analysis' indices; None for a
            recording without beats or one discarded), ``discarded`` (a measurement under
            a minute, which the app deleted), ``live`` (the last live values, the
            :func:`event_json` of the last beat; None without beats) and ``coherence`` (the
            share of the recording in each coherence level, as saved).

        Raises
        ------
        NotFoundError
            When the recording is not in progress (unknown, or finished already).
        """
        with self._lock:
            entry = self._open.pop(recording_id, None)
        if entry is None:
            raise _not_open(recording_id)
        return self._finish(entry)

    @staticmethod
    def _finish(entry: _Open) -> dict[str, Any]:
        with entry.lock:
            entry.finished = True
            report = entry.recording.finish()
        values = entry.recording.values
        return {
            "recording_id": entry.recording.recording_id,
            "n_beats": entry.n_beats,
            "indices": dict(report.indices) if report is not None else None,
            "discarded": entry.recording.discarded,
            "live": event_json(values) if values is not None else None,
            "coherence": entry.recording.analysis.shares.to_json(),
        }

    def sweep(self, keep: int | None = None) -> list[int]:
        """Finish the recordings without a post for ``abandoned_after_s`` (all but ``keep``,
        the one the current request is about); returns their ids."""
        now = self.clock()
        with self._lock:
            idle = [
                rid
                for rid, entry in self._open.items()
                if rid != keep and now - entry.last_post_s >= self.abandoned_after_s
            ]
            entries = [self._open.pop(rid) for rid in idle]
        for entry in entries:
            self._finish_quietly(entry)
        return idle

    def finish_all(self) -> list[int]:
        """Finish every open recording (the server is stopping); returns their ids."""
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for entry in entries:
            self._finish_quietly(entry)
        return [entry.recording.recording_id for entry in entries]

    @classmethod
    def _finish_quietly(cls, entry: _Open) -> None:
        # One recording that cannot be finished (a full disk) must not keep the others open,
        # nor fail the unrelated request that happened to sweep it: it is logged, and the
        # journal keeps its beats (it stays unfinished, as after a crash).
        try:
            cls._finish(entry)
        except Exception:
            _log.exception("could not finish browser recording %d", entry.recording.recording_id)


def browser_recordings(app_state: State) -> BrowserRecordings:
    """The server's :class:`BrowserRecordings` (made on first use), kept on ``app.state``."""
    with _STATE_LOCK:
        registry = getattr(app_state, STATE_KEY, None)
        if not isinstance(registry, BrowserRecordings):
            registry = BrowserRecordings()
            setattr(app_state, STATE_KEY, registry)
        return registry


def finish_all(app_state: State) -> list[int]:
    """Finish every browser recording still open, with its analysis, and close the live
    recordings no client attached to: call when the server stops.

    Parameters
    ----------
    app_state : starlette.datastructures.State
        The FastAPI server's ``app.state``.

    Returns
    -------
    list of int
        The ids of the browser recordings finished.
    """
    streams = getattr(app_state, STREAMS_KEY, None)
    if isinstance(streams, LiveStreams):
        streams.close_waiting()
    registry = getattr(app_state, STATE_KEY, None)
    return registry.finish_all() if isinstance(registry, BrowserRecordings) else []


def _registry(request: Request, keep: int | None = None) -> BrowserRecordings:
    """The registry, after finishing the recordings abandoned by their browsers."""
    registry = browser_recordings(request.app.state)
    registry.sweep(keep=keep)
    return registry


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrapIn(_Body):
    """The strap the browser connected to."""

    # Text: no NUL or lone surrogate (PostgreSQL refuses NUL; a surrogate cannot be answered).
    name: Text = Field(
        max_length=MAX_NAME_CHARS,
        description="The strap's Bluetooth name (BluetoothDevice.name); may be empty.",
    )
    session_id: int | None = Field(
        None,
        strict=True,
        description="The session this recording belongs to; without it, a measurement.",
    )


class BeatIn(_Body):
    """One beat from the strap's Heart Rate Measurement notifications."""

    rr_ms: float = Field(
        strict=True,
        ge=MIN_RR_MS,
        le=MAX_RR_MS,
        allow_inf_nan=False,
        description=f"RR interval ending at this beat, ms ({MIN_RR_MS:g}-{MAX_RR_MS:g}).",
    )
    gap_before: bool = Field(
        False,
        strict=True,
        description="Data was lost just before this beat (lost contact, a reconnect, more "
        "wall-clock time than the RR intervals account for).",
    )
    gap_s: float = Field(
        0.0,
        strict=True,
        ge=0.0,
        le=MAX_GAP_S,
        allow_inf_nan=False,
        description="With gap_before: seconds of the gap not covered by RR intervals.",
    )

    @field_validator("gap_s")
    @classmethod
    def _gap_needs_gap_before(cls, value: float, info: ValidationInfo) -> float:
        if value and not info.data.get("gap_before"):
            raise ValueError("expected 0 for a beat without gap_before")
        return value


class BeatsIn(_Body):
    """A batch of beats, oldest first."""

    beats: list[BeatIn] = Field(min_length=1, max_length=MAX_BEATS_PER_POST)
    seq: int | None = Field(
        None,
        strict=True,
        ge=0,
        description="Beats stored before this batch as the client counts them: a batch sent "
        "again after a lost answer is then not stored twice.",
    )


@router.post("/browser", status_code=201, dependencies=CSRF)
def start_browser_recording(body: StrapIn, request: Request, app: AppDep) -> dict[str, int]:
    """Open a journal recording for a strap connected in the browser: the session's (kind
    ``session``, tagged ``web`` and ``browser-strap``) with ``session_id``, else a measurement
    (tagged ``browser-strap``); its beats are then posted to
    ``/api/live/browser/{id}/beats``."""
    return {"recording_id": _registry(request).start(app, body.name, body.session_id)}


@router.post("/browser/{recording_id}/beats", dependencies=CSRF)
def post_browser_beats(recording_id: int, body: BeatsIn, request: Request) -> dict[str, Any]:
    """Store a batch of beats (written to the journal before the answer) and return the
    streaming HRV after each: the ``beat`` events of ``/api/live/stream``."""
    beats = [PostedBeat(b.rr_ms, b.gap_before, b.gap_s) for b in body.beats]
    updates, n_beats = _registry(request, keep=recording_id).add(recording_id, beats, body.seq)
    return {"updates": updates, "n_beats": n_beats}


@router.post("/browser/{recording_id}/finish", dependencies=CSRF)
def finish_browser_recording(recording_id: int, request: Request) -> dict[str, Any]:
    """Finish the recording with its full HRV analysis: ``{recording_id, n_beats, indices,
    discarded, live, coherence}`` (``indices`` null without beats; ``discarded`` true for a
    measurement under a minute, which is not kept; ``live`` the last live values, equal to the
    saved analysis; ``coherence`` the share of the recording in each coherence level); 404
    when it is unknown or already finished."""
    return _registry(request, keep=recording_id).finish(recording_id)
