"""Bluetooth LE heart-rate straps through bleak: discovery, a reconnecting Sensor, optional ECG.

This is the only module of vagus that imports bleak, and it does so inside functions, so that
``import vagus.devices.ble`` works on a computer without Bluetooth (or without a D-Bus).

What it does differently from the tools people use today:

- **Discovery by service, not by name.** :func:`scan` and :class:`BleHeartRateSensor` find every
  device that advertises the standard Heart Rate service (0x180D), whatever it is called
  ("TICKR X", "HRM-Pro", an empty name). OpenHRV only finds names containing "Polar" or
  "Decathlon".
- **No endless "Connecting".** Scanning, connecting and every GATT step have a timeout, and each
  failure is a :class:`BleSensorError` that says what to do.
- **Correct packets.** RR intervals come from
  :func:`vagus.devices.gatt.parse_heart_rate_measurement`, which follows the flags byte
  (polar-python does not: energy bytes become fake RR intervals).
  A malformed packet is counted, logged and skipped; it never ends the stream.
- **Drops are marked, not hidden.** After a drop the sensor reconnects by itself with back-off,
  within a bounded time, and :meth:`BleHeartRateSensor.beats` continues; the first beat after the
  drop has ``gap_before=True`` and its time jumps by the wall-clock time that passed.

Timeline of :class:`~vagus.devices.Beat`: ``t_s`` is the running sum of the strap's RR intervals
since the connection (the strap's own clock, exact), so that the time between two beats is
exactly the RR interval that ends the second. Across a gap the RR sum cannot know how long the
strap was away, so the time jumps by the host's monotonic clock instead: the first beat after a
gap is placed so that the time since the last beat before it is the wall-clock time that passed
(never less than its own RR intervals).

When is there a gap? After a drop or a reconnect; after a packet that reports no skin contact
(its RR values are dropped: without contact they are not heartbeats); and whenever the wall-clock
time from the packet of the last beat to a new packet exceeds the new packet's RR intervals by
more than the longest RR a heart produces (``MAX_RR_MS`` of vagus.hrv, 3 s), i.e. when at least
one beat must be missing. A packet with a heart rate but no RR is not by itself a gap: with
notifications once a second, a heart slower than 60 bpm has seconds without a beat, and the next
RR then still ends at the beat after the last one (Heart Rate Service v1.0, section 3.1: an RR
value is the time between two R-wave detections). Marking those packets as gaps would throw
away successive differences exactly for calm, slow hearts; a real loss behind them is caught by
the wall-clock rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, Protocol, Self, cast

from vagus.devices import gatt, pmd
from vagus.devices._sensor import Beat, SensorError, SensorInfo
from vagus.hrv._constants import MAX_RR_MS

_log = logging.getLogger(__name__)

# --- Timeouts and bounds (seconds) ----------------------------------------------------------------
#: How long :func:`scan` listens by default.
DEFAULT_SCAN_TIMEOUT_S: Final[float] = 5.0
#: How long the sensor looks for its strap before giving up (straps advertise every ~0.1-1 s).
DEFAULT_FIND_TIMEOUT_S: Final[float] = 10.0
#: Connecting, including service discovery. bleak's own default is 30 s; BlueZ usually needs
#: 1-5 s, so 20 s only fails for a strap that is not going to answer.
DEFAULT_CONNECT_TIMEOUT_S: Final[float] = 20.0
#: After a drop, keep trying to reconnect for this long, then give up with an error.
DEFAULT_MAX_RECONNECT_S: Final[float] = 60.0
#: Waits before successive reconnection attempts; the last one repeats.
DEFAULT_BACKOFF_S: Final[tuple[float, ...]] = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Any single GATT operation (read, subscribe, write, unsubscribe, disconnect).
GATT_TIMEOUT_S: Final[float] = 5.0
#: Extra time a scan may take beyond its own timeout before we call the stack hung.
SCAN_GRACE_S: Final[float] = 5.0
#: How long to wait for the PMD control point to answer a request.
PMD_RESPONSE_TIMEOUT_S: Final[float] = 5.0
MS_PER_S: Final[float] = 1000.0
#: Wall-clock time not accounted for by RR intervals beyond this means beats are missing: no
#: RR interval is longer (vagus.hrv: "longer values are dropouts or missed beats").
MAX_UNACCOUNTED_S: Final[float] = MAX_RR_MS / MS_PER_S

BleErrorReason = Literal[
    "no_bluetooth",
    "scan_failed",
    "not_found",
    "connect_timeout",
    "connect_failed",
    "connection_lost",
    "gave_up",
    "no_ecg",
    "ecg_failed",
    "not_open",
]


class BleSensorError(SensorError):
    """A Bluetooth problem a person can act on, with a stable ``reason`` for translations.

    >>> error = BleSensorError("not_found", "No heart-rate strap found.")
    >>> error.reason, str(error), isinstance(error, SensorError)
    ('not_found', 'No heart-rate strap found.', True)
    """

    def __init__(self, reason: BleErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason: BleErrorReason = reason


# --- The library boundary: what we use of bleak's client and scanner ------------------------------
NotifyCallback = Callable[[Any, bytearray], None]


class _Services(Protocol):
    def get_service(self, specifier: str, /) -> object | None: ...


class BleClient(Protocol):
    """What the sensor uses of :class:`bleak.BleakClient` (tests pass a fake with these)."""

    @property
    def is_connected(self) -> bool: ...

    @property
    def services(self) -> _Services: ...

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def read_gatt_char(self, char_specifier: str, /) -> bytearray: ...

    async def write_gatt_char(
        self, char_specifier: str, data: bytes, /, response: bool
    ) -> None: ...

    async def start_notify(self, char_specifier: str, callback: NotifyCallback, /) -> None: ...

    async def stop_notify(self, char_specifier: str, /) -> None: ...


#: ``client_factory(device, disconnected_callback) -> client``; bleak calls the callback with
#: the client when the connection ends.
ClientFactory = Callable[[Any, Callable[[Any], None]], BleClient]


class BleScanner(Protocol):
    """What the sensor uses of :class:`bleak.BleakScanner` (its class methods)."""

    async def discover(
        self, timeout: float, *, return_adv: Literal[True], **kwargs: Any
    ) -> dict[str, tuple[Any, Any]]: ...

    async def find_device_by_filter(
        self, filterfunc: Callable[[Any, Any], bool], timeout: float, **kwargs: Any
    ) -> Any | None: ...


def _bleak_scanner() -> BleScanner:
    try:
        from bleak import BleakScanner
    except ImportError as error:  # pragma: no cover - bleak is a dependency
        raise _no_bluetooth(error) from error
    return cast(BleScanner, BleakScanner)


def _bleak_client_factory(connect_timeout_s: float) -> ClientFactory:
    def factory(device: Any, on_disconnect: Callable[[Any], None]) -> BleClient:
        from bleak import BleakClient

        return cast(
            BleClient,
            BleakClient(device, disconnected_callback=on_disconnect, timeout=connect_timeout_s),
        )

    return factory


def _bleak_errors(*extra: type[Exception]) -> tuple[type[Exception], ...]:
    """The exceptions a Bluetooth stack raises, plus ``extra``.

    bleak's own, and OS errors (no D-Bus socket, drivers); OSError includes TimeoutError, so a
    step bounded by ``asyncio.timeout`` is covered too.
    """
    try:
        from bleak.exc import BleakError
    except ImportError:  # pragma: no cover - bleak is a dependency
        return (*extra, OSError)
    return (*extra, BleakError, OSError)


def _is_no_bluetooth(error: BaseException) -> bool:
    """Whether an error means "this computer has no usable Bluetooth" rather than "this strap"."""
    if isinstance(error, TimeoutError):  # a subclass of OSError, but about the strap
        return False
    if isinstance(error, (OSError, ImportError)):
        # No D-Bus socket (FileNotFoundError), no permission, no driver.
        return True
    try:
        from bleak.exc import BleakBluetoothNotAvailableError
    except ImportError:  # pragma: no cover - bleak is a dependency
        return False
    if isinstance(error, BleakBluetoothNotAvailableError):
        return True
    # BlueZ: "No Bluetooth adapters found."; bluetoothd not running: D-Bus ServiceUnknown ("The
    # name org.bluez was not provided by any .service files"); adapter off: ...Error.NotReady.
    text = " ".join(str(part) for part in error.args).lower()
    return any(
        marker in text
        for marker in ("adapter", "serviceunknown", "org.bluez was not provided", "notready")
    )


def _no_bluetooth(error: BaseException) -> BleSensorError:
    detail = str(error) or type(error).__name__
    return BleSensorError(
        "no_bluetooth",
        f"Bluetooth is not available on this computer ({detail}). Check that it has a "
        "Bluetooth adapter and that Bluetooth is switched on (on Linux: that the bluetooth "
        "service, BlueZ, is running). Without Bluetooth, use the replay or simulated sensor.",
    )


def _stack_error(error: BaseException, reason: BleErrorReason, doing: str) -> BleSensorError:
    if _is_no_bluetooth(error):
        return _no_bluetooth(error)
    detail = str(error) or type(error).__name__
    return BleSensorError(reason, f"{doing} failed: {detail}")


def advertises_heart_rate(advertisement: Any) -> bool:
    """Whether an advertisement lists the Heart Rate service (0x180D) among its service UUIDs.

    Parameters
    ----------
    advertisement : bleak.backends.scanner.AdvertisementData or alike
        Anything with a ``service_uuids`` list of 16-, 32- or 128-bit UUID strings.

    Returns
    -------
    bool

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> advertises_heart_rate(SimpleNamespace(service_uuids=["180D"]))
    True
    >>> advertises_heart_rate(SimpleNamespace(service_uuids=None))
    False
    """
    for uuid in getattr(advertisement, "service_uuids", None) or ():
        try:
            if gatt.normalize_uuid(str(uuid)) == gatt.HEART_RATE_SERVICE_UUID:
                return True
        except ValueError:
            continue
    return False


def _display_name(device: Any, advertisement: Any | None) -> str:
    """The advertised name, else the stack's name, else the address (a strap may have none)."""
    for name in (getattr(advertisement, "local_name", None), getattr(device, "name", None)):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return str(device.address)


