"""The index registry: every HRV index declared once.

Name, unit, domain, minimum data, reference and a one-line meaning (English and Norwegian
bokmål). The CLI table, the JSON, the web pages and docs/indices.md all read this list, and a
test keeps ``analyze()`` and the registry in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from vagus.hrv._constants import (
    DFA_ALPHA1_BEATS,
    DFA_ALPHA2_BEATS,
    HF_BAND_HZ,
    HR_AVERAGE_BEATS,
    LF_BAND_HZ,
    VLF_BAND_HZ,
)

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
    meaning_en, meaning_nb : str
        One line: what it tells, in English and in Norwegian bokmål.
    reference : str
        The paper or standard that defines it.
    """

    name: str
    label: str
    unit: str
    domain: Domain
    meaning_en: str
    meaning_nb: str
    reference: str
    min_beats: int = 2
    min_duration_s: float = 0.0

    def meaning(self, lang: str = "en") -> str:
        """The one-line meaning in ``lang`` ("en" or "nb")."""
        return self.meaning_nb if lang == "nb" else self.meaning_en

    def minimum_text(self) -> str:
        """The minimum data, in words (English), for warnings and docs."""
        parts = []
        if self.min_beats > 1:
            parts.append(f"{self.min_beats} beats")
        if self.min_duration_s > 0:
            parts.append(f"{self.min_duration_s:g} s")
        return " and ".join(parts) if parts else "1 beat"


_VLF = f"{VLF_BAND_HZ[0]}-{VLF_BAND_HZ[1]} Hz"
_LF = f"{LF_BAND_HZ[0]}-{LF_BAND_HZ[1]} Hz"
_HF = f"{HF_BAND_HZ[0]}-{HF_BAND_HZ[1]} Hz"

