"""static/strap.js in Chromium: the 0x2A37 parser and the beat timeline against the Python ones,
and a fake Web Bluetooth strap whose beats reach the journal of a real ``vagus serve``.

The templates do not load strap.js yet, so each test adds it to a page with
``page.add_script_tag`` (same origin: the page's Content-Security-Policy allows it). The fake
``navigator.bluetooth`` is injected with ``page.add_init_script`` and follows the interfaces of
W3C Web Bluetooth that strap.js uses (requestDevice, BluetoothRemoteGATTServer,
characteristicvaluechanged, gattserverdisconnected). http://127.0.0.1 is a secure context, as
Web Bluetooth requires.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from browser_harness import DESKTOP, Server, fetch_json, running_server

from hrm_packets import encode, packet_vectors, python_parse
from vagus.devices.ble import BleHeartRateSensor, _Packet
from vagus.web._live import BROWSER_TAG, EVENT_FIELDS, LIVE_TAG

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

#: Random packets compared besides the hand-built ones (seeded: the same every run).
N_RANDOM_PACKETS = 400
RANDOM_SEED = 20_240_501
#: Longest a test waits for the page to reach a state, s (strap.js posts about once a second
#: and retries a failed post after 1 s).
WAIT_S = 20.0
#: What the fake strap calls itself, and the battery level it reports (percent).
STRAP_NAME = "Fake H10 0A1B2C3D"
BATTERY_PERCENT = 87
#: Beats of 1 s (1024/1024 s) that carry a recording past the shortest measurement the app
#: keeps (vagus.app.live.MIN_MEASUREMENT_S, 60 s): a strap recording outside a session is a
#: measurement, and a shorter one is discarded when it finishes.
FILL_RAW = [1024] * 61
#: RR intervals per notification when sending FILL_RAW (a Polar H10 sends up to a few).
RR_PER_PACKET = 8

FAKE_BLUETOOTH = """
(() => {
  const state = { requested: null, connects: 0, characteristic: null, notifying: false };
  class FakeCharacteristic extends EventTarget {
    constructor() { super(); this.value = null; }
    startNotifications() {
      state.characteristic = this;
      state.notifying = true;
      return Promise.resolve(this);
    }
    stopNotifications() { state.notifying = false; return Promise.resolve(this); }
  }
  const device = new EventTarget();
  device.id = "fake";
  device.name = "__NAME__";
  device.gatt = {
    connected: false,
    device: device,
    connect() { this.connected = true; state.connects += 1; return Promise.resolve(this); },
    disconnect() { this.connected = false; },
    getPrimaryService(name) {
      if (name === "heart_rate") {
        return Promise.resolve({
          getCharacteristic: (c) => c === "heart_rate_measurement"
            ? Promise.resolve(new FakeCharacteristic())
            : Promise.reject(new DOMException("no " + c, "NotFoundError")),
        });
      }
      if (name === "battery_service") {
        return Promise.resolve({
          getCharacteristic: () => Promise.resolve({
            readValue: () => Promise.resolve(new DataView(new Uint8Array([__BATTERY__]).buffer)),
          }),
        });
      }
      return Promise.reject(new DOMException("no " + name, "NotFoundError"));
    },
  };
  state.emit = (bytes) => {
    const c = state.characteristic;
    c.value = new DataView(new Uint8Array(bytes).buffer);
    c.dispatchEvent(new Event("characteristicvaluechanged"));
  };
  state.drop = () => {
    device.gatt.connected = false;
    state.notifying = false;
    device.dispatchEvent(new Event("gattserverdisconnected"));
  };
  window.__fakeStrap = state;
  Object.defineProperty(Navigator.prototype, "bluetooth", {
    configurable: true,
    get() {
      return {
        requestDevice(options) { state.requested = options; return Promise.resolve(device); },
      };
    },
  });
})();
""".replace("__NAME__", STRAP_NAME).replace("__BATTERY__", str(BATTERY_PERCENT))

NO_BLUETOOTH = """
Object.defineProperty(Navigator.prototype, "bluetooth", {
  configurable: true,
  get() { return undefined; },
});
"""

CONNECT = """
async () => {
  window.__updates = [];
  window.__statuses = [];
  window.__beats = [];
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  window.__strapCtl = await window.VagusStrap.connect({
    csrf: csrf,
    lang: "en",
    onUpdate: (u) => window.__updates.push(u),
    onStatus: (key, detail) => window.__statuses.push([key, detail]),
    onBeat: (b) => window.__beats.push(b),
  });
  return {
    recordingId: window.__strapCtl.recordingId,
    battery: window.__strapCtl.batteryPercent,
    requested: window.__fakeStrap.requested,
  };
}
"""


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that only load strap.js and write nothing (a server start
    costs seconds)."""
    with running_server(tmp_path_factory.mktemp("strap") / "home") as running:
        yield running


