"""A server-rendered SVG tachogram: no JavaScript and no chart library for a static picture.

Server-side SVG was chosen for the measurement page because it works with scripts off, prints,
scales to a 360 px screen and needs no vendored library; the live chart of the player (later)
will need a small client-side one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

#: Drawing size in SVG user units (scaled to the page width by CSS).
WIDTH_PX: Final = 640
HEIGHT_PX: Final = 200
#: Margin left for the axis labels, in user units.
MARGIN_PX: Final = 40
#: Most points drawn: more than the width adds nothing a person can see.
MAX_POINTS: Final = 2000


def tachogram_svg(rr_ms: Sequence[float], title: str, description: str) -> str:
    """RR intervals (ms) against beat time (s) as an accessible SVG polyline.

    Long series are thinned to :data:`MAX_POINTS` by taking every k-th beat.

    >>> svg = tachogram_svg([800, 820, 790], "RR", "RR over time")
    >>> svg.startswith("<svg") and "<title" in svg and "polyline" in svg
    True
    >>> "polyline" in tachogram_svg([], "RR", "none")
    False
    """
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}" role="img" '
        f'aria-labelledby="tacho-title tacho-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="tacho-title">{_escape(title)}</title>'
        f'<desc id="tacho-desc">{_escape(description)}</desc>'
    )
    if len(rr_ms) < 2:
        return head + "</svg>"
    times = []
    t = 0.0
    for rr in rr_ms:
        t += rr / 1000.0
        times.append(t)
    step = max(1, len(rr_ms) // MAX_POINTS)
    xs, ys = times[::step], list(rr_ms)[::step]
    lo, hi = min(ys), max(ys)
    span_y = (hi - lo) or 1.0
    span_x = (xs[-1] - xs[0]) or 1.0
    plot_w, plot_h = WIDTH_PX - MARGIN_PX - 8, HEIGHT_PX - 30
    points = " ".join(
        f"{MARGIN_PX + (x - xs[0]) / span_x * plot_w:.1f},{10 + (hi - y) / span_y * plot_h:.1f}"
        for x, y in zip(xs, ys, strict=True)
    )
    axis = (
        f'<text x="2" y="16" class="axis">{hi:.0f}</text>'
        f'<text x="2" y="{HEIGHT_PX - 20}" class="axis">{lo:.0f}</text>'
        f'<text x="{MARGIN_PX}" y="{HEIGHT_PX - 4}" class="axis">0 s</text>'
        f'<text x="{WIDTH_PX - 60}" y="{HEIGHT_PX - 4}" class="axis">{xs[-1]:.0f} s</text>'
    )
    return head + axis + f'<polyline fill="none" points="{points}"/></svg>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
