"""BleHeartRateSensor and scan() against a fake bleak client and scanner at the library boundary.

There is no Bluetooth hardware here. The fakes implement the part of bleak's API that ble.py
uses (``BleakScanner.discover`` / ``find_device_by_filter``; ``BleakClient.connect``,
``disconnect``, ``read_gatt_char``, ``write_gatt_char``, ``start_notify``, ``stop_notify``,
``services``, ``is_connected`` and the ``disconnected_callback``) and use bleak's real
``BLEDevice``, ``AdvertisementData`` and exception classes. Time between reconnection attempts
comes from a fake clock that only the fake sleep advances, so no test sleeps for real and the
reconnection schedule is exact. Times of beats are compared exactly where they are sums of
exactly representable numbers (RR values in 1/1024 s, whole-second clock readings).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakCharacteristicNotFoundError,
    BleakError,
)

from vagus.devices import Beat, Sensor, SensorError, SensorInfo, gatt, pmd
from vagus.devices.ble import BleHeartRateSensor, BleSensorError, scan

HR_SERVICE = gatt.HEART_RATE_SERVICE_UUID
HRM = gatt.HEART_RATE_MEASUREMENT_UUID
BATTERY = gatt.BATTERY_LEVEL_UUID
PMD_CP, PMD_DATA = pmd.PMD_CONTROL_POINT_UUID, pmd.PMD_DATA_UUID


# --- Packets --------------------------------------------------------------------------------------
def hrm(hr: int, rr_raw: list[int] = (), *, energy: int | None = None, contact: bool | None = None,
        hr16: bool = False) -> bytes:  # fmt: skip
    """A Heart Rate Measurement packet (HRS 3.1), built byte by byte."""
    flags = (0x01 if hr16 else 0) | (0x08 if energy is not None else 0) | (0x10 if rr_raw else 0)
    if contact is not None:
        flags |= 0x04 | (0x02 if contact else 0)
    out = bytes([flags]) + hr.to_bytes(2 if hr16 else 1, "little")
    if energy is not None:
        out += energy.to_bytes(2, "little")
    return out + b"".join(v.to_bytes(2, "little") for v in rr_raw)


def rr_ms(raw: int) -> float:
    return raw * 1000 / 1024


def ecg_frame(timestamp_ns: int, samples: list[int]) -> bytes:
    body = b"".join(s.to_bytes(3, "little", signed=True) for s in samples)
    return bytes([0]) + timestamp_ns.to_bytes(8, "little") + bytes([0]) + body


# --- Fakes ----------------------------------------------------------------------------------------
def advertised(
    address: str,
    name: str | None,
    uuids: list[str] | None = None,
    rssi: int = -60,
) -> tuple[BLEDevice, AdvertisementData]:
    device = BLEDevice(address, name, details=None)
    adv = AdvertisementData(
        local_name=name,
        manufacturer_data={},
        service_data={},
        service_uuids=[HR_SERVICE] if uuids is None else uuids,
        tx_power=None,
        rssi=rssi,
        platform_data=(),
    )
    return device, adv


class FakeScanner:
    """BleakScanner's class methods, over a fixed list of advertisements."""

    def __init__(
        self, found: list[tuple[BLEDevice, AdvertisementData]], error: Exception | None = None
    ):
        self.found = found
        self.error = error
        self.calls: list[tuple[str, float, dict[str, Any]]] = []

    async def discover(self, timeout: float, *, return_adv: bool, **kwargs: Any) -> dict[str, Any]:
        assert return_adv
        self.calls.append(("discover", timeout, kwargs))
        if self.error:
            raise self.error
        return {device.address: (device, adv) for device, adv in self.found}

    async def find_device_by_filter(
        self, filterfunc: Callable[[Any, Any], bool], timeout: float, **kwargs: Any
    ) -> BLEDevice | None:
        self.calls.append(("find", timeout, kwargs))
        if self.error:
            raise self.error
        for device, adv in self.found:
            if filterfunc(device, adv):
                return device
        return None


