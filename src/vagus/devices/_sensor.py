"""The one Sensor protocol every heart-rate source implements (BLE strap, replay, simulator).

A sensor is an async context manager (connect on enter, always disconnect and stop streams on
exit) whose :meth:`Sensor.beats` yields :class:`Beat` objects as they arrive, oldest first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

SensorKind = Literal["ble", "replay", "simulated"]


class SensorError(RuntimeError):
    """A problem a person can act on (no Bluetooth, strap not found, file unreadable)."""


@dataclass(frozen=True)
class Beat:
    """One heartbeat as a sensor reports it.

    Attributes
    ----------
    t_s : float
        Time of the beat in seconds since the stream started (monotonic, the sensor's own
        timeline: for a strap, the sum of RR intervals since connection plus any gaps).
    rr_ms : float
        The RR interval that ends with this beat, in ms (exact, as the sensor sent it).
    hr_bpm : float or None
        The heart rate the sensor reported with it, if any.
    gap_before : bool
        True when data was lost just before this beat (a drop, a reconnect, lost skin contact,
        or more wall-clock time since the last beat than its RR values account for): the
        interval before it is not continuous with the previous beat, and streaming HRV must not
        take a successive difference across it. A packet with a heart rate but no RR is not by
        itself a gap: below 60 bpm a strap sends such packets between beats.
    """

    t_s: float
    rr_ms: float
    hr_bpm: float | None = None
    gap_before: bool = False


@dataclass(frozen=True)
class SensorInfo:
    """What is known about the connected sensor."""

    kind: SensorKind
    name: str
    address: str | None = None
    battery_percent: int | None = None


@runtime_checkable
class Sensor(Protocol):
    """A source of beats. Use as ``async with sensor: async for beat in sensor.beats(): ...``."""

    @property
    def info(self) -> SensorInfo: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def beats(self) -> AsyncIterator[Beat]: ...