@pytest.fixture
def js_page(browser: Browser, shared_server: Server) -> Iterator[Page]:
    """A fresh context and page on the shared server."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def load_strap_js(page: Page, server: Server) -> None:
    page.goto(server.url + "/settings")
    page.add_script_tag(url="/static/strap.js")
    assert page.evaluate("() => typeof window.VagusStrap.parseHeartRate") == "function"


def wait_for(page: Page, expression: str, done: Callable[[Any], bool], what: str) -> Any:
    """Evaluate ``expression`` until ``done(value)``; polled from Python because the pages'
    Content-Security-Policy forbids the string evaluation ``page.wait_for_function`` needs."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = page.evaluate(expression)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {WAIT_S:g} s")
        page.wait_for_timeout(100)


def rr_packet(rr_raw: list[int], *, contact: bool = True, hr: int = 70) -> list[int]:
    return encode(hr, rr_raw=rr_raw, contact_bits=3 if contact else 2)


def emit_all(page: Page, rr_raw: list[int]) -> None:
    """Send these RR intervals from the fake strap, a few per notification."""
    for i in range(0, len(rr_raw), RR_PER_PACKET):
        page.evaluate(
            "(bytes) => window.__fakeStrap.emit(bytes)", rr_packet(rr_raw[i : i + RR_PER_PACKET])
        )


def test_parse_heart_rate_matches_the_python_parser(js_page: Page, shared_server: Server) -> None:
    page = js_page
    load_strap_js(page, shared_server)
    vectors = packet_vectors(random.Random(RANDOM_SEED), N_RANDOM_PACKETS)
    got = page.evaluate(
        """(packets) => packets.map((p) => {
          try {
            return { ok: window.VagusStrap.parseHeartRate(new DataView(new Uint8Array(p).buffer)) };
          } catch (e) {
            return { error: e.message };
          }
        })""",
        vectors,
    )
    expected = [python_parse(packet) for packet in vectors]
    assert sum("ok" in e for e in expected) > 50
    assert sum("error" in e for e in expected) > 50
    for packet, mine, want in zip(vectors, got, expected, strict=True):
        assert mine == want, bytes(packet).hex(" ")

    # A view into the middle of a larger buffer reads only its own bytes.
    offset_view = page.evaluate(
        """() => {
          const bytes = new Uint8Array([0xff, 0x16, 60, 0x00, 0x04, 0xff]);
          return window.VagusStrap.parseHeartRate(new DataView(bytes.buffer, 1, 4));
        }"""
    )
    assert offset_view == python_parse([0x16, 60, 0x00, 0x04])["ok"]


def test_timeline_matches_the_python_sensor(js_page: Page, shared_server: Server) -> None:
    """Gaps after lost contact, a reconnect, and wall time beyond the RR sum by > 3 s."""
    page = js_page
    load_strap_js(page, shared_server)
    # (packet, wall clock in s) or "reconnect".
    script: list[tuple[list[int], float] | str] = [
        (rr_packet([1024]), 100.0),
        (rr_packet([1000, 980]), 101.9),
        (encode(70), 102.5),  # a heart rate without RR: not a gap
        (rr_packet([1010]), 103.0),
        (rr_packet([900], contact=False), 104.0),  # no contact: dropped, then a gap
        (rr_packet([1005]), 105.0),
        (rr_packet([1020]), 106.0),
        (rr_packet([990]), 111.5),  # 5.5 s for one ~1 s beat: beats are missing
        # One RR of 1 s (1024/1024) and 2.9 s more wall time: within the 3 s, not a gap ...
        (rr_packet([1024]), 111.5 + 1.0 + 2.9),
        # ... 3.1 s more: beyond it, a gap.
        (rr_packet([1024]), 111.5 + 2 * 1.0 + 2.9 + 3.1),
        "reconnect",
        (rr_packet([1030, 1040]), 140.0),
        (encode(70, rr_raw=[1000]), 141.0),  # contact not supported: not a gap
    ]
    # The Python rule itself, not a copy of it: the sensor's own packet-to-beats step (it never
    # connects here, so its client factory is never called).
    sensor = BleHeartRateSensor("AA:BB:CC:DD:EE:FF", client_factory=lambda *_: None)  # type: ignore[arg-type]
    expected: list[dict[str, Any]] = []
    for item in script:
        if isinstance(item, str):
            sensor._pending_gap = True  # what the Python sensor does on _Dropped/_Reconnected
            continue
        packet, wall_s = item
        for beat in sensor._beats_from(_Packet(bytes(packet), wall_s)):
            expected.append(
                {
                    "t_s": beat.t_s,
                    "rr_ms": beat.rr_ms,
                    "hr_bpm": beat.hr_bpm,
                    "gap_before": beat.gap_before,
                }
            )
    got = page.evaluate(
        """(script) => {
          const timeline = window.VagusStrap.makeTimeline();
          const beats = [];
          for (const item of script) {
            if (item === "reconnect") { timeline.markGap(); continue; }
            const m = window.VagusStrap.parseHeartRate(item[0]);  // an array of bytes works too
            beats.push(...timeline.add(m, item[1]));
          }
          return beats;
        }""",
        script,
    )
    assert got == expected
    assert [b["gap_before"] for b in got] == [
        False, False, False, False, True, False, True, False, True, True, False, False,
    ]  # fmt: skip


