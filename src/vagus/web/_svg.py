"""Server-rendered, accessible SVG charts: no JavaScript and no chart library for a static picture.

Server-side SVG was chosen for the web pages because it works with scripts off, prints, scales
to a 360 px screen and needs no vendored library; the live chart of the player needs a small
client-side one (static/player.js).

Every function here is pure (numbers and text in, one ``<svg>`` string out) and returns an
image that assistive technology reads as one picture: ``role="img"`` labelled by its own
``<title>`` and ``<desc>`` through ``aria-labelledby`` (the usual pattern for inline SVG,
which does not rely on the patchy support for ``<title>`` alone). Ids are
``{chart_id}-title`` and ``{chart_id}-desc``, so several charts can share a page.

Colours come from the stylesheet, never from ``style=""`` (the Content-Security-Policy forbids
inline styles): data elements draw with ``currentColor`` and carry CSS classes, so one rule such
as ``svg.chart .series-2 { color: #D55E00 }`` colours a series, and without the stylesheet the
chart is still legible in the text colour (which is also how it prints on a monochrome
printer); for the same reason the root carries ``font-size="12"``, a presentation attribute
that any stylesheet rule overrides. Series differ by marker shape and dash pattern as well
as by colour, so colour is never the only cue (WCAG 2.1 success criterion 1.4.1).

All text is XML-escaped, and characters that XML 1.0 cannot carry are dropped, so the output
is always well-formed XML whatever a user typed into a label.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from vagus.hrv._constants import HF_BAND_HZ, LF_BAND_HZ, VLF_BAND_HZ

#: Numbers as the pages have them: a list from JSON or a numpy array.
Numbers: TypeAlias = Sequence[float] | npt.NDArray[np.floating[Any]]

# --- Tachogram geometry (kept from the first version: the measurement page depends on it) -------
#: Drawing size in SVG user units (scaled to the page width by CSS). 480 rather than the first
#: version's 640, so that the axis text stays readable on a 360 px phone (see CHART_WIDTH_PX).
WIDTH_PX: Final = 480
HEIGHT_PX: Final = 200
#: Margin left for the axis labels, in user units.
MARGIN_PX: Final = 40
#: Most points drawn: more than the width adds nothing a person can see.
MAX_POINTS: Final = 2000

# --- Shared geometry of the newer charts ----------------------------------------------------------
#: Width and height of the spectrum and trend charts in user units. 480 wide keeps the 12-unit
#: axis text at about 9 px on a 360 px phone, where 640 would shrink it to under 7 px.
CHART_WIDTH_PX: Final = 480
CHART_HEIGHT_PX: Final = 240
#: The Poincaré plot is square, so that its two axes share one scale (equal axes).
POINCARE_SIZE_PX: Final = 360
#: Plot-area margins in user units: left for the y tick labels, top for the y unit, bottom for
#: the x tick labels.
MARGIN_LEFT_PX: Final = 48
MARGIN_RIGHT_PX: Final = 12
MARGIN_TOP_PX: Final = 20
MARGIN_BOTTOM_PX: Final = 24
#: The Poincaré plot needs a second line below the x ticks for the axis name.
POINCARE_MARGIN_BOTTOM_PX: Final = 40
#: Most points in a Poincaré plot. 300 x 300 user units hold far fewer distinguishable dots;
#: more only makes the page heavy (a 24 h Holter recording has about 100,000 beats).
MAX_POINCARE_POINTS: Final = 3000
#: Largest grid cell (user units) used when thinning the Poincaré cloud: (300 / 6)^2 = 2500
#: cells is below MAX_POINCARE_POINTS, so thinning always ends by this size.
_MAX_THIN_CELL_PX: Final = 6
#: Dot radius of a Poincaré point and size of a trend marker, in user units.
POINT_RADIUS_PX: Final = 2.0
MARKER_SIZE_PX: Final = 3.5
#: About this many tick marks per axis.
TICK_TARGET: Final = 5
#: Most date labels on a trend chart's x axis: "yyyy-mm-dd" is about 65 units wide at 12 units,
#: and the first label starts at its tick while the middle ones are centred, so four evenly
#: spaced labels (about 135 units apart on the 406-unit axis) never touch; five did.
MAX_DATE_LABELS: Final = 4
#: Padding around the data range, as a fraction of the range, and at least this many RR ms.
PAD_FRACTION: Final = 0.05
MIN_PAD_RR_MS: Final = 10.0
#: Room above the highest spectral peak, as a fraction of it, so that the band labels at the
#: top of the plot do not sit on the curve.
SPECTRUM_HEADROOM: Final = 0.12
#: Above this many seconds the tachogram's time axis is in minutes.
MINUTES_ABOVE_S: Final = 600.0
#: Legend layout: row height, swatch width, and an estimate of the width of one character of
#: 12-unit text (no font metrics on the server; a generous estimate keeps items apart).
LEGEND_ROW_PX: Final = 18
LEGEND_SWATCH_PX: Final = 24
LEGEND_CHAR_PX: Final = 7.0
#: Dash pattern of each trend series (cycled), so that lines differ without colour. The first
#: is solid.
SERIES_DASHES: Final[tuple[str, ...]] = ("", "6 3", "2 3", "8 3 2 3", "4 2")
#: Marker shape of each trend series (cycled), the other non-colour cue.
SERIES_MARKERS: Final[tuple[str, ...]] = ("circle", "square", "triangle", "diamond", "down")

#: The frequency bands shaded in the spectrum (Task Force 1996, Circulation 93:1043-1065).
SPECTRUM_BANDS: Final[tuple[tuple[str, tuple[float, float]], ...]] = (
    ("vlf", VLF_BAND_HZ),
    ("lf", LF_BAND_HZ),
    ("hf", HF_BAND_HZ),
)

_SVG_NS: Final = "http://www.w3.org/2000/svg"
#: An XML name safe in an id and in CSS selectors without escaping.
_CHART_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
#: Characters XML 1.0 does not allow (section 2.2), including lone surrogates.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class TrendSeries:
    """One line of a trend chart.

    Attributes
    ----------
    label : str
        The legend text (shown when the chart has more than one series).
    points : sequence of (date or datetime, float or None)
        The values in chart units; ``None`` (or NaN) is a missing value and breaks the line.
    css_class : str
        Extra CSS class(es) on the series group, for a colour that means something on the page
        (the series also gets ``series-1``, ``series-2``, ... by position).

    Examples
    --------
    >>> import datetime
    >>> TrendSeries("RMSSD", [(datetime.date(2025, 1, 1), 42.0)]).label
    'RMSSD'
    """

    label: str
    points: Sequence[tuple[dt.date | dt.datetime, float | None]]
    css_class: str = ""


class _Scale(NamedTuple):
    """A linear map from data units [lo, hi] to user units [px_lo, px_hi]."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float

    def __call__(self, value: float) -> float:
        return self.px_lo + (value - self.lo) / (self.hi - self.lo) * (self.px_hi - self.px_lo)


