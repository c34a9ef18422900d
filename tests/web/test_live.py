"""Live heart data: server-sent events from the replay sensor, recorded in the journal as "web".

The replay runs at 50x real time (``speed=50``): the bundled recording's first 12 beats arrive in
well under a second. ``limit`` ends the stream after those beats, which is also what the in-process
client needs (it collects a response whole, so an endless stream would never return).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from vagus.app import App
from vagus.web._live import EVENT_FIELDS, LIVE_TAG

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


def test_stream_sends_beats_and_records_them(client: TestClient, vagus_app: App) -> None:
    response = client.get(f"/api/live/stream?speed=50&limit={N_EVENTS}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _parse(response.text)
    assert events[0][0] == "start"
    recording_id = events[0][1]["recording_id"]
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
    # RMSSD needs successive differences: known by the last of 12 resting beats.
    assert beats[-1]["rmssd_ms"] is not None
    assert beats[-1]["rmssd_ms"] > 0

    recording = vagus_app.journal.recording(recording_id)
    assert LIVE_TAG in recording["tags"]
    assert recording["n_beats"] >= N_EVENTS
    assert recording["ended_at"] is not None  # finished when the stream closed


def test_stream_refuses_bad_speed(client: TestClient, vagus_app: App) -> None:
    before = vagus_app.journal.counts()
    for bad in ("0", "51", "fast"):
        response = client.get(f"/api/live/stream?speed={bad}&limit=1")
        assert response.status_code == 422, bad
        assert response.json()["field"] == "speed"
    assert vagus_app.journal.counts() == before


def test_stream_is_documented(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/live/stream" in paths


def test_stream_uses_the_sensor_chosen_on_the_settings_page(
    client: TestClient, vagus_app: App
) -> None:
    # The app's own setting is the replay; the settings page picks the simulator instead.
    assert vagus_app.settings.sensor == "replay"
    saved = client.put("/api/settings", json={"sensor": "simulated"})
    assert saved.status_code == 200, saved.text
    events = _parse(client.get("/api/live/stream?speed=50&limit=3").text)
    recording = vagus_app.journal.recording(events[0][1]["recording_id"])
    assert recording["source"].startswith("simulated")
    assert len([name for name, _ in events if name == "beat"]) == 3

    client.put("/api/settings", json={"sensor": "replay"})
    events = _parse(client.get("/api/live/stream?speed=50&limit=1").text)
    assert vagus_app.journal.recording(events[0][1]["recording_id"])["source"].startswith("replay")
