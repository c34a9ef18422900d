"""Frequency-domain HRV the Kubios way (Tarvainen et al. 2014; Task Force 1996).

Three spectral estimators, one set of band powers:

``welch`` (default, as in Kubios HRV)
    The RR series (ms) is placed at the beat times, resampled at 4 Hz by a cubic spline,
    detrended by smoothness priors (Tarvainen, Ranta-aho & Karjalainen 2002, lambda = 500) and
    cut into 256 s Hann windows with 50 % overlap (the whole series when shorter).
``lomb``
    The Lomb-Scargle periodogram (Lomb 1976; Scargle 1982) of the unevenly sampled RR series,
    after removing the same smoothness-priors trend and the mean.
``ar``
    Burg's autoregressive spectrum of order 16 of the same 4 Hz detrended series as ``welch``.

Every spectrum is a one-sided density in ms^2/Hz, never normalised to its maximum, so that the
band powers of all three methods are in ms^2 and comparable: a sinusoid of amplitude A ms gives
a band power of about A^2 / 2 ms^2 with each of them.

References
----------
Task Force of the ESC and NASPE (1996). Heart rate variability: standards of measurement,
physiological interpretation and clinical use. Circulation 93(5):1043-1065.

Tarvainen MP, Ranta-aho PO, Karjalainen PA (2002). An advanced detrending method with
application to HRV analysis. IEEE Trans Biomed Eng 49(2):172-175.

Tarvainen MP, Niskanen JP, Lipponen JA, Ranta-aho PO, Karjalainen PA (2014). Kubios HRV -
heart rate variability analysis software. Comput Methods Programs Biomed 113(1):210-220.

Lomb NR (1976). Least-squares frequency analysis of unequally spaced data. Astrophys Space Sci
39:447-462. Scargle JD (1982). Studies in astronomical time series analysis II. Astrophys J
263:835-853. Press WH, Rybicki GB (1989). Fast algorithm for spectral analysis of unevenly
sampled data. Astrophys J 338:277-280.

Burg JP (1975). Maximum entropy spectral analysis. PhD thesis, Stanford University; as given in
Kay SM (1988). Modern spectral estimation, ch. 7. Prentice Hall.
"""

from __future__ import annotations

import math
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.linalg import solve_banded, solveh_banded

from vagus.hrv._constants import (
    AR_ORDER,
    HF_BAND_HZ,
    LF_BAND_HZ,
    MAX_RR_MS,
    RESAMPLE_HZ,
    SMOOTHNESS_PRIORS_LAMBDA,
    VLF_BAND_HZ,
    WELCH_OVERLAP,
    WELCH_WINDOW_S,
)
from vagus.hrv._notices import Notice
from vagus.hrv._registry import indices_of
from vagus.hrv._types import FloatArray

Method = Literal["welch", "lomb", "ar"]
METHODS: Final[tuple[str, ...]] = ("welch", "lomb", "ar")

ComplexArray = npt.NDArray[np.complex128]

# --- Our own methodological constants -----------------------------------------------------------
#: Frequency step of the Welch and AR spectra. At 4 Hz this makes nfft = 4000: the 256 s window
#: (1024 samples, natural resolution 1/256 s = 3.9 mHz) is zero-padded about 4 times, which
#: interpolates the spectrum without changing its band integrals (Parseval holds for any
#: nfft >= window), puts the LF, HF and upper edges 0.04, 0.15 and 0.40 Hz exactly on grid points,
#: and quantises the peak frequencies to 1 mHz. A power of two (4096) would be no faster here.
SPECTRUM_STEP_HZ: Final[float] = 0.001
#: Lomb-Scargle oversampling: frequency step 1 / (4 T) for a record of T seconds, the factor
#: Press & Rybicki (1989) use, so that a spectral peak (width ~1/T) is sampled 4 times.
LOMB_OVERSAMPLING: Final[int] = 4
#: Highest Lomb-Scargle frequency: above the HF band (0.40 Hz), which is all the indices use,
#: and the mean Nyquist frequency 1 / (2 mean RR) of a heart at 60 bpm; beats sample the RR
#: series no faster than that, so higher ordinates are mostly aliases.
LOMB_MAX_FREQ_HZ: Final[float] = 0.5
#: Bound on the Lomb-Scargle grid, which bounds time and memory: 2^16 points keep the 4x
#: oversampling up to 9.1 h of data (0.5 Hz * 4 * 9.1 h = 65,536 points); longer records get a
#: step of 7.6 uHz, still finer than their resolution 1/T up to 36 h (1.5x oversampled at 24 h).
#: Band powers only need the grid to resolve 1/T; the finer oversampling serves peak finding,
#: and a stationary narrow peak over many hours does not exist in HRV.
LOMB_MAX_POINTS: Final[int] = 2**16
#: Band powers below this are round-off, not physiology: a sinusoid of 1e-6 ms^2 has an amplitude
#: of 0.0014 ms, a thousandth of the 1 ms resolution of RR intervals from a 1 kHz ECG. Constant
#: RR gives powers of ~1e-20 ms^2 through the spline and the detrending; they count as zero.
MIN_POWER_MS2: Final[float] = 1e-6
#: Around AR poles whose peak is narrower than this, the frequency grid is refined (see _ar_grid).
_AR_REFINE_SPAN_HZ: Final[float] = 0.05
#: Taylor terms of the non-uniform Fourier sums stop when the remainder is below this (relative).
_NUDFT_TOLERANCE: Final[float] = 1e-17
_MS_PER_S: Final[float] = 1000.0