async def scan(
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S, *, scanner: BleScanner | None = None
) -> list[SensorInfo]:
    """Every nearby device that advertises the Heart Rate service, strongest signal first.

    Devices are recognised by the service UUID 0x180D in their advertisement, never by name.

    Parameters
    ----------
    timeout_s : float
        How long to listen, in seconds.
    scanner : BleScanner, optional
        The scanner; :class:`bleak.BleakScanner` by default (tests pass a fake).

    Returns
    -------
    list of SensorInfo
        ``kind="ble"``; ``name`` is the advertised name, or the address for a device without one.

    Raises
    ------
    BleSensorError
        ``reason="no_bluetooth"`` when the computer has no usable Bluetooth, ``"scan_failed"``
        for another failure or a scan that does not end.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s: expected > 0 seconds, got {timeout_s}")
    active = scanner if scanner is not None else _bleak_scanner()
    try:
        async with asyncio.timeout(timeout_s + SCAN_GRACE_S):
            found = await active.discover(
                timeout=timeout_s, return_adv=True, service_uuids=[gatt.HEART_RATE_SERVICE_UUID]
            )
    except TimeoutError:
        raise BleSensorError(
            "scan_failed",
            f"The Bluetooth scan did not finish within {timeout_s + SCAN_GRACE_S:g} s.",
        ) from None
    except _bleak_errors() as error:
        raise _stack_error(error, "scan_failed", "Scanning for heart-rate sensors") from error
    # The service filter is passed to the stack, but not every backend applies it: check here.
    ranked = sorted(
        (
            (device, adv)
            for device, adv in found.values()
            if advertises_heart_rate(adv) and getattr(device, "address", None)
        ),
        key=lambda item: -(getattr(item[1], "rssi", None) or -1000),
    )
    return [
        SensorInfo(kind="ble", name=_display_name(device, adv), address=str(device.address))
        for device, adv in ranked
    ]


# --- Events from bleak's callbacks to the beats() stream ------------------------------------------
@dataclass(frozen=True)
class _Packet:
    data: bytes
    wall_s: float


@dataclass(frozen=True)
class _Dropped:
    wall_s: float


@dataclass(frozen=True)
class _Reconnected:
    pass


@dataclass(frozen=True)
class _Failed:
    error: SensorError


@dataclass(frozen=True)
class _Closed:
    pass


_Event = _Packet | _Dropped | _Reconnected | _Failed | _Closed
_EcgEvent = pmd.EcgFrame | _Failed | _Closed
_State = Literal["idle", "opening", "streaming", "reconnecting", "closed"]


class BleHeartRateSensor:
    """A Bluetooth LE heart-rate strap (any device with the Heart Rate service) as a Sensor.

    Use as ``async with BleHeartRateSensor() as strap: async for beat in strap.beats(): ...``.

    Parameters
    ----------
    address : str, optional
        The strap's address (a UUID on macOS). Without it, the first device found that
        advertises the Heart Rate service is used.
    client_factory : callable, optional
        ``(device, disconnected_callback) -> client``; builds a :class:`bleak.BleakClient` by
        default. Tests pass fakes here and in ``scanner``.
    scanner : BleScanner, optional
        :class:`bleak.BleakScanner` by default.
    reconnect : bool
        Reconnect by itself after a drop (default). Without it a drop ends :meth:`beats` with a
        :class:`BleSensorError` (``reason="connection_lost"``).
    max_reconnect_s : float
        Give up reconnecting after this many seconds (``reason="gave_up"``).
    connect_timeout_s, find_timeout_s : float
        Bounds for one connection attempt and for finding the strap, in seconds.
    backoff_s : sequence of float
        Waits before successive reconnection attempts, in seconds; the last one repeats.
    clock, sleep : callable
        The monotonic clock (s) and the sleep used between attempts; tests inject fakes.

    Notes
    -----
    Counters for the curious (and the tests): :attr:`malformed_packets`, :attr:`reconnects`.

    Examples
    --------
    >>> from vagus.devices import Sensor
    >>> strap = BleHeartRateSensor("AA:BB:CC:DD:EE:FF")
    >>> isinstance(strap, Sensor), strap.info.kind, strap.info.address
    (True, 'ble', 'AA:BB:CC:DD:EE:FF')
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        client_factory: ClientFactory | None = None,
        scanner: BleScanner | None = None,
        reconnect: bool = True,
        max_reconnect_s: float = DEFAULT_MAX_RECONNECT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        find_timeout_s: float = DEFAULT_FIND_TIMEOUT_S,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        for name, value in (
            ("max_reconnect_s", max_reconnect_s),
            ("connect_timeout_s", connect_timeout_s),
            ("find_timeout_s", find_timeout_s),
        ):
            if not value > 0:
                raise ValueError(f"{name}: expected > 0 seconds, got {value}")
        if not backoff_s or any(not delay >= 0 for delay in backoff_s):
            raise ValueError(f"backoff_s: expected one or more waits >= 0 s, got {backoff_s!r}")
        self._address = address
        self._name: str | None = None
        self._battery: int | None = None
        self._client_factory = client_factory or _bleak_client_factory(connect_timeout_s)
        self._scanner = scanner
        self._reconnect = reconnect
        self._max_reconnect_s = max_reconnect_s
        self._connect_timeout_s = connect_timeout_s
        self._find_timeout_s = find_timeout_s
        self._backoff_s = tuple(backoff_s)
        self._clock = clock
        self._sleep = sleep

        self._state: _State = "idle"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: BleClient | None = None
        self._subscribed: set[str] = set()
        self._has_pmd = False
        self._events: asyncio.Queue[_Event] = asyncio.Queue()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._malformed = 0
        self._reconnects = 0
        # The beat timeline (see the module docstring).
        self._t_s = 0.0
        self._wall_last_s: float | None = None
        self._pending_gap = False
        # ECG over PMD.
        self._ecg_queue: asyncio.Queue[_EcgEvent] | None = None
        self._ecg_active = False
        self._pmd_responses: asyncio.Queue[bytes] = asyncio.Queue()

    # --- Sensor protocol -------------------------------------------------------------------------
    @property
    def info(self) -> SensorInfo:
        """Kind ``"ble"``, the strap's name and address, and its battery level once connected."""
        name = self._name or self._address or "Bluetooth heart-rate sensor"
        return SensorInfo(
            kind="ble", name=name, address=self._address, battery_percent=self._battery
        )

    @property
    def malformed_packets(self) -> int:
        """How many notifications (heart rate or ECG) were malformed and skipped."""
        return self._malformed

    @property
    def reconnects(self) -> int:
        """How many times the sensor reconnected after a drop."""
        return self._reconnects

    @property
    def has_ecg(self) -> bool:
        """Whether the connected strap has Polar's PMD service (raw ECG on the Polar H10)."""
        return self._has_pmd

    async def __aenter__(self) -> Self:
        if self._state not in ("idle", "closed"):
            raise BleSensorError("not_open", "This Bluetooth sensor is already open.")
        self._loop = asyncio.get_running_loop()
        self._events = asyncio.Queue()
        self._t_s, self._wall_last_s, self._pending_gap = 0.0, None, False
        self._state = "opening"
        try:
            await self._open()
        except BaseException:
            await asyncio.shield(self._shutdown())
            raise
        self._state = "streaming"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded: a second cancellation of the consumer must not leave the strap streaming.
        await asyncio.shield(self._shutdown())

    async def beats(self) -> AsyncIterator[Beat]:
        """The beats as they arrive, oldest first, until the sensor is closed.

        Yields
        ------
        Beat
            ``t_s`` on the RR-sum timeline, ``rr_ms`` exactly as sent, ``hr_bpm`` from the same
            packet (None when the strap sent 0), ``gap_before`` after a drop, a reconnect, lost
            contact or missing beats (see the module docstring).

        Raises
        ------
        BleSensorError
            ``"gave_up"`` when reconnection failed for ``max_reconnect_s``; ``"connection_lost"``
            after a drop with ``reconnect=False``; ``"not_open"`` outside ``async with``.
        """
        if self._state in ("idle", "closed"):
            raise BleSensorError("not_open", "Open the sensor first: async with sensor: ...")
        while True:
            event = await self._events.get()
            if isinstance(event, _Packet):
                for beat in self._beats_from(event):
                    yield beat
            elif isinstance(event, (_Dropped, _Reconnected)):
                self._pending_gap = True
            elif isinstance(event, _Failed):
                raise event.error
            else:
                return

    # --- Raw ECG (Polar PMD) ----------------------------------------------------------------------
    async def ecg_samples(self) -> AsyncIterator[pmd.EcgFrame]:
        """Raw ECG frames from a Polar H10 (PMD service), one per notification, until closed.

        Starts the ECG stream on the first iteration and always stops it when the iteration
        ends (normally, by an error or by cancellation) and when the sensor is closed. After a
        reconnect the stream is started again; the frames' sensor timestamps show the gap.

        Yields
        ------
        vagus.devices.pmd.EcgFrame
            Samples in microvolts and the sensor time of the last one (ns since 2000-01-01 on
            the strap's clock). At 130 Hz an H10 frame holds 73 samples.

        Raises
        ------
        BleSensorError
            ``"no_ecg"`` when the strap has no PMD service or does not list ECG;
            ``"ecg_failed"`` when it refuses or stops the stream.
        """
        if self._state in ("idle", "closed"):
            raise BleSensorError("not_open", "Open the sensor first: async with sensor: ...")
        if not self._has_pmd:
            raise BleSensorError(
                "no_ecg",
                f"{self.info.name} has no Polar Measurement Data service, so it cannot stream "
                "ECG (the Polar H10 can).",
            )
        queue: asyncio.Queue[_EcgEvent] = asyncio.Queue()
        self._ecg_queue = queue
        try:
            await self._start_ecg()
            while True:
                item = await queue.get()
                if isinstance(item, pmd.EcgFrame):
                    yield item
                elif isinstance(item, _Failed):
                    raise item.error
                else:
                    return
        finally:
            self._ecg_queue = None
            await asyncio.shield(self._stop_ecg())

    # --- Connecting -------------------------------------------------------------------------------
    @property
    def _label(self) -> str:
        name = self._name or "the heart-rate sensor"
        return f"{name} ({self._address})" if self._address and self._address != name else name

    async def _find_device(self) -> Any:
        """Scan for the strap: by address when known, else the first with the HR service."""
        scanner = self._scanner if self._scanner is not None else _bleak_scanner()
        wanted = self._address.lower() if self._address else None
        names: list[str] = []

        def matches(device: Any, advertisement: Any) -> bool:
            if wanted is not None:
                ok = str(getattr(device, "address", "")).lower() == wanted
            else:
                ok = advertises_heart_rate(advertisement)
            if ok:
                names.append(_display_name(device, advertisement))
            return ok

        extra: dict[str, Any] = {}
        if wanted is None:
            extra["service_uuids"] = [gatt.HEART_RATE_SERVICE_UUID]
        try:
            async with asyncio.timeout(self._find_timeout_s + SCAN_GRACE_S):
                device = await scanner.find_device_by_filter(
                    matches, timeout=self._find_timeout_s, **extra
                )
        except TimeoutError:
            device = None
        except _bleak_errors() as error:
            raise _stack_error(
                error, "scan_failed", "Scanning for the heart-rate sensor"
            ) from error
        if device is None:
            what = (
                f"No heart-rate sensor with address {self._address}"
                if self._address
                else "No Bluetooth heart-rate sensor"
            )
            raise BleSensorError(
                "not_found",
                f"{what} was found within {self._find_timeout_s:g} s. Put the strap on (most "
                "wake up on moist skin contact), keep it close, and close other apps or "
                "watches that may be connected to it.",
            )
        self._address = str(device.address)
        self._name = names[-1] if names else _display_name(device, None)
        return device

    async def _open(self) -> None:
        """Find, connect, read the battery and subscribe; raises only BleSensorError."""
        device = await self._find_device()
        self._subscribed = set()
        errors = _bleak_errors()
        try:
            client = self._client_factory(device, self._on_disconnect)
        except errors as error:
            raise _stack_error(error, "connect_failed", f"Connecting to {self._label}") from error
        self._client = client
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await client.connect()
        except TimeoutError:
            raise BleSensorError(
                "connect_timeout",
                f"Could not connect to {self._label} within {self._connect_timeout_s:g} s. "
                "Moisten the strap's electrodes, keep it close, and make sure no other app or "
                "watch is connected to it; then try again.",
            ) from None
        except errors as error:
            raise _stack_error(error, "connect_failed", f"Connecting to {self._label}") from error
        self._battery = await self._read_battery(client)
        self._has_pmd = _has_service(client, pmd.PMD_SERVICE_UUID)
        try:
            async with asyncio.timeout(GATT_TIMEOUT_S):
                await client.start_notify(gatt.HEART_RATE_MEASUREMENT_UUID, self._on_measurement)
        except errors as error:
            raise _stack_error(
                error, "connect_failed", f"Subscribing to heart-rate measurements of {self._label}"
            ) from error
        self._subscribed.add(gatt.HEART_RATE_MEASUREMENT_UUID)
        if not client.is_connected:
            # It dropped while we set up; its disconnect callback was ignored, so say it here.
            raise BleSensorError("connect_failed", f"{self._label} disconnected while connecting.")

    async def _read_battery(self, client: BleClient) -> int | None:
        """The battery level in percent, or None: the Battery service is optional."""
        try:
            async with asyncio.timeout(GATT_TIMEOUT_S):
                value = await client.read_gatt_char(gatt.BATTERY_LEVEL_UUID)
            return gatt.parse_battery_level(value)
        except _bleak_errors(ValueError) as error:
            _log.info("no battery level from %s: %s", self._label, error)
            return None

    # --- Callbacks from bleak (run on the event loop) ---------------------------------------------
    def _on_measurement(self, _sender: Any, data: bytearray) -> None:
        self._events.put_nowait(_Packet(bytes(data), self._clock()))

    def _on_disconnect(self, client: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # bleak schedules this callback on the loop; call_soon_threadsafe also covers a backend
        # that does not, and runs the handler after the current step either way.
        loop.call_soon_threadsafe(self._handle_disconnect, client)

    def _handle_disconnect(self, client: Any) -> None:
        if client is not self._client or self._state != "streaming":
            return  # our own disconnect, a stale client, or a failed attempt being retried
        _log.warning("lost the connection to %s", self._label)
        self._state = "reconnecting"
        self._subscribed = set()
        self._events.put_nowait(_Dropped(self._clock()))
        if not self._reconnect:
            self._fail(BleSensorError("connection_lost", f"Lost the connection to {self._label}."))
            return
        assert self._loop is not None  # set in __aenter__, before any callback
        self._reconnect_task = self._loop.create_task(self._reconnect_loop())

    def _fail(self, error: BleSensorError) -> None:
        self._events.put_nowait(_Failed(error))
        if self._ecg_queue is not None:
            self._ecg_queue.put_nowait(_Failed(error))

    async def _reconnect_loop(self) -> None:
        started = self._clock()
        attempt = 0
        last_error: BleSensorError | None = None
        while True:
            delay = self._backoff_s[min(attempt, len(self._backoff_s) - 1)]
            remaining = self._max_reconnect_s - (self._clock() - started)
            if delay >= remaining:
                break
            await self._sleep(delay)
            remaining = self._max_reconnect_s - (self._clock() - started)
            attempt += 1
            old = self._client
            try:
                async with asyncio.timeout(max(remaining, 0.0)):
                    await self._open()
            except (BleSensorError, TimeoutError) as error:
                last_error = (
                    error
                    if isinstance(error, BleSensorError)
                    else BleSensorError("connect_timeout", "the attempt ran out of time")
                )
                _log.info("reconnect attempt %d to %s failed: %s", attempt, self._label, error)
                if self._client is not old and self._client is not None:
                    await _best_effort(self._client.disconnect(), "disconnect a failed attempt")
                continue
            self._reconnects += 1
            self._state = "streaming"
            self._events.put_nowait(_Reconnected())
            _log.warning("reconnected to %s after %d attempt(s)", self._label, attempt)
            if self._ecg_active and self._ecg_queue is not None:
                try:
                    await self._start_ecg()
                except BleSensorError as error:
                    self._ecg_queue.put_nowait(_Failed(error))
            return
        why = f" (last error: {last_error})" if last_error else ""
        self._fail(
            BleSensorError(
                "gave_up",
                f"Lost the connection to {self._label} and could not reconnect within "
                f"{self._max_reconnect_s:g} s{why}. Check that the strap is worn and close by.",
            )
        )

    async def _shutdown(self) -> None:
        """Stop ECG, stop notifications and disconnect; never raises (each step is bounded)."""
        self._state = "closed"
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop_ecg()
        client = self._client
        if client is not None:
            if client.is_connected:
                for uuid in sorted(self._subscribed):
                    await _best_effort(client.stop_notify(uuid), f"stop notifications {uuid}")
            self._subscribed = set()
            await _best_effort(client.disconnect(), "disconnect")
        self._events.put_nowait(_Closed())
        if self._ecg_queue is not None:
            self._ecg_queue.put_nowait(_Closed())

    # --- Beats from packets -----------------------------------------------------------------------
    def _beats_from(self, packet: _Packet) -> list[Beat]:
        try:
            measurement = gatt.parse_heart_rate_measurement(packet.data)
        except ValueError as error:
            self._malformed += 1
            _log.warning(
                "skipped a malformed heart-rate packet %r: %s (%d skipped so far)",
                packet.data.hex(" "),
                error,
                self._malformed,
            )
            return []
        if measurement.contact is False:
            # Without skin contact the RR values are not heartbeats; what follows is a new run.
            self._pending_gap = True
            return []
        if not measurement.rr_ms:
            return []
        rr_s = sum(measurement.rr_ms) / MS_PER_S
        gap = False
        shift_s = 0.0
        if self._wall_last_s is not None:
            elapsed_s = packet.wall_s - self._wall_last_s
            unaccounted_s = elapsed_s - rr_s
            gap = self._pending_gap or unaccounted_s > MAX_UNACCOUNTED_S
            if gap:
                shift_s = max(0.0, unaccounted_s)
        hr = float(measurement.heart_rate_bpm) if measurement.heart_rate_bpm > 0 else None
        t_s = self._t_s + shift_s
        beats: list[Beat] = []
        for i, rr_ms in enumerate(measurement.rr_ms):
            t_s += rr_ms / MS_PER_S
            beats.append(Beat(t_s=t_s, rr_ms=rr_ms, hr_bpm=hr, gap_before=gap and i == 0))
        self._t_s = t_s
        self._wall_last_s = packet.wall_s
        self._pending_gap = False
        return beats

    # --- PMD plumbing -----------------------------------------------------------------------------
    def _on_pmd_control(self, _sender: Any, data: bytearray) -> None:
        value = bytes(data)
        if value[:1] == bytes([pmd.CONTROL_POINT_RESPONSE_CODE]):
            self._pmd_responses.put_nowait(value)
            return
        try:
            stopped = pmd.parse_measurement_stopped(value)
        except ValueError:
            _log.info("ignored a PMD control point message %r", value.hex(" "))
            return
        if pmd.MEASUREMENT_TYPE_ECG in stopped and self._ecg_queue is not None:
            self._ecg_active = False
            self._ecg_queue.put_nowait(
                _Failed(BleSensorError("ecg_failed", f"{self._label} stopped the ECG stream."))
            )

    def _on_pmd_data(self, _sender: Any, data: bytearray) -> None:
        try:
            frame = pmd.parse_ecg_frame(data)
        except ValueError as error:
            self._malformed += 1
            _log.warning("skipped a malformed ECG frame: %s (%d so far)", error, self._malformed)
            return
        if self._ecg_queue is not None:
            self._ecg_queue.put_nowait(frame)

    async def _pmd_request(self, request: bytes) -> pmd.PmdControlPointResponse:
        """Write a control-point request and wait for its (possibly multi-part) response."""
        client = self._connected_client()
        self._pmd_responses = asyncio.Queue()
        try:
            async with asyncio.timeout(PMD_RESPONSE_TIMEOUT_S):
                await client.write_gatt_char(pmd.PMD_CONTROL_POINT_UUID, request, response=True)
                parts: list[pmd.PmdControlPointResponse] = []
                while True:
                    raw = await self._pmd_responses.get()
                    try:
                        part = pmd.parse_control_point_response(raw)
                    except ValueError:
                        continue
                    if part.op_code != request[0]:
                        continue  # an answer to an earlier request
                    parts.append(part)
                    if not part.more:
                        break
        except _bleak_errors() as error:
            detail = "no answer" if isinstance(error, TimeoutError) else str(error)
            raise BleSensorError(
                "ecg_failed",
                f"The ECG control point of {self._label} did not answer: {detail}.",
            ) from error
        first = parts[0]
        return pmd.PmdControlPointResponse(
            op_code=first.op_code,
            measurement_type=first.measurement_type,
            status=first.status,
            more=False,
            parameters=b"".join(p.parameters for p in parts),
        )

    def _connected_client(self) -> BleClient:
        client = self._client
        if client is None or not client.is_connected:
            raise BleSensorError("ecg_failed", f"{self._label} is not connected.")
        return client

    async def _start_ecg(self) -> None:
        client = self._connected_client()
        errors = _bleak_errors()
        try:
            async with asyncio.timeout(GATT_TIMEOUT_S):
                features = await client.read_gatt_char(pmd.PMD_CONTROL_POINT_UUID)
            ecg_listed = pmd.parse_ecg_supported(features)
        except _bleak_errors(ValueError) as error:
            _log.info("could not read the PMD features of %s: %s", self._label, error)
            ecg_listed = True  # let the start request decide
        if not ecg_listed:
            raise BleSensorError("no_ecg", f"{self._label} does not offer an ECG stream.")
        for uuid, callback in (
            (pmd.PMD_CONTROL_POINT_UUID, self._on_pmd_control),
            (pmd.PMD_DATA_UUID, self._on_pmd_data),
        ):
            if uuid in self._subscribed:
                continue
            try:
                async with asyncio.timeout(GATT_TIMEOUT_S):
                    await client.start_notify(uuid, callback)
            except errors as error:
                raise _stack_error(error, "ecg_failed", "Subscribing to the ECG stream") from error
            self._subscribed.add(uuid)
        offered: dict[int, tuple[int, ...]] = {}
        try:
            answer = await self._pmd_request(pmd.ECG_SETTINGS_REQUEST)
            if answer.ok:
                offered = pmd.parse_settings(answer.parameters)
        except (BleSensorError, ValueError) as error:
            _log.info(
                "no ECG settings from %s (%s); asking for 130 Hz / 14 bit", self._label, error
            )
        rate_hz, resolution_bits = pmd.choose_ecg_settings(offered)
        started = await self._pmd_request(pmd.ecg_start_request(rate_hz, resolution_bits))
        # "Already in state": the stream is running (e.g. left on by an earlier session).
        if not started.ok and started.status_name != "already in state":
            raise BleSensorError(
                "ecg_failed",
                f"{self._label} refused to start ECG at {rate_hz} Hz: {started.status_name}.",
            )
        self._ecg_active = True

    async def _stop_ecg(self) -> None:
        if not self._ecg_active:
            return
        self._ecg_active = False
        client = self._client
        if client is None or not client.is_connected:
            return
        await _best_effort(
            client.write_gatt_char(pmd.PMD_CONTROL_POINT_UUID, pmd.ECG_STOP_REQUEST, response=True),
            "stop the ECG stream",
        )
        for uuid in (pmd.PMD_DATA_UUID, pmd.PMD_CONTROL_POINT_UUID):
            if uuid in self._subscribed:
                self._subscribed.discard(uuid)
                await _best_effort(client.stop_notify(uuid), f"stop notifications {uuid}")


def _has_service(client: BleClient, uuid: str) -> bool:
    try:
        return client.services.get_service(uuid) is not None
    except Exception:  # bleak raises BleakError before service discovery; a fake may not know
        return False


async def _best_effort(operation: Coroutine[Any, Any, None], what: str) -> None:
    """Run one cleanup step with a timeout; log instead of raising (cleanup must go on)."""
    try:
        async with asyncio.timeout(GATT_TIMEOUT_S):
            await operation
    except Exception as error:  # any failure of one step must not skip the next
        _log.info("could not %s: %s", what, error)
