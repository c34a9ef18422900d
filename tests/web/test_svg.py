"""The server-rendered SVG charts: well-formed, escaped, accessible, and drawn where they belong."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from vagus.web._svg import (
    MAX_POINCARE_POINTS,
    MAX_POINTS,
    TrendSeries,
    poincare_svg,
    spectrum_svg,
    tachogram_svg,
    trend_svg,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>&amp;\"'\x00\x1b ]]> --> é"
#: What the hostile text reads as once parsed: the characters XML cannot carry are dropped.
HOSTILE_PARSED = "<script>alert(1)</script>&amp;\"' ]]> --> é"
DAY = dt.date(2025, 3, 1)


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def _all(root: ET.Element, tag: str, css: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{NS}{tag}")
    return [e for e in found if css is None or css in e.get("class", "").split()]


def _xy(text: str) -> list[tuple[float, float]]:
    """The x,y pairs of a points="" or d="" attribute."""
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", text)]


def _days(n: int) -> list[dt.date]:
    return [DAY + dt.timedelta(days=i) for i in range(n)]


def _every_chart(title: str, desc: str, label: str) -> dict[str, str]:
    rng = np.random.default_rng(0)
    rr = 800.0 + rng.normal(0.0, 30.0, 200)
    freqs = np.arange(0.0, 1.0, 1 / 256)
    psd = 1000.0 * np.exp(-(((freqs - 0.1) / 0.02) ** 2))
    series = [
        TrendSeries(label, list(zip(_days(5), [1.0, 2.0, None, 3.0, 4.0], strict=True)), label),
        TrendSeries(label + "2", [(DAY, 2.5)], "x"),
    ]
    return {
        "tachogram": tachogram_svg(rr, title, desc),
        "poincare": poincare_svg(rr, title, desc, sd1_ms=20.0, sd2_ms=40.0),
        "spectrum": spectrum_svg(freqs, psd, title, desc),
        "trend": trend_svg(series, title, desc, chart_id="t", unit=label),
        "trend-empty": trend_svg([], title, desc, chart_id="t", unit=label),
        "poincare-empty": poincare_svg([800.0], title, desc),
        "spectrum-empty": spectrum_svg([], [], title, desc),
        "tachogram-empty": tachogram_svg([], title, desc),
    }


# --- Well-formed, escaped, accessible ------------------------------------------------------------
@pytest.mark.parametrize("kind", list(_every_chart("t", "d", "l")))
def test_hostile_text_is_escaped_and_the_svg_stays_well_formed(kind: str) -> None:
    svg = _every_chart(HOSTILE, HOSTILE, HOSTILE)[kind]
    root = _parse(svg)  # raises on any unescaped markup
    assert "<script" not in svg
    assert not _all(root, "script")
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None
    assert desc is not None
    assert title.text == HOSTILE_PARSED
    assert desc.text == HOSTILE_PARSED


def test_hostile_series_labels_survive_as_text_in_legend_and_tooltips() -> None:
    root = _parse(_every_chart("t", "d", HOSTILE)["trend"])
    legend = [e.text for e in _all(root, "text", "legend-label")]
    assert legend == [HOSTILE_PARSED, HOSTILE_PARSED + "2"]
    tips = [e.text or "" for e in root.iter(f"{NS}title")][1:]
    assert len(tips) == 5
    assert all(tip.startswith(HOSTILE_PARSED) for tip in tips)


@pytest.mark.parametrize("kind", list(_every_chart("t", "d", "l")))
def test_every_chart_is_an_image_labelled_by_its_title_and_description(kind: str) -> None:
    root = _parse(_every_chart("Title", "Description", "l")[kind])
    assert root.get("role") == "img"
    assert root.get("class", "").split()[0] == "chart"
    assert root.get("viewBox", "").startswith("0 0 ")
    ids = (root.get("aria-labelledby") or "").split()
    assert len(ids) == 2
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    assert by_id[ids[0]].tag == f"{NS}title"
    assert by_id[ids[0]].text == "Title"
    assert by_id[ids[1]].tag == f"{NS}desc"
    assert by_id[ids[1]].text == "Description"


def test_no_inline_styles_anywhere() -> None:
    """The Content-Security-Policy (style-src 'self') would block them."""
    for svg in _every_chart("t", "d", "l").values():
        assert all(e.get("style") is None for e in _parse(svg).iter())


def test_coordinates_are_short_numbers() -> None:
    number = re.compile(r"-?\d+(\.\d)?")
    attributes = ("x", "y", "cx", "cy", "r", "rx", "ry", "x1", "x2", "y1", "y2", "width", "height")
    checked = 0
    for svg in _every_chart("t", "d", "l").values():
        for element in _parse(svg).iter():
            for name in attributes:
                value = element.get(name)
                if value is not None:
                    assert number.fullmatch(value), (element.tag, name, value)
                    checked += 1
            for name in ("points", "d"):
                for token in re.findall(r"-?[\d.]+", element.get(name) or ""):
                    assert number.fullmatch(token), (element.tag, name, token)
    assert checked > 100
    # And no tick label with float noise such as 0.30000000000000004.
    spectrum = _parse(_every_chart("t", "d", "l")["spectrum"])
    ticks = [e.text or "" for e in _all(spectrum, "text", "axis")]
    assert "0.3" in ticks
    assert "0.5 Hz" in ticks
    assert all(len(t) <= 8 for t in ticks)


def test_chart_ids_make_title_ids_unique_on_a_page() -> None:
    charts = [
        tachogram_svg([800.0, 810.0, 820.0], "a", "b", chart_id="rr-rest"),
        tachogram_svg([800.0, 810.0, 820.0], "a", "b", chart_id="rr-exercise"),
        poincare_svg([800.0, 810.0, 820.0], "a", "b", chart_id="p1"),
        poincare_svg([800.0, 810.0, 820.0], "a", "b", chart_id="p2"),
        spectrum_svg([0.1], [1.0], "a", "b", chart_id="s1"),
        trend_svg([TrendSeries("x", [(DAY, 1.0)])], "a", "b", chart_id="t1", unit=""),
    ]
    page = ET.fromstring("<div>" + "".join(charts) + "</div>")
    ids = [e.get("id") for e in page.iter() if e.get("id")]
    assert len(ids) == 2 * len(charts)
    assert len(set(ids)) == len(ids)
    assert "rr-rest-title" in ids
    assert "rr-exercise-desc" in ids


def test_the_tachogram_keeps_its_old_ids_by_default() -> None:
    root = _parse(tachogram_svg([800.0, 820.0, 790.0], "RR", "RR over time"))
    assert root.get("aria-labelledby") == "tacho-title tacho-desc"


@pytest.mark.parametrize("bad", ["", "1abc", "a b", 'a"b', "a<b", "ä"])
def test_a_chart_id_that_is_not_a_plain_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="chart_id"):
        poincare_svg([800.0, 810.0, 820.0], "t", "d", chart_id=bad)


# --- Tachogram -----------------------------------------------------------------------------------
def test_tachogram_thins_long_series_but_keeps_a_single_spike() -> None:
    rr = np.full(100_000, 800.0)
    rr[54_321] = 1500.0
    root = _parse(tachogram_svg(rr, "RR", "24 h"))
    (line,) = _all(root, "polyline")
    points = _xy(line.get("points", ""))
    assert len(points) <= MAX_POINTS
    ys = [y for _, y in points]
    assert min(ys) < max(ys) - 50  # the spike reaches far above the flat line


def test_tachogram_labels_units_on_both_axes() -> None:
    root = _parse(tachogram_svg([800.0] * 10 + [900.0] * 10, "RR", "d"))
    texts = [e.text or "" for e in _all(root, "text")]
    assert "ms" in texts
    assert any(t.endswith(" s") for t in texts)
    long = _parse(tachogram_svg([1000.0] * 1200, "RR", "20 min"))
    assert any((e.text or "").endswith(" min") for e in _all(long, "text"))


# --- Poincaré ------------------------------------------------------------------------------------
def test_poincare_maps_a_hand_computed_point() -> None:
    # Pairs (800, 820), (820, 800), (800, 820). Range 800..820 padded by 10 ms (more than 5 %
    # of 20) to 790..830 on both axes; plot area x 48..348, y 20..320 (300 units for 40 ms).
    # (800, 820) -> x = 48 + 10/40 * 300 = 123, y = 320 - 30/40 * 300 = 95.
    root = _parse(poincare_svg([800.0, 820.0, 800.0, 820.0], "P", "d"))
    dots = [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in _all(root, "circle", "pt")]
    assert dots == [(123.0, 95.0), (273.0, 245.0), (123.0, 95.0)]
    (identity,) = _all(root, "line", "identity")
    # Equal axes: the line of identity is the diagonal of the square plot, at 45 degrees.
    ends = [float(identity.get(k, "")) for k in ("x1", "y1", "x2", "y2")]
    assert ends == [48.0, 320.0, 348.0, 20.0]


def test_poincare_ellipse_is_centred_on_the_centroid_and_rotated_45_degrees() -> None:
    # Centroid (806.67, 813.33) ms; 7.5 units per ms (as above, range 790..830).
    # cx = 48 + 16.667 * 7.5 = 173, cy = 320 - 23.333 * 7.5 = 145.
    # SD2 = 1 ms along the identity line (rx = 7.5), SD1 = 2 ms across it (ry = 15).
    root = _parse(poincare_svg([800.0, 820.0, 800.0, 820.0], "P", "d", sd1_ms=2.0, sd2_ms=1.0))
    (ellipse,) = _all(root, "ellipse")
    assert float(ellipse.get("cx", "")) == 173.0
    assert float(ellipse.get("cy", "")) == 145.0
    assert float(ellipse.get("rx", "")) == 7.5
    assert float(ellipse.get("ry", "")) == 15.0
    assert ellipse.get("transform") == "rotate(-45 173 145)"
    (sd2,) = _all(root, "line", "sd2")
    dx = float(sd2.get("x2", "")) - float(sd2.get("x1", ""))
    dy = float(sd2.get("y2", "")) - float(sd2.get("y1", ""))
    assert dx > 0 > dy  # up and to the right, along the line of identity
    assert np.hypot(dx, dy) == pytest.approx(7.5, abs=0.15)
    labels = {e.text for e in _all(root, "text", "sd-label")}
    assert labels == {"SD1", "SD2"}


def test_poincare_without_both_sds_draws_no_ellipse() -> None:
    rr = [800.0, 820.0, 790.0, 805.0]
    assert not _all(_parse(poincare_svg(rr, "P", "d", sd1_ms=5.0)), "ellipse")
    assert not _all(_parse(poincare_svg(rr, "P", "d", sd1_ms=float("nan"), sd2_ms=5.0)), "ellipse")


@pytest.mark.parametrize("rr", [[], [800.0], [800.0, 820.0], [800.0, float("nan"), 820.0]])
def test_poincare_with_too_few_beats_is_an_empty_chart(rr: list[float]) -> None:
    root = _parse(poincare_svg(rr, "Poincaré", "Too short"))
    assert [child.tag for child in root] == [f"{NS}title", f"{NS}desc"]


def test_poincare_thins_a_holter_recording_deterministically_and_keeps_outliers() -> None:
    rng = np.random.default_rng(7)
    rr = 800.0 + np.cumsum(rng.normal(0.0, 3.0, 100_000)) % 200.0
    rr[50_000] = 1500.0  # one ectopic-like outlier: two isolated points in the plot
    svg = poincare_svg(rr, "P", "24 h")
    root = _parse(svg)
    dots = _all(root, "circle", "pt")
    assert 500 < len(dots) <= MAX_POINCARE_POINTS
    assert svg == poincare_svg(rr, "P", "24 h")
    right_edge = [c for c in dots if float(c.get("cx", "")) > 330.0]  # RR(n) = 1500 ms
    top_edge = [c for c in dots if float(c.get("cy", "")) < 40.0]  # RR(n+1) = 1500 ms
    assert len(right_edge) == 1
    assert len(top_edge) == 1


def test_poincare_keeps_every_point_of_a_short_recording() -> None:
    rr = 800.0 + 50.0 * np.sin(np.arange(MAX_POINCARE_POINTS + 1))
    root = _parse(poincare_svg(rr, "P", "d"))
    assert len(_all(root, "circle", "pt")) == MAX_POINCARE_POINTS


# --- Spectrum ------------------------------------------------------------------------------------
def _rect_span(rect: ET.Element) -> tuple[float, float]:
    x = float(rect.get("x", ""))
    return x, x + float(rect.get("width", ""))


def test_spectrum_peak_at_0_1_hz_lies_in_the_lf_band() -> None:
    freqs = np.arange(0.0, 2.0, 1 / 256)
    psd = 500.0 * np.exp(-(((freqs - 0.1) / 0.01) ** 2))
    root = _parse(spectrum_svg(freqs, psd, "PSD", "d"))
    (line,) = _all(root, "path", "psd-line")
    points = _xy(line.get("d", ""))
    peak_x, _ = min(points, key=lambda p: p[1])  # highest on screen: smallest y
    (lf,) = _all(root, "rect", "band-lf")
    (hf,) = _all(root, "rect", "band-hf")
    lo, hi = _rect_span(lf)
    assert lo < peak_x < hi
    assert not hf.get("x") or not (_rect_span(hf)[0] < peak_x < _rect_span(hf)[1])
    # LF is 0.04-0.15 Hz on a 0-0.5 Hz axis 420 units wide starting at 48.
    assert (lo, hi) == pytest.approx((48 + 0.04 / 0.5 * 420, 48 + 0.15 / 0.5 * 420), abs=0.1)
    # Frequencies beyond max_hz are not drawn.
    assert max(x for x, _ in points) <= 468.0


def test_spectrum_bands_are_labelled_and_clipped_to_max_hz() -> None:
    root = _parse(spectrum_svg([0.0, 0.05, 0.1], [1.0, 2.0, 1.0], "PSD", "d", max_hz=0.1))
    labels = [e.text for e in _all(root, "text", "band-label")]
    assert labels == ["VLF", "LF"]  # HF (0.15-0.4 Hz) lies beyond the axis
    (lf,) = _all(root, "rect", "band-lf")
    assert _rect_span(lf)[1] == pytest.approx(468.0, abs=0.1)
    full = _parse(spectrum_svg([0.1], [1.0], "PSD", "d"))
    assert [e.text for e in _all(full, "text", "band-label")] == ["VLF", "LF", "HF"]
    texts = [e.text for e in _all(full, "text")]
    assert "ms²/Hz" in texts
    assert "0.5 Hz" in texts


def test_spectrum_of_nothing_is_an_empty_chart() -> None:
    for freqs, psd in (([], []), ([0.7, 0.9], [1.0, 2.0]), ([float("nan")], [1.0])):
        root = _parse(spectrum_svg(freqs, psd, "PSD", "none"))
        assert [child.tag for child in root] == [f"{NS}title", f"{NS}desc"]


def test_spectrum_refuses_arrays_of_different_length() -> None:
    with pytest.raises(ValueError, match="same length"):
        spectrum_svg([0.1, 0.2], [1.0], "PSD", "d")


# --- Trend ---------------------------------------------------------------------------------------
def test_a_missing_value_breaks_the_line() -> None:
    one = TrendSeries("RMSSD", list(zip(_days(5), [40.0, 42.0, None, 45.0, 41.0], strict=True)))
    root = _parse(trend_svg([one], "RMSSD", "d", chart_id="rmssd", unit="ms"))
    lines = _all(root, "path", "line")
    assert [len(_xy(line.get("d", ""))) for line in lines] == [2, 2]
    assert len(_all(root, "circle", "pt")) == 4
    # The two runs do not meet: the first ends before the gap, the second starts after it.
    assert _xy(lines[0].get("d", ""))[-1][0] < _xy(lines[1].get("d", ""))[0][0]


def test_trend_maps_a_single_point_to_the_middle_of_a_fixed_range() -> None:
    # One date: the x domain is that day +-1, so the dot is at the middle of 55..461 = 258.
    # y 0..10 on 216..20: 5 -> 118.
    one = TrendSeries("Calm", [(DAY, 5.0)])
    root = _parse(trend_svg([one], "Calm", "d", chart_id="calm", unit="0-10", y_min=0, y_max=10))
    (dot,) = _all(root, "circle", "pt")
    assert (float(dot.get("cx", "")), float(dot.get("cy", ""))) == (258.0, 118.0)
    assert not _all(root, "path", "line")
    texts = [e.text for e in _all(root, "text")]
    assert {"0", "10", "0-10", "2025-03-01"} <= set(texts)
    assert not _all(root, "g", "legend")


def test_trend_with_no_values_is_an_empty_chart() -> None:
    for series in ([], [TrendSeries("a", [])], [TrendSeries("a", [(DAY, None)])]):
        root = _parse(trend_svg(series, "t", "d", chart_id="e", unit="ms"))
        assert [child.tag for child in root] == [f"{NS}title", f"{NS}desc"]


def test_trend_dates_label_first_last_and_a_few_between() -> None:
    points = [(day, float(i)) for i, day in enumerate(_days(30))]
    root = _parse(trend_svg([TrendSeries("x", points)], "t", "d", chart_id="x", unit="ms"))
    dates = [
        e.text or "" for e in _all(root, "text") if re.fullmatch(r"\d{4}-\d\d-\d\d", e.text or "")
    ]
    assert dates[0] == "2025-03-01"
    assert dates[-1] == "2025-03-30"
    assert 3 <= len(dates) <= 5
    assert dates == sorted(set(dates))


def test_trend_accepts_datetimes_and_dates_together() -> None:
    morning = dt.datetime(2025, 3, 2, 7, 30)
    one = TrendSeries("HR", [(DAY, 60.0), (morning, 62.0), (dt.date(2025, 3, 4), 58.0)])
    root = _parse(trend_svg([one], "t", "d", chart_id="hr", unit="bpm"))
    xs = [float(c.get("cx", "")) for c in _all(root, "circle", "pt")]
    assert xs == sorted(xs)
    tips = [e.text for e in root.iter(f"{NS}title")][1:]
    assert tips == [
        "HR: 2025-03-01 60.0 bpm",
        "HR: 2025-03-02 07:30 62.0 bpm",
        "HR: 2025-03-04 58.0 bpm",
    ]


def test_several_series_get_a_legend_and_differ_by_more_than_colour() -> None:
    a = TrendSeries("Morning", [(d, 40.0 + i) for i, d in enumerate(_days(4))], "hrv-morning")
    b = TrendSeries("Evening", [(d, 30.0 + i) for i, d in enumerate(_days(4))])
    root = _parse(trend_svg([a, b], "t", "d", chart_id="two", unit="ms"))
    (legend,) = _all(root, "g", "legend")
    assert [e.text for e in _all(legend, "text")] == ["Morning", "Evening"]
    groups = [g for g in _all(root, "g", "series") if g not in list(legend)]
    plot = [g for g in groups if _all(g, "path", "line")]
    assert [g.get("class") for g in plot] == ["series series-1 hrv-morning", "series series-2"]
    # Different marker shapes and dash patterns, in the plot and in the legend swatches.
    assert len(_all(plot[0], "circle", "pt")) == 4
    assert len(_all(plot[1], "rect", "pt")) == 4
    dashes = [_all(g, "path", "line")[0].get("stroke-dasharray") for g in plot]
    assert dashes[0] is None
    assert dashes[1]
    swatches = [s.get("stroke-dasharray") for s in _all(legend, "line", "swatch")]
    assert swatches == dashes


def test_a_value_outside_a_fixed_range_widens_it() -> None:
    one = TrendSeries("Rating", [(DAY, 12.0)])
    root = _parse(trend_svg([one], "t", "d", chart_id="r", unit="", y_min=0, y_max=10))
    (dot,) = _all(root, "circle", "pt")
    assert 20.0 <= float(dot.get("cy", "")) <= 216.0  # inside the plot area


def test_trend_refuses_an_empty_fixed_range() -> None:
    with pytest.raises(ValueError, match="y_min"):
        trend_svg([], "t", "d", chart_id="r", unit="", y_min=10, y_max=0)
