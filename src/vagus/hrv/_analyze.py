"""``analyze()``: RR intervals -> artifact correction -> every registered index, with reasons.

Nothing in here raises for a short recording: an index without enough data is ``None`` and a
warning says which minimum it missed. Only input that is not RR data raises (RrDataError).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from vagus.hrv._artifacts import (
    ArtifactReport,
    correct_rr,
    invalid_code,
    out_of_range,
    successive_differences,
)
from vagus.hrv._constants import (
    ARTIFACT_WARN_PERCENT,
    MAX_RR_MS,
    MIN_RR_MS,
    RR_INVALID_CODE,
)
from vagus.hrv._frequency import METHODS, Method, frequency_domain
from vagus.hrv._nonlinear import (
    NUMERICAL_ZERO_REL,
    POINCARE_MIN_BEATS,
    nonlinear_domain,
)
from vagus.hrv._notices import Notice, as_notice
from vagus.hrv._registry import BY_NAME, INDICES, NAMES, Index
from vagus.hrv._rr import Unit, validate_rr
from vagus.hrv._time import time_domain
from vagus.hrv._types import FloatArray


@dataclass(frozen=True)
class HrvReport:
    """The result of :func:`analyze`.

    Attributes
    ----------
    n_beats : int
        Beats in the recording as read: RR intervals received + 1 (0 for no interval).
    n_intervals : int
        RR intervals received (before correction and before leaving out impossible values).
    duration_s : float
        Length of the recording, the sum of the received RR intervals, in s.
    method : str
        The spectral method used for the frequency domain.
    artifacts : ArtifactReport
        What artifact correction found and did.
    warnings : list of str
        Everything the reader should know: unreliable data, indices left out and why, in
        English. Each is a :class:`~vagus.hrv.Notice` when it has a code (see ``notices``).
    indices : dict
        Every registered index by name (see ``vagus.hrv.INDICES``); ``None`` where undefined.
    nn_ms : numpy.ndarray
        The NN series the indices were computed from (corrected when correction was on, and
        without the intervals outside the physiological bounds). The successive-difference
        indices leave out the differences at ``artifacts.breaks``.
    """

    n_beats: int
    n_intervals: int
    duration_s: float
    method: str
    artifacts: ArtifactReport
    warnings: list[str]
    indices: dict[str, float | None]
    nn_ms: FloatArray = field(repr=False)

    @property
    def notices(self) -> tuple[Notice, ...]:
        """The warnings as notices, each with a code and fields: show one in a language with
        :func:`vagus.hrv.notice_text` (a warning without a code stays English)."""
        return tuple(as_notice(warning) for warning in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``vagus hrv --json``."""
        return {
            "n_beats": self.n_beats,
            "n_intervals": self.n_intervals,
            "duration_s": self.duration_s,
            "artifacts": self.artifacts.to_dict(),
            "warnings": list(self.warnings),
            "indices": dict(self.indices),
        }


def _too_little(index: Index, n_nn: int, duration_s: float) -> bool:
    return n_nn < index.min_beats or duration_s < index.min_duration_s


def _need(index: Index) -> Notice:
    """The minimum data of ``index``, as a notice (``need`` of ``hrv.too_little_data``)."""
    text = index.minimum_text()
    beats, seconds = index.min_beats, float(index.min_duration_s)
    if beats > 1 and seconds > 0:
        return Notice("hrv.need.beats_and_seconds", text, beats=beats, seconds=seconds)
    if beats > 1:
        return Notice("hrv.need.beats", text, beats=beats)
    if seconds > 0:
        return Notice("hrv.need.seconds", text, seconds=seconds)
    return Notice("hrv.need.one_beat", text)


def _group_minimum_warnings(missing: list[Index], n_nn: int, duration_s: float) -> Iterable[Notice]:
    """One warning per distinct minimum, naming every index it left out."""
    by_minimum: dict[tuple[int, float], list[str]] = {}
    for index in missing:
        by_minimum.setdefault((index.min_beats, index.min_duration_s), []).append(index.name)
    for names in by_minimum.values():
        need = _need(BY_NAME[names[0]])
        yield Notice(
            "hrv.too_little_data",
            f"{', '.join(names)}: not computed, needs at least {need} of data; "
            f"this recording has {n_nn} usable RR intervals, {duration_s:.1f} s",
            indices=", ".join(names),
            need=need,
            n_beats=n_nn,
            duration_s=duration_s,
        )


