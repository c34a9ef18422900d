"""The stylesheet's colours meet WCAG 2.1 contrast: 4.5:1 for text (SC 1.4.3, AA) and 3:1 for
chart lines, markers and the focus outline (SC 1.4.11, non-text contrast).

The colours are read from ``static/style.css`` itself, so a change there is checked here.
Relative luminance and contrast ratio as WCAG 2.1 defines them (Understanding SC 1.4.3).
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

CSS = (files("vagus.web") / "static" / "style.css").read_text(encoding="utf-8")
#: WCAG 2.1 thresholds.
TEXT_MIN = 4.5
NON_TEXT_MIN = 3.0
WHITE = "#ffffff"


def _var(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert match, name
    return match.group(1)


def _rule_color(selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{[^}]*?color:\s*(#[0-9a-fA-F]{3,6})", CSS)
    assert match, selector
    return match.group(1)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.1): 0 for black, 1 for white."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(2 * ch for ch in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """Contrast ratio (L1 + 0.05) / (L2 + 0.05), 1 to 21.

    >>> round(contrast("#000000", "#ffffff"), 1)
    21.0
    """
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_against_published_values() -> None:
    # WebAIM's checker: #767676 on white is 4.54:1, the lightest grey that passes AA.
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", WHITE) < TEXT_MIN


@pytest.mark.parametrize(
    ("fg", "bg"),
    [
        ("fg", "bg"),
        ("link", "bg"),
        ("muted", "bg"),
        ("error", "bg"),
        ("ok", "bg"),
    ],
)
def test_text_on_the_page(fg: str, bg: str) -> None:
    assert contrast(_var(fg), _var(bg)) >= TEXT_MIN, (fg, bg)


def test_buttons_notices_and_charts_text() -> None:
    assert contrast(WHITE, _var("accent")) >= TEXT_MIN  # primary buttons
    assert contrast(WHITE, _var("error")) >= TEXT_MIN  # the delete button
    assert contrast(_var("accent"), WHITE) >= TEXT_MIN  # secondary buttons
    notice_bg = re.search(r"\.notice \{[^}]*background: (#[0-9a-fA-F]{6})", CSS)
    assert notice_bg
    assert contrast(_var("fg"), notice_bg.group(1)) >= TEXT_MIN
    assert contrast(_var("muted"), WHITE) >= TEXT_MIN  # chart axis labels on white


def test_focus_outline_is_visible() -> None:
    assert contrast(_var("focus"), _var("bg")) >= NON_TEXT_MIN
    assert contrast(_var("focus"), WHITE) >= NON_TEXT_MIN


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_chart_series_on_white(n: int) -> None:
    assert contrast(_rule_color(f"svg.chart .series-{n}"), WHITE) >= NON_TEXT_MIN, n
