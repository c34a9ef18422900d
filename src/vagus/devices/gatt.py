"""Pure parsers for the standard Bluetooth heart-rate characteristics (no bleak, no I/O).

Sources followed:

- Bluetooth SIG, *Heart Rate Service* (HRS) v1.0, 2011-07-12, section 3.1 "Heart Rate
  Measurement", and the field definition of ``org.bluetooth.characteristic.heart_rate_measurement``
  (0x2A37) that the *GATT Specification Supplement* (GSS) now carries: flags, heart rate (uint8 or
  uint16), Energy Expended (uint16, kJ), RR-Interval (uint16 in 1/1024 s, several per packet,
  "RR-Interval Value 0 is older than RR-Interval Value 1").
- ``org.bluetooth.characteristic.battery_level`` (0x2A19, GSS "Battery Level"): uint8 percent,
  0-100.
- Bluetooth Core Specification, Vol 3, Part B, section 2.5.1 "UUID": a 16-bit assigned number
  ``xxxx`` is the 128-bit UUID ``0000xxxx-0000-1000-8000-00805f9b34fb``.
- Bluetooth SIG *Assigned Numbers*: Heart Rate service 0x180D, Battery service 0x180F, Heart
  Rate Measurement 0x2A37, Battery Level 0x2A19.

Every multi-byte field is little-endian ("LSO first": least significant octet first).

Why this module exists: polar-python reads the RR values from a fixed offset whatever the flags
say, so a packet that carries Energy Expended yields its energy bytes as a fake RR (300 kJ
becomes 293 ms),
and a packet with a 16-bit heart rate yields nonsense. Here every offset follows from the flags.

>>> m = parse_heart_rate_measurement(bytes([0x16, 60, 0x00, 0x04]))
>>> m.heart_rate_bpm, m.rr_ms, m.energy_kj, m.contact
(60, [1000.0], None, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- UUIDs (Core Spec Vol 3 Part B 2.5.1; Assigned Numbers) ---------------------------------------
#: The Bluetooth Base UUID with the 16/32-bit part zeroed: ``0000xxxx-0000-1000-8000-00805f9b34fb``.
BLUETOOTH_BASE_UUID_SUFFIX: Final[str] = "-0000-1000-8000-00805f9b34fb"


def uuid16_to_str(assigned_number: int) -> str:
    """The 128-bit UUID string (lower case) of a 16-bit Bluetooth SIG assigned number.

    Bluetooth Core Specification, Vol 3, Part B, section 2.5.1.

    Parameters
    ----------
    assigned_number : int
        The 16-bit assigned number, 0x0000-0xFFFF.

    Returns
    -------
    str
        ``"0000xxxx-0000-1000-8000-00805f9b34fb"``.

    Raises
    ------
    ValueError
        If the number does not fit in 16 bits.

    Examples
    --------
    >>> uuid16_to_str(0x180D)
    '0000180d-0000-1000-8000-00805f9b34fb'
    """
    if not 0 <= assigned_number <= 0xFFFF:
        raise ValueError(f"assigned number: expected 0x0000-0xFFFF, got {assigned_number:#x}")
    return f"0000{assigned_number:04x}{BLUETOOTH_BASE_UUID_SUFFIX}"


def normalize_uuid(uuid: str) -> str:
    """A UUID as the lower-case 128-bit string, whether given as 16, 32 or 128 bits.

    Bluetooth stacks report advertised service UUIDs in different forms ("180D", "180d",
    "0000180D-0000-1000-8000-00805F9B34FB"); comparisons must not depend on which.

    Parameters
    ----------
    uuid : str
        4 hex digits (16-bit), 8 hex digits (32-bit) or the 36-character 128-bit form.

    Returns
    -------
    str
        The lower-case 128-bit form.

    Raises
    ------
    ValueError
        If the text is not a UUID in one of these forms.

    Examples
    --------
    >>> normalize_uuid("180D")
    '0000180d-0000-1000-8000-00805f9b34fb'
    >>> normalize_uuid("FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8")
    'fb005c80-02e7-f387-1cad-8acd2d8df0c8'
    """
    text = uuid.strip().lower()
    hex_digits = set("0123456789abcdef")
    if len(text) in (4, 8) and set(text) <= hex_digits:
        return f"{text:0>8}{BLUETOOTH_BASE_UUID_SUFFIX}"
    groups = text.split("-")
    if [len(g) for g in groups] == [8, 4, 4, 4, 12] and set("".join(groups)) <= hex_digits:
        return text
    raise ValueError(f"UUID: expected 4, 8 or 32 hex digits (8-4-4-4-12), got {uuid!r}")


#: Heart Rate service (Assigned Numbers), 16-bit and 128-bit.
HEART_RATE_SERVICE: Final[int] = 0x180D
HEART_RATE_SERVICE_UUID: Final[str] = uuid16_to_str(HEART_RATE_SERVICE)
#: Heart Rate Measurement characteristic (notify only; HRS 3.1).
HEART_RATE_MEASUREMENT: Final[int] = 0x2A37
HEART_RATE_MEASUREMENT_UUID: Final[str] = uuid16_to_str(HEART_RATE_MEASUREMENT)
#: Battery service and its Battery Level characteristic.
BATTERY_SERVICE: Final[int] = 0x180F
BATTERY_SERVICE_UUID: Final[str] = uuid16_to_str(BATTERY_SERVICE)
BATTERY_LEVEL: Final[int] = 0x2A19
BATTERY_LEVEL_UUID: Final[str] = uuid16_to_str(BATTERY_LEVEL)

# --- Heart Rate Measurement flags (HRS 3.1; GSS heart_rate_measurement "Flags") ------------------
#: Bit 0: the heart rate is a uint16 (else uint8).
FLAG_HR_UINT16: Final[int] = 0x01
#: Bit 1: sensor contact detected (meaningful only with bit 2).
FLAG_CONTACT_DETECTED: Final[int] = 0x02
#: Bit 2: sensor contact feature supported. Status values 0 and 1 of bits 1-2 both mean
#: "not supported in the current connection"; 2 means supported, no contact; 3 contact.
FLAG_CONTACT_SUPPORTED: Final[int] = 0x04
#: Bit 3: the Energy Expended field (uint16, kJ) is present.
FLAG_ENERGY_PRESENT: Final[int] = 0x08
#: Bit 4: one or more RR-Interval values are present.
FLAG_RR_PRESENT: Final[int] = 0x10
#: Bits 5-7 are reserved for future use. We IGNORE them: a receiver that refused them would
#: break on the first strap built to a later revision that defines them for something optional,
#: and the layout of every field we read is fixed by bits 0, 3 and 4 alone. The hypothesis test
#: in tests/devices/test_gatt.py checks that these bits never change the result.
FLAGS_RESERVED: Final[int] = 0xE0

#: RR-Interval resolution: 1/1024 s per unit (HRS 3.1, RR-Interval field).
RR_UNITS_PER_S: Final[int] = 1024
MS_PER_S: Final[int] = 1000
#: Battery Level is a percentage 0-100 (GSS "Battery Level").
MAX_BATTERY_PERCENT: Final[int] = 100

_UINT8_BYTES: Final[int] = 1
_UINT16_BYTES: Final[int] = 2


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One decoded Heart Rate Measurement notification (0x2A37).

    Attributes
    ----------
    heart_rate_bpm : int
        Heart rate in beats per minute as the sensor sent it (uint8 or uint16). Some straps send
        0 while they have no skin contact.
    rr_ms : list of float
        RR intervals in ms, oldest first, exactly ``raw * 1000 / 1024`` (no rounding; the
        division by a power of two is exact in binary floating point). Empty when the packet
        carries none.
    energy_kj : int or None
        Cumulative energy expended in kJ, when the packet carries it.
    contact : bool or None
        Whether the sensor has skin contact; None when the sensor does not support contact
        detection (flag bits 1-2 = 0 or 1).
    """

    heart_rate_bpm: int
    rr_ms: list[float]
    energy_kj: int | None = None
    contact: bool | None = None


