"""The breathing pacer: which phase of the breath a person is in, computed from elapsed time.

A :class:`BreathPattern` is four phase lengths (in, hold, out, hold) in seconds. The pacer is a
pure function of the pattern and the time elapsed since the exercise began: it never counts timer
ticks, so a slow or irregular timer (a busy browser tab, a sleeping laptop) cannot make it drift
(DESIGN.md habit 9; OpenHRV's pacer works the same way).

Exact arithmetic. Every phase length is held as a whole number of milliseconds, and elapsed time
is rounded to the nearest millisecond before any division, so phase boundaries fall exactly at
``k * cycle_ms + offset_ms`` for every cycle ``k``, after 5 minutes or 5 hours alike. The web app
ports this module to JavaScript; the whole algorithm is::

    t   = floor(elapsed_s * 1000 + 0.5)          # integer ms (JS: Math.floor(x * 1000 + 0.5))
    k   = floor(t / cycle_ms)                    # completed cycles
    r   = t - k * cycle_ms                       # ms into the current cycle, 0 <= r < cycle_ms
    phase = the first phase whose end offset is > r (zero-length holds are skipped)

Allowed rates are 3-12 breaths per minute: slow breathing as guided here sits around 6/min
(0.1 Hz, where heart-rate oscillations resonate; Lehrer & Gevirtz 2014, Front Psychol 5:756), and
the brief's default of 4 s in and 8 s out is 5/min. Above 12/min is ordinary resting breathing,
not a slow-breathing exercise; below 3/min (a 20 s cycle) asks for breaths so long that beginners
over-breathe or strain (SAFETY.md: 37.5 % of beginners hyperventilate on day 1 of 0.1 Hz breathing).

>>> p = BreathPattern(inhale_s=4.0, exhale_s=8.0)
>>> p.rate_bpm
5.0
>>> s = phase_at(p, 13.0)
>>> (s.phase, s.cycle, s.phase_elapsed_s, s.phase_remaining_s)
('inhale', 1, 1.0, 3.0)
>>> boundaries(p, 24.0)
[(0.0, 'inhale'), (4.0, 'exhale'), (12.0, 'inhale'), (16.0, 'exhale')]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final, Literal

from vagus.errors import UserError

Phase = Literal["inhale", "hold_in", "exhale", "hold_out"]
#: The phases in the order they occur within one breath cycle.
PHASES: Final[tuple[Phase, ...]] = ("inhale", "hold_in", "exhale", "hold_out")

#: Slowest and fastest allowed breathing rates, breaths per minute (see the module docstring).
MIN_RATE_BPM: Final[float] = 3.0
MAX_RATE_BPM: Final[float] = 12.0
#: The shortest in- or out-breath: under a second there is no calm breath to guide.
MIN_BREATH_PART_S: Final[float] = 1.0
#: The same bounds in the integer milliseconds the pacer computes in.
MS_PER_S: Final[int] = 1000
MIN_CYCLE_MS: Final[int] = round(60 * MS_PER_S / MAX_RATE_BPM)  # 5000 ms at 12/min
MAX_CYCLE_MS: Final[int] = round(60 * MS_PER_S / MIN_RATE_BPM)  # 20000 ms at 3/min
MIN_BREATH_PART_MS: Final[int] = round(MIN_BREATH_PART_S * MS_PER_S)
#: The brief's default ratio: breathe out about twice as long as in (PROGRAM.md, exercise 1).
DEFAULT_EXHALE_RATIO: Final[float] = 2.0


class PacerError(UserError):
    """A breathing pattern outside what the pacer guides (the message says which bound)."""


def to_ms(seconds: float) -> int:
    """Round seconds to the nearest whole millisecond, halves up (as JavaScript's Math.round).

    Parameters
    ----------
    seconds : float
        A time in seconds (finite).

    Returns
    -------
    int
        Milliseconds. Python's ``round`` rounds halves to even; the JavaScript port uses
        ``Math.floor(x * 1000 + 0.5)``, so this does the same to keep both sides identical.

    >>> to_ms(5.5), to_ms(0.0004), to_ms(0.0005)
    (5500, 0, 1)
    """
    return math.floor(seconds * MS_PER_S + 0.5)


def _seconds(ms: int) -> float:
    return ms / MS_PER_S


@dataclass(frozen=True)
class BreathPattern:
    """One breath cycle: in, hold, out, hold, in seconds.

    Each part is rounded to the nearest millisecond when the pattern is made (the stored values
    are those rounded ones), so that the pacer's arithmetic is exact.

    Parameters
    ----------
    inhale_s, exhale_s : float
        Length of the in- and out-breath in seconds, each at least 1 s.
    hold_in_s, hold_out_s : float
        Pauses after the in- and after the out-breath in seconds, 0 for none.

    Raises
    ------
    PacerError
        A part is negative or not finite, the in- or out-breath is shorter than 1 s, or the rate
        (60 / cycle length) is outside 3-12 breaths per minute.

    >>> BreathPattern(5.5, 5.5).rate_bpm
    5.454545454545454
    >>> BreathPattern(2.0, 2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vagus.program.pacer.PacerError: breathing rate 15 breaths/min (a 4 s cycle) is outside the ...
    """

    inhale_s: float = 4.0
    exhale_s: float = 8.0
    hold_in_s: float = 0.0
    hold_out_s: float = 0.0
    # The four lengths in integer ms, computed once (phase_at is called every animation frame).
    _ms: tuple[int, int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("inhale_s", "hold_in_s", "exhale_s", "hold_out_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PacerError(f"{name} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise PacerError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
            # Store the millisecond-rounded value, so the fields and the exact ms agree.
            object.__setattr__(self, name, _seconds(to_ms(float(value))))
        object.__setattr__(
            self,
            "_ms",
            (
                to_ms(self.inhale_s),
                to_ms(self.hold_in_s),
                to_ms(self.exhale_s),
                to_ms(self.hold_out_s),
            ),
        )
        for name, part_ms in (("inhale_s", self._ms[0]), ("exhale_s", self._ms[2])):
            if part_ms < MIN_BREATH_PART_MS:
                raise PacerError(
                    f"{name} must be at least {MIN_BREATH_PART_S:g} s, "
                    f"got {part_ms / MS_PER_S:g} s",
                    name,
                    key="errors.breath_part_short",
                    name=name,
                    low=float(MIN_BREATH_PART_S),
                    value=part_ms / MS_PER_S,
                )
        cycle = self.cycle_ms
        if not MIN_CYCLE_MS <= cycle <= MAX_CYCLE_MS:
            hint = "slower" if cycle < MIN_CYCLE_MS else "faster"
            raise PacerError(
                f"breathing rate {60 * MS_PER_S / cycle:.3g} breaths/min (a {cycle / MS_PER_S:g} s "
                f"cycle) is outside the allowed {MIN_RATE_BPM:g}-{MAX_RATE_BPM:g} breaths/min: "
                f"make the breath {hint}",
                key="errors.breath_rate_slower"
                if hint == "slower"
                else "errors.breath_rate_faster",
                rate=round(60 * MS_PER_S / cycle, 1),
                cycle_s=cycle / MS_PER_S,
                low=float(MIN_RATE_BPM),
                high=float(MAX_RATE_BPM),
            )

    @classmethod
    def from_rate(cls, bpm: float, ratio: float = DEFAULT_EXHALE_RATIO) -> BreathPattern:
        """A pattern with no holds at ``bpm`` breaths per minute, out-breath ``ratio`` x in-breath.

        Parameters
        ----------
        bpm : float
            Breaths per minute, 3-12.
        ratio : float
            Out-breath length divided by in-breath length, > 0 (default 2: out twice as long).

        Returns
        -------
        BreathPattern
            The cycle is ``60 / bpm`` s rounded to the millisecond; the in-breath is rounded to
            the millisecond and the out-breath takes the rest, so the cycle stays exact.

        >>> BreathPattern.from_rate(6.0)
        BreathPattern(inhale_s=3.333, exhale_s=6.667, hold_in_s=0.0, hold_out_s=0.0)
        >>> BreathPattern.from_rate(5.0, ratio=1.0)
        BreathPattern(inhale_s=6.0, exhale_s=6.0, hold_in_s=0.0, hold_out_s=0.0)
        """
        if not (math.isfinite(bpm) and MIN_RATE_BPM <= bpm <= MAX_RATE_BPM):
            raise PacerError(
                f"breathing rate {bpm:g} breaths/min is outside the allowed "
                f"{MIN_RATE_BPM:g}-{MAX_RATE_BPM:g} breaths/min",
                key="errors.breath_rate",
                rate=float(bpm),
                low=float(MIN_RATE_BPM),
                high=float(MAX_RATE_BPM),
            )
        if not (math.isfinite(ratio) and ratio > 0):
            raise PacerError(f"ratio (out-breath / in-breath) must be > 0, got {ratio:g}")
        cycle_ms = to_ms(60.0 / bpm)
        inhale_ms = to_ms(cycle_ms / (1.0 + ratio) / MS_PER_S)
        return cls(inhale_s=_seconds(inhale_ms), exhale_s=_seconds(cycle_ms - inhale_ms))

    def durations_ms(self) -> tuple[int, int, int, int]:
        """The four phase lengths in whole milliseconds, in the order of :data:`PHASES`."""
        return self._ms

    @property
    def cycle_ms(self) -> int:
        """Length of one breath cycle in whole milliseconds."""
        return sum(self._ms)

    @property
    def cycle_s(self) -> float:
        """Length of one breath cycle in seconds."""
        return _seconds(self.cycle_ms)

    @property
    def rate_bpm(self) -> float:
        """Breaths per minute, 60 / cycle length in seconds."""
        return 60 * MS_PER_S / self.cycle_ms


@dataclass(frozen=True)
class PacerState:
    """Where the breath is at one moment.

    Attributes
    ----------
    phase : Phase
        ``"inhale"``, ``"hold_in"``, ``"exhale"`` or ``"hold_out"``.
    cycle : int
        Completed breath cycles before this one (0 during the first breath).
    phase_elapsed_s, phase_remaining_s : float
        Seconds into the phase and left of it; they add up to the phase length.
    lung : float
        Fill of the breathing animation, 0 (empty) to 1 (full); see :func:`lung_fill`.
    """

    phase: Phase
    cycle: int
    phase_elapsed_s: float
    phase_remaining_s: float
    lung: float


def lung_fill(phase: Phase, fraction: float) -> float:
    """Fill of the breathing animation, 0..1, at ``fraction`` (0..1) of the way through a phase.

    Easing: a half cosine, ``(1 - cos(pi * f)) / 2`` rising during the in-breath and its mirror
    falling during the out-breath; 1 during the hold after the in-breath, 0 during the hold after
    the out-breath. Why a cosine: the volume of a calm breath follows a smooth, roughly sinusoidal
    curve, with the air flow (the slope) zero at each turn of the breath and fastest mid-breath. A
    linear ramp would start and stop abruptly at every turn, which invites jerky, forced breaths;
    the cosine also joins the holds without a jump in speed.

    >>> [round(lung_fill("inhale", f), 3) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    [0.0, 0.146, 0.5, 0.854, 1.0]
    >>> lung_fill("exhale", 0.0), lung_fill("exhale", 1.0)
    (1.0, 0.0)
    >>> lung_fill("hold_in", 0.3), lung_fill("hold_out", 0.3)
    (1.0, 0.0)
    """
    f = min(max(fraction, 0.0), 1.0)
    if phase == "inhale":
        return (1.0 - math.cos(math.pi * f)) / 2.0
    if phase == "exhale":
        return (1.0 + math.cos(math.pi * f)) / 2.0
    return 1.0 if phase == "hold_in" else 0.0


def phase_at(pattern: BreathPattern, elapsed_s: float) -> PacerState:
    """The pacer's state ``elapsed_s`` seconds after the first in-breath began.

    Parameters
    ----------
    pattern : BreathPattern
        The breath cycle.
    elapsed_s : float
        Seconds since the start (>= 0), excluding pauses; rounded to the nearest millisecond.

    Returns
    -------
    PacerState
        A phase boundary belongs to the phase that starts there: at exactly 4 s into a
        4 s in / 8 s out pattern the out-breath has begun (``phase_elapsed_s == 0``).

    Raises
    ------
    PacerError
        ``elapsed_s`` is negative or not finite.

    >>> p = BreathPattern(4.0, 6.0, hold_in_s=2.0)
    >>> [phase_at(p, t).phase for t in (0.0, 3.999, 4.0, 6.0, 11.999, 12.0)]
    ['inhale', 'inhale', 'hold_in', 'exhale', 'exhale', 'inhale']
    >>> phase_at(p, 9.0).lung
    0.5
    """
    if not math.isfinite(elapsed_s) or elapsed_s < 0:
        raise PacerError(f"elapsed time must be a finite number of seconds >= 0, got {elapsed_s}")
    t_ms = to_ms(elapsed_s)
    cycle_ms = pattern.cycle_ms
    cycle, r_ms = divmod(t_ms, cycle_ms)
    start_ms = 0
    for phase, length_ms in zip(PHASES, pattern.durations_ms(), strict=True):
        end_ms = start_ms + length_ms
        if r_ms < end_ms:  # zero-length holds never satisfy this: they are skipped
            into_ms = r_ms - start_ms
            return PacerState(
                phase=phase,
                cycle=cycle,
                phase_elapsed_s=_seconds(into_ms),
                phase_remaining_s=_seconds(end_ms - r_ms),
                lung=lung_fill(phase, into_ms / length_ms),
            )
        start_ms = end_ms
    raise AssertionError("unreachable: r_ms < cycle_ms always falls in a phase")  # pragma: no cover


def boundaries(pattern: BreathPattern, duration_s: float) -> list[tuple[float, Phase]]:
    """Every phase start in ``[0, duration_s)``: ``(seconds since start, phase)``.

    Parameters
    ----------
    pattern : BreathPattern
        The breath cycle.
    duration_s : float
        Length of the stretch to list, seconds (>= 0; rounded to the millisecond).

    Returns
    -------
    list of (float, Phase)
        In time order; the times are exactly ``(k * cycle_ms + offset_ms) / 1000`` and a
        zero-length hold has no entry.

    >>> boundaries(BreathPattern(4.0, 4.0, hold_in_s=1.0, hold_out_s=1.0), 10.0)
    [(0.0, 'inhale'), (4.0, 'hold_in'), (5.0, 'exhale'), (9.0, 'hold_out')]
    """
    if not math.isfinite(duration_s) or duration_s < 0:
        raise PacerError(f"duration must be a finite number of seconds >= 0, got {duration_s}")
    end_ms = to_ms(duration_s)
    offsets: list[tuple[int, Phase]] = []
    start_ms = 0
    for phase, length_ms in zip(PHASES, pattern.durations_ms(), strict=True):
        if length_ms > 0:
            offsets.append((start_ms, phase))
        start_ms += length_ms
    out: list[tuple[float, Phase]] = []
    cycle_start_ms = 0
    while cycle_start_ms < end_ms:
        for offset_ms, phase in offsets:
            t_ms = cycle_start_ms + offset_ms
            if t_ms >= end_ms:
                break
            out.append((_seconds(t_ms), phase))
        cycle_start_ms += pattern.cycle_ms
    return out