# --- Resampling and detrending ------------------------------------------------------------------


def beat_times(rr_ms: FloatArray) -> FloatArray:
    """Time of each beat in s: the cumulative sum of the RR intervals (Kubios' convention).

    Each RR interval is placed at the beat that ends it.

    >>> beat_times(np.array([800.0, 1000.0, 900.0]))
    array([0.8, 1.8, 2.7])
    """
    return np.cumsum(np.asarray(rr_ms, dtype=np.float64)) / _MS_PER_S


def resample_rr(rr_ms: FloatArray, fs_hz: float = RESAMPLE_HZ) -> tuple[FloatArray, FloatArray]:
    """Resample the RR series evenly by a cubic spline through the beat times.

    Kubios HRV interpolates the RR tachogram at 4 Hz with a cubic spline (Tarvainen et al. 2014):
    the not-a-knot cubic spline of MATLAB's ``spline`` / ``interp1(..., 'spline')`` (Kubios is
    written in MATLAB), which is ``scipy.interpolate.CubicSpline``'s default (tested to 1e-9 ms).
    :func:`not_a_knot_spline` computes it, so that the HRV engine does not load
    ``scipy.interpolate`` (0.1-0.14 s of every ``vagus hrv``, issue 12).

    Parameters
    ----------
    rr_ms : numpy.ndarray
        RR intervals in ms, oldest first, positive.
    fs_hz : float
        Sampling rate of the result in Hz (default 4 Hz).

    Returns
    -------
    t_s : numpy.ndarray
        Sample times in s, from the first beat time (``rr_ms[0] / 1000``) in steps of
        ``1 / fs_hz`` up to the last beat.
    rr_resampled_ms : numpy.ndarray
        The interpolated RR series in ms. Two beats give a straight line, one beat one sample,
        no beats empty arrays.

    Raises
    ------
    ValueError
        When ``fs_hz`` is not a positive finite number.

    Examples
    --------
    >>> t, x = resample_rr(np.array([1000.0, 1000.0, 1000.0]))
    >>> t
    array([1.  , 1.25, 1.5 , 1.75, 2.  , 2.25, 2.5 , 2.75, 3.  ])
    >>> bool(np.all(x == 1000.0))
    True
    """
    if not (math.isfinite(fs_hz) and fs_hz > 0):
        raise ValueError(f"fs_hz: expected a positive sampling rate in Hz, got {fs_hz!r}")
    rr = np.asarray(rr_ms, dtype=np.float64)
    t = beat_times(rr)
    if t.size and not np.all(np.diff(t) > 0):
        # Intervals too small to advance the clock in float64 (not physiological, but allowed by
        # the contract "finite and > 0"): keep the first beat at each time so the spline exists.
        keep = np.concatenate(([True], np.diff(t) > 0))
        t, rr = t[keep], rr[keep]
    if t.size < 2:
        return t.copy(), rr.copy()
    # The small epsilon keeps the last beat when the duration is an exact multiple of 1/fs.
    n = math.floor(float(t[-1] - t[0]) * fs_hz + 1e-9) + 1
    grid = t[0] + np.arange(n, dtype=np.float64) / fs_hz
    values = not_a_knot_spline(t, rr, grid) if t.size > 2 else np.interp(grid, t, rr)
    return grid, np.asarray(values, dtype=np.float64)


