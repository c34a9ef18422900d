"""Insights: which exercise works for the person, what to try next, whether this week's
mornings are normal for them, and their symptom trends (issue 13).

``GET /insights`` (HTML: the suggestion, then the report's effects, morning and symptom
sections, each chart with its numbers) and ``GET /api/insights`` (the object ``vagus insights
--json`` prints), and a session's before and after (``GET /api/sessions/{id}/change``) for the
player's summary.
"""

from __future__ import annotations

from typing import Any

from babel.lists import format_list
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from vagus.app.report import IntervalChart, LineChart
from vagus.program import Lang
from vagus.program.i18n import BABEL_LOCALES, format_number
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render
from vagus.web._svg import ForestRow, band_chart_svg, forest_svg
from vagus.web.routes.report import chart_svg

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/insights", response_class=HTMLResponse, include_in_schema=False)
def insights_page(request: Request, app: AppDep) -> Response:
    """The person's insights, for them, so far."""
    lang = choose_lang(request)
    page = app.report.insights_page(lang)
    # The effects section lists the exercises the person has done; the others are named in
    # one line, so all seven are on the page.
    untried = list(page.untried)
    untried_text = format_list(untried, locale=BABEL_LOCALES[lang]) if untried else ""
    context: dict[str, Any] = {
        "page": page,
        "untried": untried_text,
        "screened": app.screening.done(),
        "chart_svg": lambda chart, chart_id: _chart(chart, lang, chart_id),
    }
    return render(request, "insights.html", context)


def _chart(chart: IntervalChart | LineChart, lang: Lang, chart_id: str) -> Markup:
    """The page's charts for a phone: the effects as a forest plot and the mornings with their
    band, drawn 360 units wide (the report's are A4's 480 and scroll sideways on a phone);
    the small symptom charts are the report's."""

    def number(value: float, decimals: int) -> str:
        return format_number(value, lang, decimals)

    if isinstance(chart, IntervalChart):
        rows = [ForestRow(r.label, r.mean, r.low, r.high, r.text) for r in chart.rows]
        svg = forest_svg(rows, chart.title, chart.description, chart_id=chart_id, number=number)
        return Markup(svg)
    if not chart.small:
        svg = band_chart_svg(
            [(v.day, v.value) for v in chart.values],
            [(v.day, v.value) for v in chart.mean],
            [(b.day, b.low, b.high) for b in chart.band],
            chart.first,
            chart.last,
            chart.title,
            chart.description,
            chart_id=chart_id,
            number=number,
        )
        return Markup(svg)
    return chart_svg(chart, lang, chart_id)


@router.get("/api/insights", tags=["insights"])
def get_insights(app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Per-exercise effects (ln RMSSD, heart rate and calm changes with 95 % intervals, the
    probability that each is the person's best), ``best`` (only when that probability is at
    least 0.8), what to try next and why (in ``lang``), morning readiness and symptom trends:
    the object ``vagus insights --json`` prints."""
    return app.insights.overview(lang)


@router.get("/api/sessions/{session_id}/change", tags=["insights"])
def get_session_change(session_id: int, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """One session's rests before and after and what changed (ln RMSSD, heart rate, calm), or
    why it cannot be said (``left_out``); ``text`` says it in ``lang``."""
    change = app.insights.session_change(session_id)
    return change.to_json() | {"text": change.text(lang)}
