"""Live heart data for the browser player: server-sent events from the server's own sensor.

``GET /api/live/stream`` connects the app's sensor (:meth:`vagus.app.App.make_sensor`, the
replay of the bundled recording by default), opens one journal recording tagged ``"web"`` for
this stream, and sends one event per beat with the streaming HRV (heart rate, RMSSD, ln RMSSD,
coherence). The recording is finished with its full analysis when the client goes away or the
sensor's stream ends.

Why server-sent events and not a WebSocket: the data flows one way, EventSource reconnects by
itself, and it is plain HTTP (WHATWG HTML Living Standard, section 9.2 "Server-sent events").

Every blocking call (connecting, the journal's writes) runs in a worker thread, so a slow disk
or a slow strap never holds up the server's event loop.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from vagus.app import App, AppError, LiveRecording, SensorError
from vagus.hrv.streaming import Update
from vagus.web._deps import get_app
from vagus.web._services import WebError

__all__ = ["LIVE_TAG", "MAX_SPEED", "event_json", "router"]

router = APIRouter(prefix="/api/live", tags=["live"])
AppDep = Annotated[App, Depends(get_app)]

#: Tag of the journal recordings made by a browser's live stream.
LIVE_TAG: Final = "web"
#: Fastest replay speed a client may ask for (x real time; tests and demos).
MAX_SPEED: Final = 50.0
#: How often the stream looks for new beats, s (a beat is at least ~0.3 s apart at 200 bpm).
POLL_INTERVAL_S: Final = 0.1
#: A comment line this often keeps proxies from closing a quiet stream, s.
KEEPALIVE_S: Final = 15.0
#: What EventSource should wait before reconnecting after a drop, ms (the SSE ``retry`` field).
RETRY_MS: Final = 3000
#: The fields of every ``beat`` event.
EVENT_FIELDS: Final = ("t_s", "heart_rate_bpm", "rmssd_ms", "ln_rmssd", "coherence", "n_beats")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def event_json(update: Update, t_s: float) -> dict[str, float | int | None]:
    """One beat's event: seconds since the stream began and the streaming HRV.

    Parameters
    ----------
    update : Update
        The streaming HRV right after the beat (:class:`vagus.hrv.streaming.Update`).
    t_s : float
        Seconds of beats received since the stream began (the sum of their RR intervals).

    Returns
    -------
    dict
        ``t_s`` (s), ``heart_rate_bpm`` (beats/min), ``rmssd_ms`` (ms), ``ln_rmssd`` (ln ms),
        ``coherence`` (dimensionless ratio), ``n_beats``; a value not known yet (or not finite)
        is None, which JSON sends as ``null``.

    >>> from vagus.hrv.streaming import StreamingHrv
    >>> stream = StreamingHrv()
    >>> _ = stream.add(1000.0)
    >>> event_json(stream.add(950.0), 1.95)["heart_rate_bpm"]
    63.1578947368421
    """
    return {
        "t_s": round(t_s, 3),
        "heart_rate_bpm": _finite(update.heart_rate_bpm),
        "rmssd_ms": _finite(update.rmssd_ms),
        "ln_rmssd": _finite(update.ln_rmssd),
        "coherence": _finite(update.coherence),
        "n_beats": update.n_beats,
    }


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


async def _events(
    request: Request, recording: LiveRecording, limit: int | None
) -> AsyncIterator[str]:
    sent = 0
    quiet_s = 0.0
    try:
        yield f"retry: {RETRY_MS}\n"
        yield _sse("start", {"recording_id": recording.recording_id})
        while True:
            updates = await asyncio.to_thread(recording.pump)
            for update in updates:
                yield _sse("beat", event_json(update, update.t_s))
                sent += 1
                if limit is not None and sent >= limit:
                    return
            if updates:
                quiet_s = 0.0
            elif recording.feed.ended:
                yield _sse("end", {"reason": str(recording.feed.error or "the sensor stopped")})
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_INTERVAL_S)
            quiet_s += POLL_INTERVAL_S
            if quiet_s >= KEEPALIVE_S:
                quiet_s = 0.0
                yield ": keepalive\n\n"
    finally:
        # Runs when the client disconnects (the generator is closed or cancelled) too.
        await asyncio.to_thread(recording.finish)


@router.get("/stream", response_class=StreamingResponse)
async def live_stream(
    request: Request,
    app: AppDep,
    speed: Annotated[
        float, Query(gt=0, le=MAX_SPEED, description="Replay speed, x real time")
    ] = 1.0,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Stop after this many beats")
    ] = None,
) -> StreamingResponse:
    """Server-sent events from the server's sensor: ``beat`` events with
    ``{t_s, heart_rate_bpm, rmssd_ms, ln_rmssd, coherence, n_beats}``, recorded in the journal
    (tagged ``web``) and finished when the client disconnects."""
    try:
        sensor = app.make_sensor(speed=speed)
    except AppError as error:
        raise WebError(400, str(error), "sensor") from None
    try:
        recording = await asyncio.to_thread(app.start_recording, sensor, tags=[LIVE_TAG])
    except SensorError as error:
        raise WebError(503, f"sensor: {error}", "sensor") from None
    return StreamingResponse(
        _events(request, recording, limit),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
