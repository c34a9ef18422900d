"""The breathing pacer: validation, exact phase boundaries over 5 minutes, the lung easing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vagus.program.pacer import (
    PHASES,
    BreathPattern,
    PacerError,
    Phase,
    boundaries,
    lung_fill,
    phase_at,
    to_ms,
)

FIVE_MINUTES_MS = 5 * 60 * 1000

# Patterns with holds, non-integer seconds and a cycle that is not a whole second.
PATTERNS = {
    "4-8 (the default, 5/min)": BreathPattern(4.0, 8.0),
    "5.5-5.5 (5.45/min)": BreathPattern(5.5, 5.5),
    "4 in, 2 hold, 6 out": BreathPattern(4.0, 6.0, hold_in_s=2.0),
    "box 4-4-4-4 (3.75/min)": BreathPattern(4.0, 4.0, hold_in_s=4.0, hold_out_s=4.0),
    "3.3, 1.2, 5.5, 0.7 (10.7 s)": BreathPattern(3.3, 5.5, hold_in_s=1.2, hold_out_s=0.7),
    "from_rate(7) (8.571 s)": BreathPattern.from_rate(7.0),
}


def expected_boundaries(pattern: BreathPattern, end_ms: int) -> list[tuple[int, Phase, int]]:
    """(ms, phase, cycle) of every phase start in [0, end_ms), from k * cycle + offset alone."""
    lengths = pattern.durations_ms()
    out = []
    k = 0
    while k * pattern.cycle_ms < end_ms:
        offset = 0
        for phase, length in zip(PHASES, lengths, strict=True):
            t = k * pattern.cycle_ms + offset
            if length and t < end_ms:
                out.append((t, phase, k))
            offset += length
        k += 1
    return out


# --- validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parts", "needle"),
    [
        ((2.0, 2.0), "breathing rate 15 breaths/min (a 4 s cycle) is outside the allowed 3-12"),
        ((10.0, 15.0), "breathing rate 2.4 breaths/min (a 25 s cycle) is outside the allowed 3-12"),
        ((2.0, 2.999), "breathing rate 12 breaths/min (a 4.999 s cycle)"),
        ((8.0, 12.001), "(a 20.001 s cycle) is outside the allowed 3-12 breaths/min"),
        ((0.5, 8.0), "inhale_s must be at least 1 s, got 0.5 s"),
        ((4.0, 0.0), "exhale_s must be at least 1 s, got 0 s"),
    ],
)
def test_refused_patterns_name_the_rate_and_range(parts: tuple[float, float], needle: str) -> None:
    with pytest.raises(PacerError) as info:
        BreathPattern(*parts)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_refused_holds_and_non_numbers() -> None:
    with pytest.raises(PacerError, match="hold_in_s must be a finite number of seconds >= 0"):
        BreathPattern(4.0, 6.0, hold_in_s=-1.0)
    with pytest.raises(PacerError, match="hold_out_s must be a finite"):
        BreathPattern(4.0, 6.0, hold_out_s=math.nan)
    with pytest.raises(PacerError, match="inhale_s must be a number of seconds"):
        BreathPattern("4", 6.0)  # type: ignore[arg-type]


def test_rate_bounds_are_inclusive() -> None:
    # 5.000 s (12/min) and 20.000 s (3/min) are allowed; 1 ms beyond either is not (above).
    assert BreathPattern(2.0, 3.0).rate_bpm == 12.0
    assert BreathPattern(8.0, 12.0).rate_bpm == 3.0
    assert BreathPattern(4.0, 8.0).rate_bpm == 5.0
    assert BreathPattern(5.5, 5.5).rate_bpm == pytest.approx(60 / 11, rel=1e-15)


def test_parts_are_rounded_to_the_millisecond() -> None:
    p = BreathPattern(4.0004, 7.9996)
    assert (p.inhale_s, p.exhale_s) == (4.0, 8.0)
    assert p.durations_ms() == (4000, 0, 8000, 0)
    assert p == BreathPattern(4.0, 8.0)
    # Halves round up, as JavaScript's Math.round does (Python's round would give 0 and 2).
    assert (to_ms(0.0005), to_ms(0.0015), to_ms(0.0025)) == (1, 2, 3)


def test_from_rate() -> None:
    p6 = BreathPattern.from_rate(6.0)
    assert p6.cycle_ms == 10_000
    assert p6.durations_ms() == (3333, 0, 6667, 0)
    p7 = BreathPattern.from_rate(7.0, ratio=1.5)
    assert p7.cycle_ms == 8571  # 60/7 s = 8571.43 ms, rounded
    assert p7.rate_bpm == pytest.approx(7.0, abs=1e-3)  # 7.0003/min after rounding
    assert p7.durations_ms()[0] == 3428  # 8571 / 2.5 = 3428.4
    assert BreathPattern.from_rate(3.0).cycle_ms == 20_000
    assert BreathPattern.from_rate(12.0).cycle_ms == 5_000
    with pytest.raises(PacerError, match=r"breathing rate 13 breaths/min is outside .* 3-12"):
        BreathPattern.from_rate(13.0)
    with pytest.raises(PacerError, match="ratio"):
        BreathPattern.from_rate(6.0, ratio=0.0)


# --- exact boundaries -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PATTERNS))
def test_every_boundary_in_five_minutes_falls_on_the_exact_millisecond(name: str) -> None:
    pattern = PATTERNS[name]
    expected = expected_boundaries(pattern, FIVE_MINUTES_MS + 1)
    assert len(expected) > 2 * (FIVE_MINUTES_MS // pattern.cycle_ms)
    previous: Phase | None = None
    for t_ms, phase, k in expected:
        at = phase_at(pattern, t_ms / 1000)
        # At the boundary the new phase has just begun: 0 ms into it, the whole length left.
        assert (at.phase, at.cycle, at.phase_elapsed_s) == (phase, k, 0.0), (name, t_ms)
        if t_ms > 0:
            before = phase_at(pattern, (t_ms - 1) / 1000)
            assert before.phase == previous, (name, t_ms)
            assert before.phase_remaining_s == 0.001, (name, t_ms)
        previous = phase
    # boundaries() lists the same starts, at times that are exactly ms / 1000.
    listed = boundaries(pattern, FIVE_MINUTES_MS / 1000 + 0.001)
    assert listed == [(t / 1000, phase) for t, phase, _ in expected]


def test_full_five_minute_scan_in_1_ms_steps_matches_integer_arithmetic() -> None:
    """Every millisecond of 5 minutes, against an independent numpy oracle, and a float clock.

    The float clock adds 0.001 s 300,000 times, as a naive timer loop would; its error after 5
    minutes is about 1e-10 s, far below the 0.5 ms rounding, so it lands on the same integer
    millisecond at every step, and phase_at (a function of that millisecond alone) agrees.
    """
    pattern = PATTERNS["3.3, 1.2, 5.5, 0.7 (10.7 s)"]
    t = np.arange(FIVE_MINUTES_MS + 1, dtype=np.int64)
    ends = np.cumsum(pattern.durations_ms())
    r = t % pattern.cycle_ms
    want_phase = np.searchsorted(ends, r, side="right").tolist()
    want_cycle = (t // pattern.cycle_ms).tolist()
    index = {p: n for n, p in enumerate(PHASES)}
    float_clock = 0.0
    changes = 0
    last = None
    for ms in range(FIVE_MINUTES_MS + 1):
        exact = phase_at(pattern, ms / 1000)
        assert index[exact.phase] == want_phase[ms], ms
        assert exact.cycle == want_cycle[ms], ms
        assert to_ms(float_clock) == ms, (ms, float_clock)
        if exact.phase != last:
            changes += 1
            last = exact.phase
        float_clock += 0.001
    assert float_clock != 300.001  # the naive clock did drift ...
    assert abs(float_clock - 300.001) < 1e-6  # ... by far less than half a millisecond
    assert phase_at(pattern, float_clock) == phase_at(pattern, 300.001)
    assert changes == len(boundaries(pattern, 300.001))
    # 28 cycles of 10.7 s end at exactly 299.6 s.
    s = phase_at(pattern, 299.6)
    assert (s.phase, s.cycle, s.phase_elapsed_s) == ("inhale", 28, 0.0)


def test_phase_times_add_up_and_rounding_is_to_nearest_ms() -> None:
    p = BreathPattern(4.0, 8.0)
    for t in (0.0, 1.234, 3.999, 4.0, 7.5, 11.999, 12.0, 299.999):
        s = phase_at(p, t)
        length = 4.0 if s.phase == "inhale" else 8.0
        assert s.phase_elapsed_s + s.phase_remaining_s == pytest.approx(length, abs=1e-12)
    assert phase_at(p, 3.9994).phase == "inhale"  # 3999 ms
    assert phase_at(p, 3.9995).phase == "exhale"  # rounds to 4000 ms
    with pytest.raises(PacerError, match="elapsed time"):
        phase_at(p, -0.001)
    with pytest.raises(PacerError, match="duration"):
        boundaries(p, math.inf)


def test_zero_holds_have_no_boundary() -> None:
    assert [ph for _, ph in boundaries(BreathPattern(4.0, 8.0), 60.0)] == ["inhale", "exhale"] * 5
    assert boundaries(BreathPattern(4.0, 8.0), 0.0) == []


# --- the lung easing ------------------------------------------------------------------------------
def test_lung_rises_holds_falls_and_never_jumps() -> None:
    p = BreathPattern(4.0, 6.0, hold_in_s=2.0, hold_out_s=2.0)  # 14 s cycle
    lungs = [phase_at(p, ms / 1000) for ms in range(3 * p.cycle_ms)]
    for s in lungs:
        assert 0.0 <= s.lung <= 1.0
        if s.phase == "hold_in":
            assert s.lung == 1.0
        if s.phase == "hold_out":
            assert s.lung == 0.0
    values = np.array([s.lung for s in lungs])
    phases = [s.phase for s in lungs]
    steps = np.diff(values)
    for n, d in enumerate(steps):
        if phases[n] == phases[n + 1] == "inhale":
            assert d > 0
        if phases[n] == phases[n + 1] == "exhale":
            assert d < 0
    # A half cosine over a phase of L ms changes by at most pi / (2 L) per ms (its largest
    # slope), also across phase boundaries: the animation never jumps.
    assert np.max(np.abs(steps)) <= math.pi / (2 * 4000) + 1e-12
    # Midpoints: half full halfway through the in- and the out-breath.
    assert phase_at(p, 2.0).lung == pytest.approx(0.5, abs=1e-15)
    assert phase_at(p, 9.0).lung == pytest.approx(0.5, abs=1e-15)


def test_lung_fill_clamps_the_fraction() -> None:
    assert lung_fill("inhale", -1.0) == 0.0
    assert lung_fill("inhale", 2.0) == 1.0
    assert lung_fill("exhale", 2.0) == 0.0