class _Frame(NamedTuple):
    """The plot area in user units."""

    left: float
    top: float
    right: float
    bottom: float


# --- Public charts -------------------------------------------------------------------------------
def tachogram_svg(rr_ms: Numbers, title: str, description: str, *, chart_id: str = "tacho") -> str:
    """RR intervals (ms) against beat time as an accessible SVG polyline.

    The time axis is in seconds, or in minutes above :data:`MINUTES_ABOVE_S`.

    Long series are thinned to at most :data:`MAX_POINTS` by keeping the shortest and the
    longest interval of each of ``MAX_POINTS / 2`` equal runs of beats, so that a single
    artifact or ectopic beat stays visible (every-k-th-beat thinning would hide most of them).

    Parameters
    ----------
    rr_ms : sequence of float
        RR (or NN) intervals in ms, oldest first. Non-finite values are skipped.
    title, description : str
        The accessible name and description (plain text; escaped here).
    chart_id : str, optional
        Prefix of the ``<title>`` and ``<desc>`` ids; unique on the page.

    Returns
    -------
    str
        One ``<svg>`` element; with fewer than 2 intervals only its title and description.

    Examples
    --------
    >>> svg = tachogram_svg([800, 820, 790], "RR", "RR over time")
    >>> svg.startswith("<svg") and "<title" in svg and "polyline" in svg
    True
    >>> "polyline" in tachogram_svg([], "RR", "none")
    False
    >>> 'id="rest-title"' in tachogram_svg([800, 820], "RR", "", chart_id="rest")
    True
    """
    head = _open_svg("tachogram", chart_id, WIDTH_PX, HEIGHT_PX, title, description)
    rr = _finite(rr_ms)
    if rr.size < 2:
        return head + "</svg>"
    times_s = np.cumsum(rr) / 1000.0
    total_s = float(times_s[-1])
    minutes = total_s > MINUTES_ABOVE_S
    x_unit, x_div = ("min", 60.0) if minutes else ("s", 1.0)
    frame = _Frame(MARGIN_PX, MARGIN_TOP_PX, WIDTH_PX - 8, HEIGHT_PX - MARGIN_BOTTOM_PX)
    sx = _Scale(0.0, total_s / x_div, frame.left, frame.right)
    sy = _Scale(*_padded(float(rr.min()), float(rr.max()), MIN_PAD_RR_MS), frame.bottom, frame.top)
    keep = _minmax_indices(rr, MAX_POINTS)
    points = " ".join(
        f"{_n(sx(float(t) / x_div))},{_n(sy(float(v)))}"
        for t, v in zip(times_s[keep], rr[keep], strict=True)
    )
    return (
        head
        + _y_axis(sy, frame, "ms")
        + _x_axis(sx, frame, x_unit)
        + _axis_lines(frame)
        + f'<polyline class="rr-line" fill="none" stroke="currentColor" points="{points}"/>'
        + "</svg>"
    )


