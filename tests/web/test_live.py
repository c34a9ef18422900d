"""Live heart data: server-sent events from the replay sensor; stored only as a session's own
recording (kind "session", tagged "web"), opened by ``POST /api/live/stream`` and read with
``GET ?stream=``, never by opening the live view. The attacks on it are in
test_live_security.py.

The replay runs at 50x real time (``speed=50``): the bundled recording's first 12 beats arrive in
well under a second. ``limit`` ends the stream after those beats, which is also what the in-process
client needs (it collects a response whole, so an endless stream would never return).
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vagus.app import App, example_rr_path
from vagus.app.live import COHERENCE_WINDOW_S, MIN_LIVE_S, coherence_level
from vagus.hrv import analyze, read_rr
from vagus.web import _live
from vagus.web._live import EVENT_FIELDS, LIVE_TAG
from web.web_helpers import step_done

#: Beats read from the stream.
N_EVENTS = 12
#: A resting adult's plausible heart rate, beats/min (the bundled recording is a resting one).
HR_RANGE_BPM = (40.0, 150.0)


def _parse(text: str) -> list[tuple[str, Any]]:
    """The stream's events as (name, data) pairs (the SSE wire format: blank-line separated)."""
    events = []
    for block in text.split("\n\n"):
        name, data = "message", None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
        if data is not None:
            events.append((name, data))
    return events


def _session(client: TestClient) -> int:
    started = client.post("/api/sessions", json={"exercise_id": "breathing"})
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


def record(client: TestClient, session_id: int, limit: int) -> list[tuple[str, Any]]:
    """Open the session's live recording (POST), then read ``limit`` beats of it (GET)."""
    opened = client.post("/api/live/stream", json={"session_id": session_id, "speed": 50})
    assert opened.status_code == 201, opened.text
    response = client.get(f"{opened.json()['url']}&limit={limit}")
    assert response.status_code == 200, response.text
    events = _parse(response.text)
    assert events[0] == ("start", {"recording_id": opened.json()["recording_id"]})
    return events


