"""The Heart Rate Measurement and Battery Level parsers, against hand-built packets and fuzzing.

Packets are built byte by byte from the layout of the Heart Rate Service v1.0, section 3.1
(flags; uint8/uint16 heart rate; optional uint16 energy in kJ; uint16 RR values in 1/1024 s,
oldest first; all little-endian). RR values are compared exactly (==): raw * 1000 / 1024 is
exact in binary floating point, so no tolerance is needed.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vagus.devices import gatt
from vagus.devices.gatt import (
    HeartRateMeasurement,
    normalize_uuid,
    parse_battery_level,
    parse_heart_rate_measurement,
)

# Flag bits, spelled out here rather than imported, so that a wrong constant in gatt.py fails.
HR16, DETECTED, SUPPORTED, ENERGY, RR = 0x01, 0x02, 0x04, 0x08, 0x10


def encode(
    hr: int,
    *,
    hr16: bool = False,
    energy: int | None = None,
    rr_raw: list[int] | None = None,
    contact: bool | None = None,
    contact_bits: int | None = None,
    reserved: int = 0,
) -> bytes:
    """An encoder that lives only in the tests: the inverse of the parser."""
    flags = (HR16 if hr16 else 0) | (ENERGY if energy is not None else 0)
    flags |= RR if rr_raw else 0
    if contact_bits is not None:
        flags |= contact_bits << 1
    elif contact is not None:
        flags |= SUPPORTED | (DETECTED if contact else 0)
    flags |= reserved & 0xE0
    out = bytes([flags]) + hr.to_bytes(2 if hr16 else 1, "little")
    if energy is not None:
        out += energy.to_bytes(2, "little")
    for value in rr_raw or []:
        out += value.to_bytes(2, "little")
    return out


def test_uuids_are_the_sig_assigned_numbers_and_agree_with_bleak() -> None:
    from bleak.uuids import normalize_uuid_16, uuidstr_to_str

    assert gatt.HEART_RATE_SERVICE == 0x180D
    assert gatt.HEART_RATE_MEASUREMENT == 0x2A37
    assert gatt.BATTERY_SERVICE == 0x180F
    assert gatt.BATTERY_LEVEL == 0x2A19
    assert gatt.HEART_RATE_SERVICE_UUID == "0000180d-0000-1000-8000-00805f9b34fb"
    assert gatt.HEART_RATE_MEASUREMENT_UUID == "00002a37-0000-1000-8000-00805f9b34fb"
    assert gatt.BATTERY_SERVICE_UUID == "0000180f-0000-1000-8000-00805f9b34fb"
    assert gatt.BATTERY_LEVEL_UUID == "00002a19-0000-1000-8000-00805f9b34fb"
    # bleak's own table of assigned numbers names the same UUIDs.
    for number, full, name in [
        (0x180D, gatt.HEART_RATE_SERVICE_UUID, "Heart Rate"),
        (0x2A37, gatt.HEART_RATE_MEASUREMENT_UUID, "Heart Rate Measurement"),
        (0x180F, gatt.BATTERY_SERVICE_UUID, "Battery Service"),
        (0x2A19, gatt.BATTERY_LEVEL_UUID, "Battery Level"),
    ]:
        assert normalize_uuid_16(number) == full
        assert uuidstr_to_str(full) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("180D", "0000180d-0000-1000-8000-00805f9b34fb"),
        ("180d", "0000180d-0000-1000-8000-00805f9b34fb"),
        ("0000180D", "0000180d-0000-1000-8000-00805f9b34fb"),
        ("0000180D-0000-1000-8000-00805F9B34FB", "0000180d-0000-1000-8000-00805f9b34fb"),
        (" fb005c80-02e7-f387-1cad-8acd2d8df0c8 ", "fb005c80-02e7-f387-1cad-8acd2d8df0c8"),
    ],
)
def test_normalize_uuid_accepts_16_32_and_128_bit_forms(text: str, expected: str) -> None:
    assert normalize_uuid(text) == expected


@pytest.mark.parametrize("text", ["", "18D", "xyz1", "0000180d00001000800000805f9b34fb", "-"])
def test_normalize_uuid_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="UUID"):
        normalize_uuid(text)


def test_uint8_heart_rate_only() -> None:
    assert parse_heart_rate_measurement(bytes([0x00, 62])) == HeartRateMeasurement(
        heart_rate_bpm=62, rr_ms=[], energy_kj=None, contact=None
    )


def test_uint16_heart_rate_is_little_endian() -> None:
    # 0x012C = 300 bpm; read as uint8 it would be 44 (0x2C), the "nonsense" of a fixed parser.
    measurement = parse_heart_rate_measurement(bytes([HR16, 0x2C, 0x01]))
    assert measurement.heart_rate_bpm == 300


def test_one_and_several_rr_values_oldest_first_exact() -> None:
    measurement = parse_heart_rate_measurement(encode(64, rr_raw=[1024, 512, 1000]))
    assert measurement.rr_ms == [1000.0, 500.0, 1000 * 1000 / 1024]
    assert measurement.rr_ms[2] == 976.5625  # exactly, no rounding


def test_energy_and_rr_is_not_read_as_a_fake_rr() -> None:
    """polar-python's bug: with the energy flag it reads the energy bytes as the first RR."""
    packet = encode(72, energy=300, rr_raw=[820, 840])
    measurement = parse_heart_rate_measurement(packet)
    assert measurement.energy_kj == 300
    assert measurement.rr_ms == [820 * 1000 / 1024, 840 * 1000 / 1024]
    fake_rr_ms = 300 * 1000 / 1024  # what a fixed-offset parser reports: 292.97 ms
    assert round(fake_rr_ms) == 293
    assert all(abs(rr - fake_rr_ms) > 100 for rr in measurement.rr_ms)


