"""A strap connected in the browser: beats posted to /api/live/browser, stored, answered with HRV;
and static/strap.js's packet parser and beat timeline, run with Node, against the Python ones.

The beats are the first minutes of the bundled recording (MIT-BIH record 100), so the live
values have real rhythm, premature beats included, to work on. What the server answers is
compared, to 1e-9, with what it must be (issue 12): each beat's own rate with a
:class:`~vagus.hrv.streaming.StreamingHrv` fed the same RR intervals, and the numbers with
``vagus.hrv.analyze`` (the save's own analysis) of the beats posted so far.
The JavaScript tests are skipped, with the reason, when ``node`` is missing; the browser tests
(tests/browser/test_browser_strap.py) run the same comparisons in Chromium.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from hrm_packets import encode, packet_vectors, python_parse
from vagus.app import App, example_rr_path
from vagus.app.live import (
    COHERENCE_EVERY_S,
    COHERENCE_WINDOW_S,
    MIN_LIVE_S,
    CoherenceShares,
    coherence_level,
)
from vagus.devices.ble import BleHeartRateSensor, _Packet
from vagus.hrv import analyze
from vagus.hrv.streaming import StreamingHrv, coherence_ratio
from vagus.web._live import (
    ABANDONED_AFTER_S,
    BROWSER_TAG,
    DEFAULT_STRAP_NAME,
    EVENT_FIELDS,
    LIVE_TAG,
    MAX_BEATS_PER_POST,
    STATE_KEY,
    BrowserRecordings,
    finish_all,
)

START = "/api/live/browser"
#: Beats posted in the happy path: about 2.5 minutes of the recording, in uneven batches.
N_BEATS = 180
BATCH_SIZES = (1, 2, 57, 100)
TOLERANCE = 1e-9
#: Fields of the answer to /finish.
SUMMARY_FIELDS = {"recording_id", "n_beats", "indices", "discarded", "live", "coherence"}


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def example_rr(n: int) -> list[float]:
    """The first ``n`` RR intervals of the bundled recording (all within 200-3000 ms)."""
    lines = example_rr_path().read_text().splitlines()
    rr = [float(line) for line in lines if line.strip() and not line.startswith("#")][:n]
    assert len(rr) == n
    assert all(200.0 <= value <= 3000.0 for value in rr)
    return rr


def open_session(client: TestClient) -> int:
    """A running breathing session (after the health questions, all answered "no")."""
    if client.get("/api/screening").json() is None:
        answers = {q["id"]: False for q in client.get("/api/screening/questions").json()}
        assert client.post("/api/screening", json={"answers": answers}).status_code == 200
    started = client.post("/api/sessions", json={"exercise_id": "breathing"})
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


def start(client: TestClient, name: str = "Polar H10 ABCD1234", *, session: bool = True) -> int:
    """Open a browser recording: a session's (the player's) unless ``session`` is False."""
    body: dict[str, Any] = {"name": name}
    if session:
        body["session_id"] = open_session(client)
    response = client.post(START, json=body)
    assert response.status_code == 201, response.text
    recording_id = response.json()["recording_id"]
    assert isinstance(recording_id, int)
    return recording_id


def post_beats(
    client: TestClient, recording_id: int, beats: list[dict[str, Any]], **extra: Any
) -> Any:
    return client.post(f"{START}/{recording_id}/beats", json={"beats": beats} | extra)


def beats_of(rr: list[float]) -> list[dict[str, Any]]:
    return [{"rr_ms": value, "gap_before": False} for value in rr]


def assert_error(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    assert body["error"].startswith(field), body


@pytest.fixture
def clock(client: TestClient) -> FakeClock:
    """Replace the server's registry of browser recordings by one on a clock the test moves."""
    fake = FakeClock()
    setattr(client.app.state, STATE_KEY, BrowserRecordings(clock=fake))  # type: ignore[attr-defined]
    return fake


