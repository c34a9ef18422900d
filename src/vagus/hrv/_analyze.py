"""``analyze()``: RR intervals -> artifact correction -> every registered index, with reasons.

Nothing in here raises for a short recording: an index without enough data is ``None`` and a
warning says which minimum it missed. Only input that is not RR data raises (RrDataError).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vagus.hrv._artifacts import ArtifactReport, correct_rr
from vagus.hrv._constants import ARTIFACT_WARN_PERCENT
from vagus.hrv._frequency import METHODS, Method, frequency_domain
from vagus.hrv._nonlinear import nonlinear_domain
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
        RR intervals received (before correction).
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
        The NN series the indices were computed from (corrected when correction was on).
    """

    n_beats: int
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
            f"this recording has {n_nn} beats, {duration_s:.1f} s",
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
        Detect and correct artifacts (Lipponen & Tarvainen 2019) before computing indices.
        When False, artifacts are still detected and reported, but not corrected.
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
    >>> report.n_beats, round(report.indices["mean_nn"])
    (400, 797)
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    rr = validate_rr(rr_ms, unit=unit)
    n_beats = int(rr.size)
    duration_s = float(np.sum(rr)) / 1000.0
    nn, artifacts = correct_rr(rr, correct=correct)
    n_nn = int(nn.size)

    warnings: list[str] = []
    if artifacts.percent > ARTIFACT_WARN_PERCENT:
        done = "corrected" if artifacts.enabled else "found and not corrected"
        warnings.append(
            Notice(
                "hrv.artifacts.corrected" if artifacts.enabled else "hrv.artifacts.uncorrected",
                f"artifacts: {artifacts.percent:.1f} % of beats were {done} (more than "
                f"{ARTIFACT_WARN_PERCENT:g} %); the indices are unreliable",
                percent=float(artifacts.percent),
                limit_percent=float(ARTIFACT_WARN_PERCENT),
            )
        )

    missing = [index for index in INDICES if _too_little(index, n_nn, duration_s)]
    warnings.extend(_group_minimum_warnings(missing, n_nn, duration_s))
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
        n_beats=n_beats,
        duration_s=duration_s,
        method=method,
        artifacts=artifacts,
        warnings=warnings,
        indices=indices,
        nn_ms=nn,
    )