def _uint16(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + _UINT16_BYTES], "little")


def parse_heart_rate_measurement(data: bytes | bytearray | memoryview) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement (0x2A37) notification.

    Layout (HRS v1.0 section 3.1; GSS ``heart_rate_measurement``), little-endian::

        flags (uint8)
        heart rate (uint8, or uint16 when flags bit 0)
        energy expended (uint16 kJ, only when flags bit 3)
        RR-Interval (uint16 in 1/1024 s) x n, n >= 1, only when flags bit 4; oldest first

    Parameters
    ----------
    data : bytes-like
        The characteristic value as received.

    Returns
    -------
    HeartRateMeasurement

    Raises
    ------
    ValueError
        For an empty packet, a packet shorter than its flags announce, RR bytes that are not a
        whole number of uint16 values (or none although bit 4 announces "one or more"), or
        bytes left over after the announced fields (bit 4 clear). The message names the flags
        and the byte counts. Reserved flag bits 5-7 are ignored (see ``FLAGS_RESERVED``).

    Examples
    --------
    Energy expended (300 kJ) followed by one RR of 1024/1024 s: the energy bytes are not an RR
    interval (reading them as one is the polar-python bug: 300 / 1.024 = a fake 293 ms).

    >>> parse_heart_rate_measurement(bytes([0x18, 72, 0x2C, 0x01, 0x00, 0x04]))
    HeartRateMeasurement(heart_rate_bpm=72, rr_ms=[1000.0], energy_kj=300, contact=None)

    A 16-bit heart rate, contact supported but not detected:

    >>> parse_heart_rate_measurement(bytes([0x05, 0x2C, 0x01]))
    HeartRateMeasurement(heart_rate_bpm=300, rr_ms=[], energy_kj=None, contact=False)
    """
    packet = bytes(data)
    if not packet:
        raise ValueError(
            "heart rate measurement: empty packet (expected a flags byte and a heart rate)"
        )
    flags = packet[0]
    hr_bytes = _UINT16_BYTES if flags & FLAG_HR_UINT16 else _UINT8_BYTES
    has_energy = bool(flags & FLAG_ENERGY_PRESENT)
    has_rr = bool(flags & FLAG_RR_PRESENT)
    # The fixed part the flags announce, plus at least one RR value when bit 4 is set ("one or
    # more RR-Interval values are present").
    fixed = 1 + hr_bytes + (_UINT16_BYTES if has_energy else 0)
    needed = fixed + (_UINT16_BYTES if has_rr else 0)
    if len(packet) < needed:
        parts = [f"a {8 * hr_bytes}-bit heart rate"]
        if has_energy:
            parts.append("energy expended")
        if has_rr:
            parts.append("at least one RR interval")
        raise ValueError(
            f"heart rate measurement: flags 0x{flags:02x} announce {' + '.join(parts)} "
            f"({needed} bytes), but the packet has {len(packet)}"
        )

    offset = 1
    heart_rate = int.from_bytes(packet[offset : offset + hr_bytes], "little")
    offset += hr_bytes

    energy: int | None = None
    if has_energy:
        energy = _uint16(packet, offset)
        offset += _UINT16_BYTES

    rest = len(packet) - offset
    rr_ms: list[float] = []
    if has_rr:
        if rest % _UINT16_BYTES:
            raise ValueError(
                f"heart rate measurement: {rest} RR bytes after offset {offset} "
                "(expected a whole number of 2-byte RR intervals)"
            )
        rr_ms = [
            _uint16(packet, i) * MS_PER_S / RR_UNITS_PER_S
            for i in range(offset, len(packet), _UINT16_BYTES)
        ]
    elif rest:
        # Bytes that no flag announces: most likely RR values with bit 4 clear. Guessing would
        # invent or drop beats, so the packet is refused and counted by the caller.
        raise ValueError(
            f"heart rate measurement: {rest} bytes after offset {offset} that flags "
            f"0x{flags:02x} do not announce (RR bit 4 is clear)"
        )

    contact: bool | None = None
    if flags & FLAG_CONTACT_SUPPORTED:
        contact = bool(flags & FLAG_CONTACT_DETECTED)

    return HeartRateMeasurement(
        heart_rate_bpm=heart_rate, rr_ms=rr_ms, energy_kj=energy, contact=contact
    )


def parse_battery_level(data: bytes | bytearray | memoryview) -> int:
    """Decode a Battery Level (0x2A19) value: one uint8, a percentage 0-100.

    Parameters
    ----------
    data : bytes-like
        The characteristic value as read.

    Returns
    -------
    int
        Battery charge in percent.

    Raises
    ------
    ValueError
        If the value is not exactly one byte or is above 100.

    Examples
    --------
    >>> parse_battery_level(b"\\x5a")
    90
    """
    value = bytes(data)
    if len(value) != _UINT8_BYTES:
        raise ValueError(f"battery level: expected 1 byte (percent), got {len(value)}")
    if value[0] > MAX_BATTERY_PERCENT:
        raise ValueError(f"battery level: expected 0-100 percent, got {value[0]}")
    return value[0]