def test_start_post_finish_records_the_beats_and_answers_the_live_values(
    client: TestClient, vagus_app: App
) -> None:
    rr = example_rr(N_BEATS)
    recording_id = start(client)

    updates: list[dict[str, Any]] = []
    sent = 0
    for size in (*BATCH_SIZES, N_BEATS - sum(BATCH_SIZES)):
        response = post_beats(client, recording_id, beats_of(rr[sent : sent + size]), seq=sent)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["updates"]) == size
        sent += size
        assert body["n_beats"] == sent
        updates.extend(body["updates"])
        # Stored before the answer: what was acknowledged is in the journal.
        assert vagus_app.journal.recording_rr(recording_id) == rr[:sent]
    assert sent == N_BEATS

    # The same events as the server-sent stream (issue 12): each beat's own rate as a
    # StreamingHrv fed the same RR gives it; the numbers are the analysis the recording is
    # saved with, rerun after the last beat of each post, of every beat posted so far, and
    # only from 30 s of beats on.
    stream = StreamingHrv()
    ends = list(np.cumsum(BATCH_SIZES))  # the beats stored after each post but the last
    analysed = 0
    t_s = 0.0
    for n, (value, update) in enumerate(zip(rr, updates, strict=True), start=1):
        assert tuple(update) == EVENT_FIELDS
        t_s += value / 1000.0
        expected = stream.add(value, t_s=t_s)
        assert update["n_beats"] == n
        assert update["t_s"] == round(t_s, 3)
        assert update["heart_rate_bpm"] == pytest.approx(
            expected.heart_rate_bpm, rel=TOLERANCE, abs=TOLERANCE
        )
        if (n in ends or n == N_BEATS) and t_s >= MIN_LIVE_S:
            analysed = n
        assert update["analysed_beats"] == analysed, n
        assert update["ready"] is (analysed > 0)
        assert update["progress"] == pytest.approx(min(1.0, t_s / MIN_LIVE_S), abs=1e-4)
        if not analysed:
            assert all(update[k] is None for k in ("mean_hr_bpm", "rmssd_ms", "ln_rmssd")), n
            assert update["coherence"] is None
            continue
        want = analyze(rr[:analysed]).indices
        for key, index in (
            ("mean_hr_bpm", "mean_hr"),
            ("rmssd_ms", "rmssd"),
            ("ln_rmssd", "ln_rmssd"),
        ):
            assert update[key] == pytest.approx(want[index], rel=TOLERANCE, abs=TOLERANCE), key
        if t_s < COHERENCE_WINDOW_S:
            assert update["coherence"] is None
            assert update["coherence_level"] is None
    assert analysed == N_BEATS
    assert [u["ready"] for u in updates].index(True) == ends[2] - 1  # the first post past 30 s
    # 2.5 minutes: past the 64 s window. The last ratio is the newest window's (one every 5 s,
    # the first ending once the window's 2 Hz grid, which begins 0.5 s after the window, has a
    # beat before it: at 64 s or one first interval minus 0.5 s later) over the NN series of
    # the last analysis.
    last = updates[-1]
    nn = analyze(rr).nn_ms
    t_nn = np.cumsum(nn) / 1000.0
    first_end = max(COHERENCE_WINDOW_S, float(t_nn[0]) + COHERENCE_WINDOW_S - 0.5)
    window_end = first_end + COHERENCE_EVERY_S * math.floor(
        (t_nn[-1] - first_end) / COHERENCE_EVERY_S
    )
    want_coherence = coherence_ratio(t_nn, nn, end_s=window_end, window_s=COHERENCE_WINDOW_S)
    assert want_coherence is not None
    assert last["coherence"] == pytest.approx(want_coherence.ratio, rel=TOLERANCE)
    assert last["coherence_level"] == coherence_level(last["coherence"])
    shares = last["coherence_shares"]
    assert sum(shares.values()) == pytest.approx(1.0)

    entry = vagus_app.journal.recording(recording_id)
    assert entry["source"] == "Polar H10 ABCD1234 (browser)"
    assert {"session", LIVE_TAG, BROWSER_TAG} <= set(entry["tags"])
    assert entry["session_id"] is not None
    assert entry["ended_at"] is None

    finished = client.post(f"{START}/{recording_id}/finish")
    assert finished.status_code == 200, finished.text
    summary = finished.json()
    assert set(summary) == SUMMARY_FIELDS
    assert summary["recording_id"] == recording_id
    assert summary["n_beats"] == N_BEATS
    # The last live values are the saved analysis, and the shares shown are the shares saved.
    assert summary["live"] == updates[-1]
    assert {k: summary["coherence"][k] for k in shares} == shares
    reference = analyze(rr).indices
    assert summary["indices"]["rmssd"] == pytest.approx(reference["rmssd"], rel=TOLERANCE)
    assert summary["indices"]["mean_hr"] == pytest.approx(reference["mean_hr"], rel=TOLERANCE)
    entry = vagus_app.journal.recording(recording_id)
    assert entry["ended_at"] is not None
    assert entry["analysis"]["indices"]["rmssd"] == pytest.approx(reference["rmssd"])
    assert entry["analysis"]["coherence"] == summary["coherence"]
    assert entry["analysis"]["n_intervals"] == N_BEATS