def test_supported_needs_web_bluetooth(js_page: Page, shared_server: Server) -> None:
    page = js_page
    page.add_init_script(NO_BLUETOOTH)
    load_strap_js(page, shared_server)
    assert page.evaluate("() => window.isSecureContext") is True
    assert page.evaluate("() => window.VagusStrap.supported()") is False
    result = page.evaluate(
        """async () => {
          const statuses = [];
          try {
            await window.VagusStrap.connect({ csrf: "", onStatus: (k, d) => statuses.push(k) });
            return { statuses, rejected: false };
          } catch (e) {
            return { statuses, rejected: true };
          }
        }"""
    )
    assert result == {"statuses": ["unsupported"], "rejected": True}


def test_fake_strap_beats_reach_the_journal(page: Page, server: Server) -> None:
    """Notifications -> batches POSTed about once a second -> the journal, and onUpdate fires
    with the server's HRV; a failed post and a post whose answer was lost are retried without
    storing a beat twice; lost contact, an out-of-range RR and a reconnect mark gaps."""
    posts: list[dict[str, Any]] = []
    plan = {"fail_next": 0, "lose_answer_next": 0}

    def on_beats(route: Route, request: Request) -> None:
        body = request.post_data_json or {}
        if plan["fail_next"]:
            plan["fail_next"] -= 1
            route.abort()  # never reached the server
            return
        if plan["lose_answer_next"]:
            plan["lose_answer_next"] -= 1
            route.fetch()  # the server stores it ...
            posts.append(body)
            route.abort()  # ... but the browser never hears back
            return
        posts.append(body)
        route.continue_()

    page.route("**/api/live/browser/*/beats*", on_beats)
    page.add_init_script(FAKE_BLUETOOTH)
    load_strap_js(page, server)
    assert page.evaluate("() => window.VagusStrap.supported()") is True
    started = page.evaluate(CONNECT)
    recording_id = started["recordingId"]
    assert started["battery"] == BATTERY_PERCENT
    assert started["requested"] == {
        "filters": [{"services": ["heart_rate"]}],
        "optionalServices": ["battery_service"],
    }
    statuses = page.evaluate("() => window.__statuses")
    assert statuses[0] == ["connecting", None]
    assert statuses[-1] == ["connected", STRAP_NAME]

    raw = [1024, 1000, 980, 1010, 990, 1020, 1005, 995]  # 1/1024 s
    emit = "(bytes) => window.__fakeStrap.emit(bytes)"
    page.evaluate(emit, rr_packet(raw[:2]))
    page.evaluate(emit, rr_packet(raw[2:3]))
    wait_for(page, "() => window.__updates.length", lambda n: n == 3, "first updates")

    # A post that fails, then one whose answer is lost: both retried, nothing stored twice.
    plan["fail_next"] = 1
    page.evaluate(emit, rr_packet(raw[3:4]))
    wait_for(page, "() => window.__updates.length", lambda n: n == 4, "after a failed post")
    plan["lose_answer_next"] = 1
    page.evaluate(emit, rr_packet(raw[4:5]))
    wait_for(page, "() => window.__updates.length", lambda n: n == 5, "after a lost answer")

    # Lost contact: its RR is dropped, and the next beat follows a gap.
    page.evaluate(emit, rr_packet([900], contact=False))
    page.evaluate(emit, rr_packet(raw[5:6]))
    # An RR of 150 ms (154/1024 s) is not a heartbeat: left out, the next beat follows a gap.
    page.evaluate(emit, rr_packet([154, raw[6]]))
    wait_for(page, "() => window.__updates.length", lambda n: n == 7, "after the gaps")

    # The strap drops: strap.js reconnects by itself, and the next beat follows a gap.
    page.evaluate("() => window.__fakeStrap.drop()")
    wait_for(
        page,
        "() => window.__fakeStrap.notifying && window.__fakeStrap.connects",
        lambda n: n == 3,  # the first connect, the subscription, the reconnection
        "reconnected",
    )
    page.evaluate(emit, rr_packet(raw[7:8]))
    wait_for(page, "() => window.__updates.length", lambda n: n == 8, "after the reconnect")
    # A minute more, so the measurement is long enough to keep.
    emit_all(page, FILL_RAW)
    sent_raw = raw + FILL_RAW
    wait_for(page, "() => window.__updates.length", lambda n: n == len(sent_raw), "a minute more")

    summary = page.evaluate("() => window.__strapCtl.stop()")
    assert summary["recording_id"] == recording_id
    assert summary["n_beats"] == len(sent_raw)
    assert not summary.get("discarded")
    assert page.evaluate("() => window.__fakeStrap.notifying") is False
    statuses = [key for key, _ in page.evaluate("() => window.__statuses")]
    assert "reconnecting" in statuses
    assert statuses[-1] == "disconnected"

    # The journal holds every beat once, in order, exactly as the strap sent it: a measurement
    # the person started (no session), so not tagged as the web player's live stream.
    rr_ms = [value * 1000 / 1024 for value in sent_raw]
    stored = fetch_json(f"{server.url}/api/measurements/{recording_id}")
    assert stored["rr_ms"] == rr_ms
    assert stored["source"] == f"{STRAP_NAME} (browser)"
    assert BROWSER_TAG in stored["tags"]
    assert LIVE_TAG not in stored["tags"]
    assert stored["ended_at"] is not None

    # onUpdate got the server's events, the same fields as the server-sent "beat" events.
    updates = page.evaluate("() => window.__updates")
    assert [u["n_beats"] for u in updates] == list(range(1, len(sent_raw) + 1))
    for update in updates:
        assert tuple(update) == EVENT_FIELDS
    assert updates[0]["heart_rate_bpm"] == pytest.approx(60000 / rr_ms[0])
    assert all(u["heart_rate_bpm"] is not None for u in updates)

    # On the wire: each post continues where the acknowledged ones ended (seq), the repeat
    # after the lost answer carries the same seq, and the gaps are marked.
    sent = [(post["seq"], [b["rr_ms"] for b in post["beats"]]) for post in posts]
    assert sent[-1][0] + len(sent[-1][1]) == len(sent_raw)
    seqs = [seq for seq, _ in sent]
    assert seqs == sorted(seqs)
    assert len(seqs) == len(set(seqs)) + 1  # exactly one repeat: the lost answer's
    flags = {}
    for post in posts:
        for index, beat in enumerate(post["beats"]):
            flags[post["seq"] + index] = beat["gap_before"]
    assert [flags[i] for i in range(len(sent_raw))] == [
        False, False, False, False, False, True, True, True, *[False] * len(FILL_RAW),
    ]  # fmt: skip
    beats_seen = page.evaluate("() => window.__beats")
    assert [b["rr_ms"] for b in beats_seen] == [*rr_ms[:6], 154 * 1000 / 1024, *rr_ms[6:]]