class FakeServices:
    def __init__(self, uuids: set[str]):
        self.uuids = uuids

    def get_service(self, specifier: str) -> object | None:
        return object() if specifier in self.uuids else None


class FakeClient:
    """One BleakClient: records every call; the test drives notifications and drops."""

    def __init__(self, hub: FakeBle, device: BLEDevice, on_disconnect: Callable[[Any], None]):
        self.hub = hub
        self.device = device
        self.on_disconnect = on_disconnect
        self.connected = False
        self.callbacks: dict[str, Callable[[Any, bytearray], None]] = {}
        self.calls: list[Any] = []
        self.writes: list[tuple[str, bytes]] = []
        self.services = FakeServices(hub.services)

    @property
    def is_connected(self) -> bool:
        return self.connected

    async def connect(self) -> None:
        self.calls.append("connect")
        plan = self.hub.connect_plan.pop(0) if self.hub.connect_plan else "ok"
        if plan == "hang":
            await asyncio.Event().wait()  # a strap that never answers
        if isinstance(plan, BaseException):
            raise plan
        self.connected = True

    async def disconnect(self) -> None:
        self.calls.append("disconnect")
        was_connected, self.connected = self.connected, False
        if was_connected:
            self.on_disconnect(self)  # bleak calls it for our own disconnect too

    async def read_gatt_char(self, uuid: str) -> bytearray:
        self.calls.append(("read", uuid))
        if uuid == BATTERY and self.hub.battery is not None:
            return bytearray(self.hub.battery)
        if uuid == PMD_CP and PMD_CP in self.hub.pmd_chars:
            return bytearray(self.hub.pmd_features)
        raise BleakCharacteristicNotFoundError(uuid)

    async def write_gatt_char(self, uuid: str, data: bytes, response: bool) -> None:
        self.calls.append(("write", uuid, bytes(data)))
        self.writes.append((uuid, bytes(data)))
        if uuid == PMD_CP:
            answer = self.hub.pmd_answer(bytes(data))
            if answer is not None and PMD_CP in self.callbacks:
                # An indication arrives after the write completes, as on a real strap.
                asyncio.get_running_loop().call_soon(self.notify, PMD_CP, answer)

    async def start_notify(self, uuid: str, callback: Callable[[Any, bytearray], None]) -> None:
        self.calls.append(("start_notify", uuid))
        if not self.connected:
            raise BleakError("Not connected")
        self.callbacks[uuid] = callback

    async def stop_notify(self, uuid: str) -> None:
        self.calls.append(("stop_notify", uuid))
        self.callbacks.pop(uuid, None)

    # Test controls.
    def notify(self, uuid: str, data: bytes) -> None:
        self.callbacks[uuid](object(), bytearray(data))

    def drop(self) -> None:
        self.connected = False
        self.callbacks.clear()
        self.on_disconnect(self)


class FakeBle:
    """The strap's side: what it advertises and answers; every client made for it."""

    def __init__(
        self,
        found: list[tuple[BLEDevice, AdvertisementData]] | None = None,
        *,
        battery: bytes | None = b"\x5a",
        pmd_service: bool = False,
        start_status: int = 0,
    ):
        self.scanner = FakeScanner(found if found is not None else [advertised("AA:01", "TICKR X")])
        self.battery = battery
        self.services = {HR_SERVICE, gatt.BATTERY_SERVICE_UUID}
        self.pmd_chars: set[str] = set()
        if pmd_service:
            self.services.add(pmd.PMD_SERVICE_UUID)
            self.pmd_chars = {PMD_CP, PMD_DATA}
        self.pmd_features = bytes([0x0F, 0x05, 0x00])  # ECG and ACC
        self.start_status = start_status
        self.connect_plan: list[Any] = []
        self.clients: list[FakeClient] = []

    def factory(self, device: BLEDevice, on_disconnect: Callable[[Any], None]) -> FakeClient:
        client = FakeClient(self, device, on_disconnect)
        self.clients.append(client)
        return client

    def pmd_answer(self, request: bytes) -> bytes | None:
        op, kind = request[0], request[1]
        if op == pmd.OP_GET_MEASUREMENT_SETTINGS:
            return bytes([0xF0, op, kind, 0x00, 0x00]) + bytes.fromhex("00 01 82 00 01 01 0E 00")
        if op == pmd.OP_REQUEST_MEASUREMENT_START:
            return bytes([0xF0, op, kind, self.start_status, 0x00])
        return bytes([0xF0, op, kind, 0x00, 0x00])

    @property
    def client(self) -> FakeClient:
        return self.clients[-1]


