"""Named physiological and methodological constants of the HRV core.

Units are part of every name. Bounds come from physiology or from the paper that defines the
index, never from convenience; each says where it comes from.
"""

from __future__ import annotations

from typing import Final

# --- RR intervals -------------------------------------------------------------------------------
#: The shortest RR interval a human heart produces: 300 bpm, above the fastest sustained
#: tachycardias. Shorter values in a file are not RR intervals in milliseconds.
MIN_RR_MS: Final[float] = 200.0
#: The longest: a 3 s pause (20 bpm). Longer values are dropouts or missed beats, not rhythm.
MAX_RR_MS: Final[float] = 3000.0
#: The value strap data and Bluetooth heart-rate logs write where no valid RR interval was
#: measured: 0xFFFF, the largest 16-bit number. Read as ms it is 65535 ms; read as the
#: 1/1024 s units of the Bluetooth Heart Rate Service's RR field (Heart Rate Service 1.0,
#: section 3.1.1.5) it is 65535/1024 s = 63999.02 ms. Both are far above MAX_RR_MS and so
#: excluded like any other impossible value; they are named apart in the warnings.
RR_INVALID_CODE: Final[int] = 0xFFFF
RR_INVALID_CODES_MS: Final[tuple[float, ...]] = (
    float(RR_INVALID_CODE),
    RR_INVALID_CODE * 1000.0 / 1024.0,
)
#: Values whose median is below this are taken to be seconds (RR in s lies in 0.2-3.0; in ms
#: in 200-3000), so one threshold separates the two units with a wide margin on both sides.
UNIT_SECONDS_BELOW: Final[float] = 10.0

# --- Frequency bands, Task Force 1996 (Circulation 93:1043-1065) -------------------------------
VLF_BAND_HZ: Final[tuple[float, float]] = (0.0033, 0.04)
LF_BAND_HZ: Final[tuple[float, float]] = (0.04, 0.15)
HF_BAND_HZ: Final[tuple[float, float]] = (0.15, 0.40)

# --- Welch spectrum as in Kubios HRV (Tarvainen et al. 2014, Comput Methods Programs Biomed
# 113:210-220): 4 Hz cubic-spline resampling, smoothness-priors detrending, 256 s Hann window.
RESAMPLE_HZ: Final[float] = 4.0
SMOOTHNESS_PRIORS_LAMBDA: Final[float] = 500.0
WELCH_WINDOW_S: Final[float] = 256.0
WELCH_OVERLAP: Final[float] = 0.5
AR_ORDER: Final[int] = 16

# --- Time domain ---------------------------------------------------------------------------------
#: Histogram bin for the HRV triangular index and TINN: 1/128 s (Task Force 1996).
HISTOGRAM_BIN_MS: Final[float] = 1000.0 / 128.0
#: Kubios computes minimum and maximum heart rate over a moving average of this many beats, so
#: that one short artifact interval does not become the "maximum heart rate".
HR_AVERAGE_BEATS: Final[int] = 5

# --- Nonlinear -----------------------------------------------------------------------------------
#: DFA box sizes in beats (Peng et al. 1995, Chaos 5:82-87; the short- and long-term exponents).
DFA_ALPHA1_BEATS: Final[tuple[int, int]] = (4, 16)
DFA_ALPHA2_BEATS: Final[tuple[int, int]] = (16, 64)
#: Sample entropy embedding dimension and tolerance factor (Richman & Moorman 2000,
#: Am J Physiol 278:H2039-H2049).
SAMPEN_M: Final[int] = 2
SAMPEN_R_FACTOR: Final[float] = 0.2

# --- Artifact correction, Lipponen & Tarvainen 2019 (J Med Eng Technol 43(3):173-181) -------------
#: Above this share of corrected beats the indices are not reliable.
ARTIFACT_WARN_PERCENT: Final[float] = 5.0