def test_a_recording_without_beats_finishes_without_indices(client: TestClient) -> None:
    recording_id = start(client, name="   ")
    summary = client.post(f"{START}/{recording_id}/finish").json()
    assert summary == {
        "recording_id": recording_id,
        "n_beats": 0,
        "indices": None,
        "discarded": False,
        "live": None,
        "coherence": CoherenceShares().to_json(),
    }
    assert summary["coherence"]["n_windows"] == 0
    assert all(summary["coherence"][level] is None for level in ("low", "medium", "high"))


def test_a_measurement_without_a_session_under_a_minute_is_discarded(
    client: TestClient, vagus_app: App
) -> None:
    recording_id = start(client, session=False)
    entry = vagus_app.journal.recording(recording_id)
    assert BROWSER_TAG in entry["tags"]
    assert LIVE_TAG not in entry["tags"]  # a resting measurement, not an exercise's
    assert entry["session_id"] is None
    rr = example_rr(40)  # about half a minute
    assert post_beats(client, recording_id, beats_of(rr)).status_code == 200
    summary = client.post(f"{START}/{recording_id}/finish").json()
    assert summary["discarded"] is True
    assert summary["indices"] is None
    assert vagus_app.transfer.history(["measurement"]) == []


def test_a_measurement_of_a_minute_or_more_is_kept(client: TestClient, vagus_app: App) -> None:
    recording_id = start(client, session=False)
    rr = example_rr(120)  # over a minute and a half
    assert post_beats(client, recording_id, beats_of(rr)).status_code == 200
    summary = client.post(f"{START}/{recording_id}/finish").json()
    assert summary["discarded"] is False
    assert summary["indices"]["rmssd"] > 0
    [entry] = vagus_app.transfer.history(["measurement"])
    assert entry["id"] == recording_id


def test_a_nameless_strap_gets_a_name(client: TestClient, vagus_app: App) -> None:
    recording_id = start(client, name="")
    assert vagus_app.journal.recording(recording_id)["source"] == f"{DEFAULT_STRAP_NAME} (browser)"