def poincare_svg(
    rr_ms: Numbers,
    title: str,
    description: str,
    *,
    chart_id: str = "poincare",
    sd1_ms: float | None = None,
    sd2_ms: float | None = None,
) -> str:
    """The Poincaré plot: each RR interval against the next, with the SD1/SD2 ellipse.

    Both axes share one scale and one range (a square plot), so that the line of identity
    RR(n+1) = RR(n) runs at 45 degrees and the shape of the cloud is not distorted. When
    ``sd1_ms`` and ``sd2_ms`` are given, the ellipse of Tulppo et al. (1996, Am J Physiol
    271:H244-H252) and Brennan et al. (2001, IEEE Trans Biomed Eng 48:1342-1347) is drawn:
    centred on the centroid of the points (mean RR(n), mean RR(n+1)), its semi-axis SD2 along
    the line of identity and SD1 across it (area pi * SD1 * SD2, as
    :func:`vagus.hrv._nonlinear.poincare` reports), with the two semi-axes drawn and labelled.

    Long series are thinned deterministically to at most :data:`MAX_POINCARE_POINTS`: one
    point is kept per occupied grid cell, the cell growing from 1 to 6 user units until few
    enough remain. Unlike taking every k-th beat, this keeps every isolated point (an ectopic
    beat or artifact is exactly what a reader looks for in this plot).

    Parameters
    ----------
    rr_ms : sequence of float
        RR (or NN) intervals in ms, oldest first. Pairs with a non-finite value are skipped.
    title, description : str
        The accessible name and description (plain text; escaped here).
    chart_id : str, optional
        Prefix of the ``<title>`` and ``<desc>`` ids; unique on the page.
    sd1_ms, sd2_ms : float, optional
        SD1 and SD2 in ms; the ellipse is drawn only when both are given.

    Returns
    -------
    str
        One ``<svg>`` element; with fewer than 3 beats only its title and description.

    Examples
    --------
    >>> svg = poincare_svg([800, 820, 800, 820], "Poincaré", "RR(n) against RR(n+1)")
    >>> svg.count('<circle class="pt"')
    3
    >>> "<ellipse" in poincare_svg([800, 820, 790], "P", "", sd1_ms=10, sd2_ms=5)
    True
    >>> "<circle" in poincare_svg([800, 820], "P", "too short")
    False
    """
    size = POINCARE_SIZE_PX
    head = _open_svg("poincare", chart_id, size, size, title, description)
    rr = np.asarray(rr_ms, dtype=np.float64)
    if rr.size < 3:
        return head + "</svg>"
    x, y = rr[:-1], rr[1:]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2:
        return head + "</svg>"
    cx, cy = float(np.mean(x)), float(np.mean(y))
    sds = _valid_sds(sd1_ms, sd2_ms)
    lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
    if sds is not None:
        # The half-width of a 45-degree ellipse with semi-axes a and b is sqrt((a^2 + b^2) / 2).
        reach = math.sqrt((sds[0] ** 2 + sds[1] ** 2) / 2.0)
        lo, hi = min(lo, cx - reach, cy - reach), max(hi, cx + reach, cy + reach)
    frame = _Frame(
        MARGIN_LEFT_PX, MARGIN_TOP_PX, size - MARGIN_RIGHT_PX, size - POINCARE_MARGIN_BOTTOM_PX
    )
    lo, hi = _padded(lo, hi, MIN_PAD_RR_MS)
    sx = _Scale(lo, hi, frame.left, frame.right)
    sy = _Scale(lo, hi, frame.bottom, frame.top)
    px = frame.left + (x - lo) / (hi - lo) * (frame.right - frame.left)
    py = frame.bottom - (y - lo) / (hi - lo) * (frame.bottom - frame.top)
    keep = _thin_cloud(px, py, MAX_POINCARE_POINTS)
    dots = "".join(
        f'<circle class="pt" cx="{_n(a)}" cy="{_n(b)}" r="{_n(POINT_RADIUS_PX)}"/>'
        for a, b in zip(px[keep], py[keep], strict=True)
    )
    parts = [
        head,
        _y_axis(sy, frame, ""),
        _x_axis(sx, frame, ""),
        _axis_lines(frame),
        # The axis names, with n and n+1 as subscripts (tspan dy works in every browser;
        # baseline-shift does not in Firefox).
        (
            f'<text class="axis axis-name" x="{_n((frame.left + frame.right) / 2)}" '
            f'y="{_n(size - 6)}" text-anchor="middle">'
            'RR<tspan dy="3" font-size="9">n</tspan><tspan dy="-3"> (ms)</tspan></text>'
        ),
        (
            f'<text class="axis axis-name" x="4" y="{_n(frame.top - 8)}">'
            'RR<tspan dy="3" font-size="9">n+1</tspan><tspan dy="-3"> (ms)</tspan></text>'
        ),
        (
            f'<line class="identity" x1="{_n(sx(lo))}" y1="{_n(sy(lo))}" x2="{_n(sx(hi))}" '
            f'y2="{_n(sy(hi))}" stroke="currentColor" stroke-dasharray="4 4"/>'
        ),
        # 0.8 lets overlapping dots show density while one dot of #0072B2 keeps 3.6:1 on white
        # (WCAG 1.4.11 asks 3:1 of graphics); at 0.6 it would be 2.5:1.
        f'<g class="points" fill="currentColor" fill-opacity="0.8">{dots}</g>',
    ]
    if sds is not None:
        parts.append(_sd_ellipse(sx, sy, cx, cy, *sds))
    return "".join(parts) + "</svg>"


def spectrum_svg(
    freqs_hz: Numbers,
    psd_ms2_per_hz: Numbers,
    title: str,
    description: str,
    *,
    chart_id: str = "spectrum",
    max_hz: float = 0.5,
) -> str:
    """A power spectral density (ms²/Hz) from 0 to ``max_hz`` with the VLF, LF and HF bands.

    The bands are those of the Task Force (1996): VLF 0.0033-0.04 Hz, LF 0.04-0.15 Hz,
    HF 0.15-0.4 Hz (:mod:`vagus.hrv._constants`), each a shaded, labelled rectangle with
    dashed edges, under the PSD drawn as an outline over a light area.

    Parameters
    ----------
    freqs_hz : sequence of float
        Frequencies in Hz, ascending.
    psd_ms2_per_hz : sequence of float
        The one-sided density at each frequency, ms²/Hz. Pairs with a non-finite value and
        frequencies outside [0, max_hz] are skipped; negative densities are drawn as 0.
    title, description : str
        The accessible name and description (plain text; escaped here).
    chart_id : str, optional
        Prefix of the ``<title>`` and ``<desc>`` ids; unique on the page.
    max_hz : float, optional
        The right end of the frequency axis (0.5 Hz shows all three bands with some margin).

    Returns
    -------
    str
        One ``<svg>`` element; with no frequency in range only its title and description.

    Raises
    ------
    ValueError
        If the two arrays differ in length or ``max_hz`` is not positive.

    Examples
    --------
    >>> svg = spectrum_svg([0.0, 0.1, 0.2], [1.0, 9.0, 2.0], "PSD", "A peak at 0.1 Hz")
    >>> "band-lf" in svg and "psd-line" in svg
    True
    >>> "psd-line" in spectrum_svg([], [], "PSD", "no spectrum")
    False
    """
    freqs = np.asarray(freqs_hz, dtype=np.float64).ravel()
    psd = np.asarray(psd_ms2_per_hz, dtype=np.float64).ravel()
    if freqs.shape != psd.shape:
        raise ValueError(
            f"freqs_hz and psd_ms2_per_hz: expected the same length, got {freqs.size} and "
            f"{psd.size}"
        )
    if not max_hz > 0.0:
        raise ValueError(f"max_hz: expected a positive frequency in Hz, got {max_hz}")
    head = _open_svg("spectrum", chart_id, CHART_WIDTH_PX, CHART_HEIGHT_PX, title, description)
    ok = np.isfinite(freqs) & np.isfinite(psd) & (freqs >= 0.0) & (freqs <= max_hz)
    freqs, psd = freqs[ok], np.maximum(psd[ok], 0.0)
    if freqs.size == 0:
        return head + "</svg>"
    order = np.argsort(freqs, kind="stable")
    freqs, psd = freqs[order], psd[order]
    frame = _Frame(
        MARGIN_LEFT_PX,
        MARGIN_TOP_PX,
        CHART_WIDTH_PX - MARGIN_RIGHT_PX,
        CHART_HEIGHT_PX - MARGIN_BOTTOM_PX,
    )
    top = float(psd.max()) * (1.0 + SPECTRUM_HEADROOM)
    sx = _Scale(0.0, max_hz, frame.left, frame.right)
    sy = _Scale(0.0, top if top > 0.0 else 1.0, frame.bottom, frame.top)
    keep = _minmax_indices(psd, MAX_POINTS)
    coords = [
        f"{_n(sx(float(f)))},{_n(sy(float(p)))}"
        for f, p in zip(freqs[keep], psd[keep], strict=True)
    ]
    base = _n(sy(0.0))
    area = (
        f"M{_n(sx(float(freqs[keep][0])))},{base} L"
        + " L".join(coords)
        + f" L{_n(sx(float(freqs[keep][-1])))},{base} Z"
    )
    line = "M" + " L".join(coords)
    return (
        head
        + _bands(sx, frame, max_hz)
        + _y_axis(sy, frame, "ms²/Hz")
        + _x_axis(sx, frame, "Hz")
        + '<g class="psd">'
        + f'<path class="psd-area" d="{area}" fill="currentColor" fill-opacity="0.2" '
        'stroke="none"/>' + f'<path class="psd-line" d="{line}" fill="none" stroke="currentColor" '
        'stroke-width="1.5"/>' + "</g>" + _axis_lines(frame) + "</svg>"
    )