class FakeClock:
    """A monotonic clock that only moves when told to, or when the fake sleep sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_sensor(hub: FakeBle, clock: FakeClock | None = None, **options: Any) -> BleHeartRateSensor:
    clock = clock or FakeClock()
    return BleHeartRateSensor(
        options.pop("address", None),
        client_factory=hub.factory,
        scanner=hub.scanner,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


async def wait_until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (no real sleeping)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def take(beats: AsyncIterator[Beat], n: int) -> list[Beat]:
    # The 5 s bound is only a guard against a hanging test, not a timing assertion.
    return [await asyncio.wait_for(anext(beats), 5) for _ in range(n)]


def subscribed(client: FakeClient) -> bool:
    return HRM in client.callbacks


# --- Discovery ------------------------------------------------------------------------------------
async def test_scan_finds_heart_rate_devices_by_service_whatever_their_name() -> None:
    scanner = FakeScanner(
        [
            advertised("AA:01", "TICKR X", rssi=-70),
            advertised("AA:02", "HRM-Pro", ["180D"], rssi=-50),  # 16-bit form
            advertised("AA:03", "", [HR_SERVICE.upper()], rssi=-60),
            advertised("AA:04", None, [gatt.BATTERY_SERVICE_UUID, HR_SERVICE], rssi=-80),
            # Named like a strap, but no Heart Rate service in the advertisement: not listed.
            advertised("AA:05", "Polar H10 12345678", [gatt.BATTERY_SERVICE_UUID], rssi=-40),
            advertised("AA:06", "Decathlon Dual HR", [], rssi=-45),
        ]
    )
    found = await scan(3.0, scanner=scanner)
    # Strongest first; a device without a name is listed under its address.
    assert [(s.name, s.address) for s in found] == [
        ("HRM-Pro", "AA:02"),
        ("AA:03", "AA:03"),
        ("TICKR X", "AA:01"),
        ("AA:04", "AA:04"),
    ]
    assert {s.kind for s in found} == {"ble"}
    assert scanner.calls == [("discover", 3.0, {"service_uuids": [HR_SERVICE]})]


@pytest.mark.parametrize(
    "error",
    [
        BleakError("No Bluetooth adapters found."),
        FileNotFoundError(2, "No such file or directory"),  # no D-Bus socket (this machine)
        BleakBluetoothNotAvailableError(
            "Bluetooth is turned off", BleakBluetoothNotAvailableReason.POWERED_OFF
        ),
    ],
    ids=["no-adapter", "no-dbus", "powered-off"],
)
async def test_scan_without_bluetooth_is_a_clear_sensor_error(error: Exception) -> None:
    with pytest.raises(BleSensorError, match="Bluetooth is not available on this computer") as info:
        await scan(1.0, scanner=FakeScanner([], error=error))
    assert info.value.reason == "no_bluetooth"
    assert isinstance(info.value, SensorError)
    assert "replay or simulated sensor" in str(info.value)


async def test_scan_other_stack_failure() -> None:
    with pytest.raises(
        BleSensorError, match="Scanning for heart-rate sensors failed: boom"
    ) as info:
        await scan(1.0, scanner=FakeScanner([], error=BleakError("boom")))
    assert info.value.reason == "scan_failed"


async def test_real_bleak_on_this_machine_gives_a_list_or_a_sensor_error() -> None:
    """The real stack: without an adapter (as here) a SensorError, never another exception."""
    outcome: list[SensorInfo] | BleSensorError
    try:
        outcome = await scan(0.2)
    except BleSensorError as error:
        outcome = error
    if isinstance(outcome, BleSensorError):
        assert outcome.reason in ("no_bluetooth", "scan_failed")
    else:
        assert all(info.kind == "ble" for info in outcome)


async def test_real_bleak_sensor_on_this_machine_fails_with_a_sensor_error() -> None:
    """Opening the real stack: here (no adapter) a SensorError, never a hang or another error."""
    error: BleSensorError | None = None
    try:
        async with BleHeartRateSensor(find_timeout_s=0.2, connect_timeout_s=1.0) as strap:
            assert strap.info.kind == "ble"  # only with a strap nearby
    except BleSensorError as raised:
        error = raised
    if error is not None:
        assert error.reason in ("no_bluetooth", "scan_failed", "not_found", "connect_timeout")


def test_importing_ble_does_not_import_bleak() -> None:
    code = "import sys, vagus.devices.ble; print('bleak' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


# --- Connecting -----------------------------------------------------------------------------------
def test_is_a_sensor_and_has_info_before_connecting() -> None:
    strap = BleHeartRateSensor("AA:BB:CC:DD:EE:FF")
    assert isinstance(strap, Sensor)
    assert strap.info.kind == "ble"
    assert strap.info.address == "AA:BB:CC:DD:EE:FF"
    assert strap.info.battery_percent is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_reconnect_s": 0}, "max_reconnect_s"),
        ({"connect_timeout_s": -1}, "connect_timeout_s"),
        ({"backoff_s": ()}, "backoff_s"),
        ({"backoff_s": (1.0, -1.0)}, "backoff_s"),
    ],
)
def test_refuses_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BleHeartRateSensor(**options)


async def test_connects_to_first_heart_rate_device_reads_battery_and_subscribes() -> None:
    hub = FakeBle(
        [
            advertised("AA:09", "Polar H10 0000", [gatt.BATTERY_SERVICE_UUID]),  # not a HR device
            advertised("AA:01", "TICKR X"),
        ]
    )
    async with make_sensor(hub) as strap:
        assert strap.info.name == "TICKR X"
        assert strap.info.address == "AA:01"
        assert strap.info.battery_percent == 90  # 0x5A
        assert hub.client.device.address == "AA:01"
        assert hub.client.calls[:3] == ["connect", ("read", BATTERY), ("start_notify", HRM)]
        assert not strap.has_ecg
    assert hub.scanner.calls[0][2] == {"service_uuids": [HR_SERVICE]}


async def test_address_is_matched_case_insensitively_without_a_service_filter() -> None:
    hub = FakeBle([advertised("AA:01", "TICKR X"), advertised("C0:FF:EE:00:00:01", None, [])])
    async with make_sensor(hub, address="c0:ff:ee:00:00:01") as strap:
        assert strap.info.address == "C0:FF:EE:00:00:01"
        assert strap.info.name == "C0:FF:EE:00:00:01"
    assert hub.scanner.calls[0][2] == {}


async def test_battery_level_missing_or_invalid_is_none() -> None:
    for battery in (None, b"\xff"):
        hub = FakeBle(battery=battery)
        async with make_sensor(hub) as strap:
            assert strap.info.battery_percent is None


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (None, r"No Bluetooth heart-rate sensor was found within 0\.5 s"),
        ("AA:77", r"No heart-rate sensor with address AA:77 was found within 0\.5 s"),
    ],
)
async def test_not_found(address: str | None, message: str) -> None:
    hub = FakeBle([advertised("AA:05", "Polar H10", [gatt.BATTERY_SERVICE_UUID])])
    with pytest.raises(BleSensorError, match=message) as info:
        async with make_sensor(hub, address=address, find_timeout_s=0.5):
            pass
    assert info.value.reason == "not_found"
    assert hub.clients == []


async def test_connect_timeout_is_an_error_not_a_hang() -> None:
    hub = FakeBle()
    hub.connect_plan = ["hang"]
    with pytest.raises(BleSensorError, match=r"Could not connect to TICKR X \(AA:01\)") as info:
        async with make_sensor(hub, connect_timeout_s=0.05):
            pass
    assert info.value.reason == "connect_timeout"
    assert "no other app" in str(info.value)
    assert hub.client.calls[-1] == "disconnect"  # the half-open attempt is cleaned up


@pytest.mark.parametrize(
    ("error", "reason", "message"),
    [
        (BleakError("No Bluetooth adapters found."), "no_bluetooth", "not available"),
        (PermissionError(13, "Permission denied"), "no_bluetooth", "not available"),
        (BleakError("Device with address AA:01 was not found."), "connect_failed", "not found"),
    ],
)
async def test_connect_errors(error: Exception, reason: str, message: str) -> None:
    hub = FakeBle()
    hub.connect_plan = [error]
    with pytest.raises(BleSensorError, match=message) as info:
        async with make_sensor(hub):
            pass
    assert info.value.reason == reason


async def test_cancelled_while_connecting_still_disconnects() -> None:
    hub = FakeBle()
    hub.connect_plan = ["hang"]

    async def open_it() -> None:
        async with make_sensor(hub):
            pass

    task = asyncio.create_task(open_it())
    await wait_until(lambda: bool(hub.clients) and "connect" in hub.client.calls)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.client.calls[-1] == "disconnect"


async def test_beats_outside_async_with_is_an_error() -> None:
    with pytest.raises(BleSensorError, match="Open the sensor first"):
        await anext(make_sensor(FakeBle()).beats())


# --- The beat stream ------------------------------------------------------------------------------
async def test_normal_stream_gives_the_right_beats_and_rr() -> None:
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock) as strap:
        beats = strap.beats()
        clock.now = 1.0
        hub.client.notify(HRM, hrm(60, [1024]))
        clock.now = 2.0
        # Energy expended + two RR values: polar-python would report a fake 293 ms here.
        hub.client.notify(HRM, hrm(72, [820, 840], energy=300, contact=True))
        clock.now = 3.0
        hub.client.notify(HRM, hrm(75, [800], hr16=True))
        got = await take(beats, 4)
    t1 = rr_ms(1024) / 1000
    t2 = t1 + rr_ms(820) / 1000
    t3 = t2 + rr_ms(840) / 1000
    t4 = t3 + rr_ms(800) / 1000
    assert got == [
        Beat(t_s=t1, rr_ms=1000.0, hr_bpm=60.0, gap_before=False),
        Beat(t_s=t2, rr_ms=rr_ms(820), hr_bpm=72.0, gap_before=False),
        Beat(t_s=t3, rr_ms=rr_ms(840), hr_bpm=72.0, gap_before=False),
        Beat(t_s=t4, rr_ms=rr_ms(800), hr_bpm=75.0, gap_before=False),
    ]
    assert all(abs(beat.rr_ms - 300 / 1.024) > 100 for beat in got)
    assert hub.client.connected is False


async def test_heart_rate_zero_is_reported_as_none() -> None:
    hub = FakeBle()
    async with make_sensor(hub) as strap:
        hub.client.notify(HRM, hrm(0, [1000]))
        (beat,) = await take(strap.beats(), 1)
    assert beat.hr_bpm is None


async def test_packets_without_rr_at_a_slow_heart_are_not_gaps() -> None:
    """48 bpm with a packet a second: every fifth second has no beat, yet nothing is lost."""
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock) as strap:
        beats = strap.beats()
        clock.now = 1.0
        hub.client.notify(HRM, hrm(48, [1280]))  # 1250 ms
        clock.now = 2.0
        hub.client.notify(HRM, hrm(48))  # no beat this second
        clock.now = 3.0
        hub.client.notify(HRM, hrm(48, [1280]))
        first, second = await take(beats, 2)
    assert second.gap_before is False
    assert second.t_s == first.t_s + 1.25


async def test_a_silence_longer_than_any_rr_is_a_gap_and_time_jumps_by_the_wall_clock() -> None:
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock) as strap:
        beats = strap.beats()
        clock.now = 1.0
        hub.client.notify(HRM, hrm(60, [1024]))
        for second in range(2, 10):  # heart rate only: the strap measures no RR
            clock.now = float(second)
            hub.client.notify(HRM, hrm(60))
        clock.now = 10.0
        hub.client.notify(HRM, hrm(60, [1024, 1024]))
        first, after, next_one = await take(beats, 3)
    assert (after.gap_before, next_one.gap_before) == (True, False)
    # 9 s of wall clock passed between the packets; the new packet's last beat lands 9 s later.
    assert next_one.t_s == first.t_s + 9.0
    assert after.t_s == first.t_s + 8.0
    assert after.rr_ms == 1000.0  # the RR itself is kept exactly


async def test_lost_contact_drops_its_rr_and_marks_a_gap() -> None:
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock) as strap:
        beats = strap.beats()
        clock.now = 1.0
        hub.client.notify(HRM, hrm(60, [1024], contact=True))
        clock.now = 2.0
        hub.client.notify(HRM, hrm(60, [1024], contact=False))
        clock.now = 3.0
        hub.client.notify(HRM, hrm(60, [1024], contact=True))
        first, after = await take(beats, 2)
    assert after.gap_before is True
    assert after.t_s == first.t_s + 2.0  # wall clock: 2 s since the last beat's packet


async def test_malformed_packets_are_counted_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = FakeBle()
    caplog.set_level(logging.WARNING, logger="vagus.devices.ble")
    async with make_sensor(hub) as strap:
        hub.client.notify(HRM, b"")
        hub.client.notify(HRM, bytes([0x10, 70, 0x00, 0x04, 0x01]))  # 3 RR bytes
        hub.client.notify(HRM, bytes([0x08, 70]))  # energy announced, missing
        hub.client.notify(HRM, hrm(70, [1024]))
        (beat,) = await take(strap.beats(), 1)
        assert strap.malformed_packets == 3
    assert beat.rr_ms == 1000.0
    assert "malformed heart-rate packet" in caplog.text
    assert "3 RR bytes" in caplog.text


# --- Drops and reconnection -----------------------------------------------------------------------
async def test_drop_then_reconnect_marks_the_gap_and_the_stream_continues() -> None:
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock, backoff_s=(1.0,)) as strap:
        beats = strap.beats()
        first_client = hub.client
        clock.now = 1.0
        first_client.notify(HRM, hrm(60, [1024]))
        (before,) = await take(beats, 1)
        first_client.drop()
        await wait_until(lambda: len(hub.clients) == 2 and subscribed(hub.clients[1]))
        assert clock.sleeps == [1.0]
        clock.now = 6.0
        hub.client.notify(HRM, hrm(60, [1024, 1024]))
        after, next_one = await take(beats, 2)
        assert strap.reconnects == 1
        assert strap.info.battery_percent == 90
    assert (after.gap_before, next_one.gap_before) == (True, False)
    # 5 s of wall clock between the packets: the last new beat is 5 s after the last old one.
    assert next_one.t_s == before.t_s + 5.0
    assert after.t_s == before.t_s + 4.0
    assert hub.clients[1].calls[-1] == "disconnect"


async def test_a_late_disconnect_callback_of_the_old_client_is_ignored() -> None:
    hub, clock = FakeBle(), FakeClock()
    async with make_sensor(hub, clock, backoff_s=(1.0,)) as strap:
        beats = strap.beats()
        old = hub.client
        old.drop()
        await wait_until(lambda: len(hub.clients) == 2 and subscribed(hub.clients[1]))
        old.on_disconnect(old)  # some stacks report a drop twice
        for _ in range(50):
            await asyncio.sleep(0)
        clock.now = 1.5
        hub.client.notify(HRM, hrm(60, [1024]))
        clock.now = 2.5
        hub.client.notify(HRM, hrm(60, [1024]))
        first, second = await take(beats, 2)
    assert len(hub.clients) == 2
    assert strap.reconnects == 1
    assert (first.gap_before, second.gap_before) == (False, False)  # nothing before the first


async def test_a_failed_attempt_is_retried_with_backoff() -> None:
    hub, clock = FakeBle(), FakeClock()
    hub.connect_plan = ["ok", BleakError("le-connection-abort-by-local")]
    async with make_sensor(hub, clock, backoff_s=(0.5, 2.0)) as strap:
        beats = strap.beats()
        hub.client.drop()
        await wait_until(lambda: len(hub.clients) == 3 and subscribed(hub.clients[2]))
        assert clock.sleeps == [0.5, 2.0]
        assert hub.clients[1].calls == ["connect", "disconnect"]  # the failed attempt, cleaned
        clock.now += 1.0
        hub.client.notify(HRM, hrm(60, [1024]))
        (beat,) = await take(beats, 1)
    assert strap.reconnects == 1
    assert beat.rr_ms == 1000.0


async def test_gives_up_after_the_bound() -> None:
    hub, clock = FakeBle(), FakeClock()
    hub.connect_plan = ["ok"] + [BleakError("Device with address AA:01 was not found.")] * 10
    async with make_sensor(hub, clock, backoff_s=(1.0, 2.0, 4.0), max_reconnect_s=10.0) as strap:
        beats = strap.beats()
        clock.now = 1.0
        hub.client.notify(HRM, hrm(60, [1024]))
        (beat,) = await take(beats, 1)
        hub.client.drop()
        with pytest.raises(BleSensorError, match="could not reconnect within 10 s") as info:
            await take(beats, 1)
    assert info.value.reason == "gave_up"
    assert "was not found" in str(info.value)  # the last error is named
    # Attempts after waits of 1, 2 and 4 s (at 1, 3 and 7 s); a further 4 s wait would pass 10 s.
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert sum(c.calls.count("connect") for c in hub.clients) == 1 + 3
    assert beat.rr_ms == 1000.0


async def test_without_reconnect_a_drop_ends_the_stream_with_an_error() -> None:
    hub = FakeBle()
    async with make_sensor(hub, reconnect=False) as strap:
        beats = strap.beats()
        hub.client.drop()
        with pytest.raises(BleSensorError, match="Lost the connection to TICKR X") as info:
            await take(beats, 1)
    assert info.value.reason == "connection_lost"
    assert len(hub.clients) == 1


# --- Always clean up ------------------------------------------------------------------------------
async def test_exit_stops_notifications_then_disconnects() -> None:
    hub = FakeBle()
    async with make_sensor(hub):
        pass
    calls = hub.client.calls
    assert calls[-2:] == [("stop_notify", HRM), "disconnect"]


async def test_exit_when_the_consumer_is_cancelled() -> None:
    hub = FakeBle()
    got: list[Beat] = []

    async def consume() -> None:
        async with make_sensor(hub) as strap:
            async for beat in strap.beats():
                got.append(beat)

    task = asyncio.create_task(consume())
    await wait_until(lambda: bool(hub.clients) and subscribed(hub.client))
    hub.client.notify(HRM, hrm(60, [1024]))
    await wait_until(lambda: len(got) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.client.calls[-2:] == [("stop_notify", HRM), "disconnect"]
    assert not hub.client.connected


async def test_exit_on_an_error_in_the_body() -> None:
    hub = FakeBle()
    with pytest.raises(ZeroDivisionError):
        async with make_sensor(hub):
            1 / 0  # noqa: B018
    assert hub.client.calls[-2:] == [("stop_notify", HRM), "disconnect"]


async def test_exit_during_reconnection_cancels_it_and_disconnects() -> None:
    hub, clock = FakeBle(), FakeClock()
    hub.connect_plan = ["ok", "hang"]
    async with make_sensor(hub, clock, backoff_s=(0.0,)) as strap:
        hub.client.drop()
        await wait_until(lambda: len(hub.clients) == 2 and "connect" in hub.clients[1].calls)
        assert strap.reconnects == 0
    assert hub.clients[1].calls[-1] == "disconnect"


async def test_exit_survives_failing_cleanup_steps() -> None:
    hub = FakeBle()
    async with make_sensor(hub):

        async def broken(uuid: str) -> None:
            raise BleakError("stop_notify failed")

        hub.client.stop_notify = broken  # type: ignore[method-assign]
    assert hub.client.calls[-1] == "disconnect"


# --- Raw ECG (Polar PMD) --------------------------------------------------------------------------
async def test_ecg_stream_starts_yields_frames_and_stops() -> None:
    hub = FakeBle(pmd_service=True)
    async with make_sensor(hub) as strap:
        assert strap.has_ecg
        frames = strap.ecg_samples()
        first = asyncio.ensure_future(anext(frames))
        await wait_until(lambda: len(hub.client.writes) == 2)
        hub.client.notify(PMD_DATA, ecg_frame(2_000_000_000, [-32766, 32770, 5]))
        hub.client.notify(PMD_DATA, b"\x00\x01")  # malformed: counted and skipped
        hub.client.notify(PMD_DATA, ecg_frame(2_023_076_923, [7]))
        frame = await asyncio.wait_for(first, 5)
        second = await asyncio.wait_for(anext(frames), 5)
        await frames.aclose()
        assert strap.malformed_packets == 1
        writes = [data for uuid, data in hub.client.writes if uuid == PMD_CP]
        assert writes == [
            pmd.ECG_SETTINGS_REQUEST,
            bytes.fromhex("02 00 00 01 82 00 01 01 0e 00"),  # 130 Hz, 14 bit: what it offered
            pmd.ECG_STOP_REQUEST,
        ]
        assert ("stop_notify", PMD_DATA) in hub.client.calls
        assert ("stop_notify", PMD_CP) in hub.client.calls
    assert frame == pmd.EcgFrame(2_000_000_000, (-32766, 32770, 5))
    assert second.samples_uv == (7,)


async def test_ecg_is_stopped_on_exit_even_if_the_iterator_is_abandoned() -> None:
    hub = FakeBle(pmd_service=True)
    async with make_sensor(hub) as strap:
        frames = strap.ecg_samples()
        first = asyncio.ensure_future(anext(frames))
        await wait_until(lambda: len(hub.client.writes) == 2)
        hub.client.notify(PMD_DATA, ecg_frame(1_000_000_000, [1, 2, 3]))
        await asyncio.wait_for(first, 5)
    client = hub.client
    assert (PMD_CP, pmd.ECG_STOP_REQUEST) in client.writes
    assert client.calls[-1] == "disconnect"
    await frames.aclose()  # closing it afterwards is harmless


async def test_ecg_without_pmd_service() -> None:
    async with make_sensor(FakeBle()) as strap:
        with pytest.raises(BleSensorError, match="cannot stream ECG") as info:
            await anext(strap.ecg_samples())
    assert info.value.reason == "no_ecg"


async def test_ecg_refused_by_the_strap() -> None:
    hub = FakeBle(pmd_service=True, start_status=0x0C)
    async with make_sensor(hub) as strap:
        with pytest.raises(BleSensorError, match="refused to start ECG at 130 Hz: invalid state"):
            await asyncio.wait_for(anext(strap.ecg_samples()), 5)


async def test_ecg_stopped_by_the_strap_ends_the_stream() -> None:
    hub = FakeBle(pmd_service=True)
    async with make_sensor(hub) as strap:
        frames = strap.ecg_samples()
        first = asyncio.ensure_future(anext(frames))
        await wait_until(lambda: len(hub.client.writes) == 2)
        hub.client.notify(PMD_CP, bytes([0x01, 0x00]))  # "online measurement stopped": ECG
        with pytest.raises(BleSensorError, match="stopped the ECG stream"):
            await asyncio.wait_for(first, 5)