@pytest.mark.parametrize(
    ("beat", "field"),
    [
        ({"rr_ms": 0}, "beats.2.rr_ms"),
        ({"rr_ms": 199.9}, "beats.2.rr_ms"),
        ({"rr_ms": 5000}, "beats.2.rr_ms"),
        ({"rr_ms": "NaN"}, "beats.2.rr_ms"),
        ({"rr_ms": "800"}, "beats.2.rr_ms"),
        ({"rr_ms": True}, "beats.2.rr_ms"),
        ({"gap_before": False}, "beats.2.rr_ms"),
        ({"rr_ms": 800, "gap_before": "yes"}, "beats.2.gap_before"),
        ({"rr_ms": 800, "gap_before": True, "gap_s": -1}, "beats.2.gap_s"),
        ({"rr_ms": 800, "gap_s": 2.0}, "beats.2.gap_s"),
        ({"rr_ms": 800, "hr": 70}, "beats.2.hr"),
    ],
    ids=[
        "zero",
        "below-200",
        "above-3000",
        "nan-string",
        "number-as-string",
        "bool",
        "missing",
        "gap-not-bool",
        "negative-gap",
        "gap-without-flag",
        "unknown-field",
    ],
)
def test_a_bad_beat_is_refused_and_nothing_is_stored(
    client: TestClient, vagus_app: App, beat: dict[str, Any], field: str
) -> None:
    recording_id = start(client)
    before = vagus_app.journal.counts()
    response = post_beats(client, recording_id, [*beats_of([800.0, 810.0]), beat])
    assert_error(response, 422, field)
    assert vagus_app.journal.counts() == before
    assert vagus_app.journal.recording_rr(recording_id) == []
    # The recording is still open and takes good beats afterwards.
    assert post_beats(client, recording_id, beats_of([800.0]), seq=0).json()["n_beats"] == 1


def test_a_raw_nan_is_refused(client: TestClient, vagus_app: App) -> None:
    """JSON has no NaN, but Python's json reads the bare word; it must not become a beat."""
    recording_id = start(client)
    body = '{"beats": [{"rr_ms": 800}, {"rr_ms": NaN}]}'
    response = client.post(
        f"{START}/{recording_id}/beats",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 422, "beats.1.rr_ms")
    assert vagus_app.journal.recording_rr(recording_id) == []


@pytest.mark.parametrize("count", [0, MAX_BEATS_PER_POST + 1])
def test_batch_size_is_1_to_600(client: TestClient, vagus_app: App, count: int) -> None:
    recording_id = start(client)
    response = post_beats(client, recording_id, beats_of([800.0] * count))
    assert_error(response, 422, "beats")
    assert vagus_app.journal.recording_rr(recording_id) == []
    full = post_beats(client, recording_id, beats_of([800.0] * MAX_BEATS_PER_POST))
    assert full.json()["n_beats"] == MAX_BEATS_PER_POST


def test_bad_names_are_refused(client: TestClient, vagus_app: App) -> None:
    before = vagus_app.journal.counts()
    for body in ({"name": "x" * 101}, {}, {"name": 7}, {"name": "H10", "extra": 1}):
        response = client.post(START, json=body)
        assert response.status_code == 422, body
    assert vagus_app.journal.counts() == before
    assert client.post(START, json={"name": "x" * 100}).status_code == 201


def test_unknown_and_finished_recordings_are_404(client: TestClient, vagus_app: App) -> None:
    assert_error(post_beats(client, 999, beats_of([800.0])), 404, "recording_id")
    assert_error(client.post(f"{START}/999/finish"), 404, "recording_id")
    recording_id = start(client)
    assert post_beats(client, recording_id, beats_of([800.0, 820.0])).status_code == 200
    assert client.post(f"{START}/{recording_id}/finish").status_code == 200
    assert_error(client.post(f"{START}/{recording_id}/finish"), 404, "recording_id")
    assert_error(post_beats(client, recording_id, beats_of([800.0])), 404, "recording_id")
    assert vagus_app.journal.recording_rr(recording_id) == [800.0, 820.0]


def test_a_recording_the_server_sensor_made_is_not_a_browser_one(client: TestClient) -> None:
    """Only recordings opened by /api/live/browser take posted beats."""
    session_id = open_session(client)
    opened = client.post("/api/live/stream", json={"session_id": session_id, "speed": 50})
    assert opened.status_code == 201, opened.text
    events = client.get(f"{opened.json()['url']}&limit=2").text
    start_line = next(line for line in events.splitlines() if "recording_id" in line)
    stream_id = json.loads(start_line.removeprefix("data: "))["recording_id"]
    assert stream_id == opened.json()["recording_id"]
    assert_error(post_beats(client, stream_id, beats_of([800.0])), 404, "recording_id")