def trend_svg(
    series: Sequence[TrendSeries],
    title: str,
    description: str,
    *,
    chart_id: str,
    unit: str,
    y_min: float | None = None,
    y_max: float | None = None,
) -> str:
    """Values over calendar dates, one line per series, for the History page.

    Each value is a marker with a tooltip (an SVG ``<title>``: series, date, value, unit) and
    consecutive values are joined by a line; a missing value (``None`` or NaN) breaks the line,
    so a gap in the data is never drawn as if it had been measured. Series are told apart by
    marker shape (:data:`SERIES_MARKERS`), dash pattern (:data:`SERIES_DASHES`) and the colour
    of their ``series-N`` class; a legend names them when there is more than one.

    Parameters
    ----------
    series : sequence of TrendSeries
        The lines, drawn in order (the first underneath).
    title, description : str
        The accessible name and description (plain text; escaped here).
    chart_id : str
        Prefix of the ``<title>`` and ``<desc>`` ids; unique on the page.
    unit : str
        The unit of the values, shown above the y axis ("ms", "bpm", "0-10"); may be empty.
    y_min, y_max : float, optional
        A fixed y range (0 and 10 for symptom ratings). A value outside it widens the range
        rather than being hidden.

    Returns
    -------
    str
        One ``<svg>`` element; when no series has a value, only its title and description.

    Examples
    --------
    >>> import datetime
    >>> day = datetime.date(2025, 3, 1)
    >>> one = TrendSeries("Calm", [(day, 6.0)])
    >>> svg = trend_svg([one], "Calm", "A rating", chart_id="calm", unit="0-10", y_min=0, y_max=10)
    >>> svg.count('class="pt"'), "2025-03-01" in svg
    (1, True)
    >>> "<path" in trend_svg([TrendSeries("x", [])], "t", "d", chart_id="e", unit="")
    False
    """
    if y_min is not None and y_max is not None and not y_min < y_max:
        raise ValueError(f"y_min, y_max: expected y_min < y_max, got {y_min} and {y_max}")
    values = [v for s in series for _, v in s.points if v is not None and math.isfinite(v)]
    if not values:
        width, height = CHART_WIDTH_PX, CHART_HEIGHT_PX
        return _open_svg("trend", chart_id, width, height, title, description) + "</svg>"
    rows = _legend_rows([s.label for s in series]) if len(series) > 1 else []
    legend_h = len(rows) * LEGEND_ROW_PX
    height = CHART_HEIGHT_PX + legend_h
    head = _open_svg("trend", chart_id, CHART_WIDTH_PX, height, title, description)
    frame = _Frame(
        MARGIN_LEFT_PX,
        MARGIN_TOP_PX + legend_h,
        CHART_WIDTH_PX - MARGIN_RIGHT_PX,
        height - MARGIN_BOTTOM_PX,
    )
    days = [_day_number(d) for s in series for d, _ in s.points]
    first, last = min(days), max(days)
    # Markers at the very edge would be cut in half: keep them one marker inside the frame.
    inset = 2 * MARKER_SIZE_PX
    if first == last:
        sx = _Scale(first - 1.0, first + 1.0, frame.left + inset, frame.right - inset)
    else:
        sx = _Scale(first, last, frame.left + inset, frame.right - inset)
    lo, hi = _trend_range(min(values), max(values), y_min, y_max)
    sy = _Scale(lo, hi, frame.bottom, frame.top)
    parts = [
        head,
        _y_axis(sy, frame, unit, unit_y=frame.top - 8),
        _date_axis(sx, frame, first, last),
        _axis_lines(frame),
    ]
    for index, one in enumerate(series):
        parts.append(_trend_series(one, index, sx, sy, unit))
    if rows:
        parts.append(_legend(rows, series))
    return "".join(parts) + "</svg>"


