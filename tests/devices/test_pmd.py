"""Polar Measurement Data (PMD): requests, control-point responses, settings and ECG frames.

The byte vectors marked "Polar" are the ones in Polar's own SDK unit tests (polar-ble-sdk,
EcgDataTest.kt, BlePmdClientControlPointResponseTest.kt, PmdSettingTest.kt): the parser must
agree with the vendor's reading of its own protocol.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vagus.devices import pmd
from vagus.devices.pmd import (
    EcgFrame,
    choose_ecg_settings,
    ecg_start_request,
    parse_control_point_response,
    parse_data_frame,
    parse_ecg_frame,
    parse_ecg_supported,
    parse_measurement_stopped,
    parse_settings,
)


def ecg_frame_bytes(timestamp_ns: int, samples: list[int], *, frame_type: int = 0) -> bytes:
    """Encoder used only here: type 0 (ECG), uint64 LE timestamp, frame type, 3-byte LE samples."""
    out = bytes([0x00]) + timestamp_ns.to_bytes(8, "little") + bytes([frame_type])
    for sample in samples:
        out += sample.to_bytes(3, "little", signed=True)
    return out


def test_uuids() -> None:
    assert pmd.PMD_SERVICE_UUID == "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
    assert pmd.PMD_CONTROL_POINT_UUID == "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
    assert pmd.PMD_DATA_UUID == "fb005c82-02e7-f387-1cad-8acd2d8df0c8"


def test_requests_are_the_documented_bytes() -> None:
    # op 0x02 start, type 0 ECG, [setting 0 sample rate, 1 value, 130 LE16],
    # [setting 1 resolution, 1 value, 14 LE16]
    assert ecg_start_request() == bytes(
        [0x02, 0x00, 0x00, 0x01, 0x82, 0x00, 0x01, 0x01, 0x0E, 0x00]
    )
    assert ecg_start_request(500, 16) == bytes.fromhex("02 00 00 01 f4 01 01 01 10 00")
    stop, settings = pmd.ECG_STOP_REQUEST, pmd.ECG_SETTINGS_REQUEST
    assert stop == bytes([0x03, 0x00])
    assert settings == bytes([0x01, 0x00])


@pytest.mark.parametrize(("rate", "bits"), [(0, 14), (130, 0), (65536, 14), (-1, 14)])
def test_start_request_refuses_values_outside_uint16(rate: int, bits: int) -> None:
    with pytest.raises(ValueError, match="expected 1-65535"):
        ecg_start_request(rate, bits)


def test_control_point_success_response_polar_vector() -> None:
    # Polar: F0 01 02 00 00 FF FF FF -> settings request, ACC, success, no more, 3 parameters.
    response = parse_control_point_response(bytes.fromhex("F0 01 02 00 00 FF FF FF"))
    assert (response.op_code, response.measurement_type, response.status) == (1, 2, 0)
    assert response.ok
    assert not response.more
    assert response.parameters == b"\xff\xff\xff"


def test_control_point_error_response_polar_vector() -> None:
    # Polar: F0 01 06 07 00 -> settings request, MAG, "invalid resolution"; no parameters.
    response = parse_control_point_response(bytes.fromhex("F0 01 06 07 00"))
    assert not response.ok
    assert response.status_name == "invalid resolution"
    assert (response.more, response.parameters) == (False, b"")


def test_control_point_more_flag_and_unknown_status() -> None:
    assert parse_control_point_response(bytes.fromhex("F0 01 00 00 01 00 01 82 00")).more
    assert not parse_control_point_response(bytes.fromhex("F0 02 00 00")).more
    assert parse_control_point_response(bytes.fromhex("F0 02 00 63")).status_name == (
        "unknown status 99"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "at least 4 bytes"), (b"\xf0\x02\x00", "got 3"), (b"\x01\x02\x00\x00", "0x01")],
)
def test_control_point_refuses_what_is_not_a_response(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_control_point_response(data)


def test_measurement_stopped_message() -> None:
    assert parse_measurement_stopped(bytes([0x01, 0x00, 0x02])) == {0, 2}
    with pytest.raises(ValueError, match="expected first byte 0x01, got 0xf0"):
        parse_measurement_stopped(bytes([0xF0, 0x00]))
    with pytest.raises(ValueError, match="got nothing"):
        parse_measurement_stopped(b"")


def test_feature_read_ecg_bit() -> None:
    assert parse_ecg_supported(bytes([0x0F, 0x01, 0x00]))
    assert not parse_ecg_supported(bytes([0x0F, 0x04, 0x00]))  # ACC only
    with pytest.raises(ValueError, match="at least 2 bytes"):
        parse_ecg_supported(b"\x0f")


def test_settings_polar_vector() -> None:
    # Polar (PmdSettingTest): 52 Hz, 16 bit, ranges 245/500/1000/2000, 3 channels.
    data = bytes.fromhex("00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03")
    assert parse_settings(data) == {0: (52,), 1: (16,), 2: (245, 500, 1000, 2000), 4: (3,)}


def test_settings_of_an_h10_ecg_and_the_choice() -> None:
    offered = parse_settings(bytes.fromhex("00 01 82 00 01 01 0E 00"))
    assert offered == {pmd.SETTING_SAMPLE_RATE: (130,), pmd.SETTING_RESOLUTION: (14,)}
    assert choose_ecg_settings(offered) == (130, 14)


@pytest.mark.parametrize(
    ("offered", "choice"),
    [
        ({}, (130, 14)),
        ({0: (250, 500)}, (500, 14)),
        ({0: (130, 500), 1: (14, 16)}, (130, 16)),
        ({0: (0,), 1: (0,)}, (130, 14)),
    ],
)
def test_choose_ecg_settings(offered: dict[int, tuple[int, ...]], choice: tuple[int, int]) -> None:
    assert choose_ecg_settings(offered) == choice


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes([0x09, 0x01, 0x00]), "unknown setting type 9"),
        (bytes([0x00]), "has no count"),
        (bytes([0x00, 0x02, 0x82, 0x00, 0x01]), "announces 2 values of 2 bytes"),
    ],
)
def test_settings_refuse_unknown_types_and_truncation(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_settings(data)


def test_ecg_frame_polar_vector() -> None:
    # Polar (EcgDataTest, type 0): timestamp 00 94 35 77 00 00 00 00 = 2,000,000,000 ns;
    # samples 02 80 FF = -32766 uV and 02 80 00 = 32770 uV.
    frame = parse_ecg_frame(bytes.fromhex("00 00 94 35 77 00 00 00 00 00 02 80 FF 02 80 00"))
    assert frame == EcgFrame(timestamp_ns=2_000_000_000, samples_uv=(-32766, 32770))


def test_ecg_frame_extremes_and_a_full_h10_frame() -> None:
    samples = [-(2**23), 2**23 - 1, 0, -1, 1, *range(-34, 34)]  # 73 samples, as an H10
    assert len(samples) == 73
    frame = parse_ecg_frame(ecg_frame_bytes(599_616_023_171_427_290, samples))
    assert frame.samples_uv == tuple(samples)
    assert frame.timestamp_ns == 599_616_023_171_427_290


def test_data_frame_header() -> None:
    header = parse_data_frame(bytes([0x42]) + (2**64 - 1).to_bytes(8, "little") + b"\x85xyz")
    assert header.measurement_type == 0x02  # top two bits masked off, as the SDK does
    assert header.timestamp_ns == 2**64 - 1
    assert (header.frame_type, header.compressed, header.payload) == (5, True, b"xyz")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "10-byte header, got 0 bytes"),
        (bytes(9), "got 9 bytes"),
        (bytes(10), "positive whole number of 3-byte samples, got 0 bytes"),
        (bytes(10) + b"\x01\x02", "got 2 bytes"),
        (bytes([0x02]) + bytes(9) + bytes(3), "measurement type 0 \\(ECG\\), got 2"),
        (bytes(9) + b"\x01" + bytes(3), "got type 1"),
        (bytes(9) + b"\x80" + bytes(3), "got compressed type 0"),
    ],
    ids=["empty", "short-header", "no-samples", "partial-sample", "acc", "type-1", "compressed"],
)
def test_ecg_frame_refuses_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ecg_frame(data)


def test_sample_times_follow_the_sdk() -> None:
    frame = EcgFrame(timestamp_ns=10_000_000_000, samples_uv=(1, 2, 3))
    # First frame: spaced by 1/130 s back from the frame's (last-sample) timestamp.
    step = 1e9 / 130
    assert frame.sample_times_ns() == [round(10e9 - 2 * step), round(10e9 - step), 10_000_000_000]
    # With the previous frame's timestamp: evenly between it (exclusive) and this one.
    assert frame.sample_times_ns(previous_timestamp_ns=9_970_000_000) == [
        9_980_000_000,
        9_990_000_000,
        10_000_000_000,
    ]
    with pytest.raises(ValueError, match="expected before"):
        frame.sample_times_ns(previous_timestamp_ns=10_000_000_000)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        frame.sample_times_ns(sample_rate_hz=0)


def test_polar_epoch_offset() -> None:
    from datetime import UTC, datetime

    epoch = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    offset_ns = pmd.POLAR_EPOCH_UNIX_NS
    assert offset_ns == round(epoch) * 1_000_000_000


@given(st.binary(max_size=64))
def test_any_bytes_ecg_frame_parse_or_raise_value_error(data: bytes) -> None:
    try:
        frame = parse_ecg_frame(data)
    except ValueError:
        return
    assert len(data) == 10 + 3 * len(frame.samples_uv)
    assert all(-(2**23) <= s < 2**23 for s in frame.samples_uv)


@given(st.binary(max_size=32))
def test_any_bytes_other_parsers_parse_or_raise_value_error(data: bytes) -> None:
    for parser in (
        parse_data_frame,
        parse_control_point_response,
        parse_measurement_stopped,
        parse_settings,
        parse_ecg_supported,
    ):
        with contextlib.suppress(ValueError):
            parser(data)  # anything else propagates and fails the test


@given(
    timestamp=st.integers(0, 2**64 - 1),
    samples=st.lists(st.integers(-(2**23), 2**23 - 1), min_size=1, max_size=80),
)
def test_ecg_round_trip(timestamp: int, samples: list[int]) -> None:
    frame = parse_ecg_frame(ecg_frame_bytes(timestamp, samples))
    assert frame == EcgFrame(timestamp_ns=timestamp, samples_uv=tuple(samples))


@given(
    settings=st.dictionaries(
        st.sampled_from(sorted(pmd.SETTING_VALUE_BYTES)),
        st.lists(st.integers(0, 255), min_size=1, max_size=4),
        max_size=6,
    )
)
def test_settings_round_trip(settings: dict[int, list[int]]) -> None:
    data = b""
    for kind, values in settings.items():
        size = pmd.SETTING_VALUE_BYTES[kind]
        data += bytes([kind, len(values)]) + b"".join(v.to_bytes(size, "little") for v in values)
    assert parse_settings(data) == {kind: tuple(values) for kind, values in settings.items()}