def test_energy_without_rr() -> None:
    measurement = parse_heart_rate_measurement(encode(90, energy=65535))
    assert (measurement.energy_kj, measurement.rr_ms) == (65535, [])


def test_uint16_heart_rate_with_energy_and_rr() -> None:
    measurement = parse_heart_rate_measurement(
        encode(180, hr16=True, energy=12, rr_raw=[341], contact=True)
    )
    assert measurement == HeartRateMeasurement(
        heart_rate_bpm=180, rr_ms=[341 * 1000 / 1024], energy_kj=12, contact=True
    )


@pytest.mark.parametrize(
    ("bits", "contact"),
    [(0b00, None), (0b01, None), (0b10, False), (0b11, True)],
    ids=["unsupported-0", "unsupported-1", "supported-no-contact", "contact"],
)
def test_sensor_contact_status(bits: int, contact: bool | None) -> None:
    # GSS: status 0 and 1 both mean "not supported in the current connection".
    measurement = parse_heart_rate_measurement(encode(70, contact_bits=bits, rr_raw=[800]))
    assert measurement.contact is contact
    assert measurement.rr_ms == [800 * 1000 / 1024]


@pytest.mark.parametrize(
    ("hr16", "contact_bits", "energy", "rr"),
    list(itertools.product([False, True], range(4), [False, True], [False, True])),
)
def test_every_flag_combination(hr16: bool, contact_bits: int, energy: bool, rr: bool) -> None:
    """All 32 combinations of the five defined flag bits decode to what was encoded."""
    hr = 1234 if hr16 else 123
    rr_raw = [700, 65535, 0] if rr else []
    packet = encode(
        hr, hr16=hr16, contact_bits=contact_bits, energy=4321 if energy else None, rr_raw=rr_raw
    )
    measurement = parse_heart_rate_measurement(packet)
    assert measurement.heart_rate_bpm == hr
    assert measurement.energy_kj == (4321 if energy else None)
    assert measurement.rr_ms == [value * 1000 / 1024 for value in rr_raw]
    assert measurement.contact == {0: None, 1: None, 2: False, 3: True}[contact_bits]