def test_stream_without_a_session_shows_beats_and_stores_nothing(
    client: TestClient, vagus_app: App
) -> None:
    before = vagus_app.journal.counts()
    response = client.get(f"/api/live/stream?speed=50&limit={N_EVENTS}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _parse(response.text)
    assert events[0] == ("start", {"recording_id": None})
    beats = [data for name, data in events if name == "beat"]
    assert len(beats) == N_EVENTS
    for beat in beats:
        assert tuple(beat) == EVENT_FIELDS
    assert [b["n_beats"] for b in beats] == list(range(1, N_EVENTS + 1))
    times = [b["t_s"] for b in beats]
    assert times == sorted(times)
    assert times[0] > 0
    rates = [b["heart_rate_bpm"] for b in beats if b["heart_rate_bpm"] is not None]
    assert len(rates) >= N_EVENTS - 2  # at most a rejected beat or two at the start
    assert all(HR_RANGE_BPM[0] <= hr <= HR_RANGE_BPM[1] for hr in rates)
    # 12 beats are under 30 s: no number yet (issue 12), only the progress towards it.
    assert all(not b["ready"] and b["rmssd_ms"] is None and b["ln_rmssd"] is None for b in beats)
    assert all(b["mean_hr_bpm"] is None and b["coherence"] is None for b in beats)
    assert [b["progress"] for b in beats] == sorted(b["progress"] for b in beats)
    assert beats[-1]["progress"] == pytest.approx(beats[-1]["t_s"] / MIN_LIVE_S, abs=1e-3)
    assert beats[-1]["min_s"] == MIN_LIVE_S
    # Opening the live view is not a measurement (issue 10): nothing was stored.
    assert vagus_app.journal.counts() == before
    assert vagus_app.transfer.history(["measurement"]) == []


def test_stream_of_a_session_is_its_recording(client: TestClient, screened: App) -> None:
    session_id = _session(client)
    events = record(client, session_id, N_EVENTS)
    recording_id = events[0][1]["recording_id"]
    recording = screened.journal.recording(recording_id)
    assert recording["session_id"] == session_id
    assert {"session", LIVE_TAG} <= set(recording["tags"])
    assert "morning" not in recording["tags"]
    assert recording["n_beats"] >= N_EVENTS
    assert recording["ended_at"] is not None  # finished when the stream closed
    # The stream ended on its own (limit): the session still runs, the player finishes it.
    assert client.get(f"/api/sessions/{session_id}").json()["status"] == "running"
    before = screened.journal.counts()
    unknown = client.post("/api/live/stream", json={"session_id": 999, "speed": 50})
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "session_id"
    assert screened.journal.counts() == before
    assert _live.live_streams(client.app.state).counts() == {  # type: ignore[attr-defined]
        "open": 0,
        "previews": 0,
        "waiting": 0,
    }


#: Beats of the long stream: about 95 s of the bundled recording, past both minimums.
N_LONG = 120


def test_the_last_live_values_are_the_saved_analysis(client: TestClient, screened: App) -> None:
    """Issue 12: what the live view shows is what is saved, to 1e-9, over the same beats."""
    session_id = _session(client)
    events = record(client, session_id, N_LONG)
    recording_id = events[0][1]["recording_id"]
    beats = [data for name, data in events if name == "beat"]
    assert len(beats) == N_LONG
    name, end = events[-1]
    assert name == "end"
    assert end["reason"] == "limit"
    final = end["values"]
    stored = screened.journal.recording(recording_id)
    rr = screened.journal.recording_rr(recording_id)
    # The end event covers every stored beat (a batch may hold beats past the limit).
    assert final["n_beats"] == len(rr) == stored["n_beats"] == final["analysed_beats"]
    saved = stored["analysis"]["indices"]
    for shown, index in (
        ("rmssd_ms", "rmssd"),
        ("ln_rmssd", "ln_rmssd"),
        ("mean_hr_bpm", "mean_hr"),
    ):
        assert math.isclose(final[shown], saved[index], rel_tol=0, abs_tol=1e-9), shown
    # Each beat's numbers are the analysis of the beats so far (rerun after each batch the
    # sensor delivers), shown only from 30 s of beats on.
    assert beats[-1]["ready"]
    seen_ready = False
    for beat in beats:
        if not beat["ready"]:
            assert not seen_ready, "numbers shown, then gone"
            assert beat["rmssd_ms"] is None
            assert beat["analysed_beats"] == 0
            continue
        seen_ready = True
        assert beat["t_s"] >= MIN_LIVE_S
        assert sum(rr[: beat["analysed_beats"]]) / 1000.0 >= MIN_LIVE_S
        expected = analyze(rr[: beat["analysed_beats"]]).indices
        assert math.isclose(beat["rmssd_ms"], expected["rmssd"], rel_tol=0, abs_tol=1e-9)
        assert beat["analysed_beats"] <= beat["n_beats"]
    # Coherence: none before its 64 s window is full, then a ratio with its level.
    early = [b for b in beats if b["t_s"] < COHERENCE_WINDOW_S]
    assert all(b["coherence"] is None and b["coherence_level"] is None for b in early)
    assert final["coherence"] is not None
    assert final["coherence_level"] == coherence_level(final["coherence"])
    # The shares shown last are the shares saved.
    shares = stored["analysis"]["coherence"]
    assert shares["n_windows"] >= 1
    assert {k: shares[k] for k in ("low", "medium", "high")} == final["coherence_shares"]
    assert sum(final["coherence_shares"].values()) == pytest.approx(1.0)


class _GoneClient:
    """A request whose client has gone away (the tab was closed)."""

    async def is_disconnected(self) -> bool:
        return True


def test_a_closed_tab_interrupts_its_running_session(client: TestClient, screened: App) -> None:
    session_id = _session(client)
    steps = client.get(f"/api/sessions/{session_id}").json()
    first = client.post("/api/sessions", json={"exercise_id": "breathing"}).json()["steps"][0]
    del steps
    client.post(
        f"/api/sessions/{session_id}/steps",
        json=step_done(first),
    )
    streams = _live.LiveStreams()
    stream_id, stream = streams.record(screened, session_id, 50.0)
    recording = stream.recording
    assert streams.attach(stream_id) is stream

    async def run() -> list[str]:
        return [
            chunk
            async for chunk in _live._events(
                _GoneClient(),  # type: ignore[arg-type]
                stream,
                None,
            )
        ]

    asyncio.run(run())
    assert stream.closed
    assert streams.counts()["open"] == 0  # its slot is free again
    assert client.get(f"/api/sessions/{session_id}").json()["status"] == "interrupted"
    stored = screened.journal.recording(recording.recording_id)
    assert stored["ended_at"] is not None
    assert stored["session_id"] == session_id


def test_stream_refuses_bad_speed(client: TestClient, vagus_app: App) -> None:
    before = vagus_app.journal.counts()
    for bad in ("0", "51", "fast"):
        response = client.get(f"/api/live/stream?speed={bad}&limit=1")
        assert response.status_code == 422, bad
        assert response.json()["field"] == "speed"
    assert vagus_app.journal.counts() == before


def test_stream_is_documented(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/live/stream"])


def test_stream_uses_the_sensor_chosen_on_the_settings_page(
    client: TestClient, screened: App
) -> None:
    # The app's own setting is the replay; the settings page picks the simulator instead.
    assert screened.settings.sensor == "replay"
    saved = client.put("/api/settings", json={"sensor": "simulated"})
    assert saved.status_code == 200, saved.text
    session_id = _session(client)
    events = record(client, session_id, 3)
    recording = screened.journal.recording(events[0][1]["recording_id"])
    assert recording["source"].startswith("simulated")
    assert len([name for name, _ in events if name == "beat"]) == 3

    client.put("/api/settings", json={"sensor": "replay"})
    events = record(client, session_id, 1)
    assert screened.journal.recording(events[0][1]["recording_id"])["source"].startswith("replay")


def test_a_browser_straps_last_values_are_the_saved_analysis(
    client: TestClient, vagus_app: App
) -> None:
    """The strap's path (beats posted by the browser): the same rules as the stream."""
    rr = [float(x) for x in read_rr(example_rr_path())[:N_LONG]]
    started = client.post("/api/live/browser", json={"name": "strap"})
    assert started.status_code == 201, started.text
    recording_id = started.json()["recording_id"]
    updates: list[dict[str, Any]] = []
    for at in range(0, N_LONG, 25):  # about a post every 20 s of beats
        batch = [{"rr_ms": value} for value in rr[at : at + 25]]
        answer = client.post(
            f"/api/live/browser/{recording_id}/beats", json={"beats": batch, "seq": at}
        )
        assert answer.status_code == 200, answer.text
        updates += answer.json()["updates"]
    assert [tuple(u) for u in updates] == [EVENT_FIELDS] * N_LONG
    assert not updates[0]["ready"]
    finished = client.post(f"/api/live/browser/{recording_id}/finish").json()
    assert finished["discarded"] is False
    saved = vagus_app.journal.recording(recording_id)["analysis"]
    for values in (updates[-1], finished["live"]):  # the last answer covers every beat posted
        assert values["analysed_beats"] == N_LONG
        assert math.isclose(values["rmssd_ms"], saved["indices"]["rmssd"], abs_tol=1e-9)
        assert math.isclose(values["ln_rmssd"], saved["indices"]["ln_rmssd"], abs_tol=1e-9)
        assert math.isclose(values["mean_hr_bpm"], saved["indices"]["mean_hr"], abs_tol=1e-9)
    assert finished["coherence"] == saved["coherence"]
    assert finished["coherence"]["n_windows"] >= 1