def test_posting_a_batch_again_stores_it_once(client: TestClient, vagus_app: App) -> None:
    """A batch whose answer was lost is sent again with the same seq: stored once, and
    answered with the same events (the client never saw them)."""
    recording_id = start(client)
    rr = example_rr(6)
    first = post_beats(client, recording_id, beats_of(rr[:3]), seq=0).json()
    again = post_beats(client, recording_id, beats_of(rr[:3]), seq=0).json()
    assert len(first["updates"]) == 3
    assert again == first
    assert vagus_app.journal.recording_rr(recording_id) == rr[:3]
    # A retry that grew meanwhile: the stored head is skipped, the new tail is stored.
    grown = post_beats(client, recording_id, beats_of(rr[1:5]), seq=1).json()
    assert [u["n_beats"] for u in grown["updates"]] == [2, 3, 4, 5]
    assert grown["updates"][:2] == first["updates"][1:]
    assert vagus_app.journal.recording_rr(recording_id) == rr[:5]
    # Without seq a batch is appended whole (no check).
    assert post_beats(client, recording_id, beats_of(rr[5:6])).json()["n_beats"] == 6
    assert vagus_app.journal.recording_rr(recording_id) == rr
    # Only the last 600 events are kept for repeats; the beats are never stored twice.
    many = beats_of([800.0] * MAX_BEATS_PER_POST)
    assert post_beats(client, recording_id, many, seq=6).json()["n_beats"] == 606
    repeat = post_beats(client, recording_id, [*beats_of(rr), *many[:-6]], seq=0).json()
    assert [u["n_beats"] for u in repeat["updates"]] == list(range(7, 601))
    assert len(vagus_app.journal.recording_rr(recording_id)) == 606
    # A seq beyond what is stored means beats went missing: refused.
    assert_error(post_beats(client, recording_id, beats_of([800.0]), seq=607), 409, "seq")
    assert vagus_app.journal.recording_rr(recording_id) == rr + [800.0] * MAX_BEATS_PER_POST


def test_a_gap_is_not_counted_as_seconds_of_beats(client: TestClient, vagus_app: App) -> None:
    """A gap is time without beats: the 30 s before the numbers count the RR intervals
    received, never the seconds lost (issue 12), and the gap's beats are stored as posted."""
    recording_id = start(client)
    beats = [
        {"rr_ms": 1000.0},
        {"rr_ms": 1000.0, "gap_before": False},
        {"rr_ms": 1000.0, "gap_before": True, "gap_s": 27.5},
        {"rr_ms": 1000.0, "gap_before": True},
    ]
    updates = post_beats(client, recording_id, beats).json()["updates"]
    assert [u["t_s"] for u in updates] == [1.0, 2.0, 3.0, 4.0]
    assert [u["progress"] for u in updates] == [
        pytest.approx(s / MIN_LIVE_S, abs=1e-4) for s in (1.0, 2.0, 3.0, 4.0)
    ]
    assert not any(u["ready"] for u in updates)
    assert all(u["rmssd_ms"] is None for u in updates)
    # Each beat still has its own rate (the chart's line), the gap's beats too.
    assert [u["heart_rate_bpm"] for u in updates] == [60.0] * 4
    assert vagus_app.journal.recording_rr(recording_id) == [1000.0] * 4


def test_every_post_needs_the_csrf_token(
    client: TestClient, bare: TestClient, vagus_app: App
) -> None:
    recording_id = start(client)
    bare.get("/api/settings")  # holds a cookie, but does not echo it
    before = vagus_app.journal.counts()
    for path, body in (
        (START, {"name": "H10"}),
        (f"{START}/{recording_id}/beats", {"beats": beats_of([800.0])}),
        (f"{START}/{recording_id}/finish", {}),
    ):
        for headers in ({}, {"X-Vagus-CSRF": "guess"}):
            response = bare.post(path, json=body, headers=headers)
            assert response.status_code == 403, response.text
            assert response.json()["field"] == "csrf"
            assert response.json()["error"].startswith("csrf_token:")
    assert vagus_app.journal.counts() == before
    assert vagus_app.journal.recording(recording_id)["ended_at"] is None


