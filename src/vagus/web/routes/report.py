"""The report for the therapist (issue 13, section 5).

``GET /report`` (a printable page: the browser's print gives a clean A4), ``GET /report.pdf``
(the PDF of ``vagus report``, as a download) and ``GET /api/report`` (the report as JSON), each
for ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (by default the last 90 days). All three render the one
:class:`vagus.app.report.Report` the app builds, so they say the same; the charts are the app's
shapes (:func:`vagus.app.report.chart_shapes`) written as SVG here.
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from vagus.app.report import (
    IntervalChart,
    LineChart,
    Shape,
    chart_shapes,
    chart_size,
    report_json,
)
from vagus.app.report import say as report_say
from vagus.program import Lang
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render

router = APIRouter(dependencies=[Depends(csrf_protect)])

FromQuery = Annotated[
    str | None, Query(alias="from", description="First day, YYYY-MM-DD (default: 89 days ago).")
]
ToQuery = Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD (today).")]
NameQuery = Annotated[
    str | None, Query(description="The person's name on the report (for this report only).")
]


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _shape_svg(shape: Shape) -> str:
    c = shape.coords
    role = f' class="{shape.role}"'
    if shape.kind == "line":
        return (
            f'<line{role} x1="{_n(c[0])}" y1="{_n(c[1])}" x2="{_n(c[2])}" y2="{_n(c[3])}" '
            'stroke="currentColor"/>'
        )
    if shape.kind in ("polyline", "polygon"):
        points = " ".join(f"{_n(c[i])},{_n(c[i + 1])}" for i in range(0, len(c), 2))
        paint = (
            'fill="none" stroke="currentColor"' if shape.kind == "polyline" else 'fill="#e3e3e3"'
        )
        return f'<{shape.kind}{role} points="{points}" {paint}/>'
    if shape.kind == "circle":
        return f'<circle{role} cx="{_n(c[0])}" cy="{_n(c[1])}" r="{_n(c[2])}" fill="currentColor"/>'
    return (
        f'<text{role} x="{_n(c[0])}" y="{_n(c[1])}" text-anchor="{shape.anchor}">'
        f"{html.escape(shape.text)}</text>"
    )


def chart_svg(chart: IntervalChart | LineChart, lang: Lang, chart_id: str) -> Markup:
    """One chart as an accessible inline SVG (``role="img"``, its title and description);
    its numbers are beside it on the page (labels or a table)."""
    width, height = chart_size(chart)
    kind = "small" if isinstance(chart, LineChart) and chart.small else chart.kind
    head = (
        f'<svg class="report-chart {kind}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        'font-size="8" font-family="Helvetica, Arial, sans-serif" '
        'xmlns="http://www.w3.org/2000/svg">'
    )
    parts = [
        head,
        f'<title id="{chart_id}-t">{html.escape(chart.title)}</title>',
        f'<desc id="{chart_id}-d">{html.escape(chart.description)}</desc>',
        *(_shape_svg(shape) for shape in chart_shapes(chart, lang)),
        "</svg>",
    ]
    return Markup("".join(parts))


@router.get("/report", response_class=HTMLResponse, include_in_schema=False)
def report_page(
    request: Request,
    app: AppDep,
    first: FromQuery = None,
    last: ToQuery = None,
    name: NameQuery = None,
) -> HTMLResponse:
    lang = choose_lang(request)
    made = app.report.build(lang, first, last, name)
    query = {"from": made.first.isoformat(), "to": made.last.isoformat(), "lang": lang}
    if name and name.strip():
        query["name"] = name.strip()
    context: dict[str, Any] = {
        "report": made,
        "say": lambda key, **values: report_say(key, lang, **values),
        "chart_svg": lambda chart, chart_id: chart_svg(chart, lang, chart_id),
        "pdf_href": "/report.pdf?" + urlencode(query),
        "typed_name": (name or "").strip(),
    }
    return render(request, "report.html", context)


# A download linked from the page, answered as the pages are (an error is an HTML page a
# person reads), so it is not in the JSON API's schema; /api/report is its JSON twin.
@router.get("/report.pdf", response_class=Response, include_in_schema=False)
def report_pdf(
    app: AppDep,
    lang: LangDep,
    first: FromQuery = None,
    last: ToQuery = None,
    name: NameQuery = None,
) -> Response:
    """The report for the therapist as a PDF (A4), the same as ``vagus report``."""
    made = app.report.build(lang, first, last, name)
    name = f"vagus-report-{made.first.isoformat()}-{made.last.isoformat()}.pdf"
    return Response(
        app.report.pdf_bytes(made),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/report", tags=["report"])
def report_api(
    app: AppDep,
    lang: LangDep,
    first: FromQuery = None,
    last: ToQuery = None,
    name: NameQuery = None,
) -> JSONResponse:
    """The report for the therapist: its headings, sentences and tables in ``lang`` (numbers
    written as the language writes them) and its charts' data."""
    return JSONResponse(report_json(app.report.build(lang, first, last, name)))