def test_a_recording_finished_by_the_server_continues_in_a_new_one(
    page: Page, server: Server
) -> None:
    page.add_init_script(FAKE_BLUETOOTH)
    load_strap_js(page, server)
    first = page.evaluate(CONNECT)["recordingId"]
    emit = "(bytes) => window.__fakeStrap.emit(bytes)"
    # A minute of beats: long enough for the app to keep it as a measurement.
    emit_all(page, FILL_RAW)
    n_first = len(FILL_RAW)
    wait_for(page, "() => window.__updates.length", lambda n: n == n_first, "first updates")
    # The server finishes it (as it does after 10 minutes without a post).
    finished = page.evaluate(
        """async (id) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
          const r = await fetch("/api/live/browser/" + id + "/finish",
            { method: "POST", headers: { "X-Vagus-CSRF": csrf } });
          return r.status;
        }""",
        first,
    )
    assert finished == 200
    page.evaluate(emit, rr_packet([1020]))
    second = wait_for(
        page, "() => window.__strapCtl.recordingId", lambda rid: rid != first, "a new recording"
    )
    wait_for(page, "() => window.__updates.length", lambda n: n == n_first + 1, "the beat after")
    summary = page.evaluate("() => window.__strapCtl.stop()")
    assert fetch_json(f"{server.url}/api/measurements/{first}")["rr_ms"] == [
        value * 1000 / 1024 for value in FILL_RAW
    ]
    # The one beat after is a measurement of a second: too short to keep, so discarded.
    assert summary["recording_id"] == second
    assert summary["n_beats"] == 1
    assert summary["discarded"] is True
