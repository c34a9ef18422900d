"""The index registry: every HRV index declared once.

Name, unit, domain, minimum data, reference and a one-line meaning (English and Norwegian
bokmål). The CLI table, the JSON, the web pages and docs/indices.md all read this list, and a
test keeps ``analyze()`` and the registry in step. The meanings live in the message catalog
``indices_messages.toml`` beside this module, one key per index name.

>>> BY_NAME["min_hr"].meaning("en")
'Lowest heart rate over a 5-beat moving average.'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Final, Literal

from vagus.hrv._constants import (
    DFA_ALPHA1_BEATS,
    DFA_ALPHA2_BEATS,
    HF_BAND_HZ,
    HR_AVERAGE_BEATS,
    LF_BAND_HZ,
    VLF_BAND_HZ,
)

if TYPE_CHECKING:
    from vagus.program.i18n import Messages

#: The one-line meanings in nb and en, keyed by index name (read with the program's strict
#: message loader: both languages, the same ``{fields}``).
MEANINGS_FILE: Final[str] = "indices_messages.toml"

Domain = Literal["time", "frequency", "nonlinear"]
DOMAINS: Final[tuple[Domain, ...]] = ("time", "frequency", "nonlinear")

# Task Force 1996: "the recording should last for at least 10 times the wavelength of the lower
# frequency bound of the investigated component": about 1 min for HF and 2 min for LF.
MIN_HF_DURATION_S: Final[float] = 60.0
MIN_LF_DURATION_S: Final[float] = 120.0
#: VLF (from 0.0033 Hz) needs one full period, 1/0.0033 Hz = 303 s, which the Task Force's
#: 5-minute short-term standard provides. A nominal 5-minute recording is often a few beats short
#: of 300 s, so 95 % of one period is accepted.
MIN_VLF_DURATION_S: Final[float] = round(0.95 / VLF_BAND_HZ[0], 1)
#: Richman & Moorman 2000 and Yentes et al. 2013 (Ann Biomed Eng 41:349-365): sample entropy with
#: m = 2 is unstable below about 10^m = 100 points.
MIN_SAMPEN_BEATS: Final[int] = 100
#: A histogram at 1/128 s bins has no usable shape with fewer beats; the Task Force recommends
#: at least 20 minutes for the geometric indices, which we state rather than enforce.
MIN_HISTOGRAM_BEATS: Final[int] = 50

TASK_FORCE: Final = (
    "Task Force of the ESC and NASPE (1996) Heart rate variability: standards of measurement, "
    "physiological interpretation and clinical use. Circulation 93(5):1043-1065"
)
SHAFFER_2017: Final = (
    "Shaffer F, Ginsberg JP (2017) An overview of heart rate variability metrics and norms. "
    "Front Public Health 5:258"
)
TARVAINEN_2014: Final = (
    "Tarvainen MP et al. (2014) Kubios HRV - heart rate variability analysis software. "
    "Comput Methods Programs Biomed 113(1):210-220"
)
BRENNAN_2001: Final = (
    "Brennan M, Palaniswami M, Kamen P (2001) Do existing measures of Poincare plot geometry "
    "reflect nonlinear features of heart rate variability? IEEE Trans Biomed Eng 48(11):1342-1347"
)
PENG_1995: Final = (
    "Peng CK et al. (1995) Quantification of scaling exponents and crossover phenomena in "
    "nonstationary heartbeat time series. Chaos 5(1):82-87"
)
RICHMAN_2000: Final = (
    "Richman JS, Moorman JR (2000) Physiological time-series analysis using approximate entropy "
    "and sample entropy. Am J Physiol Heart Circ Physiol 278(6):H2039-H2049"
)


@dataclass(frozen=True)
class Index:
    """One HRV index.

    Attributes
    ----------
    name : str
        The API name (snake_case), the key in ``HrvReport.indices`` and the JSON.
    label : str
        How it is written in tables ("RMSSD", "LF/HF").
    unit : str
        Its unit ("ms", "ms²", "Hz", "bpm", "%", "n.u.", "" for dimensionless).
    domain : {"time", "frequency", "nonlinear"}
    min_beats : int
        Fewest RR intervals for which it is computed; below, it is ``null`` with a warning.
    min_duration_s : float
        Shortest recording (sum of RR) for which it is computed.
    reference : str
        The paper or standard that defines it.
    """

    name: str
    label: str
    unit: str
    domain: Domain
    reference: str
    min_beats: int = 2
    min_duration_s: float = 0.0

    def meaning(self, lang: str = "en") -> str:
        """The one-line meaning in ``lang`` ("en" or "nb"), from ``indices_messages.toml``."""
        return meanings().get(
            self.name, "nb" if lang == "nb" else "en", **MEANING_FIELDS.get(self.name, {})
        )

    @property
    def meaning_en(self) -> str:
        """The one-line meaning in English."""
        return self.meaning("en")

    @property
    def meaning_nb(self) -> str:
        """The one-line meaning in Norwegian bokmål."""
        return self.meaning("nb")

    def minimum_text(self) -> str:
        """The minimum data, in words (English), for warnings and docs."""
        parts = []
        if self.min_beats > 1:
            parts.append(f"{self.min_beats} RR intervals")
        if self.min_duration_s > 0:
            parts.append(f"{self.min_duration_s:g} s")
        return " and ".join(parts) if parts else "1 RR interval"


_VLF = f"{VLF_BAND_HZ[0]}-{VLF_BAND_HZ[1]} Hz"
_LF = f"{LF_BAND_HZ[0]}-{LF_BAND_HZ[1]} Hz"
_HF = f"{HF_BAND_HZ[0]}-{HF_BAND_HZ[1]} Hz"

#: The ``{fields}`` of the meanings that quote a constant, per index name.
MEANING_FIELDS: Final[Mapping[str, Mapping[str, object]]] = {
    "min_hr": {"beats": HR_AVERAGE_BEATS},
    "max_hr": {"beats": HR_AVERAGE_BEATS},
    "vlf": {"band": _VLF},
    "lf": {"band": _LF},
    "hf": {"band": _HF},
    "dfa_alpha1": {"low": DFA_ALPHA1_BEATS[0], "high": DFA_ALPHA1_BEATS[1]},
    "dfa_alpha2": {"low": DFA_ALPHA2_BEATS[0], "high": DFA_ALPHA2_BEATS[1]},
}


@functools.cache
def meanings() -> Messages:
    """The meanings catalog (``vagus/hrv/indices_messages.toml``), read and checked once."""
    from vagus.program.i18n import load_messages  # the strict loader; program does not import hrv

    return load_messages(files("vagus.hrv") / MEANINGS_FILE)


INDICES: Final[tuple[Index, ...]] = (
    # --- time domain -----------------------------------------------------------------------------
    Index(
        "mean_nn",
        "Mean NN",
        "ms",
        "time",
        TASK_FORCE,
        min_beats=1,
    ),
    Index(
        "median_nn",
        "Median NN",
        "ms",
        "time",
        TASK_FORCE,
        min_beats=1,
    ),
    Index(
        "sdnn",
        "SDNN",
        "ms",
        "time",
        TASK_FORCE,
    ),
    Index(
        "rmssd",
        "RMSSD",
        "ms",
        "time",
        TASK_FORCE,
    ),
    Index(
        "sdsd",
        "SDSD",
        "ms",
        "time",
        TASK_FORCE,
        min_beats=3,
    ),
    Index(
        "nn50",
        "NN50",
        "count",
        "time",
        TASK_FORCE,
    ),
    Index(
        "pnn50",
        "pNN50",
        "%",
        "time",
        TASK_FORCE,
    ),
    Index(
        "nn20",
        "NN20",
        "count",
        "time",
        SHAFFER_2017,
    ),
    Index(
        "pnn20",
        "pNN20",
        "%",
        "time",
        SHAFFER_2017,
    ),
    Index(
        "cvnn",
        "CVNN",
        "",
        "time",
        SHAFFER_2017,
    ),
    Index(
        "cvsd",
        "CVSD",
        "",
        "time",
        SHAFFER_2017,
    ),
    Index(
        "mean_hr",
        "Mean HR",
        "bpm",
        "time",
        TARVAINEN_2014,
        min_beats=1,
    ),
    Index(
        "min_hr",
        "Min HR",
        "bpm",
        "time",
        TARVAINEN_2014,
        min_beats=HR_AVERAGE_BEATS,
    ),
    Index(
        "max_hr",
        "Max HR",
        "bpm",
        "time",
        TARVAINEN_2014,
        min_beats=HR_AVERAGE_BEATS,
    ),
    Index(
        "std_hr",
        "SD HR",
        "bpm",
        "time",
        TARVAINEN_2014,
    ),
    Index(
        "hti",
        "HRV triangular index",
        "",
        "time",
        TASK_FORCE,
        min_beats=MIN_HISTOGRAM_BEATS,
    ),
    Index(
        "tinn",
        "TINN",
        "ms",
        "time",
        TASK_FORCE,
        min_beats=MIN_HISTOGRAM_BEATS,
    ),
    Index(
        "ln_rmssd",
        "ln RMSSD",
        "ln(ms)",
        "time",
        SHAFFER_2017,
    ),
    # --- frequency domain --------------------------------------------------------------------
    Index(
        "vlf",
        "VLF",
        "ms²",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf",
        "LF",
        "ms²",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf",
        "HF",
        "ms²",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_HF_DURATION_S,
    ),
    Index(
        "total_power",
        "Total power",
        "ms²",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf_nu",
        "LF n.u.",
        "n.u.",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf_nu",
        "HF n.u.",
        "n.u.",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "lf_hf",
        "LF/HF",
        "",
        "frequency",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "vlf_peak",
        "VLF peak",
        "Hz",
        "frequency",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf_peak",
        "LF peak",
        "Hz",
        "frequency",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf_peak",
        "HF peak",
        "Hz",
        "frequency",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_HF_DURATION_S,
    ),
    Index(
        "ln_hf",
        "ln HF",
        "ln(ms²)",
        "frequency",
        SHAFFER_2017,
        min_beats=3,
        min_duration_s=MIN_HF_DURATION_S,
    ),
    # --- nonlinear ---------------------------------------------------------------------------
    Index(
        "sd1",
        "SD1",
        "ms",
        "nonlinear",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "sd2",
        "SD2",
        "ms",
        "nonlinear",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "sd1_sd2",
        "SD1/SD2",
        "",
        "nonlinear",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "poincare_area",
        "Poincaré area",
        "ms²",
        "nonlinear",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "dfa_alpha1",
        "DFA α1",
        "",
        "nonlinear",
        PENG_1995,
        min_beats=DFA_ALPHA1_BEATS[1],
    ),
    Index(
        "dfa_alpha2",
        "DFA α2",
        "",
        "nonlinear",
        PENG_1995,
        min_beats=DFA_ALPHA2_BEATS[1],
    ),
    Index(
        "sampen",
        "SampEn",
        "",
        "nonlinear",
        RICHMAN_2000,
        min_beats=MIN_SAMPEN_BEATS,
    ),
)

BY_NAME: Final[dict[str, Index]] = {index.name: index for index in INDICES}
NAMES: Final[tuple[str, ...]] = tuple(BY_NAME)


def indices_of(domain: Domain) -> tuple[Index, ...]:
    """The indices of one domain, in registry order."""
    return tuple(index for index in INDICES if index.domain == domain)
