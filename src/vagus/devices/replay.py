"""A sensor with no hardware that plays a real RR recording, in real time or faster.

:class:`ReplaySensor` yields each beat of a recording when its time comes: beat ``k`` is due at
``start + (rr_1 + ... + rr_k) / speed``, where ``start`` is the moment the sensor was entered.
Every due time is computed from that one start, never by adding up the sleeps, so a sleep that
wakes late, a busy event loop or a slow consumer delays the beats it touches and no others: the
schedule cannot drift (the rule the breathing pacer follows too, DESIGN.md habit 9). A consumer
that falls behind gets the backlog at once, each beat with its own correct ``t_s``.

The clock and the sleep are injected, so tests run a 30-minute recording in milliseconds.

Without a path the sensor plays the recording that ships with vagus: MIT-BIH Arrhythmia Database
record 100 (30 minutes with 34 real premature beats; PhysioNet, ODC-By 1.0, see the header of
``vagus/data/example_rr.txt``). Any RR text or CSV file :func:`vagus.hrv.read_rr` reads can be
played; other formats (FIT, EDF, WFDB...) are read by ``vagus.formats``, which sensors may not
import, so the app loads them and hands the intervals to :meth:`ReplaySensor.from_rr`.

>>> import asyncio
>>> async def first_three() -> list[Beat]:
...     async with ReplaySensor.from_rr([800.0, 810.0, 790.0], speed=1000.0) as sensor:
...         return [beat async for beat in sensor.beats()]
>>> [(round(b.t_s, 3), b.rr_ms) for b in asyncio.run(first_three())]
[(0.8, 800.0), (1.61, 810.0), (2.4, 790.0)]
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Final, Self

import numpy as np

from vagus.devices._sensor import Beat, SensorError, SensorInfo, SensorKind
from vagus.hrv import RrDataError, parse_rr_text, read_rr, validate_rr
from vagus.hrv._types import FloatArray

#: A coroutine function that waits the given number of seconds (``asyncio.sleep``, or a fake).
Sleep = Callable[[float], Awaitable[None]]
#: A monotonic clock in seconds (``time.monotonic``, or a fake).
Clock = Callable[[], float]

#: The recording that ships with the package (inside ``vagus/data``), and its display name.
EXAMPLE_RR_FILE: Final[str] = "example_rr.txt"
EXAMPLE_NAME: Final[str] = "MIT-BIH 100 (example)"
MS_PER_S: Final[float] = 1000.0
#: The source name :func:`vagus.hrv.validate_rr` puts at the start of its messages.
_VALIDATE_SOURCE: Final[str] = "input"


def check_speed(speed: float) -> float:
    """Return ``speed`` as a float, or raise ValueError unless it is finite and > 0.

    >>> check_speed(100)
    100.0
    >>> check_speed(0)
    Traceback (most recent call last):
    ...
    ValueError: speed must be a finite number > 0 (1 is real time), got 0
    """
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ValueError(f"speed must be a number > 0 (1 is real time), got {speed!r}")
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a finite number > 0 (1 is real time), got {speed:g}")
    return float(speed)


class _ScheduledSensor:
    """Shared lifecycle of the sensors with no hardware: a beat schedule played against a clock.

    A subclass says what it is (:attr:`info`) and how to make a fresh, time-ordered stream of
    beats (:meth:`_schedule`, ``t_s`` in seconds since the stream began). This class plays that
    stream in time. Entering starts the stream (``t_s = 0`` is that moment) and entering an open
    sensor does nothing; exiting stops it, and exiting a closed one does nothing. Entering again
    after an exit starts a new stream from its beginning, as a strap's stream restarts on
    reconnection. No task is started, so there is nothing left running after exit: the beats are
    produced inside the consumer's own ``async for``.
    """

    def __init__(self, *, speed: float, sleep: Sleep, clock: Clock) -> None:
        self._speed = check_speed(speed)
        self._sleep = sleep
        self._clock = clock
        self._stream: Iterator[Beat] | None = None
        self._pending: Beat | None = None  # taken from the stream, not yet delivered
        self._start_s = 0.0
        # Bumped on every beats() call and on exit: an older iterator that wakes up and sees a
        # newer generation stops, so a reader that broke out of its loop never races a new one.
        self._generation = 0

    @property
    def info(self) -> SensorInfo:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @property
    def speed(self) -> float:
        """How many times faster than real time the beats come (1.0 is real time)."""
        return self._speed

    @property
    def is_open(self) -> bool:
        """True between enter and exit."""
        return self._stream is not None

    @property
    def started_at_s(self) -> float | None:
        """The clock reading when the stream began (``t_s = 0``), or None when not entered.

        A beat's clock time is ``started_at_s + t_s / speed``: what the app needs to line the
        simulator's breathing up with a pacer that started at another moment.
        """
        return self._start_s if self._stream is not None else None

    def _schedule(self) -> Iterator[Beat]:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        if self._stream is None:
            self._stream = self._schedule()
            self._pending = None
            self._start_s = self._clock()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Idempotent, and never swallows the exception that ended the block (returns None).
        self._stream = None
        self._pending = None
        self._generation += 1

    async def beats(self) -> AsyncIterator[Beat]:
        """Yield the beats as their time comes, oldest first, until the stream ends or exit.

        Each beat is yielded after one sleep until ``start + beat.t_s / speed`` on the clock
        (or at once when that time has passed), never by summing earlier sleeps. A reader
        that falls behind gets the waiting beats at once (the event loop is still given a turn
        between them). Breaking out of the loop and calling :meth:`beats` again continues with
        the next beat not yet delivered; only the newest iterator delivers beats.

        Raises
        ------
        SensorError
            When the sensor is not entered (``async with sensor:``).
        """
        if self._stream is None:
            raise SensorError(f"{self.info.name}: not connected; use 'async with sensor:' first")
        self._generation += 1
        generation = self._generation
        while self._generation == generation and self._stream is not None:
            if self._pending is None:
                self._pending = next(self._stream, None)
                if self._pending is None:
                    return  # the recording has ended
            due_s = self._start_s + self._pending.t_s / self._speed
            delay_s = due_s - self._clock()
            if delay_s > 0:
                await self._sleep(delay_s)
            else:
                await asyncio.sleep(0)  # a backlog: still let other tasks run between beats
            if self._generation != generation or self._pending is None:
                return  # exited, or a newer reader took over while this one slept
            beat, self._pending = self._pending, None
            yield beat


def _example_rr() -> FloatArray:
    """The RR intervals of the recording that ships with vagus (MIT-BIH record 100)."""
    file = resources.files("vagus") / "data" / EXAMPLE_RR_FILE
    # Read through importlib.resources, so it works from a wheel or a zip as well as a checkout;
    # vagus.app.example_rr_path() is the same file, but devices may not import app.
    return parse_rr_text(file.read_text(encoding="utf-8"), source=EXAMPLE_RR_FILE, unit="ms")


class ReplaySensor(_ScheduledSensor):
    """A real RR recording played as a live sensor, in real time or ``speed`` times faster.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A file of RR intervals that :func:`vagus.hrv.read_rr` reads (one per line, or CSV with an
        RR column; ms or s). ``None`` plays the recording that ships with vagus, MIT-BIH 100.
        For other formats load the file with ``vagus.formats`` and use :meth:`from_rr`.
    speed : float
        Playback speed, > 0: 1 is real time, 100 plays a minute in 0.6 s.
    loop : bool
        Start over at the end, forever. The first beat of every repeat has ``gap_before=True``
        (the jump from the last beat back to the first is no real interval); ``t_s`` keeps
        growing across repeats.
    sleep : callable
        ``await sleep(seconds)``; injected for tests (default :func:`asyncio.sleep`).
    clock : callable
        Monotonic clock in seconds; injected for tests (default :func:`time.monotonic`).

    Raises
    ------
    SensorError
        When the file is missing, unreadable or not RR data; the message is
        :func:`~vagus.hrv.read_rr`'s, which names the file and the line.
    ValueError
        When ``speed`` is not a finite number > 0.

    Notes
    -----
    Beat ``k`` (1-based) has ``rr_ms = rr[k - 1]`` exactly as read, ``t_s`` the sum of the
    first ``k`` intervals in seconds, and ``hr_bpm = None`` (a file of intervals reports no
    separate heart rate). The file is read when the sensor is made, so a bad file is reported
    at once, before anything starts.

    Examples
    --------
    >>> sensor = ReplaySensor()
    >>> sensor.info.kind, sensor.info.name, round(sensor.duration_s / 60.0, 1)
    ('replay', 'replay: MIT-BIH 100 (example)', 30.1)
    >>> ReplaySensor("no-such-file.txt")
    Traceback (most recent call last):
    ...
    vagus.devices._sensor.SensorError: no-such-file.txt: no such file
    """

    KIND: Final[SensorKind] = "replay"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        speed: float = 1.0,
        loop: bool = False,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        try:
            if path is None:
                rr_ms, name = _example_rr(), EXAMPLE_NAME
            else:
                rr_ms, name = read_rr(path), Path(path).name
        except RrDataError as error:
            raise SensorError(str(error)) from error
        self._setup(rr_ms, name=name, loop=loop)
        super().__init__(speed=speed, sleep=sleep, clock=clock)

    def _setup(self, rr_ms: FloatArray, *, name: str, loop: bool) -> None:
        self._rr_ms = rr_ms
        self._rr_ms.setflags(write=False)
        # Beat times as the running sum of the intervals, computed once for the whole file.
        self._t_s = np.cumsum(rr_ms) / MS_PER_S
        self._loop = bool(loop)
        self._info = SensorInfo(kind=self.KIND, name=f"replay: {name}")

    @classmethod
    def from_rr(
        cls,
        rr_ms: Iterable[float] | FloatArray,
        *,
        name: str = "RR intervals",
        speed: float = 1.0,
        loop: bool = False,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> ReplaySensor:
        """Replay RR intervals already loaded (by ``vagus.formats``, or made in a test).

        Parameters
        ----------
        rr_ms : array_like of float
            RR intervals in ms, oldest first; validated by :func:`vagus.hrv.validate_rr`
            (finite and positive, with a typical value of 200-3000 ms; single outliers are
            kept, as a strap would send them).
        name : str
            What the recording is called, shown as ``"replay: <name>"`` (the file name).
        speed, loop, sleep, clock
            As for :class:`ReplaySensor`.

        Raises
        ------
        SensorError
            When the intervals are not valid RR data; the message says which index and why.

        >>> ReplaySensor.from_rr([812.0, 798.5], name="ride.fit").info.name
        'replay: ride.fit'
        >>> ReplaySensor.from_rr([812.0, -1.0])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        vagus.devices._sensor.SensorError: RR intervals, index 1: an RR interval must be a ...
        """
        try:
            rr = validate_rr(rr_ms, unit="ms")
        except RrDataError as error:
            # validate_rr names its source "input"; say which recording it is instead.
            message = str(error)
            if message.startswith(_VALIDATE_SOURCE):
                message = name + message.removeprefix(_VALIDATE_SOURCE)
            raise SensorError(message) from error
        sensor = cls.__new__(cls)
        sensor._setup(np.array(rr, dtype=np.float64), name=name, loop=loop)
        _ScheduledSensor.__init__(sensor, speed=speed, sleep=sleep, clock=clock)
        return sensor

    @property
    def info(self) -> SensorInfo:
        """``kind="replay"``; the name is ``"replay: <file name>"``."""
        return self._info

    @property
    def rr_ms(self) -> FloatArray:
        """The recording's RR intervals in ms (read-only)."""
        return self._rr_ms

    @property
    def duration_s(self) -> float:
        """Length of one pass through the recording in seconds (the sum of the intervals)."""
        return float(self._t_s[-1])

    @property
    def loop(self) -> bool:
        """True when the recording starts over at its end."""
        return self._loop

    def _schedule(self) -> Iterator[Beat]:
        rr = self._rr_ms.tolist()
        times = self._t_s.tolist()
        repeats = itertools.count() if self._loop else range(1)
        for repeat in repeats:
            # Repeat n starts where n whole passes end; multiply rather than add up, so a day of
            # looping does not collect rounding error.
            offset_s = repeat * self.duration_s
            for k, (rr_ms, t_s) in enumerate(zip(rr, times, strict=True)):
                yield Beat(t_s=offset_s + t_s, rr_ms=rr_ms, gap_before=repeat > 0 and k == 0)
