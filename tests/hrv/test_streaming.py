"""Beat-by-beat HRV (vagus.hrv.streaming) against the batch engine and independent references.

Reference data: the 5- and 60-min NSR series shipped with pyhrv (``nn_short``, ``nn_long`` from
tests/conftest.py). Every threshold below says what was measured when it was set, so that a
change that makes the stream worse fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import trapezoid
from scipy.interpolate import interp1d
from scipy.signal import find_peaks, periodogram

from artifact_injection import inject
from vagus.hrv import correct_rr, time_domain
from vagus.hrv._frequency import band_power
from vagus.hrv._types import BoolArray, FloatArray
from vagus.hrv.streaming import (
    COHERENCE_MAX_HOLE_S,
    REJECT_REASONS,
    StreamingHrv,
    Update,
    _SortedWindow,
    _trapezoid_weights,
    coherence_ratio,
)
from vagus.program.pacer import BreathPattern, phase_at

WINDOW_S = 60.0
COHERENCE_WINDOW_S = 64.0

# --- helpers ------------------------------------------------------------------------------------


def feed(rr: FloatArray, **options: bool) -> list[Update]:
    stream = StreamingHrv(**options)
    return [stream.add(float(x)) for x in rr]


def kept_before_end(updates: list[Update]) -> BoolArray:
    """Beats still kept once the stream has ended: accepted and not taken back by the next."""
    kept = np.array([u.accepted for u in updates])
    for i, u in enumerate(updates):
        if u.retracted_previous:
            kept[i - 1] = False
    return kept


def kept_at(updates: list[Update], final: BoolArray, k: int) -> BoolArray:
    """What the stream holds right after beat k: only beat k - 1 can be taken back at beat k,
    so beats before k are as they end, and beat k as its own update said."""
    kept = final[: k + 1].copy()
    kept[k] = updates[k].accepted
    if updates[k].retracted_previous:
        kept[k - 1] = False
    return kept


def rmssd_of(sq: FloatArray) -> float | None:
    return math.sqrt(float(np.mean(sq))) if sq.size else None


def beats_from(rr_at: Callable[[float], float], duration_s: float) -> FloatArray:
    """RR series whose interval ending at time t is ``rr_at(t_previous)`` ms, up to duration_s."""
    t, out = 0.0, []
    while t < duration_s:
        rr = float(rr_at(t))
        t += rr / 1000.0
        out.append(rr)
    return np.asarray(out)


@pytest.fixture(scope="module")
def artifact_free(nn_long: FloatArray) -> FloatArray:
    """The NSR series corrected by the batch method until it flags nothing (as in
    test_artifacts.py): artifact-free by the method's own standard, like the recordings
    Lipponen & Tarvainen injected artifacts into."""
    series = nn_long
    for _ in range(40):
        corrected, report = correct_rr(series)
        if report.detected == 0 or np.array_equal(corrected, series):
            return corrected
        series = corrected
    raise AssertionError("correction did not settle in 40 passes")


def reference_coherence(t_s: FloatArray, rr_ms: FloatArray, end_s: float) -> tuple[float, float]:
    """McCraty et al. 2009 written again with scipy: 2 Hz linear interpolation of the 64 s
    ending at end_s, scipy's periodogram (Hann, linear detrend, nfft 2000), the highest
    scipy find_peaks peak in 0.04-0.26 Hz, trapezoid integrals with interpolated edges."""
    grid = end_s - (COHERENCE_WINDOW_S - 0.5) + 0.5 * np.arange(128)
    x = interp1d(t_s, rr_ms, kind="linear", bounds_error=False, fill_value=(rr_ms[0], rr_ms[-1]))
    f, p = periodogram(
        x(grid), fs=2.0, window="hann", nfft=2000, detrend="linear", scaling="density"
    )
    in_band = (f >= 0.04 - 1e-9) & (f <= 0.26 + 1e-9)
    peaks, _ = find_peaks(p)
    peaks = peaks[in_band[peaks]]
    band_idx = np.flatnonzero(in_band)
    at = peaks[np.argmax(p[peaks])] if peaks.size else band_idx[np.argmax(p[in_band])]

    def integral(lo: float, hi: float) -> float:
        inside = (f > lo) & (f < hi)
        xs = np.concatenate(([lo], f[inside], [hi]))
        return float(trapezoid(np.interp(xs, f, p), xs))

    peak = integral(f[at] - 0.015, f[at] + 0.015)
    total = integral(0.0033, 0.4)
    return peak / (total - peak), float(f[at])


def coherence_updates(updates: list[Update]) -> list[int]:
    """Indices of the beats at which a (defined) coherence ratio was computed."""
    return [
        i for i, u in enumerate(updates) if u.coherence is not None and u.coherence_t_s == u.t_s
    ]


# --- RMSSD and heart rate against the batch engine ----------------------------------------------


@pytest.mark.parametrize("series", ["nn_short", "nn_long"])
def test_rolling_rmssd_equals_batch_time_domain(
    series: str, request: pytest.FixtureRequest
) -> None:
    """At every beat: RMSSD and ln RMSSD of the stream equal vagus.hrv.time_domain on the same
    60 s window (beats with t in (t_k - 60 s, t_k]), to 1e-9 relative. No rejection, so the
    window is the raw series; heart rate is 60000 / RR of the beat."""
    rr: FloatArray = request.getfixturevalue(series)
    updates = feed(rr, reject_artifacts=False)
    t_ms = np.cumsum(rr)  # whole ms in these files: exact, so the window edges are too
    assert all(u.accepted for u in updates)
    for k, u in enumerate(updates):
        assert u.t_s == t_ms[k] / 1000.0
        assert u.heart_rate_bpm == 60000.0 / rr[k]
        window = rr[(t_ms > t_ms[k] - 1000.0 * WINDOW_S) & (t_ms <= t_ms[k])]
        expected = time_domain(window)
        if window.size < 2:
            assert u.rmssd_ms is None
            continue
        assert u.rmssd_ms == pytest.approx(expected["rmssd"], rel=1e-9, abs=0.0)
        assert u.ln_rmssd == pytest.approx(expected["ln_rmssd"], rel=1e-9, abs=0.0)
    assert updates[-1].n_beats == rr.size
    assert updates[-1].n_rejected == 0


def test_rolling_rmssd_with_rejection_uses_only_successive_kept_beats(
    artifact_free: FloatArray,
) -> None:
    """With artifacts injected and rejection on: at every beat, RMSSD is that of the successive
    differences between directly successive kept beats in the window, where 'kept' is what the
    stream holds after that beat. The newest difference may still wait for the next beat's
    verdict (module docstring), so either value, with or without it, is right."""
    bad, _ = inject(artifact_free, seed=0)
    updates = feed(bad)
    final = kept_before_end(updates)
    t_ms = np.cumsum(bad)  # summed as the stream sums its timeline, so the edges agree
    sq = np.diff(bad) ** 2  # sq[j - 1]: beats j - 1 and j
    waited = 0
    for k in range(1, bad.size):
        kept = kept_at(updates, final, k)
        pair = kept[1:] & kept[:-1]  # pair[j - 1]: beats j - 1 and j both kept
        pair &= t_ms[:k] > t_ms[k] - 1000.0 * WINDOW_S  # its first beat inside the window
        older = pair.copy()
        older[k - 1] = False
        with_newest, without = rmssd_of(sq[:k][pair]), rmssd_of(sq[:k][older])
        got = updates[k].rmssd_ms
        if got is None:
            assert without is None
        elif with_newest is not None and math.isclose(got, with_newest, rel_tol=1e-9):
            continue
        else:
            assert without is not None, k
            assert math.isclose(got, without, rel_tol=1e-9), k
            waited += pair[k - 1]
    # Measured: 227 of 4687 beats (4.8 %) had their difference wait one beat. Bound: 7 %.
    assert waited <= 0.07 * bad.size


def test_no_successive_difference_across_a_gap() -> None:
    rr = 800.0 + 30.0 * np.sin(np.arange(300) / 2.0)
    gaps = {100, 101, 200}
    stream = StreamingHrv(reject_artifacts=False)
    updates = [stream.add(float(x), gap_before=i in gaps) for i, x in enumerate(rr)]
    t_ms = np.cumsum(rr)
    sq = np.diff(rr) ** 2
    allowed = np.array([j not in gaps for j in range(1, rr.size)])
    for k in range(1, rr.size):
        use = allowed[:k] & (t_ms[:k] > t_ms[k] - 1000.0 * WINDOW_S)
        expected = rmssd_of(sq[:k][use])
        assert updates[k].rmssd_ms == (
            pytest.approx(expected, rel=1e-9) if expected is not None else None
        )


def test_first_beat_and_rejected_beats() -> None:
    stream = StreamingHrv(reject_artifacts=False)
    assert stream.snapshot() is None
    first = stream.add(1000.0)
    assert (first.rmssd_ms, first.ln_rmssd, first.heart_rate_bpm) == (None, None, 60.0)
    assert stream.snapshot() is first
    # Outside 200-3000 ms a value is no heartbeat: rejected even with rejection off, counted,
    # kept out of heart rate and RMSSD, but on the timeline.
    out = stream.add(150.0)
    assert (out.accepted, out.reason, out.n_rejected, out.heart_rate_bpm) == (
        False,
        "range",
        1,
        60.0,
    )
    assert out.t_s == pytest.approx(1.15)
    after = stream.add(1000.0)
    assert after.rmssd_ms is None  # no difference across the rejected beat
    assert after.n_beats == 3
    assert set(REJECT_REASONS) == {"range", "missed", "extra", "ectopic", "long", "short"}


# --- online artifact rejection --------------------------------------------------------------------


def test_clean_series_few_rejections(nn_long: FloatArray, artifact_free: FloatArray) -> None:
    # Measured with the batch method's magnitude floors (issue 12): 7 of 4684 beats of the
    # artifact-free series (0.15 %; the batch method flags none, by construction); before the
    # floors 15 (0.32 %), mostly sharp sinus-arrhythmia peaks. Bounds: 1.5 % and 0.6 %.
    raw = feed(nn_long)
    assert raw[-1].n_rejected <= 0.015 * nn_long.size
    clean = feed(artifact_free)
    assert clean[-1].n_rejected <= 0.006 * artifact_free.size
    # n_rejected counts every beat rejected at once or taken back later.
    assert clean[-1].n_rejected == int((~kept_before_end(clean)).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injected_artifacts_are_rejected(artifact_free: FloatArray, seed: int) -> None:
    """An artifact counts as rejected only when every interval it occupies is rejected or taken
    back. False rejections: rejected beats not within one beat of an artifact."""
    bad, where = inject(artifact_free, seed)
    updates = feed(bad)
    rejected = ~kept_before_end(updates)
    near = np.zeros(bad.size, dtype=np.bool_)
    for a in where:
        near[max(0, a.first - 1) : a.last + 2] = True
    found = dict.fromkeys(("missed", "extra", "ectopic"), 0)
    for a in where:
        found[a.kind] += bool(rejected[a.first : a.last + 1].all())
    # Measured (seeds 0, 1, 2), with the magnitude floors and the premature-compensatory
    # pattern (issue 12): missed 20, 20, 20; extra 20, 20, 19; ectopic 20, 20, 19 of 20, so 60,
    # 60, 58 of 60. Required: 90 % in all, 80 % of each kind.
    assert sum(found.values()) >= 0.9 * len(where)
    for kind, count in found.items():
        assert count >= 0.8 * sum(a.kind == kind for a in where), kind
    # Measured: 5, 7, 6 false rejections of 4464 beats (0.11-0.16 %). Bound: 0.5 %.
    assert (rejected & ~near).sum() <= 0.005 * (~near).sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rmssd_with_injected_artifacts_follows_the_clean_series(
    artifact_free: FloatArray, seed: int
) -> None:
    """Rolling RMSSD of the injected series against the clean one at the same times (the
    injection keeps the timeline), after the first minute."""
    clean = feed(artifact_free, reject_artifacts=False)
    t_clean = np.array([u.t_s for u in clean])
    rmssd_clean = np.array([u.rmssd_ms for u in clean], dtype=np.float64)
    bad, _ = inject(artifact_free, seed)

    def errors(updates: list[Update]) -> FloatArray:
        t = np.array([u.t_s for u in updates])
        got = np.array([u.rmssd_ms for u in updates], dtype=np.float64)
        relative: FloatArray = np.abs(got / np.interp(t, t_clean, rmssd_clean) - 1.0)
        return relative[t > WINDOW_S]

    raw = errors(feed(bad, reject_artifacts=False))
    kept = errors(feed(bad))
    # Without rejection the 60 artifacts raise RMSSD by 68-78 % (median over time).
    assert np.median(raw) > 0.5
    # Measured (seeds 0-2): median 1.4, 1.2, 1.1 %; 95th percentile 9.9, 11.3, 10.8 %; worst
    # 27, 29, 31 % (a premature beat that got through). Bounds: 3 %, 15 %, 40 %.
    assert np.median(kept) <= 0.03
    assert np.percentile(kept, 95) <= 0.15
    assert kept.max() <= 0.40


def test_ectopic_pair_taken_back_at_its_second_beat() -> None:
    """A premature beat (160 ms, 20 % early on a sinus rhythm swinging +-40 ms: within the
    thresholds on its own) passes at its own beat and is taken back when its compensatory
    pause arrives. 80 ms (10 %) would not be: the pair must clear the batch method's floors
    (10 % short, a 30 % swing), which a beat of sinus rhythm this regular does not."""
    clean = 800.0 + 40.0 * np.sin(2.0 * np.pi * np.arange(300) / 5.0)
    rr = clean.copy()
    rr[150] -= 160.0
    rr[151] += 160.0
    updates = feed(rr)
    assert updates[150].accepted
    assert updates[151].reason == "ectopic"
    assert updates[151].retracted_previous
    assert updates[-1].n_rejected == 2
    # The heart rate falls back to the last kept beat; RMSSD has neither beat in it.
    assert updates[151].heart_rate_bpm == pytest.approx(60000.0 / rr[149])
    t_ms = np.cumsum(rr)
    keep = np.ones(rr.size, dtype=np.bool_)
    keep[[150, 151]] = False
    k = 200
    pairs = keep[1 : k + 1] & keep[:k] & (t_ms[:k] > t_ms[k] - 1000.0 * WINDOW_S)
    assert updates[k].rmssd_ms == pytest.approx(rmssd_of(np.diff(rr[: k + 1])[pairs] ** 2))


def test_missed_and_extra_beats_on_a_regular_rhythm() -> None:
    base = 800.0 + 40.0 * np.sin(2.0 * np.pi * np.arange(300) / 5.0)
    missed = np.concatenate((base[:150], [base[150] + base[151]], base[152:]))
    updates = feed(missed)
    assert (updates[150].reason, updates[151].accepted) == ("missed", True)
    extra = np.concatenate((base[:150], [0.4 * base[150], 0.6 * base[150]], base[151:]))
    updates = feed(extra)
    assert [updates[k].reason for k in (149, 150, 151, 152)] == [None, "short", "extra", None]


def test_real_change_of_heart_rate_does_not_lock_the_filter() -> None:
    """A step from 1000 to 600 ms (60 -> 100 bpm): the first beats at the new rate are rejected
    (a causal filter cannot tell a step from an artifact), then the median follows."""
    rng = np.random.default_rng(0)
    rr = np.concatenate((np.full(200, 1000.0), np.full(200, 600.0))) + rng.normal(0, 10, 400)
    updates = feed(rr)
    rejected_after = [k for k in range(200, 400) if not updates[k].accepted]
    # Measured: beats 200-205 rejected (the median of 11 needs 6 new beats). Bound: 10 beats.
    assert len(rejected_after) <= 10
    assert all(u.accepted for u in updates[220:])
    assert updates[-1].heart_rate_bpm == pytest.approx(100.0, rel=0.05)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=150.0, max_value=3500.0),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=400,
    )
)
def test_any_beat_sequence_keeps_the_invariants(beats: list[tuple[float, bool, bool]]) -> None:
    stream = StreamingHrv(coherence_window_s=30.0, coherence_every_s=2.0)
    rejected = 0
    for i, (rr, gap, pacer) in enumerate(beats):
        u = stream.add(rr, gap_before=gap and i % 7 == 0, breath_cycle=i // 8 if pacer else None)
        rejected += (not u.accepted) + u.retracted_previous
        assert u.n_beats == i + 1
        assert u.n_rejected == rejected
        assert u.accepted == (u.reason is None)
        assert u.reason is None or u.reason in REJECT_REASONS
        for value in (u.rmssd_ms, u.rsa_bpm, u.coherence):
            assert value is None or (math.isfinite(value) and value >= 0.0)
        assert u.heart_rate_bpm is None or 20.0 <= u.heart_rate_bpm <= 300.0


# --- coherence ------------------------------------------------------------------------------------


def test_coherence_equals_an_independent_computation(nn_long: FloatArray) -> None:
    """Every coherence update of the 60-min NSR series equals reference_coherence (scipy) on the
    64 s ending at that beat, to 1e-9 relative; the peak frequency exactly. Updates fall at
    the first beat at or after each multiple of 5 s, once 64 s of beats exist."""
    updates = feed(nn_long, reject_artifacts=False)
    t = np.cumsum(nn_long) / 1000.0
    at = coherence_updates(updates)
    crossed = np.floor(t[1:] / 5.0) > np.floor(t[:-1] / 5.0)
    expected = [k for k in np.flatnonzero(crossed) + 1 if t[0] <= t[k] - (COHERENCE_WINDOW_S - 0.5)]
    assert at == expected
    assert len(at) >= 700  # (3600 - 64) s / 5 s
    for k in at:
        ratio, peak_hz = reference_coherence(t[: k + 1], nn_long[: k + 1], float(t[k]))
        assert updates[k].coherence == pytest.approx(ratio, rel=1e-9)
        assert updates[k].coherence_peak_hz == pytest.approx(peak_hz, abs=1e-12)
    # Between updates the latest value stays.
    k = at[10]
    assert updates[k + 1].coherence == updates[k].coherence
    assert updates[k + 1].coherence_t_s == updates[k].t_s


def test_coherence_with_rejection_uses_the_kept_beats(artifact_free: FloatArray) -> None:
    bad, _ = inject(artifact_free, seed=1)
    updates = feed(bad)
    final = kept_before_end(updates)
    t = np.cumsum(bad) / 1000.0
    at = coherence_updates(updates)
    assert len(at) >= 690
    for k in at[::5]:
        kept = kept_at(updates, final, k)
        ratio, peak_hz = reference_coherence(t[: k + 1][kept], bad[: k + 1][kept], float(t[k]))
        assert updates[k].coherence == pytest.approx(ratio, rel=1e-9)
        assert updates[k].coherence_peak_hz == pytest.approx(peak_hz, abs=1e-12)


def test_coherence_known_answers() -> None:
    """Breathing at 6/min gives a high ratio with its peak at 0.1 Hz; white noise a low one."""
    rng = np.random.default_rng(1)
    six = beats_from(
        lambda t: 900.0 + 50.0 * math.sin(2 * math.pi * 0.1 * t) + rng.normal(0, 5), 600
    )
    updates = feed(six)
    at = coherence_updates(updates)
    ratios = np.array([updates[k].coherence for k in at], dtype=np.float64)
    peaks = np.array([updates[k].coherence_peak_hz for k in at], dtype=np.float64)
    # Measured: 108 updates, ratio 7.1-9.5 (median 8.4), every peak at 0.100 Hz.
    assert len(at) >= 100
    assert ratios.min() >= 5.0
    assert np.all(np.abs(peaks - 0.1) <= 0.002)

    noise = 900.0 + 40.0 * np.random.default_rng(2).standard_normal(700)
    updates = feed(noise)
    ratios = np.array([updates[k].coherence for k in coherence_updates(updates)])
    # Measured: 113 updates, ratio 0.12-0.63 (median 0.29). Bounds: median 0.5, max 1.0.
    assert len(ratios) >= 100
    assert np.median(ratios) <= 0.5
    assert ratios.max() <= 1.0


def test_coherence_ratio_function_matches_the_stream(nn_short: FloatArray) -> None:
    updates = feed(nn_short, reject_artifacts=False)
    t = np.cumsum(nn_short) / 1000.0
    for k in coherence_updates(updates):
        got = coherence_ratio(t, nn_short, end_s=float(t[k]))
        assert got is not None
        assert (got.ratio, got.peak_hz) == (updates[k].coherence, updates[k].coherence_peak_hz)
    assert coherence_ratio(t[:10], nn_short[:10]) is None  # 10 beats do not cover 64 s
    assert coherence_ratio(np.arange(100.0), np.full(100, 800.0)) is None  # no variability
    with pytest.raises(ValueError, match="window_s"):
        coherence_ratio(t, nn_short, window_s=10.0)
    with pytest.raises(ValueError, match="same length"):
        coherence_ratio(t, nn_short[:-1])


def test_coherence_across_gaps() -> None:
    """A measured gap (t_s given) is bridged up to 5 s; a longer hole makes every window that
    holds it give no ratio. A gap of unknown length (no t_s) does the same for 64 s."""
    rr = beats_from(lambda t: 900.0 + 50.0 * math.sin(2 * math.pi * 0.1 * t), 400)
    t = np.cumsum(rr) / 1000.0
    start = int(np.searchsorted(t, 200.0))  # the first beat after the gap
    for gap_s in (3.0, 10.0):
        times = t + np.where(np.arange(t.size) >= start, gap_s, 0.0)
        stream = StreamingHrv()
        updates = [
            stream.add(float(x), t_s=float(ts), gap_before=i == start)
            for i, (x, ts) in enumerate(zip(rr, times, strict=True))
        ]
        due = np.flatnonzero(np.floor(times[1:] / 5.0) > np.floor(times[:-1] / 5.0)) + 1
        checked = 0
        for k in due[times[due] > COHERENCE_WINDOW_S]:
            hole = times[start] - times[start - 1]
            # The hole is in the window when the beat after it lies past the window start.
            holds_hole = k >= start and times[start] > times[k] - (COHERENCE_WINDOW_S - 0.5)
            if holds_hole and hole > COHERENCE_MAX_HOLE_S:
                assert updates[k].coherence is None, (gap_s, k)
            else:
                assert updates[k].coherence is not None, (gap_s, k)
                assert updates[k].coherence_t_s == times[k]
            checked += holds_hole
        assert checked >= 12  # 64 s of updates every 5 s hold the gap

    stream = StreamingHrv()
    updates = [stream.add(float(x), gap_before=i == start) for i, x in enumerate(rr)]
    t_gap = updates[start].t_s
    for u in updates[start:]:
        if u.t_s < t_gap + COHERENCE_WINDOW_S:
            assert u.coherence is None
    assert updates[-1].coherence is not None


def test_trapezoid_weights_equal_band_power() -> None:
    """The precomputed integration weights (fast path) equal the batch band_power (plain)."""
    rng = np.random.default_rng(3)
    freqs = np.asarray(np.arange(402) * 0.001, dtype=np.float64)
    for _ in range(50):
        psd = np.asarray(rng.exponential(100.0, freqs.size), dtype=np.float64)
        lo = float(rng.uniform(0.0, 0.3))
        band = (lo, lo + float(rng.uniform(0.0005, 0.2)))
        got = float(_trapezoid_weights(freqs, band) @ psd)
        assert got == pytest.approx(band_power(freqs, psd, band), rel=1e-12)


def test_sorted_window_quantiles_equal_numpy() -> None:
    """The threshold windows (insort, fast path) against np.quantile of the same values."""
    window = _SortedWindow(91)
    values = np.random.default_rng(4).exponential(30.0, 400).round(1)  # ties included
    for i, value in enumerate(values):
        window.push(float(value))
        last = values[max(0, i - 90) : i + 1]
        for q in (0.25, 0.5, 0.75):
            assert window.quantile(q) == pytest.approx(np.quantile(last, q), rel=1e-12)


# --- RSA per breath -----------------------------------------------------------------------------


def test_rsa_per_breath_with_the_pacer() -> None:
    """Heart rate swinging 65 +- 7.5 bpm at 6 breaths/min, the pacer's 10 s cycles passed with
    each beat: every completed breath reports max - min of its beats' heart rates (exactly),
    close to the 15 bpm swing (sampled by about 11 beats per breath: each extreme can be missed
    by up to half a beat, 7.5 (1 - cos(pi 0.1 0.92)) = 0.3 bpm, so 14.3-15 bpm)."""
    pattern = BreathPattern(inhale_s=4.0, exhale_s=6.0)
    rr = beats_from(lambda t: 60000.0 / (65.0 + 7.5 * math.sin(2 * math.pi * 0.1 * t)), 300)
    t = np.cumsum(rr) / 1000.0
    cycles = [phase_at(pattern, float(x)).cycle for x in t]
    stream = StreamingHrv()
    updates = [stream.add(float(x), breath_cycle=c) for x, c in zip(rr, cycles, strict=True)]
    hr = 60000.0 / rr
    ends = [k for k in range(1, rr.size) if cycles[k] != cycles[k - 1]]
    assert len(ends) == int(t[-1] // 10.0) == 30
    assert updates[ends[0] - 1].rsa_bpm is None  # no breath completed yet
    for k in ends:
        beats = [j for j in range(k) if cycles[j] == cycles[k - 1]]
        assert updates[k].rsa_bpm == pytest.approx(hr[beats].max() - hr[beats].min(), rel=1e-12)
        assert 14.3 <= updates[k].rsa_bpm <= 15.0  # type: ignore[operator]
        if k + 1 < rr.size:
            assert updates[k + 1].rsa_bpm == updates[k].rsa_bpm  # held till the next breath ends


def test_rsa_rules_for_incomplete_breaths() -> None:
    rr = beats_from(lambda t: 60000.0 / (65.0 + 7.5 * math.sin(2 * math.pi * 0.1 * t)), 120)
    t = np.cumsum(rr) / 1000.0
    cycles = (t // 10.0).astype(int)

    def run(cycle_of: list[int | None], gaps: frozenset[int] = frozenset()) -> list[Update]:
        stream = StreamingHrv()
        return [
            stream.add(float(x), breath_cycle=c, gap_before=i in gaps)
            for i, (x, c) in enumerate(zip(rr, cycle_of, strict=True))
        ]

    first_end = int(np.argmax(cycles == 1))
    second_end = int(np.argmax(cycles == 2))
    # A pacer first seen mid-breath (cycle 3 at the first beat): that breath has no RSA.
    late = run([int(c) + 3 for c in cycles])
    assert late[first_end].rsa_bpm is None
    assert late[second_end].rsa_bpm is not None
    # A gap inside a breath: that breath has no RSA, the next has.
    gapped = run([int(c) for c in cycles], gaps=frozenset({first_end + 3}))
    assert gapped[first_end].rsa_bpm is not None
    assert gapped[second_end].rsa_bpm is None
    assert gapped[int(np.argmax(cycles == 3))].rsa_bpm is not None
    # The pacer stops (cycle None): the open breath is dropped, the last RSA stays.
    stopped = run([int(c) if k < first_end + 4 else None for k, c in enumerate(cycles)])
    assert stopped[-1].rsa_bpm == stopped[first_end].rsa_bpm


def test_rsa_leaves_out_a_rejected_beat() -> None:
    """A missed beat inside a breath would read as a 30 bpm 'trough'; rejected, it is left out."""
    pattern = BreathPattern(inhale_s=4.0, exhale_s=6.0)
    clean = beats_from(lambda t: 60000.0 / (65.0 + 7.5 * math.sin(2 * math.pi * 0.1 * t)), 200)
    rr = np.concatenate((clean[:120], [clean[120] + clean[121]], clean[122:]))
    t = np.cumsum(rr) / 1000.0
    cycles = [phase_at(pattern, float(x)).cycle for x in t]
    stream = StreamingHrv()
    updates = [stream.add(float(x), breath_cycle=c) for x, c in zip(rr, cycles, strict=True)]
    assert not updates[120].accepted
    ends = [k for k in range(1, rr.size) if cycles[k] != cycles[k - 1]]
    assert all(14.3 <= updates[k].rsa_bpm <= 15.0 for k in ends)  # type: ignore[operator]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0.0, -800.0])
def test_rr_must_be_a_positive_number(value: float) -> None:
    with pytest.raises(ValueError, match="rr_ms: expected a finite RR interval > 0 ms"):
        StreamingHrv().add(value)


def test_time_must_advance_and_cycles_be_positive() -> None:
    stream = StreamingHrv()
    stream.add(800.0, t_s=10.0)
    with pytest.raises(ValueError, match="t_s: expected a finite time after"):
        stream.add(800.0, t_s=10.0)
    with pytest.raises(ValueError, match="breath_cycle: expected a cycle number >= 0"):
        stream.add(800.0, breath_cycle=-1)
    assert stream.add(800.0, t_s=10.8).t_s == 10.8


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("window_s", 0.0),
        ("window_s", float("nan")),
        ("coherence_window_s", 20.0),
        ("coherence_every_s", -5.0),
    ],
)
def test_settings_are_checked(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        StreamingHrv(**{option: value})  # type: ignore[arg-type]