def test_abandoned_recordings_are_finished_at_the_next_request(
    client: TestClient, vagus_app: App, clock: FakeClock
) -> None:
    rr = example_rr(40)
    quiet = start(client, "quiet")
    busy = start(client, "busy")
    assert post_beats(client, quiet, beats_of(rr)).status_code == 200

    clock.now_s += ABANDONED_AFTER_S / 2
    assert post_beats(client, busy, beats_of(rr[:5])).status_code == 200
    clock.now_s += ABANDONED_AFTER_S / 2 - 1
    third = start(client, "third")  # 1 s short of abandoned: nothing is finished
    assert vagus_app.journal.recording(quiet)["ended_at"] is None

    clock.now_s += 1
    # The next browser request (any of them) finishes "quiet", with its analysis.
    assert post_beats(client, third, beats_of(rr[:2])).status_code == 200
    entry = vagus_app.journal.recording(quiet)
    assert entry["ended_at"] is not None
    # Every interval posted is analysed: the beats are one more (the first one's start).
    assert entry["analysis"]["n_intervals"] == len(rr)
    assert entry["analysis"]["n_beats"] == len(rr) + 1
    assert vagus_app.journal.recording(busy)["ended_at"] is None
    assert_error(post_beats(client, quiet, beats_of([800.0])), 404, "recording_id")

    # A recording is not swept by its own late post: the post keeps it alive.
    clock.now_s += ABANDONED_AFTER_S
    assert post_beats(client, busy, beats_of(rr[5:7]), seq=5).json()["n_beats"] == 7
    assert vagus_app.journal.recording(third)["ended_at"] is not None

    registry = getattr(client.app.state, STATE_KEY)  # type: ignore[attr-defined]
    assert registry.open_ids() == [busy]


def test_finish_all_finishes_every_open_recording(client: TestClient, vagus_app: App) -> None:
    rr = example_rr(30)
    first, second = start(client), start(client)
    post_beats(client, first, beats_of(rr))
    assert finish_all(client.app.state) == [first, second]  # type: ignore[attr-defined]
    analysis = vagus_app.journal.recording(first)["analysis"]
    assert (analysis["n_intervals"], analysis["n_beats"]) == (len(rr), len(rr) + 1)
    assert vagus_app.journal.recording(second)["ended_at"] is not None
    assert finish_all(client.app.state) == []  # type: ignore[attr-defined]
    assert_error(client.post(f"{START}/{first}/finish"), 404, "recording_id")


def test_finish_all_before_any_browser_recording_does_nothing(client: TestClient) -> None:
    assert finish_all(client.app.state) == []  # type: ignore[attr-defined]


def test_the_browser_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/live/browser",
        "/api/live/browser/{recording_id}/beats",
        "/api/live/browser/{recording_id}/finish",
    ):
        assert "post" in paths[path], path


# --- static/strap.js under Node -----------------------------------------------------------------

STRAP_JS = Path(str(files("vagus.web") / "static")) / "strap.js"
#: Random packets besides the hand-built ones (seeded), and random timeline runs.
N_RANDOM_PACKETS = 5000
N_RANDOM_RUNS = 200

NODE_SCRIPT = """
const strap = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const parsed = job.packets.map((p) => {
    try {
      return { ok: strap.parseHeartRate(new DataView(new Uint8Array(p).buffer)) };
    } catch (e) {
      return { error: e.message };
    }
  });
  const runs = job.runs.map((run) => {
    const timeline = strap.makeTimeline();
    const beats = [];
    for (const item of run) {
      if (item === "reconnect") { timeline.markGap(); continue; }
      let m;
      try { m = strap.parseHeartRate(item[0]); } catch (e) { continue; }
      beats.push(...timeline.add(m, item[1]));
    }
    return beats;
  });
  process.stdout.write(JSON.stringify({ parsed, runs }));
});
"""


