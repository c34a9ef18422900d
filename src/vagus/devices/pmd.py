"""Pure parsers for Polar's Measurement Data (PMD) service: raw ECG from a Polar H10 at 130 Hz.

Sources. Polar publishes the PMD protocol as ``technical_documentation/
Polar_Measurement_Data_Specification.pdf`` in https://github.com/polarofficial/polar-ble-sdk.
That PDF could not be read from here (only its file name), so every layout below was checked
against Polar's own open-source SDK in the same repository, which implements it (Android,
``sources/Android/android-communications/library/src/main/java/com/polar/androidcommunications/
api/ble/model/gatt/client/pmd/``), and against the byte-level examples in its unit tests:

- ``BlePMDClient.kt``: the service and characteristic UUIDs; how a control-point request is
  built (op code, measurement type, settings) and how multi-part responses are joined;
- ``PmdControlPointCommand.kt``, ``PmdControlPointResponse.kt`` (and the iOS
  ``PmdControlPointResponse.swift``): op codes, the response code 0xF0, the response layout and
  the status codes; test ``BlePmdClientControlPointResponseTest.kt``;
- ``PmdSetting.kt``: setting types and their field sizes; test ``PmdSettingTest.kt``;
- ``PmdDataFrame.kt``, ``PmdMeasurementType.kt``: the data-frame header (measurement type in the
  low 6 bits of byte 0, uint64 timestamp in bytes 1-8, frame type in byte 9 with bit 7 marking a
  compressed "delta" frame); ``TypeUtils.kt``: all integers little-endian;
- ``model/EcgData.kt``: ECG frame type 0 is a run of 3-byte signed little-endian samples in
  microvolts; test ``model/EcgDataTest.kt`` (its vectors are reused in our tests);
- ``PolarEcgData.java`` (SDK API): the frame timestamp is the time of the LAST sample, in ns;
- ``technical_documentation/TimeSystemExplained.md``: timestamps are ns since
  2000-01-01T00:00:00Z on the sensor's own clock (which resets to a firmware default when an H10
  shuts down, so they are a relative timeline unless the clock was set);
- the SDK README, H10 section (3.x versions): "Electrocardiography (ECG) data in µV with sample
  rate 130Hz".

Not confirmed (said where used): the first byte of the feature read (we do not check it, as the
SDK does not); the meaning of the top two bits of the measurement-type byte in a data frame (the
SDK masks them off, and so do we); and the H10's ECG resolution (ble.py asks the strap which
settings it offers and uses those; the request for 130 Hz / 14 bits that H10 projects commonly
send is only the fallback when the strap does not answer that question).

>>> ECG_STOP_REQUEST.hex(" ")
'03 00'
>>> parse_ecg_frame(bytes.fromhex("00 00943577 00000000 00 0280ff 028000")).samples_uv
(-32766, 32770)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- UUIDs (BlePMDClient.kt) ----------------------------------------------------------------------
PMD_SERVICE_UUID: Final[str] = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
#: Control point: read gives the feature bits; write a request; responses come as indications.
PMD_CONTROL_POINT_UUID: Final[str] = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
#: Data: notifications carrying measurement frames.
PMD_DATA_UUID: Final[str] = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

# --- Measurement types (PmdMeasurementType.kt) ----------------------------------------------------
MEASUREMENT_TYPE_ECG: Final[int] = 0
#: The SDK reads the measurement type of a frame from the low 6 bits of byte 0.
MEASUREMENT_TYPE_MASK: Final[int] = 0x3F
#: In the feature read, byte 1 bit 0 says "ECG supported" (PmdFeature.kt).
FEATURE_ECG_BYTE: Final[int] = 1
FEATURE_ECG_BIT: Final[int] = 0x01

# --- Control point (PmdControlPointCommand.kt, PmdControlPointResponse.kt) ------------------------
OP_GET_MEASUREMENT_SETTINGS: Final[int] = 0x01
OP_REQUEST_MEASUREMENT_START: Final[int] = 0x02
OP_STOP_MEASUREMENT: Final[int] = 0x03
#: First byte of every response to a request.
CONTROL_POINT_RESPONSE_CODE: Final[int] = 0xF0
#: First byte of the strap's own message "online measurement stopped", followed by the types.
CONTROL_POINT_MEASUREMENT_STOPPED: Final[int] = 0x01
#: Response status codes 0-14, as the SDK names them.
STATUS_SUCCESS: Final[int] = 0
STATUS_NAMES: Final[dict[int, str]] = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "device in charger",
    14: "disk full",
}
#: Response: code, op code, measurement type, status; then (on success) "more" and parameters.
_RESPONSE_HEADER_BYTES: Final[int] = 4
_RESPONSE_PARAMETERS_AT: Final[int] = 5

# --- Settings (PmdSetting.kt): type -> size in bytes of each value --------------------------------
SETTING_SAMPLE_RATE: Final[int] = 0
SETTING_RESOLUTION: Final[int] = 1
SETTING_RANGE: Final[int] = 2
SETTING_RANGE_MILLIUNIT: Final[int] = 3
SETTING_CHANNELS: Final[int] = 4
#: A float32 scale factor (IEEE-754 bits); returned by the start response for some streams.
SETTING_FACTOR: Final[int] = 5
SETTING_VALUE_BYTES: Final[dict[int, int]] = {
    SETTING_SAMPLE_RATE: 2,
    SETTING_RESOLUTION: 2,
    SETTING_RANGE: 2,
    SETTING_RANGE_MILLIUNIT: 4,
    SETTING_CHANNELS: 1,
    SETTING_FACTOR: 4,
}

# --- The H10's ECG (SDK README; the settings the strap lists) -------------------------------------
H10_ECG_SAMPLE_RATE_HZ: Final[int] = 130
H10_ECG_RESOLUTION_BITS: Final[int] = 14

#: "Send me the ECG settings you support" (op 0x01, type ECG).
ECG_SETTINGS_REQUEST: Final[bytes] = bytes([OP_GET_MEASUREMENT_SETTINGS, MEASUREMENT_TYPE_ECG])
#: "Stop the ECG stream" (op 0x03, type ECG).
ECG_STOP_REQUEST: Final[bytes] = bytes([OP_STOP_MEASUREMENT, MEASUREMENT_TYPE_ECG])

# --- Data frames (PmdDataFrame.kt, EcgData.kt) ----------------------------------------------------
_FRAME_TIMESTAMP_AT: Final[int] = 1
_FRAME_TIMESTAMP_BYTES: Final[int] = 8
_FRAME_TYPE_AT: Final[int] = 9
FRAME_HEADER_BYTES: Final[int] = 10
#: Bit 7 of the frame-type byte: a compressed (delta-coded) frame.
FRAME_COMPRESSED_BIT: Final[int] = 0x80
FRAME_TYPE_MASK: Final[int] = 0x7F
#: ECG frame type 0: uncompressed 3-byte signed little-endian samples in microvolts.
ECG_FRAME_TYPE_RAW_UV: Final[int] = 0
ECG_SAMPLE_BYTES: Final[int] = 3
#: Polar sensor time counts from 2000-01-01T00:00:00Z; this many ns after the Unix epoch
#: (TimeSystemExplained.md).
POLAR_EPOCH_UNIX_NS: Final[int] = 946_684_800_000_000_000
NS_PER_S: Final[int] = 1_000_000_000


def ecg_start_request(
    sample_rate_hz: int = H10_ECG_SAMPLE_RATE_HZ, resolution_bits: int = H10_ECG_RESOLUTION_BITS
) -> bytes:
    """The control-point request that starts the ECG stream.

    Layout (BlePMDClient.kt ``startMeasurement``, PmdSetting.kt ``serializeSelected``): op code
    0x02, measurement type 0, then per setting its type, a count of 1 and its value as a
    little-endian uint16.

    Parameters
    ----------
    sample_rate_hz : int
        Samples per second; the H10 offers 130.
    resolution_bits : int
        Bits per sample; the H10 offers 14.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If a value does not fit in a uint16.

    Examples
    --------
    >>> ecg_start_request().hex(" ")
    '02 00 00 01 82 00 01 01 0e 00'
    """
    for name, value in (("sample_rate_hz", sample_rate_hz), ("resolution_bits", resolution_bits)):
        if not 0 < value <= 0xFFFF:
            raise ValueError(f"{name}: expected 1-65535, got {value}")
    return (
        bytes([OP_REQUEST_MEASUREMENT_START, MEASUREMENT_TYPE_ECG, SETTING_SAMPLE_RATE, 1])
        + sample_rate_hz.to_bytes(2, "little")
        + bytes([SETTING_RESOLUTION, 1])
        + resolution_bits.to_bytes(2, "little")
    )


def parse_ecg_supported(features: bytes | bytearray | memoryview) -> bool:
    """Whether the PMD feature read (a read of the control point) lists ECG.

    Byte 1, bit 0 (PmdFeature.kt). Byte 0 is not checked: the SDK does not check it either, and
    its value could not be confirmed from the specification.

    Parameters
    ----------
    features : bytes-like
        The value read from the PMD control point.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If the value is shorter than 2 bytes.

    Examples
    --------
    >>> parse_ecg_supported(bytes([0x0F, 0x05, 0x00]))
    True
    """
    value = bytes(features)
    if len(value) <= FEATURE_ECG_BYTE:
        raise ValueError(f"PMD features: expected at least 2 bytes, got {len(value)}")
    return bool(value[FEATURE_ECG_BYTE] & FEATURE_ECG_BIT)


@dataclass(frozen=True)
class PmdControlPointResponse:
    """A response to a control-point request.

    Attributes
    ----------
    op_code : int
        The op code of the request it answers.
    measurement_type : int
        The measurement type of the request.
    status : int
        0 = success; see ``STATUS_NAMES``.
    more : bool
        True when a further response continues the parameters (success only).
    parameters : bytes
        The parameters (for a settings request: the settings list; see :func:`parse_settings`).
    """

    op_code: int
    measurement_type: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        """True when the status is success."""
        return self.status == STATUS_SUCCESS

    @property
    def status_name(self) -> str:
        """The status in words, e.g. ``"invalid state"``."""
        return STATUS_NAMES.get(self.status, f"unknown status {self.status}")


def parse_control_point_response(data: bytes | bytearray | memoryview) -> PmdControlPointResponse:
    """Decode a PMD control-point response.

    Layout (PmdControlPointResponse.kt): 0xF0, op code, measurement type, status; on success a
    "more" byte (non-zero = more to come) and the parameters from byte 5 on.

    Parameters
    ----------
    data : bytes-like
        A control-point indication.

    Returns
    -------
    PmdControlPointResponse

    Raises
    ------
    ValueError
        If the value is shorter than 4 bytes or is not a response (first byte not 0xF0).

    Examples
    --------
    >>> r = parse_control_point_response(bytes([0xF0, 0x02, 0x00, 0x00, 0x00]))
    >>> r.ok, r.op_code, r.more, r.parameters
    (True, 2, False, b'')
    >>> parse_control_point_response(bytes([0xF0, 0x02, 0x00, 0x0C])).status_name
    'invalid state'
    """
    value = bytes(data)
    if len(value) < _RESPONSE_HEADER_BYTES:
        raise ValueError(f"PMD control point response: expected at least 4 bytes, got {len(value)}")
    if value[0] != CONTROL_POINT_RESPONSE_CODE:
        raise ValueError(
            f"PMD control point response: expected first byte 0xf0, got 0x{value[0]:02x}"
        )
    status = value[3]
    success = status == STATUS_SUCCESS
    more = success and len(value) > _RESPONSE_HEADER_BYTES and value[4] != 0
    parameters = value[_RESPONSE_PARAMETERS_AT:] if success else b""
    return PmdControlPointResponse(
        op_code=value[1],
        measurement_type=value[2],
        status=status,
        more=more,
        parameters=parameters,
    )


def parse_measurement_stopped(data: bytes | bytearray | memoryview) -> frozenset[int]:
    """Decode the strap's own control-point message "online measurement stopped".

    Layout (BlePMDClient.kt ``processPmdCpCommand``): 0x01, then one byte per stopped
    measurement type (low 6 bits).

    Parameters
    ----------
    data : bytes-like
        A control-point indication.

    Returns
    -------
    frozenset of int
        The measurement types that stopped.

    Raises
    ------
    ValueError
        If the value is empty or does not start with 0x01.

    Examples
    --------
    >>> sorted(parse_measurement_stopped(bytes([0x01, 0x00])))
    [0]
    """
    value = bytes(data)
    if not value or value[0] != CONTROL_POINT_MEASUREMENT_STOPPED:
        first = f"0x{value[0]:02x}" if value else "nothing"
        raise ValueError(f"PMD measurement stopped: expected first byte 0x01, got {first}")
    return frozenset(b & MEASUREMENT_TYPE_MASK for b in value[1:])


def parse_settings(parameters: bytes | bytearray | memoryview) -> dict[int, tuple[int, ...]]:
    """Decode a settings list (the parameters of a settings response or a start response).

    Layout (PmdSetting.kt): repeated [setting type, count, count x value], each value
    little-endian with the size of its type (``SETTING_VALUE_BYTES``). Values are read unsigned;
    a FACTOR value is the bit pattern of an IEEE-754 float32.

    Parameters
    ----------
    parameters : bytes-like

    Returns
    -------
    dict of int to tuple of int
        Setting type -> the values offered.

    Raises
    ------
    ValueError
        For an unknown setting type (its size is unknown, so nothing after it can be read) or a
        truncated list.

    Examples
    --------
    >>> parse_settings(bytes([0x00, 0x01, 0x82, 0x00, 0x01, 0x01, 0x0E, 0x00]))
    {0: (130,), 1: (14,)}
    """
    value = bytes(parameters)
    settings: dict[int, tuple[int, ...]] = {}
    offset = 0
    while offset < len(value):
        kind = value[offset]
        size = SETTING_VALUE_BYTES.get(kind)
        if size is None:
            raise ValueError(f"PMD settings: unknown setting type {kind} at byte {offset}")
        if offset + 1 >= len(value):
            raise ValueError(f"PMD settings: setting type {kind} at byte {offset} has no count")
        count = value[offset + 1]
        start = offset + 2
        end = start + count * size
        if end > len(value):
            raise ValueError(
                f"PMD settings: setting type {kind} announces {count} values of {size} bytes "
                f"from byte {start}, but only {len(value) - start} bytes follow"
            )
        settings[kind] = settings.get(kind, ()) + tuple(
            int.from_bytes(value[i : i + size], "little") for i in range(start, end, size)
        )
        offset = end
    return settings


def choose_ecg_settings(offered: dict[int, tuple[int, ...]]) -> tuple[int, int]:
    """Pick the ECG sample rate and resolution to request from the settings a strap offers.

    130 Hz when offered (the H10's rate), else the highest rate offered; the highest resolution
    offered, as Polar's SDK does (``PmdSetting.maxSettings``). What the strap does not list falls
    back to the H10's 130 Hz / 14 bits.

    Parameters
    ----------
    offered : dict of int to tuple of int
        The result of :func:`parse_settings` on a settings response (may be empty).

    Returns
    -------
    tuple of int
        ``(sample_rate_hz, resolution_bits)``.

    Examples
    --------
    >>> choose_ecg_settings({SETTING_SAMPLE_RATE: (130,), SETTING_RESOLUTION: (14,)})
    (130, 14)
    >>> choose_ecg_settings({})
    (130, 14)
    """
    # Only values a uint16 request can carry (0 would be no stream at all).
    rates = [r for r in offered.get(SETTING_SAMPLE_RATE, ()) if 0 < r <= 0xFFFF]
    resolutions = [r for r in offered.get(SETTING_RESOLUTION, ()) if 0 < r <= 0xFFFF]
    rate = H10_ECG_SAMPLE_RATE_HZ if not rates or H10_ECG_SAMPLE_RATE_HZ in rates else max(rates)
    resolution = max(resolutions) if resolutions else H10_ECG_RESOLUTION_BITS
    return rate, resolution


@dataclass(frozen=True)
class PmdDataFrame:
    """The header of one PMD data notification, and its payload.

    Attributes
    ----------
    measurement_type : int
        0 = ECG (low 6 bits of byte 0).
    timestamp_ns : int
        Sensor time of the frame's last sample, ns since 2000-01-01T00:00:00Z (sensor clock).
    frame_type : int
        Frame type (low 7 bits of byte 9).
    compressed : bool
        Bit 7 of byte 9: a delta-compressed frame.
    payload : bytes
        The samples.
    """

    measurement_type: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    payload: bytes


def parse_data_frame(data: bytes | bytearray | memoryview) -> PmdDataFrame:
    """Decode the 10-byte header of a PMD data notification.

    Parameters
    ----------
    data : bytes-like

    Returns
    -------
    PmdDataFrame

    Raises
    ------
    ValueError
        If the notification is shorter than the 10-byte header.

    Examples
    --------
    >>> f = parse_data_frame(bytes.fromhex("00 00943577 00000000 00"))
    >>> f.measurement_type, f.timestamp_ns, f.frame_type, f.compressed, f.payload
    (0, 2000000000, 0, False, b'')
    """
    value = bytes(data)
    if len(value) < FRAME_HEADER_BYTES:
        raise ValueError(
            f"PMD data frame: expected a {FRAME_HEADER_BYTES}-byte header, got {len(value)} bytes"
        )
    frame_type_byte = value[_FRAME_TYPE_AT]
    return PmdDataFrame(
        measurement_type=value[0] & MEASUREMENT_TYPE_MASK,
        timestamp_ns=int.from_bytes(
            value[_FRAME_TIMESTAMP_AT : _FRAME_TIMESTAMP_AT + _FRAME_TIMESTAMP_BYTES], "little"
        ),
        frame_type=frame_type_byte & FRAME_TYPE_MASK,
        compressed=bool(frame_type_byte & FRAME_COMPRESSED_BIT),
        payload=value[FRAME_HEADER_BYTES:],
    )


@dataclass(frozen=True)
class EcgFrame:
    """One notification of raw ECG.

    Attributes
    ----------
    timestamp_ns : int
        Sensor time of the LAST sample, ns since 2000-01-01T00:00:00Z on the strap's clock.
    samples_uv : tuple of int
        The samples in microvolts, oldest first.
    """

    timestamp_ns: int
    samples_uv: tuple[int, ...]

    def sample_times_ns(
        self,
        previous_timestamp_ns: int | None = None,
        sample_rate_hz: float = H10_ECG_SAMPLE_RATE_HZ,
    ) -> list[int]:
        """Sensor time of every sample, in ns, as Polar's SDK assigns them.

        With the previous frame's timestamp, the samples are spread evenly between it
        (exclusive) and this frame's (inclusive), so the stream follows the strap's clock;
        without it (the first frame), they are spaced by the nominal sample interval back from
        this frame's timestamp (PmdTimeStampUtils.kt).

        Parameters
        ----------
        previous_timestamp_ns : int, optional
            The timestamp of the previous ECG frame of the same stream.
        sample_rate_hz : float
            The nominal rate, used only without ``previous_timestamp_ns``.

        Returns
        -------
        list of int

        Raises
        ------
        ValueError
            If ``previous_timestamp_ns`` is not before this frame's timestamp, or the rate is
            not positive.

        Examples
        --------
        >>> EcgFrame(1_000_000_000, (1, 2)).sample_times_ns(previous_timestamp_ns=0)
        [500000000, 1000000000]
        """
        n = len(self.samples_uv)
        if previous_timestamp_ns is not None:
            if previous_timestamp_ns >= self.timestamp_ns:
                raise ValueError(
                    f"previous_timestamp_ns: expected before {self.timestamp_ns}, "
                    f"got {previous_timestamp_ns}"
                )
            step = (self.timestamp_ns - previous_timestamp_ns) / n
            times = [round(previous_timestamp_ns + step * (i + 1)) for i in range(n - 1)]
        else:
            if sample_rate_hz <= 0:
                raise ValueError(f"sample_rate_hz: expected > 0, got {sample_rate_hz}")
            step = NS_PER_S / sample_rate_hz
            times = [round(self.timestamp_ns - step * (n - 1 - i)) for i in range(n - 1)]
        return [*times, self.timestamp_ns]


def parse_ecg_frame(data: bytes | bytearray | memoryview) -> EcgFrame:
    """Decode a PMD data notification that carries raw ECG (the H10's frame type 0).

    Parameters
    ----------
    data : bytes-like
        A PMD data notification.

    Returns
    -------
    EcgFrame

    Raises
    ------
    ValueError
        If the header is short, the frame is not ECG, is compressed or of another frame type
        (types 1-3 are other devices' ECG formats, not parsed here), or the payload is empty or
        not a whole number of 3-byte samples.

    Examples
    --------
    Polar's own test vector (EcgDataTest.kt): timestamp 2,000,000,000 ns, samples
    ``02 80 FF`` and ``02 80 00``.

    >>> frame = parse_ecg_frame(bytes.fromhex("00 00943577 00000000 00 0280ff 028000"))
    >>> frame.timestamp_ns, frame.samples_uv
    (2000000000, (-32766, 32770))
    """
    frame = parse_data_frame(data)
    if frame.measurement_type != MEASUREMENT_TYPE_ECG:
        raise ValueError(
            f"PMD ECG frame: expected measurement type 0 (ECG), got {frame.measurement_type}"
        )
    if frame.compressed or frame.frame_type != ECG_FRAME_TYPE_RAW_UV:
        kind = "compressed " if frame.compressed else ""
        raise ValueError(
            f"PMD ECG frame: expected uncompressed frame type 0, got {kind}type {frame.frame_type}"
        )
    payload = frame.payload
    if not payload or len(payload) % ECG_SAMPLE_BYTES:
        raise ValueError(
            f"PMD ECG frame: expected a positive whole number of 3-byte samples, got "
            f"{len(payload)} bytes"
        )
    samples = tuple(
        int.from_bytes(payload[i : i + ECG_SAMPLE_BYTES], "little", signed=True)
        for i in range(0, len(payload), ECG_SAMPLE_BYTES)
    )
    return EcgFrame(timestamp_ns=frame.timestamp_ns, samples_uv=samples)
