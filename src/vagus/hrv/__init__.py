"""The HRV engine: RR intervals -> artifact correction -> validated indices.

Pure numpy/scipy (and numba for sample entropy); the only I/O is :func:`read_rr`, which reads a
text file and hands it to the pure parser.

>>> import numpy as np
>>> from vagus.hrv import analyze
>>> report = analyze(np.full(10, 800.0))
>>> report.indices["mean_hr"]
75.0
"""

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
from vagus.hrv._registry import BY_NAME, DOMAINS, INDICES, NAMES, Domain, Index, indices_of
from vagus.hrv._rr import RrDataError, Unit, detect_unit, parse_rr_text, read_rr, validate_rr
from vagus.hrv._time import time_domain

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
    "RrDataError",
    "Unit",
    "analyze",
    "correct_rr",
    "detect_artifacts",
    "detect_unit",
    "dfa_alpha",
    "dfa_fluctuation",
    "frequency_domain",
    "indices_of",
    "nonlinear_domain",
    "parse_rr_text",
    "poincare",
    "power_spectrum",
    "read_rr",
    "sample_entropy",
    "time_domain",
    "validate_rr",
]