def not_a_knot_spline(x: FloatArray, y: FloatArray, at: FloatArray) -> FloatArray:
    """The cubic spline through ``(x, y)`` with not-a-knot ends, evaluated at ``at``.

    The interpolant of MATLAB's ``spline`` and of ``scipy.interpolate.CubicSpline(x, y)``
    (de Boor 1978, A Practical Guide to Splines, ch. IV): the slopes ``s`` at the knots solve a
    tridiagonal system whose first and last rows ask the third derivative to be continuous at
    the second and the second-to-last knot; set up and solved as scipy does (its ``_cubic.py``),
    so the two agree to round-off (tests/hrv/test_frequency.py, 1e-9 ms). Three knots give the
    parabola through them. Outside ``[x[0], x[-1]]`` the end pieces are extended.

    Parameters
    ----------
    x : numpy.ndarray
        Knots, strictly increasing, at least 3.
    y : numpy.ndarray
        Values at the knots.
    at : numpy.ndarray
        Where to evaluate.

    Examples
    --------
    A cubic is its own not-a-knot spline:

    >>> x = np.array([0.0, 1.0, 2.5, 3.0, 4.0])
    >>> float(not_a_knot_spline(x, x**3, np.array([1.5]))[0])
    3.375
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = np.diff(x)
    slope = np.diff(y) / dx
    n = x.size
    if n == 3:
        a = np.array(
            [[1.0, 1.0, 0.0], [dx[1], 2.0 * (dx[0] + dx[1]), dx[0]], [0.0, 1.0, 1.0]],
        )
        b = np.array([2.0 * slope[0], 3.0 * (dx[0] * slope[1] + dx[1] * slope[0]), 2.0 * slope[1]])
        s = np.linalg.solve(a, b)
    else:
        # Band storage for solve_banded((1, 1)): upper, main and lower diagonals.
        ab = np.zeros((3, n), dtype=np.float64)
        ab[1, 1:-1] = 2.0 * (dx[:-1] + dx[1:])
        ab[0, 2:] = dx[:-1]
        ab[2, :-2] = dx[1:]
        b = np.empty(n, dtype=np.float64)
        b[1:-1] = 3.0 * (dx[1:] * slope[:-1] + dx[:-1] * slope[1:])
        d = x[2] - x[0]
        ab[1, 0] = dx[1]
        ab[0, 1] = d
        b[0] = ((dx[0] + 2.0 * d) * dx[1] * slope[0] + dx[0] ** 2 * slope[1]) / d
        d = x[-1] - x[-3]
        ab[1, -1] = dx[-2]
        ab[2, -2] = d
        b[-1] = (dx[-1] ** 2 * slope[-2] + (2.0 * d + dx[-1]) * dx[-2] * slope[-1]) / d
        s = solve_banded((1, 1), ab, b, overwrite_ab=True, overwrite_b=True, check_finite=False)
    # Each piece as c0 h^3 + c1 h^2 + c2 h + c3, h = at - x[i] (scipy's PPoly coefficients),
    # evaluated by Horner's rule in place: 3 arrays of len(at) at most (24 h: 345,600 samples).
    curvature = (s[:-1] + s[1:] - 2.0 * slope) / dx
    c0 = curvature / dx
    c1 = (slope - s[:-1]) / dx - curvature
    piece = np.clip(np.searchsorted(x, at, side="right") - 1, 0, n - 2)
    h = np.asarray(at, dtype=np.float64) - x[piece]
    out = c0[piece]
    out *= h
    out += c1[piece]
    out *= h
    out += s[:-1][piece]
    out *= h
    out += y[:-1][piece]
    return np.asarray(out, dtype=np.float64)


def _smoothness_priors_matrix(n: int, lam: float) -> FloatArray:
    """Lower band storage of ``I + lam^2 D2' D2`` (n x n, bandwidth 2) for ``solveh_banded``.

    D2 is the (n-2) x n second-difference matrix with rows [1, -2, 1]. D2' D2 is pentadiagonal:
    1, 5, 6, ..., 6, 5, 1 on the diagonal, -2, -4, ..., -4, -2 beside it and 1 two off.
    Assembling the rows' contributions by slices gives the end rows for any n >= 3 without cases.
    """
    m = n - 2  # rows of D2
    # Fortran order is what LAPACK's dpbsv takes: C order would be copied (8 MB at 24 h).
    ab = np.zeros((3, n), dtype=np.float64, order="F")
    ab[0, :m] += 1.0
    ab[0, 1 : m + 1] += 4.0
    ab[0, 2 : m + 2] += 1.0
    ab[1, :m] -= 2.0
    ab[1, 1 : m + 1] -= 2.0
    ab[2, :m] = 1.0
    ab *= lam * lam
    ab[0] += 1.0
    return ab


def smoothness_priors_detrend(x: FloatArray, lam: float = SMOOTHNESS_PRIORS_LAMBDA) -> FloatArray:
    """Remove the smoothness-priors trend of an evenly sampled series.

    Tarvainen, Ranta-aho & Karjalainen (2002, IEEE TBME 49(2):172-175): the trend is
    ``z_trend = (I + lam^2 D2' D2)^-1 z`` and the detrended series is ``z - z_trend``. This is a
    time-varying high-pass filter; its response at a frequency far from the ends is
    ``H(f) = lam^2 w^2 / (1 + lam^2 w^2)`` with ``w = 4 sin^2(pi f / fs)``. With lambda = 500 at
    4 Hz, ``H = 1/sqrt(2)`` (-3 dB) at 0.0355 Hz, the cut-off Kubios quotes (about 0.035 Hz).
    The cut-off scales with the sampling rate, so ``lam`` belongs to the 4 Hz series.

    The matrix is symmetric positive definite and pentadiagonal, so a banded Cholesky
    (``scipy.linalg.solveh_banded``) solves it in O(N) time and memory; no dense N x N matrix
    is ever formed.

    Parameters
    ----------
    x : numpy.ndarray
        Evenly sampled series (for HRV: the 4 Hz RR series in ms).
    lam : float
        Regularisation parameter lambda (dimensionless, >= 0); 500 as in Kubios.

    Returns
    -------
    numpy.ndarray
        ``x`` minus its trend, same length and unit. Series of fewer than 3 samples have no
        second difference, so all of them is trend and the result is zeros.

    Raises
    ------
    ValueError
        When ``lam`` is negative or not finite.

    Examples
    --------
    A straight line is all trend (D2 annihilates it):

    >>> bool(np.allclose(smoothness_priors_detrend(np.linspace(800.0, 900.0, 50)), 0.0))
    True
    """
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam: expected a finite lambda >= 0, got {lam!r}")
    z = np.asarray(x, dtype=np.float64)
    if z.size < 3:
        return np.zeros_like(z)
    # Constants (and lines) are in the null space of D2, so removing the mean first changes
    # nothing mathematically, but the solve's round-off (condition number ~ 1 + 16 lam^2 = 4e6)
    # then scales with the fluctuations instead of the ~900 ms mean: constant RR gives ~1e-20 ms.
    centred = z - np.mean(z)
    ab = _smoothness_priors_matrix(z.size, lam)
    # lower=True: in this LAPACK build the lower-band Cholesky is twice as fast as the upper.
    trend = solveh_banded(ab, centred, lower=True, overwrite_ab=True, check_finite=False)
    del ab
    centred -= trend  # in place: one array fewer at 345,600 samples (24 h)
    return centred


def _detrended_4hz(rr_ms: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The 4 Hz spline series, its smoothness-priors detrended version, and the sample times."""
    t, x = resample_rr(rr_ms, RESAMPLE_HZ)
    return t, x, smoothness_priors_detrend(x, SMOOTHNESS_PRIORS_LAMBDA)


# --- Estimators ---------------------------------------------------------------------------------


def _even_grid(fs_hz: float) -> FloatArray:
    """Frequencies 0 .. fs/2 in steps of SPECTRUM_STEP_HZ (the FFT grid of nfft = fs / step)."""
    n = round(fs_hz / SPECTRUM_STEP_HZ)
    return np.fft.rfftfreq(n, d=1.0 / fs_hz).astype(np.float64, copy=False)


def _one_sided(psd: FloatArray, nfft: int) -> FloatArray:
    """Double every bin but DC (and Nyquist when nfft is even): one-sided density."""
    psd[1 : psd.size - (1 - nfft % 2)] *= 2.0
    return psd


def _welch_psd(x: FloatArray, fs_hz: float) -> tuple[FloatArray, FloatArray]:
    """Welch's averaged periodogram, one-sided, in x-units^2/Hz.

    Hann window of WELCH_WINDOW_S (the whole series when shorter), WELCH_OVERLAP overlap, no
    per-segment detrending (the smoothness priors did it; MATLAB's pwelch, used by Kubios, does
    none either). The same numbers as ``scipy.signal.welch(x, fs, "hann", nperseg, noverlap,
    nfft, detrend=False)`` (tested), but segments are transformed in blocks so that a 24 h
    series needs a few MB instead of a 20 MB stack of spectra.
    """
    nperseg = min(round(WELCH_WINDOW_S * fs_hz), x.size)
    nfft = max(round(fs_hz / SPECTRUM_STEP_HZ), nperseg)
    freqs = np.fft.rfftfreq(nfft, d=1.0 / fs_hz).astype(np.float64, copy=False)
    acc = np.zeros(freqs.size, dtype=np.float64)
    if nperseg == 0:
        return freqs, acc
    step = nperseg - int(nperseg * WELCH_OVERLAP)
    segments = np.lib.stride_tricks.sliding_window_view(x, nperseg)[::step]  # a view, no copy
    # Periodic Hann, scipy.signal.welch's "hann" (= scipy.signal.windows.hann(n, sym=False)),
    # written out so that importing vagus.hrv does not pull in scipy.signal (~0.5 s); the FFTs
    # are numpy's (pocketfft, as scipy.fft's), which numpy has loaded anyway: scipy.fft would
    # add 0.04 s to every `vagus hrv` (issue 12).
    # scipy returns ones for a one-sample window; so do we.
    window = (
        0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
        if nperseg > 1
        else np.ones(nperseg)
    )
    block = 64  # 64 segments x 2001 complex bins = 2 MB per block
    for start in range(0, segments.shape[0], block):
        spectra = np.fft.rfft(segments[start : start + block] * window, n=nfft, axis=-1)
        acc += np.sum(spectra.real**2 + spectra.imag**2, axis=0)
    acc /= fs_hz * float(np.sum(window**2)) * segments.shape[0]
    return freqs, _one_sided(acc, nfft)


def _burg(x: FloatArray, order: int) -> tuple[FloatArray, float]:
    """Burg's AR coefficients ``a`` (``a[0] = 1``) and prediction-error variance.

    Kay (1988) section 7.4: at each order the reflection coefficient minimises the sum of the
    forward and backward prediction-error powers, ``k = -2 sum(f b) / sum(f^2 + b^2)``; the
    Levinson recursion updates ``a`` and the error power ``E *= 1 - k^2``. ``|k| <= 1`` always,
    so the model is stable. The order is lowered to ``len(x) - 1`` for very short series, and
    the recursion stops early when the errors vanish (a perfectly predictable series).
    """
    f = x.astype(np.float64, copy=True)
    b = f.copy()
    a = np.ones(1, dtype=np.float64)
    err = float(np.dot(f, f)) / x.size if x.size else 0.0
    for _ in range(min(order, x.size - 1)):
        fp, bp = f[1:], b[:-1]
        den = float(np.dot(fp, fp) + np.dot(bp, bp))
        if not den > 0.0:
            break
        k = -2.0 * float(np.dot(bp, fp)) / den
        f, b = fp + k * bp, bp + k * fp
        a = np.concatenate((a, [0.0]))
        a = a + k * a[::-1]
        err *= 1.0 - k * k
    return a, max(err, 0.0)


def _ar_grid(a: FloatArray, fs_hz: float) -> FloatArray:
    """The SPECTRUM_STEP_HZ grid on 0 .. fs/2 plus points packed around each AR pole.

    A pole ``z = r exp(i theta)`` makes a peak at ``f0 = theta fs / (2 pi)`` whose half-width
    at half maximum is about ``(1 - r) fs / (2 pi)``. Near-periodic RR (paced breathing at
    6/min is the use case here) puts poles within 1e-4 of the unit circle: peaks a few uHz wide
    that a 1 mHz grid samples at a few points, so the trapezoid rule misses up to 97 % of a pure
    sinusoid's power (measured). Around every pole with a peak narrower than 0.05 Hz we add
    ``f0`` and offsets from 1/100 of its half-width out to 0.05 Hz, 25 per decade on each side;
    the band integral then converges (a sinusoid gives A^2 / 2 within 3 %, tested). Real HRV
    spectra have broad peaks and hardly change.
    """
    extra = [_even_grid(fs_hz)]
    nyquist = fs_hz / 2.0
    for pole in np.roots(a):
        angle = float(np.angle(pole))
        if angle < 0.0:  # the conjugate of a pole already handled
            continue
        half_width = max(1.0 - abs(pole), 1e-15) * fs_hz / (2.0 * np.pi)
        if half_width >= _AR_REFINE_SPAN_HZ:
            continue
        decades = math.log10(_AR_REFINE_SPAN_HZ / half_width) + 2.0
        offsets = half_width * np.logspace(-2.0, decades - 2.0, round(25 * decades) + 1)
        centre = angle * fs_hz / (2.0 * np.pi)
        extra.append(np.concatenate(([centre], centre - offsets, centre + offsets)))
    grid: FloatArray = np.unique(np.clip(np.concatenate(extra), 0.0, nyquist))
    return grid


def _ar_psd(x: FloatArray, fs_hz: float) -> tuple[FloatArray, FloatArray]:
    """Burg AR(AR_ORDER) spectrum, one-sided, in x-units^2/Hz.

    ``S(f) = 2 E / (fs |A(exp(-i 2 pi f / fs))|^2)`` (Kay 1988), evaluated on the 1 mHz grid
    refined around the poles (:func:`_ar_grid`), so the frequencies are increasing but not
    evenly spaced.
    """
    a, err = _burg(x, AR_ORDER)
    if err == 0.0:
        freqs = _even_grid(fs_hz)
        return freqs, np.zeros(freqs.size, dtype=np.float64)
    freqs = _ar_grid(a, fs_hz)
    response = np.polynomial.polynomial.polyval(np.exp(-2j * np.pi * freqs / fs_hz), a)
    gain2 = np.maximum(response.real**2 + response.imag**2, np.finfo(np.float64).tiny)
    psd: FloatArray = 2.0 * err / (fs_hz * gain2)
    # One-sided: DC and Nyquist are not doubled.
    psd[(freqs == 0.0) | (freqs == fs_hz / 2.0)] /= 2.0
    return freqs, psd


def _fourier_sums(
    t: FloatArray, y: FloatArray, df_hz: float, n_freq: int
) -> tuple[ComplexArray, ComplexArray]:
    """``sum_j y_j exp(i w_k t_j)`` and ``sum_j exp(2 i w_k t_j)``, ``w_k = 2 pi k df``, k=1..n.

    The two sums the Lomb-Scargle periodogram needs (Press & Rybicki 1989), computed exactly to
    round-off in O(N P + P L log L) instead of O(N n) by a Taylor-expanded non-uniform DFT (the
    low-rank idea of Ruiz-Antolin & Townsend 2018, SIAM J Sci Comput 40(1):A529-A547): with a
    time step ``d = 1 / (df L)``, write ``t = m d + r`` with ``m`` an integer and
    ``|r| <= d / 2``; then ``exp(i w_k t) = exp(2 pi i k m / L) * sum_p (i w_k r)^p / p!``, and
    each Taylor term is one real FFT of length L of the weights ``y r^p`` binned at ``m mod L``.
    Direct evaluation would cost N n sines and cosines: 100,000 beats x 65,536 frequencies.

    L > 2 n, so d <= 1 / (2 f_max) = 1 s, ``|w r| <= pi / 2`` for the first sum and ``pi`` for
    the doubled frequencies: the Taylor series stop after about 22 and 30 terms, when the bound
    ``x^p / p!`` of the next term falls below 1e-17 of ``sum |y|`` (or of N).
    """
    size = _fast_len(2 * n_freq + 1)
    half = size // 2
    step_s = 1.0 / (df_hz * size)
    m = np.rint(t / step_s)
    r = t - m * step_s
    bins = np.mod(m, size).astype(np.intp)
    k = np.arange(1, n_freq + 1)
    w = 2.0 * np.pi * df_hz * k.astype(np.float64)
    # For real g, sum_m g[m] exp(+2 pi i j m / L) is conj(rfft(g)[j]) for j <= L/2 and
    # rfft(g)[L - j] above: the doubled frequencies 2k fold back into the half spectrum.
    folded = 2 * k > half
    index_2 = np.where(folded, size - 2 * k, 2 * k)
    sum_y = np.zeros(n_freq, dtype=np.complex128)
    sum_2 = np.zeros(n_freq, dtype=np.complex128)
    coef_y = np.ones(n_freq, dtype=np.complex128)  # (i w)^p / p!
    coef_2 = np.ones(n_freq, dtype=np.complex128)  # (2 i w)^p / p!
    r_p = np.ones_like(t)  # r^p
    x_y = float(w[-1]) * float(np.max(np.abs(r)))  # max |w r|
    bound_y = bound_2 = 1.0  # x^p / p!, bounds of the p-th terms relative to sum|y| and N
    p = 0
    while (bound_y >= _NUDFT_TOLERANCE or bound_2 >= _NUDFT_TOLERANCE) and p < 80:
        if bound_y >= _NUDFT_TOLERANCE:
            spectrum = np.fft.rfft(np.bincount(bins, weights=y * r_p, minlength=size))
            sum_y += coef_y * spectrum[1 : n_freq + 1].conj()
        spectrum = np.fft.rfft(np.bincount(bins, weights=r_p, minlength=size))
        values = spectrum[index_2]
        sum_2 += coef_2 * np.where(folded, values, values.conj())
        p += 1
        bound_y *= x_y / p
        bound_2 *= 2.0 * x_y / p
        coef_y *= 1j * w / p
        coef_2 *= 2j * w / p
        r_p *= r
    return sum_y, sum_2


def _fast_len(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= ``n``: a length the FFT takes quickly
    (``scipy.fft.next_fast_len(n, real=True)`` without loading scipy.fft).

    >>> _fast_len(1), _fast_len(7), _fast_len(131_073)
    (1, 8, 131220)
    """
    best = 1 << max(n - 1, 0).bit_length()  # the next power of two
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            # The smallest power of two that lifts p35 to n or more.
            quotient = -(-n // p35)
            candidate = p35 << max(quotient - 1, 0).bit_length()
            best = min(best, candidate)
            p35 *= 3
        p5 *= 5
    return best


def _lomb_grid(duration_s: float) -> tuple[float, int]:
    """Frequency step (Hz) and number of frequencies of the Lomb-Scargle grid (from df up)."""
    df = 1.0 / (LOMB_OVERSAMPLING * duration_s) if duration_s > 0 else SPECTRUM_STEP_HZ
    df = max(df, LOMB_MAX_FREQ_HZ / LOMB_MAX_POINTS)
    return df, max(math.floor(LOMB_MAX_FREQ_HZ / df + 1e-9), 1)


def _lomb_psd(rr_ms: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lomb-Scargle spectrum of the detrended, mean-removed RR series, one-sided, ms^2/Hz.

    Detrending: the smoothness-priors trend of the 4 Hz spline series (the same trend Welch and
    AR remove) is interpolated linearly back to the beat times and subtracted, so all three
    methods see the same 0.035 Hz high-pass; the trend holds nothing above that frequency, so
    interpolating it costs nothing, while the RR values themselves are never interpolated. Then
    the mean is removed (the classical, non-floating-mean periodogram).

    Scaling: the classical periodogram ``P = (YC^2 / CC + YS^2 / SS) / 2`` (Lomb 1976, Scargle
    1982) of a sinusoid of amplitude A over N samples peaks at A^2 N / 4, and the peak is 1/T
    wide. ``S = 2 P dt`` with ``dt = T / (N - 1)`` the mean sampling interval is the one-sided
    density whose integral over the peak is A^2 / 2, as for an evenly sampled periodogram.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    t = beat_times(rr)
    duration = float(t[-1] - t[0]) if t.size else 0.0
    df, n_freq = _lomb_grid(duration)
    freqs = df * np.arange(1, n_freq + 1, dtype=np.float64)
    if rr.size < 3 or duration <= 0.0:
        return freqs, np.zeros(n_freq, dtype=np.float64)
    t_even, x_even, x_detrended = _detrended_4hz(rr)
    trend = np.interp(t, t_even, x_even - x_detrended)
    h = rr - trend
    h -= np.mean(h)
    # Measuring time from the first beat keeps the phases small; the periodogram does not change.
    t = t - t[0]
    sum_h, sum_2 = _fourier_sums(t, h, df, n_freq)
    n = float(rr.size)
    # tau makes the cosine and sine fits orthogonal: 2 w tau = arg(sum exp(2 i w t)); then
    # sum cos^2(w (t - tau)) = (N + |S2|) / 2 and sum sin^2 = (N - |S2|) / 2.
    rotated = sum_h * np.exp(-0.5j * np.angle(sum_2))
    abs_2 = np.abs(sum_2)
    cc = 0.5 * (n + abs_2)
    ss = 0.5 * (n - abs_2)
    p = 0.5 * rotated.real**2 / cc
    # When all samples sit at zeros of the sine (SS ~ 0) the sine part is unobservable: it adds
    # nothing (scipy clamps SS to epsilon here instead, which amplifies round-off).
    observable = ss > n * 1e-12
    p += 0.5 * np.divide(rotated.imag**2, ss, out=np.zeros_like(ss), where=observable)
    dt = duration / (rr.size - 1)
    return freqs, 2.0 * dt * p


#: The indices :func:`frequency_domain` returns: the registry's frequency domain, in its order.
FREQUENCY_INDICES: Final[tuple[str, ...]] = tuple(i.name for i in indices_of("frequency"))


def _too_long_for_grid(rr: FloatArray) -> bool:
    """The 4 Hz grid (and Lomb's) grows with the *sum* of the intervals, not their number: an
    average interval beyond ``MAX_RR_MS`` (no heart makes one) would let a few absurd values ask
    for gigabytes (issue 12: every index's cost bounded by the data's length). ``analyze``
    leaves such intervals out before; this keeps the public functions bounded too."""
    return bool(rr.size) and float(np.sum(rr)) > MAX_RR_MS * rr.size


def power_spectrum(rr_ms: FloatArray, *, method: Method = "welch") -> tuple[FloatArray, FloatArray]:
    """Power spectral density of an RR series, one-sided, in ms^2/Hz.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        Validated, artifact-corrected RR intervals in ms, oldest first.
    method : {"welch", "lomb", "ar"}
        ``welch`` (Kubios' default): 4 Hz cubic spline, smoothness-priors detrending
        (lambda 500), Hann windows of 256 s with 50 % overlap, on 0 .. 2 Hz in 1 mHz steps.
        ``lomb``: Lomb-Scargle of the detrended beat series, from 1/(4T) to 0.5 Hz in steps of
        1/(4T) (T the record length; at most 2^16 points). ``ar``: Burg AR(16) of the same
        4 Hz detrended series as Welch, on 0 .. 2 Hz in 1 mHz steps plus points packed around
        sharp peaks, so that narrow peaks are integrated correctly (not evenly spaced).

    Returns
    -------
    freqs_hz : numpy.ndarray
        Frequencies in Hz, increasing.
    psd_ms2_per_hz : numpy.ndarray
        One-sided power spectral density in ms^2/Hz (not normalised), finite and >= 0.

    Raises
    ------
    ValueError
        For an unknown ``method``.

    Examples
    --------
    >>> rr = 900.0 + 50.0 * np.sin(2 * np.pi * 0.1 * 0.9 * np.arange(400))
    >>> f, psd = power_spectrum(rr)
    >>> float(f[np.argmax(psd)])
    0.1
    """
    _check_method(method)
    rr = np.asarray(rr_ms, dtype=np.float64)
    if _too_long_for_grid(rr):
        raise ValueError(
            f"rr_ms: the intervals average {float(np.mean(rr)):.0f} ms, longer than the "
            f"{MAX_RR_MS:.0f} ms a heartbeat interval can last"
        )
    if method == "lomb":
        return _lomb_psd(rr)
    # Only the detrended series is kept, so the time grid and the raw 4 Hz series are freed.
    x = smoothness_priors_detrend(resample_rr(rr, RESAMPLE_HZ)[1], SMOOTHNESS_PRIORS_LAMBDA)
    if method == "ar":
        return _ar_psd(x, RESAMPLE_HZ)
    return _welch_psd(x, RESAMPLE_HZ)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")


# --- Band powers --------------------------------------------------------------------------------


def band_power(freqs_hz: FloatArray, psd: FloatArray, band_hz: tuple[float, float]) -> float:
    """Power in a band by the trapezoid rule, in ms^2 for a PSD in ms^2/Hz.

    Band edges: the PSD is taken as the straight line between grid points (what the trapezoid
    rule assumes anyway) and integrated from exactly ``lo`` to exactly ``hi``, its value at an
    edge that falls between grid points interpolated linearly. Adjacent bands therefore share
    their edge without a gap or a double-counted bin, VLF + LF + HF equals the power over
    0.0033-0.40 Hz exactly, and the result does not jump when the grid shifts. (NeuroKit2
    integrates over the grid points with ``lo <= f < hi``, which drops the last partial bin of
    each band.) On the 1 mHz Welch/AR grid 0.04, 0.15 and 0.40 Hz are grid points, so only
    0.0033 Hz is interpolated. A band outside the grid contributes only its overlap.

    >>> f = np.array([0.0, 0.1, 0.2, 0.3])
    >>> band_power(f, np.array([0.0, 10.0, 10.0, 0.0]), (0.05, 0.25))
    1.75
    """
    lo = max(band_hz[0], float(freqs_hz[0])) if freqs_hz.size else band_hz[0]
    hi = min(band_hz[1], float(freqs_hz[-1])) if freqs_hz.size else band_hz[0]
    if not hi > lo:
        return 0.0
    inner = slice(
        int(np.searchsorted(freqs_hz, lo, side="right")),
        int(np.searchsorted(freqs_hz, hi, side="left")),
    )
    x = np.concatenate(([lo], freqs_hz[inner], [hi]))
    y = np.concatenate(([np.interp(lo, freqs_hz, psd)], psd[inner], [np.interp(hi, freqs_hz, psd)]))
    return float(np.trapezoid(y, x))


def _peak(freqs_hz: FloatArray, psd: FloatArray, band_hz: tuple[float, float]) -> float | None:
    """Frequency (Hz) of the largest PSD value among grid points with ``lo <= f < hi``."""
    inside = (freqs_hz >= band_hz[0]) & (freqs_hz < band_hz[1])
    if not np.any(inside) or not float(np.max(psd[inside])) > 0.0:
        return None
    return float(freqs_hz[inside][np.argmax(psd[inside])])


def frequency_domain(
    rr_ms: FloatArray, *, method: Method = "welch", warnings: list[str] | None = None
) -> dict[str, float | None]:
    """Frequency-domain HRV indices (Task Force 1996; Kubios HRV, Tarvainen et al. 2014).

    Parameters
    ----------
    rr_ms : numpy.ndarray
        Validated, artifact-corrected RR intervals in ms, oldest first. The caller enforces the
        minimum durations (about 1 min for HF, 2 min for LF, 5 min for VLF); this function
        never raises on short input.
    method : {"welch", "lomb", "ar"}
        Spectral estimator, see :func:`power_spectrum`.
    warnings : list of str, optional
        Where an index is undefined, a one-line reason starting with the index name is
        appended here.

    Returns
    -------
    dict
        ``vlf``, ``lf``, ``hf`` : band powers in ms^2 over 0.0033-0.04, 0.04-0.15 and
        0.15-0.40 Hz (trapezoid rule, see :func:`band_power`); powers below
        ``MIN_POWER_MS2`` (1e-6 ms^2, round-off) are reported as 0.
        ``total_power`` : VLF + LF + HF in ms^2 (0.0033-0.40 Hz).
        ``lf_nu``, ``hf_nu`` : 100 LF / (LF + HF) and 100 HF / (LF + HF), normalised units.
        ``lf_hf`` : LF / HF.
        ``vlf_peak``, ``lf_peak``, ``hf_peak`` : frequency in Hz of the highest PSD value in
        the band.
        ``ln_hf`` : natural logarithm of HF in ms^2.
        A value is ``None`` (never NaN) where undefined: ratios and logarithms of zero power,
        peaks of a band without power.

    Raises
    ------
    ValueError
        For an unknown ``method``.

    Examples
    --------
    Breathing at 6 per minute (0.1 Hz) puts nearly all power in LF:

    >>> rr = 900.0 + 50.0 * np.sin(2 * np.pi * 0.1 * 0.9 * np.arange(400))
    >>> fd = frequency_domain(rr)
    >>> fd["lf_peak"], fd["lf_nu"] > 99
    (0.1, True)
    """
    _check_method(method)
    notes: list[str] = [] if warnings is None else warnings
    rr = np.asarray(rr_ms, dtype=np.float64)
    if _too_long_for_grid(rr):
        mean_ms = float(np.mean(rr))
        for name in FREQUENCY_INDICES:
            notes.append(
                Notice(
                    "hrv.undefined.spectrum_span",
                    f"{name}: undefined, the intervals average {mean_ms:.0f} ms, longer than "
                    f"the {MAX_RR_MS:.0f} ms a heartbeat interval can last",
                    index=name,
                    mean_ms=mean_ms,
                    limit_ms=MAX_RR_MS,
                )
            )
        return dict.fromkeys(FREQUENCY_INDICES)
    freqs, psd = power_spectrum(rr, method=method)

    def power(band: tuple[float, float]) -> float:
        value = band_power(freqs, psd, band)
        return value if value >= MIN_POWER_MS2 else 0.0

    vlf, lf, hf = power(VLF_BAND_HZ), power(LF_BAND_HZ), power(HF_BAND_HZ)
    result: dict[str, float | None] = {
        "vlf": vlf,
        "lf": lf,
        "hf": hf,
        "total_power": vlf + lf + hf,
        "lf_nu": None,
        "hf_nu": None,
        "lf_hf": None,
        "vlf_peak": None,
        "lf_peak": None,
        "hf_peak": None,
        "ln_hf": None,
    }
    # One warning per index, each starting with its name, so the caller can filter by name.
    if lf + hf > 0.0:
        result["lf_nu"] = 100.0 * lf / (lf + hf)
        result["hf_nu"] = 100.0 * hf / (lf + hf)
    else:
        for name in ("lf_nu", "hf_nu"):
            notes.append(
                Notice(
                    "hrv.undefined.no_lf_hf",
                    f"{name}: undefined, LF + HF power is zero (no variability)",
                    index=name,
                )
            )
    if hf > 0.0:
        result["lf_hf"] = lf / hf
        result["ln_hf"] = math.log(hf)
    else:
        for name in ("lf_hf", "ln_hf"):
            notes.append(
                Notice(
                    "hrv.undefined.no_hf",
                    f"{name}: undefined, HF power is zero (no variability in 0.15-0.4 Hz)",
                    index=name,
                    low_hz=float(HF_BAND_HZ[0]),
                    high_hz=float(HF_BAND_HZ[1]),
                )
            )
    for name, band, band_total in (
        ("vlf_peak", VLF_BAND_HZ, vlf),
        ("lf_peak", LF_BAND_HZ, lf),
        ("hf_peak", HF_BAND_HZ, hf),
    ):
        peak = _peak(freqs, psd, band) if band_total > 0.0 else None
        result[name] = peak
        if peak is None:
            notes.append(
                Notice(
                    "hrv.undefined.no_band_power",
                    f"{name}: undefined, no power in {band[0]:g}-{band[1]:g} Hz "
                    "(no variability there, or the recording is too short)",
                    index=name,
                    low_hz=float(band[0]),
                    high_hz=float(band[1]),
                )
            )
    for name, value in result.items():
        if value is not None and not math.isfinite(value):  # defensive: never hand out NaN
            notes.append(
                Notice(
                    "hrv.undefined.not_finite",
                    f"{name}: undefined for this recording (not a finite number)",
                    index=name,
                )
            )
            result[name] = None
    return result