def analyze(
    rr_ms: Iterable[float] | FloatArray,
    *,
    method: Method = "welch",
    correct: bool = True,
    unit: Unit | None = "ms",
) -> HrvReport:
    """Compute every HRV index of a series of RR intervals.

    Parameters
    ----------
    rr_ms : array_like
        RR intervals, oldest first, in ms (or in the given ``unit``).
    method : {"welch", "lomb", "ar"}
        Spectral method for the frequency domain; ``welch`` is the Kubios default (4 Hz cubic
        spline, smoothness-priors detrending, 256 s Hann windows with 50 % overlap).
    correct : bool
        Detect and correct artifacts (Lipponen & Tarvainen 2019, with magnitude floors; see
        :func:`~vagus.hrv.correct_rr`) before computing indices. When False, artifacts are
        still detected and reported, but not corrected. Either way, intervals outside
        ``MIN_RR_MS``-``MAX_RR_MS`` (200-3000 ms) are left out of every index, counted in
        ``artifacts.out_of_range`` and named in the warnings (the strap's 65535 "no interval"
        code by name), and successive differences across them are not taken.
    unit : {"ms", "s", None}
        Unit of ``rr_ms``; ``None`` detects it from the values.

    Returns
    -------
    HrvReport

    Raises
    ------
    RrDataError
        When the input is not RR data (empty, NaN, zero or negative values, wrong unit).
    ValueError
        For an unknown ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> report = analyze(800 + 40 * rng.standard_normal(400))
    >>> report.n_beats, report.n_intervals, round(report.indices["mean_nn"])
    (401, 400, 797)
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    rr = validate_rr(rr_ms, unit=unit)
    n_intervals = int(rr.size)
    duration_s = float(np.sum(rr)) / 1000.0
    nn, artifacts = correct_rr(rr, correct=correct)
    n_nn = int(nn.size)

    warnings: list[str] = list(_out_of_range_warnings(rr, artifacts))
    if artifacts.percent > ARTIFACT_WARN_PERCENT:
        done = "corrected" if artifacts.enabled else "found and not corrected"
        warnings.append(
            Notice(
                "hrv.artifacts.corrected" if artifacts.enabled else "hrv.artifacts.uncorrected",
                f"artifacts: {artifacts.percent:.1f} % of the RR intervals were {done} (more than "
                f"{ARTIFACT_WARN_PERCENT:g} %); the indices are unreliable",
                percent=float(artifacts.percent),
                limit_percent=float(ARTIFACT_WARN_PERCENT),
            )
        )

    # The minimum data is measured on the intervals the indices see: a strap's 65535 codes or a
    # dropout left out of every index must not count as seconds of usable data.
    nn_duration_s = float(np.sum(nn)) / 1000.0
    missing = [index for index in INDICES if _too_little(index, n_nn, nn_duration_s)]
    warnings.extend(_group_minimum_warnings(missing, n_nn, nn_duration_s))
    skip = {index.name for index in missing}

    values: dict[str, float | None] = {}
    wanted = {index.domain for index in INDICES if index.name not in skip}
    domain_warnings: list[str] = []
    if "time" in wanted:
        values.update(time_domain(nn, domain_warnings))
    if "frequency" in wanted:
        values.update(frequency_domain(nn, method=method, warnings=domain_warnings))
    if "nonlinear" in wanted:
        values.update(nonlinear_domain(nn, domain_warnings))
    if artifacts.breaks:
        # Differences across a left-out interval or touching an estimated one are not measured
        # beat-to-beat differences: the indices built on them are recomputed without them.
        values.update(
            {
                name: value
                for name, value in successive_indices(nn, artifacts.breaks).items()
                if name in values
            }
        )

    indices: dict[str, float | None] = {}
    for name in NAMES:
        value = None if name in skip else values.get(name)
        if value is not None and not math.isfinite(value):
            domain_warnings.append(
                Notice(
                    "hrv.undefined.not_finite", f"{name}: undefined for this recording", index=name
                )
            )
            value = None
        indices[name] = value
    # Reasons for indices we left out anyway would only repeat the minimum-data warning.
    warnings.extend(w for w in domain_warnings if w.split(":", 1)[0] not in skip)
    return HrvReport(
        n_beats=n_intervals + 1 if n_intervals else 0,
        n_intervals=n_intervals,
        duration_s=duration_s,
        method=method,
        artifacts=artifacts,
        warnings=warnings,
        indices=indices,
        nn_ms=nn,
    )


def _out_of_range_warnings(rr: FloatArray, artifacts: ArtifactReport) -> Iterable[Notice]:
    """One warning per kind of impossible value in ``rr``: the strap's invalid code, too short,
    too long; each says how many there were, the extreme value, and that they were left out."""
    outside = out_of_range(rr)
    if not outside.any():
        return
    code = invalid_code(rr)
    if code.any():
        count = int(code.sum())
        yield Notice(
            "hrv.out_of_range.invalid_code",
            f"{count} value(s) of {RR_INVALID_CODE}, the code strap data write where no valid "
            "RR interval was measured: left out of every index",
            count=count,
            code=str(RR_INVALID_CODE),  # a code, not a number: no thousands separator
        )
    short = rr < MIN_RR_MS
    if short.any():
        count = int(short.sum())
        done = (
            "merged with a neighbour (an extra beat) or left out of every index"
            if artifacts.enabled
            else "left out of every index"
        )
        yield Notice(
            "hrv.out_of_range.short_merged" if artifacts.enabled else "hrv.out_of_range.short",
            f"{count} interval(s) shorter than {MIN_RR_MS:g} ms (the shortest "
            f"{float(rr[short].min()):g} ms), which no heart makes: {done}",
            count=count,
            limit_ms=MIN_RR_MS,
            value_ms=float(rr[short].min()),
        )
    long = (rr > MAX_RR_MS) & ~code
    if long.any():
        count = int(long.sum())
        yield Notice(
            "hrv.out_of_range.long",
            f"{count} interval(s) longer than {MAX_RR_MS:g} ms (the longest "
            f"{float(rr[long].max()):g} ms), which are dropouts, not heartbeats: left out of "
            "every index",
            count=count,
            limit_ms=MAX_RR_MS,
            value_ms=float(rr[long].max()),
        )


#: The indices built on successive differences, recomputed when some are not measured.
SUCCESSIVE_TIME: Final[tuple[str, ...]] = (
    "rmssd",
    "sdsd",
    "nn50",
    "pnn50",
    "nn20",
    "pnn20",
    "cvsd",
    "ln_rmssd",
)
SUCCESSIVE_NONLINEAR: Final[tuple[str, ...]] = ("sd1", "sd2", "sd1_sd2", "poincare_area")


def successive_indices(
    nn_ms: FloatArray, breaks: Sequence[int], *, time_only: bool = False
) -> dict[str, float | None]:
    """The successive-difference indices of ``nn_ms`` over the measured differences only.

    ``breaks`` are the positions ``k`` whose difference ``nn[k] - nn[k - 1]`` is left out
    (:attr:`ArtifactReport.breaks`: an excluded interval between, or an estimated interval on
    either side). The formulas are those of ``time_domain`` and ``poincare`` (Task Force 1996;
    Brennan et al. 2001) over the remaining differences and pairs; NN50 and NN20 are divided by
    the differences + 1, which is the number of intervals when nothing is left out. NeuroKit2
    likewise computes RMSSD only over successive intervals (``_intervals_successive``).

    >>> out = successive_indices(np.array([800.0, 810.0, 900.0, 905.0]), (2,))
    >>> round(out["rmssd"], 3), out["nn50"]
    (7.906, 0.0)
    """
    nn = np.asarray(nn_ms, dtype=np.float64)
    diff = successive_differences(nn, breaks)
    out: dict[str, float | None] = dict.fromkeys(SUCCESSIVE_TIME)
    if not time_only:
        out.update(dict.fromkeys(SUCCESSIVE_NONLINEAR))
    if diff.size == 0:
        return out
    abs_diff = np.abs(diff)
    rmssd = float(np.sqrt(np.mean(diff * diff)))
    count = diff.size + 1
    nn50 = float(np.count_nonzero(abs_diff > 50.0))
    nn20 = float(np.count_nonzero(abs_diff > 20.0))
    out.update(
        rmssd=rmssd,
        nn50=nn50,
        pnn50=nn50 / count * 100.0,
        nn20=nn20,
        pnn20=nn20 / count * 100.0,
        cvsd=rmssd / float(np.mean(nn)),
        ln_rmssd=math.log(rmssd) if rmssd > 0 else None,
        sdsd=float(np.std(diff, ddof=1)) if diff.size >= 2 else None,
    )
    if time_only or diff.size + 1 < POINCARE_MIN_BEATS:
        return out
    keep = np.ones(nn.size - 1, dtype=np.bool_)
    if len(breaks):
        keep[np.asarray(breaks, dtype=np.intp) - 1] = False
    sums = (nn[:-1] + nn[1:])[keep]
    scale = float(np.mean(nn))
    sd1 = float(np.std(diff / np.sqrt(2), ddof=1))
    sd2 = float(np.std(sums / np.sqrt(2), ddof=1))
    sd1 = 0.0 if sd1 <= NUMERICAL_ZERO_REL * scale else sd1
    sd2 = 0.0 if sd2 <= NUMERICAL_ZERO_REL * scale else sd2
    out.update(
        sd1=sd1,
        sd2=sd2,
        sd1_sd2=sd1 / sd2 if sd2 > 0.0 else None,
        poincare_area=math.pi * sd1 * sd2,
    )
    return out