INDICES: Final[tuple[Index, ...]] = (
    # --- time domain -----------------------------------------------------------------------------
    Index(
        "mean_nn",
        "Mean NN",
        "ms",
        "time",
        "Average time between normal beats.",
        "Gjennomsnittlig tid mellom normale hjerteslag.",
        TASK_FORCE,
        min_beats=1,
    ),
    Index(
        "median_nn",
        "Median NN",
        "ms",
        "time",
        "Median time between normal beats; robust to single odd beats.",
        "Median tid mellom normale slag; lite påvirket av enkeltslag.",
        TASK_FORCE,
        min_beats=1,
    ),
    Index(
        "sdnn",
        "SDNN",
        "ms",
        "time",
        "Overall variability: standard deviation of all NN intervals (n-1).",
        "Samlet variasjon: standardavviket til alle NN-intervaller (n-1).",
        TASK_FORCE,
    ),
    Index(
        "rmssd",
        "RMSSD",
        "ms",
        "time",
        "Beat-to-beat variability, the standard short-term marker of vagal activity.",
        "Variasjon fra slag til slag, standardmålet på vagusaktivitet over kort tid.",
        TASK_FORCE,
    ),
    Index(
        "sdsd",
        "SDSD",
        "ms",
        "time",
        "Standard deviation of the differences between successive NN intervals.",
        "Standardavviket til forskjellene mellom påfølgende NN-intervaller.",
        TASK_FORCE,
        min_beats=3,
    ),
    Index(
        "nn50",
        "NN50",
        "count",
        "time",
        "Number of successive differences larger than 50 ms.",
        "Antall påfølgende forskjeller større enn 50 ms.",
        TASK_FORCE,
    ),
    Index(
        "pnn50",
        "pNN50",
        "%",
        "time",
        "NN50 divided by the number of NN intervals; tracks vagal activity.",
        "NN50 delt på antall NN-intervaller; følger vagusaktiviteten.",
        TASK_FORCE,
    ),
    Index(
        "nn20",
        "NN20",
        "count",
        "time",
        "Number of successive differences larger than 20 ms.",
        "Antall påfølgende forskjeller større enn 20 ms.",
        SHAFFER_2017,
    ),
    Index(
        "pnn20",
        "pNN20",
        "%",
        "time",
        "NN20 divided by the number of NN intervals.",
        "NN20 delt på antall NN-intervaller.",
        SHAFFER_2017,
    ),
    Index(
        "cvnn",
        "CVNN",
        "",
        "time",
        "SDNN divided by mean NN: variability relative to heart period.",
        "SDNN delt på gjennomsnittlig NN: variasjon i forhold til pulsperioden.",
        SHAFFER_2017,
    ),
    Index(
        "cvsd",
        "CVSD",
        "",
        "time",
        "RMSSD divided by mean NN.",
        "RMSSD delt på gjennomsnittlig NN.",
        SHAFFER_2017,
    ),
    Index(
        "mean_hr",
        "Mean HR",
        "bpm",
        "time",
        "Average heart rate (mean of the beat-by-beat rate 60000/NN).",
        "Gjennomsnittlig puls (snittet av pulsen slag for slag, 60000/NN).",
        TARVAINEN_2014,
        min_beats=1,
    ),
    Index(
        "min_hr",
        "Min HR",
        "bpm",
        "time",
        f"Lowest heart rate over a {HR_AVERAGE_BEATS}-beat moving average.",
        f"Laveste puls, glidende snitt over {HR_AVERAGE_BEATS} slag.",
        TARVAINEN_2014,
        min_beats=HR_AVERAGE_BEATS,
    ),
    Index(
        "max_hr",
        "Max HR",
        "bpm",
        "time",
        f"Highest heart rate over a {HR_AVERAGE_BEATS}-beat moving average.",
        f"Høyeste puls, glidende snitt over {HR_AVERAGE_BEATS} slag.",
        TARVAINEN_2014,
        min_beats=HR_AVERAGE_BEATS,
    ),
    Index(
        "std_hr",
        "SD HR",
        "bpm",
        "time",
        "Standard deviation of the beat-by-beat heart rate (n-1).",
        "Standardavviket til pulsen slag for slag (n-1).",
        TARVAINEN_2014,
    ),
    Index(
        "hti",
        "HRV triangular index",
        "",
        "time",
        "Number of NN intervals divided by the height of their histogram (1/128 s bins).",
        "Antall NN-intervaller delt på høyden av histogrammet (1/128 s).",
        TASK_FORCE,
        min_beats=MIN_HISTOGRAM_BEATS,
    ),
    Index(
        "tinn",
        "TINN",
        "ms",
        "time",
        "Base width of the triangle that best fits the NN histogram.",
        "Bredden på trekanten som passer best til NN-histogrammet.",
        TASK_FORCE,
        min_beats=MIN_HISTOGRAM_BEATS,
    ),
    Index(
        "ln_rmssd",
        "ln RMSSD",
        "ln(ms)",
        "time",
        "Natural log of RMSSD; closer to a normal distribution, used for day-to-day trends.",
        "Naturlig logaritme av RMSSD; egner seg for å følge utviklingen fra dag til dag.",
        SHAFFER_2017,
    ),
    # --- frequency domain --------------------------------------------------------------------
    Index(
        "vlf",
        "VLF",
        "ms²",
        "frequency",
        f"Power in the very-low-frequency band ({_VLF}).",
        f"Effekt i det svært lavfrekvente båndet ({_VLF}).",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf",
        "LF",
        "ms²",
        "frequency",
        f"Power in the low-frequency band ({_LF}); slow breathing and blood-pressure rhythms.",
        f"Effekt i det lavfrekvente båndet ({_LF}); langsom pust og blodtrykksrytmer.",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf",
        "HF",
        "ms²",
        "frequency",
        f"Power in the high-frequency band ({_HF}); breathing-linked, vagal.",
        f"Effekt i det høyfrekvente båndet ({_HF}); følger pusten, vagal.",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_HF_DURATION_S,
    ),
    Index(
        "total_power",
        "Total power",
        "ms²",
        "frequency",
        "VLF + LF + HF power.",
        "Samlet effekt, VLF + LF + HF.",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf_nu",
        "LF n.u.",
        "n.u.",
        "frequency",
        "LF as a share of LF + HF, times 100.",
        "LF som andel av LF + HF, ganger 100.",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf_nu",
        "HF n.u.",
        "n.u.",
        "frequency",
        "HF as a share of LF + HF, times 100.",
        "HF som andel av LF + HF, ganger 100.",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "lf_hf",
        "LF/HF",
        "",
        "frequency",
        "Ratio of LF to HF power; not a clean sympathetic-vagal balance (Billman 2013).",
        "Forholdet mellom LF og HF; ikke et rent mål på balansen (Billman 2013).",
        TASK_FORCE,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "vlf_peak",
        "VLF peak",
        "Hz",
        "frequency",
        "Frequency of the highest spectral peak in the VLF band.",
        "Frekvensen til den høyeste toppen i VLF-båndet.",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_VLF_DURATION_S,
    ),
    Index(
        "lf_peak",
        "LF peak",
        "Hz",
        "frequency",
        "Frequency of the highest spectral peak in the LF band (about 0.1 Hz in slow breathing).",
        "Frekvensen til den høyeste toppen i LF-båndet (rundt 0,1 Hz ved langsom pust).",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_LF_DURATION_S,
    ),
    Index(
        "hf_peak",
        "HF peak",
        "Hz",
        "frequency",
        "Frequency of the highest spectral peak in the HF band; usually the breathing rate.",
        "Frekvensen til den høyeste toppen i HF-båndet; vanligvis pustefrekvensen.",
        TARVAINEN_2014,
        min_beats=3,
        min_duration_s=MIN_HF_DURATION_S,
    ),
    Index(
        "ln_hf",
        "ln HF",
        "ln(ms²)",
        "frequency",
        "Natural log of HF power.",
        "Naturlig logaritme av HF-effekten.",
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
        "Poincaré plot width: short-term, beat-to-beat variability.",
        "Bredden av Poincaré-plottet: variasjon fra slag til slag.",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "sd2",
        "SD2",
        "ms",
        "nonlinear",
        "Poincaré plot length: longer-term variability.",
        "Lengden av Poincaré-plottet: langsommere variasjon.",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "sd1_sd2",
        "SD1/SD2",
        "",
        "nonlinear",
        "Ratio of short- to long-term Poincaré variability.",
        "Forholdet mellom kort- og langsiktig variasjon i Poincaré-plottet.",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "poincare_area",
        "Poincaré area",
        "ms²",
        "nonlinear",
        "Area of the Poincaré ellipse, pi x SD1 x SD2.",
        "Arealet av Poincaré-ellipsen, pi x SD1 x SD2.",
        BRENNAN_2001,
        min_beats=3,
    ),
    Index(
        "dfa_alpha1",
        "DFA α1",
        "",
        "nonlinear",
        f"Short-term fractal scaling ({DFA_ALPHA1_BEATS[0]}-{DFA_ALPHA1_BEATS[1]} beats); "
        "about 1 at rest, 0.5 is random, 1.5 is drifting.",
        f"Kortsiktig fraktal skalering ({DFA_ALPHA1_BEATS[0]}-{DFA_ALPHA1_BEATS[1]} slag); "
        "rundt 1 i hvile.",
        PENG_1995,
        min_beats=DFA_ALPHA1_BEATS[1],
    ),
    Index(
        "dfa_alpha2",
        "DFA α2",
        "",
        "nonlinear",
        f"Long-term fractal scaling ({DFA_ALPHA2_BEATS[0]}-{DFA_ALPHA2_BEATS[1]} beats).",
        f"Langsiktig fraktal skalering ({DFA_ALPHA2_BEATS[0]}-{DFA_ALPHA2_BEATS[1]} slag).",
        PENG_1995,
        min_beats=DFA_ALPHA2_BEATS[1],
    ),
    Index(
        "sampen",
        "SampEn",
        "",
        "nonlinear",
        "Sample entropy (m = 2, r = 0.2 SDNN): irregularity of the rhythm.",
        "Utvalgsentropi (m = 2, r = 0,2 SDNN): hvor uregelmessig rytmen er.",
        RICHMAN_2000,
        min_beats=MIN_SAMPEN_BEATS,
    ),
)

BY_NAME: Final[dict[str, Index]] = {index.name: index for index in INDICES}
NAMES: Final[tuple[str, ...]] = tuple(BY_NAME)


def indices_of(domain: Domain) -> tuple[Index, ...]:
    """The indices of one domain, in registry order."""
    return tuple(index for index in INDICES if index.domain == domain)