def random_run(rng: random.Random) -> list[Any]:
    """Packets of a strap at 40-150 bpm with lost contact, packets without RR, late packets
    (the wall-clock rule) and reconnects, on a wall clock in s."""
    run: list[Any] = []
    wall_s = rng.uniform(0.0, 1000.0)
    for _ in range(rng.randrange(1, 40)):
        roll = rng.random()
        if roll < 0.05:
            run.append("reconnect")
            continue
        rr_raw = [rng.randrange(400, 1600) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))]
        contact = rng.choice([0, 0, 1, 2, 3, 3, 3, 3])
        wall_s += sum(rr_raw) / 1024 + rng.choice([0.0, 0.0, rng.uniform(-0.5, 6.0)])
        run.append([encode(rng.randrange(40, 150), rr_raw=rr_raw, contact_bits=contact), wall_s])
    return run


def python_timeline(run: list[Any]) -> list[dict[str, Any]]:
    """vagus.devices.ble's own packet-to-beats step (the sensor never connects here)."""
    sensor = BleHeartRateSensor("AA:BB:CC:DD:EE:FF", client_factory=lambda *_: None)  # type: ignore[arg-type]
    beats: list[dict[str, Any]] = []
    for item in run:
        if item == "reconnect":
            sensor._pending_gap = True  # what it does on _Dropped and _Reconnected
            continue
        for beat in sensor._beats_from(_Packet(bytes(item[0]), item[1])):
            beats.append(
                {
                    "t_s": beat.t_s,
                    "rr_ms": beat.rr_ms,
                    "hr_bpm": beat.hr_bpm,
                    "gap_before": beat.gap_before,
                }
            )
    return beats


def test_js_parser_and_timeline_match_python() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: static/strap.js cannot be run")
    rng = random.Random(37)
    packets = packet_vectors(rng, N_RANDOM_PACKETS)
    runs = [random_run(rng) for _ in range(N_RANDOM_RUNS)]
    result = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(STRAP_JS)],
        input=json.dumps({"packets": packets, "runs": runs}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out = json.loads(result.stdout)
    expected = [python_parse(packet) for packet in packets]
    assert sum("ok" in e for e in expected) > 100
    assert sum("error" in e for e in expected) > 100
    for packet, mine, want in zip(packets, out["parsed"], expected, strict=True):
        # Exact: the same values, and the same message for a malformed packet.
        assert mine == want, bytes(packet).hex(" ")
    gaps = 0
    for run, mine_beats in zip(runs, out["runs"], strict=True):
        want_beats = python_timeline(run)
        assert mine_beats == want_beats, run  # t_s exactly: the same arithmetic in the same order
        gaps += sum(b["gap_before"] for b in want_beats)
    assert gaps > N_RANDOM_RUNS / 4  # the runs do exercise the gap rules


def test_stopping_the_server_finishes_open_browser_recordings(vagus_app: App) -> None:
    """The server's lifespan calls finish_all: a strap still connected when the server stops
    leaves a finished recording with its analysis, not an open one."""
    from vagus.web import create_app
    from vagus.web._csrf import CSRF_HEADER

    with TestClient(create_app(vagus_app)) as running:
        running.headers[CSRF_HEADER] = running.get("/api/csrf").json()["token"]
        recording_id = start(running)
        assert post_beats(running, recording_id, beats_of(example_rr(120))).status_code == 200
        assert vagus_app.journal.recording(recording_id)["ended_at"] is None
    stored = vagus_app.journal.recording(recording_id)  # the server has stopped
    assert stored["ended_at"] is not None
    assert stored["analysis"]["n_intervals"] == 120
    assert stored["analysis"]["n_beats"] == 121
