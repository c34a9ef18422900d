"""Heart Rate Measurement packets (characteristic 0x2A37) for the tests of the parsers: the
Python one (vagus.devices.gatt) and the browser's (static/strap.js), which must agree byte for
byte. Bluetooth SIG Heart Rate Service 1.0, section 3.1.
"""

from __future__ import annotations

import itertools
import random
from typing import Any, Final

from vagus.devices.gatt import parse_heart_rate_measurement

#: Flag bits: heart rate as uint16, energy expended present, RR intervals present.
HR16: Final = 0x01
ENERGY: Final = 0x08
RR: Final = 0x10


def encode(
    hr: int,
    *,
    hr16: bool = False,
    energy: int | None = None,
    rr_raw: list[int] | None = None,
    contact_bits: int = 0,
    reserved: int = 0,
) -> list[int]:
    """A packet, byte by byte (the inverse of the parser); RR in 1/1024 s.

    >>> encode(64, rr_raw=[1024])
    [16, 64, 0, 4]
    """
    flags = (HR16 if hr16 else 0) | (ENERGY if energy is not None else 0)
    flags |= (RR if rr_raw else 0) | (contact_bits << 1) | (reserved & 0xE0)
    out = bytes([flags]) + hr.to_bytes(2 if hr16 else 1, "little")
    if energy is not None:
        out += energy.to_bytes(2, "little")
    for value in rr_raw or []:
        out += value.to_bytes(2, "little")
    return list(out)


def packet_vectors(rng: random.Random, n_random: int) -> list[list[int]]:
    """tests/devices/test_gatt.py's packets, the parser's every error, every flag combination,
    and ``n_random`` random byte strings of 0-12 bytes."""
    vectors = [
        [0x00, 62],
        [HR16, 0x2C, 0x01],
        encode(64, rr_raw=[1024, 512, 1000]),
        encode(72, energy=300, rr_raw=[820, 840]),
        [0x18, 72, 0x2C, 0x01, 0x00, 0x04],
        [0x16, 60, 0x00, 0x04],
        [0x05, 0x2C, 0x01],
        encode(90, energy=65535),
        encode(180, hr16=True, energy=12, rr_raw=[341], contact_bits=3),
        *[encode(70, rr_raw=[800], reserved=r) for r in (0x20, 0x40, 0x80, 0xE0)],
        # Malformed: the parser's every error.
        [],
        [0x00],
        [HR16, 0x48],
        [ENERGY, 70, 0x01],
        [RR, 70],
        [RR | ENERGY, 70, 1, 0],
        [RR, 70, 0x00, 0x04, 0x01],
        [0x00, 70, 0x00, 0x04],
    ]
    flag_choices = itertools.product([False, True], range(4), [False, True], [False, True])
    for hr16, bits, energy, rr in flag_choices:
        vectors.append(
            encode(
                1234 if hr16 else 123,
                hr16=hr16,
                contact_bits=bits,
                energy=4321 if energy else None,
                rr_raw=[700, 65535, 0] if rr else [],
            )
        )
    vectors += [[rng.randrange(256) for _ in range(rng.randrange(13))] for _ in range(n_random)]
    return vectors


def python_parse(packet: list[int]) -> dict[str, Any]:
    """What vagus.devices.gatt makes of a packet, in the shape the JavaScript tests return:
    ``{"ok": {hr_bpm, contact, energy_kj, rr_ms}}`` or ``{"error": message}``."""
    try:
        m = parse_heart_rate_measurement(bytes(packet))
    except ValueError as error:
        return {"error": str(error)}
    return {
        "ok": {
            "hr_bpm": m.heart_rate_bpm,
            "contact": m.contact,
            "energy_kj": m.energy_kj,
            "rr_ms": m.rr_ms,
        }
    }