#: The insights page's charts (forest plot, morning band): narrower than the others so that
#: their 12-unit text stays about 11 px on a 360 px phone, with no sideways scrolling.
NARROW_WIDTH_PX: Final = 360
#: Height of one text line and the interval's own line in the forest plot, user units.
FOREST_LINE_PX: Final = 16
#: Height of the morning chart, user units.
NARROW_HEIGHT_PX: Final = 220


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot: a label, a mean and its interval, and the numbers as the
    page writes them (already in the page's language)."""

    label: str
    mean: float
    low: float
    high: float
    text: str


def _plain_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def forest_svg(
    rows: Sequence[ForestRow],
    title: str,
    description: str,
    *,
    chart_id: str,
    unit: str = "%",
    number: Callable[[float, int], str] = _plain_number,
) -> str:
    """A forest plot: one row per item, its interval as a line and its mean as a dot, a dashed
    line at zero, and each row's label and numbers written above its interval (so the picture
    says everything as text too, and nothing is cut on a narrow screen).

    Parameters
    ----------
    rows : sequence of ForestRow
        The rows, top to bottom.
    title, description : str
        The accessible name and description.
    chart_id : str
        Prefix of the ``<title>`` and ``<desc>`` ids.
    unit : str
        Written after the last tick value.
    number : callable (value, decimals) -> str
        Writes a tick value in the page's language (a decimal comma in Norwegian).

    Returns
    -------
    str
        One ``<svg>`` element; with no rows, only its title and description.

    Examples
    --------
    >>> svg = forest_svg([ForestRow("Breathing", 25.0, 20.0, 30.0, "+25 (+20 to +30) %")],
    ...                  "Change", "RMSSD change", chart_id="f")
    >>> svg.count('class="interval"'), 'class="zero"' in svg, "+25 (+20 to +30) %" in svg
    (1, True, True)
    """
    width = NARROW_WIDTH_PX
    if not rows:
        return _open_svg("forest", chart_id, width, 2 * FOREST_LINE_PX, title, description) + (
            "</svg>"
        )
    left, right = 12.0, width - 12.0
    lo = min([0.0, *(r.low for r in rows)])
    hi = max([0.0, *(r.high for r in rows)])
    lo, hi = _padded(lo, hi, 1.0)
    sx = _Scale(lo, hi, left, right)
    body: list[str] = []
    y = 4.0
    for row in rows:
        # The label and the numbers on one line when both fit, else on two.
        fits = (len(row.label) + len(row.text) + 2) * LEGEND_CHAR_PX <= right - left + 8
        y += FOREST_LINE_PX
        body.append(f'<text class="label" x="4" y="{_n(y - 4)}">{_escape(row.label)}</text>')
        if not fits:
            y += FOREST_LINE_PX
        anchor, text_x = ("end", width - 4.0) if fits else ("start", 4.0)
        body.append(
            f'<text class="numbers" x="{_n(text_x)}" y="{_n(y - 4)}" text-anchor="{anchor}">'
            f"{_escape(row.text)}</text>"
        )
        y += FOREST_LINE_PX
        mid = y - FOREST_LINE_PX / 2
        body.append(
            f'<line class="interval" x1="{_n(sx(row.low))}" y1="{_n(mid)}" '
            f'x2="{_n(sx(row.high))}" y2="{_n(mid)}" stroke="currentColor" stroke-width="2"/>'
            f'<circle class="value" cx="{_n(sx(row.mean))}" cy="{_n(mid)}" r="4" '
            'fill="currentColor"/>'
        )
        y += 4.0
    bottom = y + 2.0
    height = int(bottom + 22.0)
    frame = _Frame(left, 4.0, right, bottom)
    parts = [_open_svg("forest", chart_id, width, height, title, description)]
    step = _nice_step(hi - lo)
    ticks = _ticks(lo, hi, step)
    for i, value in enumerate(ticks):
        x = sx(value)
        label = number(value, _decimals(step) if step < 1 else 0)
        if i == len(ticks) - 1 and unit:
            label = f"{label} {unit}"
        anchor = "end" if i == len(ticks) - 1 and x > right - 30 else "middle"
        anchor = "start" if i == 0 and x < left + 20 and anchor == "middle" else anchor
        parts.append(
            f'<line class="grid" x1="{_n(x)}" y1="{_n(frame.top)}" x2="{_n(x)}" '
            f'y2="{_n(bottom)}" stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text class="axis" x="{_n(x)}" y="{_n(bottom + 16)}" '
            f'text-anchor="{anchor}">{_escape(label)}</text>'
        )
    parts.append(
        f'<line class="axis-line" x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" '
        f'y2="{_n(bottom)}" stroke="currentColor"/>'
        f'<line class="zero" x1="{_n(sx(0.0))}" y1="{_n(frame.top)}" x2="{_n(sx(0.0))}" '
        f'y2="{_n(bottom)}" stroke="currentColor" stroke-dasharray="4 3"/>'
    )
    return "".join(parts + body) + "</svg>"


def band_chart_svg(
    values: Sequence[tuple[dt.date, float]],
    mean: Sequence[tuple[dt.date, float]],
    band: Sequence[tuple[dt.date, float, float]],
    first: dt.date,
    last: dt.date,
    title: str,
    description: str,
    *,
    chart_id: str,
    number: Callable[[float, int], str] = _plain_number,
) -> str:
    """Daily values (dots), their rolling mean (a line) and a normal band (shaded, drawn in
    runs of days a week apart at most) from ``first`` to ``last``: the morning chart.

    Examples
    --------
    >>> day = dt.date(2026, 3, 1)
    >>> svg = band_chart_svg([(day, 3.7)], [(day, 3.7)], [(day, 3.6, 3.8)], day, day,
    ...                      "Mornings", "ln RMSSD", chart_id="m")
    >>> svg.count('class="pt"'), svg.count('class="band"')
    (1, 1)
    """
    width, height = NARROW_WIDTH_PX, NARROW_HEIGHT_PX
    head = _open_svg("morning", chart_id, width, height, title, description)
    numbers = [v for _, v in values] + [v for _, v in mean]
    numbers += [b for _, lo, hi in band for b in (lo, hi)]
    if not numbers:
        return head + "</svg>"
    frame = _Frame(40.0, 12.0, width - 10.0, height - 24.0)
    start, end = float(first.toordinal()), float(last.toordinal())
    if start >= end:
        start, end = start - 1.0, end + 1.0
    sx = _Scale(start, end, frame.left + 2 * MARKER_SIZE_PX, frame.right - 2 * MARKER_SIZE_PX)
    lo, hi = _trend_range(min(numbers), max(numbers), None, None)
    sy = _Scale(lo, hi, frame.bottom, frame.top)
    parts = [head]
    runs: list[list[tuple[dt.date, float, float]]] = []
    for item in band:
        if runs and (item[0] - runs[-1][-1][0]).days <= 7:
            runs[-1].append(item)
        else:
            runs.append([item])
    for run in runs:
        if len(run) == 1:
            day, b_lo, b_hi = run[0]
            x = sx(float(day.toordinal()))
            run_points = [(x - 2, b_hi), (x + 2, b_hi), (x + 2, b_lo), (x - 2, b_lo)]
        else:
            upper = [(sx(float(d.toordinal())), b_hi) for d, _, b_hi in run]
            lower = [(sx(float(d.toordinal())), b_lo) for d, b_lo, _ in reversed(run)]
            run_points = upper + lower
        points = " ".join(f"{_n(x)},{_n(sy(v))}" for x, v in run_points)
        parts.append(f'<polygon class="band" points="{points}" fill="currentColor"/>')
    step = _nice_step(hi - lo)
    for value in _ticks(lo, hi, step):
        y = _n(sy(value))
        label = number(value, _decimals(step))
        parts.append(
            f'<line class="grid" x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}" '
            'stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text class="axis" x="{_n(frame.left - 4)}" y="{_n(sy(value) + 4)}" '
            f'text-anchor="end">{_escape(label)}</text>'
        )
    # Three dates (first, middle, last): four ISO dates crowd 360 units.
    parts.append(_date_axis(sx, frame, start, end, 3) if first < last else "")
    parts.append(_axis_lines(frame))
    if len(mean) > 1:
        line = " ".join(f"{_n(sx(float(d.toordinal())))},{_n(sy(v))}" for d, v in mean)
        parts.append(
            f'<polyline class="mean" points="{line}" fill="none" stroke="currentColor" '
            'stroke-width="2"/>'
        )
    for day, value in values:
        parts.append(
            f'<circle class="pt" cx="{_n(sx(float(day.toordinal())))}" cy="{_n(sy(value))}" '
            f'r="{_n(POINT_RADIUS_PX + 0.5)}" fill="currentColor"/>'
        )
    return "".join(parts) + "</svg>"


# --- Pieces --------------------------------------------------------------------------------------
def _trend_range(
    data_lo: float, data_hi: float, y_min: float | None, y_max: float | None
) -> tuple[float, float]:
    """The y range of a trend chart: fixed ends where given, widened to show every value.

    >>> _trend_range(3.0, 7.0, 0.0, 10.0), _trend_range(3.0, 7.0, None, None)
    ((0.0, 10.0), (2.8, 7.2))
    >>> _trend_range(5.0, 5.0, None, None), _trend_range(12.0, 12.0, 0.0, 10.0)
    ((4.0, 6.0), (0.0, 12.0))
    """
    # One value (or many equal ones): a range of +-10 %, at least +-1 unit, centres it.
    spread = data_hi - data_lo
    pad = spread * PAD_FRACTION if spread > 0 else max(abs(data_hi) * 0.1, 1.0)
    lo = data_lo - pad if y_min is None else min(y_min, data_lo)
    hi = data_hi + pad if y_max is None else max(y_max, data_hi)
    return lo, hi


def _open_svg(kind: str, chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    if not _CHART_ID.match(chart_id):
        raise ValueError(
            f"chart_id: expected a letter then letters, digits, '-' or '_', got {chart_id!r}"
        )
    return (
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="12" xmlns="{_SVG_NS}">'
        f'<title id="{chart_id}-title">{_escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{_escape(desc)}</desc>'
    )


def _y_axis(scale: _Scale, frame: _Frame, unit: str, *, unit_y: float | None = None) -> str:
    """Horizontal grid lines with their values at the left, and the unit above the axis."""
    parts = []
    step = _nice_step(scale.hi - scale.lo)
    for value in _ticks(scale.lo, scale.hi, step):
        y = _n(scale(value))
        parts.append(
            f'<line class="grid" x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}" '
            'stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text class="axis" x="{_n(frame.left - 4)}" y="{_n(scale(value) + 4)}" '
            f'text-anchor="end">{_tick_label(value, step)}</text>'
        )
    if unit:
        y_text = frame.top - 8 if unit_y is None else unit_y
        parts.append(f'<text class="axis unit" x="4" y="{_n(y_text)}">{_escape(unit)}</text>')
    return "".join(parts)


def _x_axis(scale: _Scale, frame: _Frame, unit: str) -> str:
    """Tick values under the plot; the unit follows the last one."""
    parts = []
    step = _nice_step(scale.hi - scale.lo)
    ticks = _ticks(scale.lo, scale.hi, step)
    for i, value in enumerate(ticks):
        label = _tick_label(value, step)
        if unit and i == len(ticks) - 1:
            label = f"{label} {_escape(unit)}"
        x = scale(value)
        # The last label ends at its tick so that it stays inside the picture.
        anchor = "end" if i == len(ticks) - 1 and x > frame.right - 30 else "middle"
        parts.append(
            f'<line class="tick" x1="{_n(x)}" y1="{_n(frame.bottom)}" x2="{_n(x)}" '
            f'y2="{_n(frame.bottom + 4)}" stroke="currentColor"/>'
            f'<text class="axis" x="{_n(x)}" y="{_n(frame.bottom + 16)}" '
            f'text-anchor="{anchor}">{label}</text>'
        )
    return "".join(parts)


def _date_axis(
    scale: _Scale, frame: _Frame, first: float, last: float, max_labels: int = MAX_DATE_LABELS
) -> str:
    """ISO dates under a trend chart: the first, the last, and a few evenly spaced between."""
    first_day, last_day = math.floor(first), math.floor(last)
    count = min(max_labels, last_day - first_day + 1)
    if count <= 1:
        positions = [(first + last) / 2.0]
    else:
        between = [
            float(round(first + k * (last - first) / (count - 1))) for k in range(1, count - 1)
        ]
        positions = [first, *between, last]
    labels: list[tuple[float, str]] = []
    for pos in positions:
        text = dt.date.fromordinal(math.floor(pos)).isoformat()
        if all(text != seen for _, seen in labels):
            labels.append((pos, text))
    parts = []
    for i, (pos, text) in enumerate(labels):
        x = scale(pos)
        if len(labels) == 1:
            anchor = "middle"
        else:
            anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
        parts.append(
            f'<line class="tick" x1="{_n(x)}" y1="{_n(frame.bottom)}" x2="{_n(x)}" '
            f'y2="{_n(frame.bottom + 4)}" stroke="currentColor"/>'
            f'<text class="axis" x="{_n(x)}" y="{_n(frame.bottom + 16)}" '
            f'text-anchor="{anchor}">{text}</text>'
        )
    return "".join(parts)


def _axis_lines(frame: _Frame) -> str:
    left, top, right, bottom = (_n(v) for v in frame)
    return (
        f'<path class="axis-line" d="M{left},{top} L{left},{bottom} L{right},{bottom}" '
        'fill="none" stroke="currentColor"/>'
    )


def _bands(scale: _Scale, frame: _Frame, max_hz: float) -> str:
    """The VLF, LF and HF rectangles, labelled, with dashed edges, clipped to the axis."""
    parts = []
    edges: list[float] = []
    for name, (lo, hi) in SPECTRUM_BANDS:
        if lo >= max_hz:
            continue
        hi = min(hi, max_hz)
        x0, x1 = scale(lo), scale(hi)
        parts.append(
            f'<rect class="band band-{name}" x="{_n(x0)}" y="{_n(frame.top)}" '
            f'width="{_n(x1 - x0)}" height="{_n(frame.bottom - frame.top)}" '
            'fill="currentColor" fill-opacity="0.15"/>'
            f'<text class="band-label" x="{_n((x0 + x1) / 2)}" y="{_n(frame.top + 14)}" '
            f'text-anchor="middle">{name.upper()}</text>'
        )
        edges += [e for e in (lo, hi) if e not in edges and e < max_hz]
    for edge in edges:
        x = _n(scale(edge))
        parts.append(
            f'<line class="band-edge" x1="{x}" y1="{_n(frame.top)}" x2="{x}" '
            f'y2="{_n(frame.bottom)}" stroke="currentColor" stroke-dasharray="3 3"/>'
        )
    return '<g class="bands">' + "".join(parts) + "</g>"


def _valid_sds(sd1_ms: float | None, sd2_ms: float | None) -> tuple[float, float] | None:
    """Both SDs when both are given, finite and not negative; else None (no ellipse)."""
    if sd1_ms is None or sd2_ms is None:
        return None
    if not (math.isfinite(sd1_ms) and math.isfinite(sd2_ms) and sd1_ms >= 0 and sd2_ms >= 0):
        return None
    return float(sd1_ms), float(sd2_ms)


def _sd_ellipse(sx: _Scale, sy: _Scale, cx: float, cy: float, sd1: float, sd2: float) -> str:
    """The SD1/SD2 ellipse and its two semi-axes (Brennan et al. 2001, fig. 1)."""
    unit = (sx.px_hi - sx.px_lo) / (sx.hi - sx.lo)  # user units per ms, the same on both axes
    px, py = sx(cx), sy(cy)
    # SD2 runs along the line of identity, up and to the right: (+1, +1) / sqrt(2) in data
    # units, which is (+1, -1) / sqrt(2) on screen, where y grows downwards. SD1 runs across it,
    # up and to the left: (-1, +1) / sqrt(2) in data, (-1, -1) / sqrt(2) on screen.
    r = 1.0 / math.sqrt(2.0)
    sd2_end = (px + sd2 * unit * r, py - sd2 * unit * r)
    sd1_end = (px - sd1 * unit * r, py - sd1 * unit * r)
    return (
        '<g class="sd" fill="none" stroke="currentColor" stroke-width="1.5">'
        f'<ellipse class="sd-ellipse" cx="{_n(px)}" cy="{_n(py)}" rx="{_n(sd2 * unit)}" '
        f'ry="{_n(sd1 * unit)}" transform="rotate(-45 {_n(px)} {_n(py)})"/>'
        f'<line class="sd2" x1="{_n(px)}" y1="{_n(py)}" x2="{_n(sd2_end[0])}" '
        f'y2="{_n(sd2_end[1])}"/>'
        f'<line class="sd1" x1="{_n(px)}" y1="{_n(py)}" x2="{_n(sd1_end[0])}" '
        f'y2="{_n(sd1_end[1])}" stroke-dasharray="3 2"/>'
        "</g>"
        '<g class="sd-labels">'
        f'<text class="sd-label" x="{_n(sd2_end[0] + 4)}" y="{_n(sd2_end[1] - 4)}">SD2</text>'
        f'<text class="sd-label" x="{_n(sd1_end[0] - 4)}" y="{_n(sd1_end[1] - 4)}" '
        'text-anchor="end">SD1</text>'
        "</g>"
    )


def _trend_series(one: TrendSeries, index: int, sx: _Scale, sy: _Scale, unit: str) -> str:
    """One series: its unbroken runs as lines, then a marker with a tooltip on every value."""
    marker = SERIES_MARKERS[index % len(SERIES_MARKERS)]
    dash = SERIES_DASHES[index % len(SERIES_DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    points = sorted(((_day_number(d), d, v) for d, v in one.points), key=lambda item: item[0])
    runs: list[list[str]] = [[]]
    markers = []
    for day, when, value in points:
        if value is None or not math.isfinite(value):
            if runs[-1]:
                runs.append([])
            continue
        x, y = sx(day), sy(value)
        runs[-1].append(f"{_n(x)},{_n(y)}")
        stamp = (
            when.isoformat(sep=" ", timespec="minutes")
            if isinstance(when, dt.datetime)
            else when.isoformat()
        )
        tip = f"{one.label}: {stamp} {_value_text(value)} {unit}".rstrip()
        markers.append(_marker(marker, x, y, f"<title>{_escape(tip)}</title>"))
    lines = "".join(
        f'<path class="line" d="M{" L".join(run)}" fill="none"{dash_attr}/>'
        for run in runs
        if len(run) > 1
    )
    css = f" {_escape(one.css_class)}" if one.css_class.strip() else ""
    return (
        f'<g class="series series-{index + 1}{css}" fill="currentColor" stroke="currentColor" '
        f'stroke-width="1.5">{lines}{"".join(markers)}</g>'
    )


def _marker(shape: str, x: float, y: float, inner: str = "") -> str:
    """A data marker centred on (x, y): a circle, square, triangle, diamond or down-triangle."""
    s = MARKER_SIZE_PX
    if shape == "circle":
        return f'<circle class="pt" cx="{_n(x)}" cy="{_n(y)}" r="{_n(s - 0.5)}">{inner}</circle>'
    if shape == "square":
        side = 2 * s - 1
        return (
            f'<rect class="pt" x="{_n(x - side / 2)}" y="{_n(y - side / 2)}" width="{_n(side)}" '
            f'height="{_n(side)}">{inner}</rect>'
        )
    corners = {
        "triangle": ((0.0, -s - 0.5), (s, s - 0.5), (-s, s - 0.5)),
        "diamond": ((0.0, -s - 0.5), (s + 0.5, 0.0), (0.0, s + 0.5), (-s - 0.5, 0.0)),
        "down": ((0.0, s + 0.5), (s, -s + 0.5), (-s, -s + 0.5)),
    }[shape]
    pts = " ".join(f"{_n(x + dx)},{_n(y + dy)}" for dx, dy in corners)
    return f'<polygon class="pt" points="{pts}">{inner}</polygon>'


def _legend_rows(labels: Sequence[str]) -> list[list[tuple[int, float]]]:
    """Lay legend items out in rows: (series index, x) pairs, wrapping at the chart's width."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = float(MARGIN_LEFT_PX)
    right = CHART_WIDTH_PX - MARGIN_RIGHT_PX
    for index, label in enumerate(labels):
        width = LEGEND_SWATCH_PX + 4 + LEGEND_CHAR_PX * len(label)
        if rows[-1] and x + width > right:
            rows.append([])
            x = float(MARGIN_LEFT_PX)
        rows[-1].append((index, x))
        x += width + 20
    return rows


def _legend(rows: list[list[tuple[int, float]]], series: Sequence[TrendSeries]) -> str:
    """Each series' swatch (its line pattern and marker) followed by its label."""
    parts = ['<g class="legend">']
    for row, items in enumerate(rows):
        y = LEGEND_ROW_PX * row + 12
        for index, x in items:
            one = series[index]
            dash = SERIES_DASHES[index % len(SERIES_DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            css = f" {_escape(one.css_class)}" if one.css_class.strip() else ""
            marker = _marker(
                SERIES_MARKERS[index % len(SERIES_MARKERS)], x + LEGEND_SWATCH_PX / 2, y - 4
            )
            parts.append(
                f'<g class="series series-{index + 1}{css}" fill="currentColor" '
                'stroke="currentColor" stroke-width="1.5">'
                f'<line class="swatch" x1="{_n(x)}" y1="{_n(y - 4)}" '
                f'x2="{_n(x + LEGEND_SWATCH_PX)}" y2="{_n(y - 4)}"{dash_attr}/>{marker}</g>'
                f'<text class="legend-label" x="{_n(x + LEGEND_SWATCH_PX + 4)}" y="{_n(y)}">'
                f"{_escape(one.label)}</text>"
            )
    parts.append("</g>")
    return "".join(parts)


# --- Numbers -------------------------------------------------------------------------------------
def _finite(values: Numbers) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def _padded(lo: float, hi: float, min_pad: float) -> tuple[float, float]:
    """The data range widened by :data:`PAD_FRACTION` on each side, and by at least min_pad."""
    pad = max((hi - lo) * PAD_FRACTION, min_pad)
    return lo - pad, hi + pad


def _nice_step(span: float, target: int = TICK_TARGET) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that gives at most ~target ticks.

    >>> _nice_step(40.0), _nice_step(0.5), _nice_step(330.0)
    (10.0, 0.1, 100.0)
    """
    raw = span / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0):
        if mantissa * magnitude >= raw * (1 - 1e-9):
            return mantissa * magnitude
    return 10.0 * magnitude


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    """The multiples of step in [lo, hi], computed from integers to avoid drift.

    >>> _ticks(685.0, 1015.0, 100.0)
    [700.0, 800.0, 900.0, 1000.0]
    >>> _ticks(0.0, 0.5, 0.1)
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    """
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    decimals = _decimals(step)
    return [round(k * step, decimals) for k in range(first, last + 1)]


def _decimals(step: float) -> int:
    """How many decimals show a multiple of step exactly (0.25 -> 2, 10 -> 0)."""
    for decimals in range(10):
        if abs(round(step, decimals) - step) <= 1e-9 * step:
            return decimals
    return 10


def _tick_label(value: float, step: float) -> str:
    """A tick value with just the decimals its step needs: no 0.30000000000000004."""
    text = f"{value:.{_decimals(step)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def _value_text(value: float) -> str:
    """A data value for a tooltip: three significant digits, at least as an integer.

    >>> _value_text(42.123456), _value_text(1234.56), _value_text(0.12345)
    ('42.1', '1235', '0.123')
    """
    if value == 0.0 or abs(value) >= 100.0:
        return f"{value:.0f}"
    return f"{value:.{max(0, 2 - math.floor(math.log10(abs(value))))}f}"


def _n(value: float) -> str:
    """A coordinate in user units to 0.1 (a tenth of a CSS pixel at 1:1 is invisible).

    >>> _n(12.0), _n(12.345), _n(-0.04)
    ('12', '12.3', '0')
    """
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _day_number(when: dt.date | dt.datetime) -> float:
    """Days since 0001-01-01 (the proleptic ordinal), with the time of day as a fraction.

    A time zone is ignored: the chart shows the wall-clock date a person recorded.
    """
    if isinstance(when, dt.datetime):
        seconds = when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
        return when.toordinal() + seconds / 86400.0
    return float(when.toordinal())


def _minmax_indices(values: npt.NDArray[np.float64], max_points: int) -> npt.NDArray[np.intp]:
    """Indices of the smallest and largest value of each of max_points / 2 runs, in order.

    >>> _minmax_indices(np.array([1.0, 5.0, 2.0, 3.0, 9.0, 0.0]), 4).tolist()
    [0, 1, 4, 5]
    """
    n = values.size
    if n <= max_points:
        return np.arange(n)
    edges = np.linspace(0, n, max_points // 2 + 1).astype(np.intp)
    keep: list[int] = []
    for a, b in itertools.pairwise(edges.tolist()):
        if b > a:
            segment = values[a:b]
            keep.extend(sorted({a + int(np.argmin(segment)), a + int(np.argmax(segment))}))
    return np.asarray(keep, dtype=np.intp)


def _thin_cloud(
    px: npt.NDArray[np.float64], py: npt.NDArray[np.float64], max_points: int
) -> npt.NDArray[np.intp]:
    """Indices of one point per occupied grid cell, the cell growing until few enough remain."""
    if px.size <= max_points:
        return np.arange(px.size)
    keep = np.arange(px.size)
    for cell in range(1, _MAX_THIN_CELL_PX + 1):
        col = np.floor(px / cell).astype(np.int64)
        row = np.floor(py / cell).astype(np.int64)
        # np.unique sorts by key; return_index gives each cell's first point, then sorting the
        # indices restores the beats' order (deterministic, independent of the cell size).
        _, first = np.unique(col * 1_000_000 + row, return_index=True)
        keep = np.sort(first)
        if keep.size <= max_points:
            break
    return keep


def _escape(text: str) -> str:
    """Text safe in XML content and in a quoted attribute.

    >>> _escape('<script>&"\\'\\x00')
    '&lt;script&gt;&amp;&quot;&#x27;'
    """
    return html.escape(_NOT_XML.sub("", text), quote=True)
