"""The HRV engine: RR intervals -> artifact correction -> validated indices.

Pure numpy/scipy; the only I/O is :func:`read_rr`, which reads a
text file and hands it to the pure parser.

>>> import numpy as np
>>> from vagus.hrv import analyze
>>> report = analyze(np.full(10, 800.0))
>>> report.indices["mean_hr"]
75.0
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vagus.hrv._analyze import HrvReport, analyze
    from vagus.hrv._artifacts import (
        ARTIFACT_KINDS,
        ArtifactFlags,
        ArtifactReport,
        correct_rr,
        detect_artifacts,
    )
    from vagus.hrv._frequency import METHODS, Method, frequency_domain, power_spectrum
    from vagus.hrv._nonlinear import (
        dfa_alpha,
        dfa_fluctuation,
        nonlinear_domain,
        poincare,
        sample_entropy,
    )
    from vagus.hrv._notices import Notice, as_notice, notice_text
    from vagus.hrv._registry import BY_NAME, DOMAINS, INDICES, NAMES, Domain, Index, indices_of
    from vagus.hrv._rr import RrDataError, Unit, detect_unit, parse_rr_text, read_rr, validate_rr
    from vagus.hrv._time import time_domain

# The names load on first use (PEP 562): importing vagus.hrv for its registry, its errors or the
# RR parser must not pull in scipy, so a command that needs none of the spectra starts fast.
_LAZY: dict[str, str] = {
    "ARTIFACT_KINDS": "vagus.hrv._artifacts",
    "ArtifactFlags": "vagus.hrv._artifacts",
    "ArtifactReport": "vagus.hrv._artifacts",
    "BY_NAME": "vagus.hrv._registry",
    "DOMAINS": "vagus.hrv._registry",
    "Domain": "vagus.hrv._registry",
    "HrvReport": "vagus.hrv._analyze",
    "INDICES": "vagus.hrv._registry",
    "Index": "vagus.hrv._registry",
    "METHODS": "vagus.hrv._frequency",
    "Method": "vagus.hrv._frequency",
    "NAMES": "vagus.hrv._registry",
    "Notice": "vagus.hrv._notices",
    "RrDataError": "vagus.hrv._rr",
    "Unit": "vagus.hrv._rr",
    "analyze": "vagus.hrv._analyze",
    "as_notice": "vagus.hrv._notices",
    "correct_rr": "vagus.hrv._artifacts",
    "detect_artifacts": "vagus.hrv._artifacts",
    "detect_unit": "vagus.hrv._rr",
    "dfa_alpha": "vagus.hrv._nonlinear",
    "dfa_fluctuation": "vagus.hrv._nonlinear",
    "frequency_domain": "vagus.hrv._frequency",
    "indices_of": "vagus.hrv._registry",
    "nonlinear_domain": "vagus.hrv._nonlinear",
    "notice_text": "vagus.hrv._notices",
    "parse_rr_text": "vagus.hrv._rr",
    "poincare": "vagus.hrv._nonlinear",
    "power_spectrum": "vagus.hrv._frequency",
    "read_rr": "vagus.hrv._rr",
    "sample_entropy": "vagus.hrv._nonlinear",
    "time_domain": "vagus.hrv._time",
    "validate_rr": "vagus.hrv._rr",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vagus.hrv' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ARTIFACT_KINDS",
    "BY_NAME",
    "DOMAINS",
    "INDICES",
    "METHODS",
    "NAMES",
    "ArtifactFlags",
    "ArtifactReport",
    "Domain",
    "HrvReport",
    "Index",
    "Method",
    "Notice",
    "RrDataError",
    "Unit",
    "analyze",
    "as_notice",
    "correct_rr",
    "detect_artifacts",
    "detect_unit",
    "dfa_alpha",
    "dfa_fluctuation",
    "frequency_domain",
    "indices_of",
    "nonlinear_domain",
    "notice_text",
    "parse_rr_text",
    "poincare",
    "power_spectrum",
    "read_rr",
    "sample_entropy",
    "time_domain",
    "validate_rr",
]