def test_reserved_flag_bits_are_ignored() -> None:
    plain = parse_heart_rate_measurement(encode(70, rr_raw=[800]))
    for reserved in (0x20, 0x40, 0x80, 0xE0):
        assert parse_heart_rate_measurement(encode(70, rr_raw=[800], reserved=reserved)) == plain


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (b"", "empty packet"),
        (bytes([0x00]), r"8-bit heart rate \(2 bytes\), but the packet has 1"),
        (bytes([HR16, 0x48]), r"16-bit heart rate \(3 bytes\), but the packet has 2"),
        (bytes([ENERGY, 70, 0x01]), r"energy expended \(4 bytes\), but the packet has 3"),
        (bytes([RR, 70]), r"at least one RR interval \(4 bytes\), but the packet has 2"),
        (bytes([RR | ENERGY, 70, 1, 0]), r"\(6 bytes\), but the packet has 4"),
        (bytes([RR, 70, 0x00, 0x04, 0x01]), "3 RR bytes after offset 2"),
        (bytes([0x00, 70, 0x00, 0x04]), "2 bytes after offset 2 that flags 0x00 do not announce"),
    ],
    ids=[
        "empty",
        "no-hr",
        "short-hr16",
        "short-energy",
        "rr-flag-no-rr",
        "short-both",
        "odd-rr",
        "extra-bytes",
    ],
)
def test_malformed_packets_raise_value_error_with_the_reason(packet: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_heart_rate_measurement(packet)


def test_accepts_bytearray_and_memoryview() -> None:
    packet = encode(70, rr_raw=[800])
    assert parse_heart_rate_measurement(bytearray(packet)) == parse_heart_rate_measurement(
        memoryview(packet)
    )


@given(st.binary(max_size=40))
def test_any_bytes_parse_or_raise_value_error(data: bytes) -> None:
    try:
        measurement = parse_heart_rate_measurement(data)
    except ValueError:
        return
    assert 0 <= measurement.heart_rate_bpm <= 0xFFFF
    assert all(0.0 <= rr < 64_000.0 for rr in measurement.rr_ms)
    # Whatever parsed has the length its flags announce.
    flags = data[0]
    expected = 2 + (flags & HR16) + (2 if flags & ENERGY else 0) + 2 * len(measurement.rr_ms)
    assert len(data) == expected


@given(
    hr16=st.booleans(),
    hr=st.integers(0, 0xFFFF),
    energy=st.none() | st.integers(0, 0xFFFF),
    rr_raw=st.lists(st.integers(0, 0xFFFF), max_size=9),
    contact_bits=st.integers(0, 3),
    reserved=st.sampled_from([0x00, 0x20, 0x40, 0x80, 0xE0]),
)
def test_round_trip(
    hr16: bool,
    hr: int,
    energy: int | None,
    rr_raw: list[int],
    contact_bits: int,
    reserved: int,
) -> None:
    hr = hr if hr16 else hr & 0xFF
    packet = encode(
        hr, hr16=hr16, energy=energy, rr_raw=rr_raw, contact_bits=contact_bits, reserved=reserved
    )
    measurement = parse_heart_rate_measurement(packet)
    assert measurement.heart_rate_bpm == hr
    assert measurement.energy_kj == energy
    assert measurement.rr_ms == [value * 1000 / 1024 for value in rr_raw]
    # And back: the raw 1/1024 s counts are recovered exactly.
    assert [rr * 1024 / 1000 for rr in measurement.rr_ms] == rr_raw
    assert measurement.contact == (None if contact_bits < 2 else contact_bits == 3)


@pytest.mark.parametrize(("value", "percent"), [(b"\x00", 0), (b"\x5a", 90), (b"\x64", 100)])
def test_battery_level(value: bytes, percent: int) -> None:
    assert parse_battery_level(value) == percent


@pytest.mark.parametrize(
    ("value", "message"),
    [(b"", "expected 1 byte"), (b"\x10\x00", "got 2"), (b"\x65", "got 101"), (b"\xff", "255")],
)
def test_battery_level_refuses_bad_values(value: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_battery_level(value)


@given(st.binary(max_size=4))
def test_battery_any_bytes_parse_or_raise_value_error(data: bytes) -> None:
    try:
        percent = parse_battery_level(data)
    except ValueError:
        return
    assert 0 <= percent <= 100
