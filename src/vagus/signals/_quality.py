"""Signal-quality checks shared by the ECG and PPG detectors: stretches no detector should use.

Everything is vectorised over samples (a day at 250 Hz is 21.6 million of them): runs are found
from the edges of boolean masks, ranges are merged with sorts and cumulative maxima.

The checks here are the ones that need no knowledge of the waveform:

- **not-a-number**: NaN or infinite samples (dropped packets, gaps a file reader filled).
- **flat line**: the same value for longer than the signal ever holds still (electrode off,
  a device repeating its last value). The durations are set per signal type by the caller.
- **clipping**: runs at the recording's own minimum or maximum value, the rails of an amplifier
  or ADC that saturated. A real peak touches its maximum for a sample or two; a clipped one sits
  there.

ECG adds noise checks on top (see :mod:`vagus.signals.ecg`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from vagus.hrv._notices import Notice
from vagus.signals._detection import BoolArray, FloatArray, IntArray, merge_ranges

#: The notice code (``signals.reason.<code>``) of each reason a stretch is unusable.
REASON_CODES: Final[dict[str, str]] = {
    "not-a-number samples": "not_a_number",
    "flat line": "flat_line",
    "clipping": "clipping",
    "noise": "noise",
    "beats unlike the recording's typical beat (noise, or ectopic beats)": "unlike_beats",
    "intervals with a missed beat (about twice the usual length)": "missed_beat",
    "low skewness (motion; skewness SQI, Elgendi 2016)": "low_skewness",
    "pulses unlike the recording's typical pulse (template SQI, Orphanidou et al. 2015)": (
        "unlike_pulses"
    ),
}


def runs(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """Start and stop (half-open) of every run of True in a boolean mask.

    >>> runs(np.array([True, True, False, True]))
    (array([0, 3]), array([2, 4]))
    >>> runs(np.array([False] * 10 + [True, True] + [False] * 10))
    (array([10]), array([12]))
    """
    count = int(np.count_nonzero(mask))
    if count == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy()
    if count > mask.size // 8:
        # Dense: the edges of the mask (one byte per sample).
        edges = np.flatnonzero(np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0)))
        return edges[::2].astype(np.intp), edges[1::2].astype(np.intp)
    # Sparse (the usual case): only the True indices, split where they stop being consecutive.
    where = np.flatnonzero(mask)
    breaks = np.flatnonzero(np.diff(where) > 1)
    starts = where[np.concatenate([[0], breaks + 1])]
    stops = where[np.concatenate([breaks, [where.size - 1]])] + 1
    return starts.astype(np.intp), stops.astype(np.intp)


def long_runs(mask: BoolArray, min_samples: int) -> tuple[IntArray, IntArray]:
    """Runs of True at least ``min_samples`` long."""
    starts, stops = runs(mask)
    keep = stops - starts >= min_samples
    return starts[keep], stops[keep]


@dataclass
class Quality:
    """Unusable ranges found so far, by reason (each reason's ranges sorted and merged)."""

    n_samples: int
    fs_hz: float
    by_reason: dict[str, tuple[IntArray, IntArray]] = field(default_factory=dict)

    def add(self, reason: str, starts: IntArray, stops: IntArray) -> None:
        """Record ranges for a reason (merged with any already recorded for it)."""
        if starts.size == 0:
            return
        if reason in self.by_reason:
            old_starts, old_stops = self.by_reason[reason]
            starts = np.concatenate([old_starts, starts])
            stops = np.concatenate([old_stops, stops])
        self.by_reason[reason] = merge_ranges(
            np.clip(starts, 0, self.n_samples), np.clip(stops, 0, self.n_samples)
        )

    def unusable(
        self,
        margin_s: float,
        min_segment_s: float,
        *,
        after_detection: frozenset[str] = frozenset(),
    ) -> tuple[IntArray, IntArray]:
        """Every reason's ranges widened by ``margin_s`` and merged.

        Usable stretches shorter than ``min_segment_s`` (between two ranges or at either end)
        are joined in, because the detector would start its learning phase there; except around
        the ranges of the reasons in ``after_detection``, which were found after the detector
        had run over them.
        """
        margin = math.ceil(margin_s * self.fs_hz)
        before = [r for reason, r in self.by_reason.items() if reason not in after_detection]
        after = [r for reason, r in self.by_reason.items() if reason in after_detection]
        starts, stops = self._widened(before, margin, math.ceil(min_segment_s * self.fs_hz))
        if after:
            late_starts, late_stops = self._widened(after, margin, 0)
            starts, stops = merge_ranges(
                np.concatenate([starts, late_starts]), np.concatenate([stops, late_stops])
            )
        return starts, stops

    def _widened(
        self, ranges: list[tuple[IntArray, IntArray]], margin: int, min_gap: int
    ) -> tuple[IntArray, IntArray]:
        if not ranges:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty.copy()
        starts = np.clip(np.concatenate([s for s, _ in ranges]) - margin, 0, self.n_samples)
        stops = np.clip(np.concatenate([e for _, e in ranges]) + margin, 0, self.n_samples)
        starts, stops = merge_ranges(starts, stops, min_gap)
        if starts[0] < min_gap:
            starts[0] = 0
        if self.n_samples - stops[-1] < min_gap:
            stops[-1] = self.n_samples
        return starts, stops

    def warning(
        self, starts: IntArray, stops: IntArray, what: str, margin_s: float, min_segment_s: float
    ) -> list[str]:
        """One sentence on how much was unusable and why (nothing when all was usable)."""
        total = int(np.sum(stops - starts))
        if total == 0:
            return []
        seconds = total / self.fs_hz
        percent = 100.0 * total / self.n_samples
        reasons = tuple(
            Notice(
                f"signals.reason.{REASON_CODES.get(reason, 'noise')}",
                f"{reason} {float(np.sum(e - s)) / self.fs_hz:.1f} s",
                duration_s=float(np.sum(e - s)) / self.fs_hz,
            )
            for reason, (s, e) in self.by_reason.items()
        )
        sentence = Notice(
            "signals.unusable",
            f"{what}: {percent:.1f} % of the signal ({seconds:.1f} s of "
            f"{self.n_samples / self.fs_hz:.1f} s) was unusable and left out: "
            f"{', '.join(reasons)}; with "
            f"{margin_s * 1000:.0f} ms margins and the usable stretches shorter than "
            f"{min_segment_s:g} s between them; no beat is reported there and no interval "
            "spans it",
            what=Notice(f"signals.kind.{what.lower()}", what),
            percent=percent,
            unusable_s=seconds,
            total_s=self.n_samples / self.fs_hz,
            reasons=reasons,
            margin_ms=margin_s * 1000,
            min_segment_s=float(min_segment_s),
        )
        return [sentence]


def basic_checks(
    x: FloatArray,
    fs_hz: float,
    *,
    flat_min_s: float,
    clip_min_s: float,
) -> tuple[Quality, BoolArray, float]:
    """Not-a-number, flat-line and clipping ranges of a raw signal.

    Returns the quality record, the mask of finite samples, and the largest absolute finite
    value (the scale callers divide by, so that squares and fourth powers cannot overflow).
    """
    quality = Quality(x.size, fs_hz)
    finite = np.isfinite(x)
    all_finite = bool(finite.all())
    if not all_finite:
        quality.add("not-a-number samples", *runs(~finite))
        high = float(np.max(x, where=finite, initial=-np.inf))
        low = float(np.min(x, where=finite, initial=np.inf))
    else:
        high, low = float(x.max()), float(x.min())

    # NaN never equals NaN, so not-a-number stretches never count as flat.
    flat_starts, flat_stops = long_runs(x[1:] == x[:-1], max(1, math.ceil(flat_min_s * fs_hz) - 1))
    quality.add("flat line", flat_starts, flat_stops + 1)  # k equal steps span k + 1 samples

    at_rail = (x == high) | (x == low)
    quality.add("clipping", *long_runs(at_rail, max(2, math.ceil(clip_min_s * fs_hz))))
    return quality, finite, max(abs(high), abs(low))


def usable_segments(starts: IntArray, stops: IntArray, n_samples: int) -> list[tuple[int, int]]:
    """The stretches between unusable ranges, as half-open ``(start, stop)`` pairs."""
    begins = np.concatenate([[0], stops])
    ends = np.concatenate([starts, [n_samples]])
    keep = ends > begins
    return [(int(a), int(b)) for a, b in zip(begins[keep], ends[keep], strict=True)]


def parabolic_offsets(before: FloatArray, peak: FloatArray, after: FloatArray) -> FloatArray:
    """Sub-sample position of a maximum from three samples, in samples within +-0.5.

    The vertex of the parabola through ``(-1, before), (0, peak), (1, after)``; zero where the
    three samples do not bend downwards (a flat top). The standard three-point estimator; for
    a band-limited peak sampled well above twice its bandwidth its bias is a small fraction of
    a sample.

    >>> parabolic_offsets(np.array([1.0, 3.0]), np.array([2.0, 4.0]), np.array([1.0, 2.0]))
    array([ 0.        , -0.16666667])
    """
    bend = before - 2.0 * peak + after
    safe = np.where(bend < 0.0, bend, -1.0)
    offsets = np.where(bend < 0.0, 0.5 * (before - after) / safe, 0.0)
    return np.asarray(np.clip(offsets, -0.5, 0.5) + 0.0, dtype=np.float64)  # no -0.0
