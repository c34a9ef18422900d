"""One sensor-spec type, parsed once: ``replay[:FILE]``, ``simulated``, ``ble[:ADDRESS]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from vagus.app.errors import AppError

SensorKindName = Literal["replay", "simulated", "ble"]
#: Longest Bluetooth address or platform id accepted after ``ble:`` (a macOS UUID is 36).
MAX_SENSOR_ADDRESS: Final = 64


@dataclass(frozen=True)
class SensorSpec:
    """Which sensor to use.

    >>> SensorSpec.parse(" ble:AA:BB:CC:DD:EE:FF ")
    SensorSpec(kind='ble', argument='AA:BB:CC:DD:EE:FF')
    >>> str(SensorSpec.parse("replay:ride.fit"))
    'replay:ride.fit'
    >>> SensorSpec.parse("usb")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    vagus.app.errors.AppError: sensor: expected replay, replay:FILE, ... got 'usb'
    """

    kind: SensorKindName
    argument: str = ""

    @classmethod
    def parse(cls, spec: str) -> SensorSpec:
        clean = spec.strip()
        kind, colon, argument = clean.partition(":")
        argument = argument.strip()
        if kind == "simulated" and not colon:
            return cls("simulated")
        if kind == "replay" and (not colon or argument):
            return cls("replay", argument)
        if kind == "ble" and (not colon or (argument and len(argument) <= MAX_SENSOR_ADDRESS)):
            return cls("ble", argument)
        raise AppError(
            f"sensor: expected replay, replay:FILE, simulated, ble or ble:ADDRESS, got {clean!r}",
            "sensor",
            key="errors.sensor_spec",
            got=clean,
        )

    @classmethod
    def parse_for_web(cls, spec: str) -> SensorSpec:
        """As :meth:`parse`, but a file replay is refused: a web form (or an imported file)
        must not name files on the server's disk.

        >>> SensorSpec.parse_for_web("replay:/etc/passwd")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        vagus.app.errors.AppError: sensor: expected replay, simulated, ... got 'replay:/etc/passwd'
        """
        try:
            parsed: SensorSpec | None = cls.parse(spec)
        except AppError:
            parsed = None
        if parsed is None or parsed.is_file_replay:
            raise AppError(
                f"sensor: expected replay, simulated, ble or ble:ADDRESS, got {spec.strip()!r}",
                "sensor",
                key="errors.sensor_spec",
                got=spec.strip(),
            )
        return parsed

    @property
    def is_file_replay(self) -> bool:
        return self.kind == "replay" and bool(self.argument)

    def __str__(self) -> str:
        return f"{self.kind}:{self.argument}" if self.argument else self.kind
