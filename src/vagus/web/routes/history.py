"""The journal's history, newest first, and its trends as charts.

``GET /history`` (HTML: rows and charts) with ``GET /api/history`` and
``GET /api/history/trends`` (the charts' data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from vagus.program import CHECKIN_FIELDS, Lang
from vagus.program.checkin import RATING_MAX, RATING_MIN
from vagus.web._deps import AppDep, choose_lang, csrf_protect, render
from vagus.web._i18n import tr
from vagus.web._present import describe_entry
from vagus.web._svg import TrendSeries, trend_svg

router = APIRouter(dependencies=[Depends(csrf_protect)])
#: How many history entries the page lists.
HISTORY_PAGE_LIMIT: Final = 100


def _points(series: list[dict[str, Any]]) -> list[tuple[datetime, float | None]]:
    return [(datetime.fromisoformat(p["at"]).astimezone(), p["value"]) for p in series]


def history_charts(trends: dict[str, Any], lang: Lang) -> list[dict[str, str]]:
    """The history page's charts (ln RMSSD, resting heart rate, symptoms) from the app's
    trends, each as ``{"svg", "caption"}``; a chart with no data is left out."""
    charts = []
    for key, name, unit in (
        ("ln_rmssd", "trend_ln_rmssd", "ln ms"),
        ("resting_hr", "trend_hr", tr("units.bpm", lang)),
    ):
        if trends[key]:
            series = [TrendSeries(tr(f"history.{name}", lang), _points(trends[key]), key)]
            svg = trend_svg(
                series,
                tr(f"history.{name}", lang),
                tr(f"history.{name}_desc", lang),
                chart_id=f"trend-{key}",
                unit=unit,
            )
            charts.append({"svg": svg, "caption": tr(f"history.{name}", lang)})
    if any(trends["symptoms"].values()):
        series = [
            TrendSeries(
                tr(f"checkin.{field}", lang).split(" (")[0],
                _points(trends["symptoms"][field]),
                f"symptom-{field}",
            )
            for field in CHECKIN_FIELDS
        ]
        svg = trend_svg(
            series,
            tr("history.trend_symptoms", lang),
            tr("history.trend_symptoms_desc", lang),
            chart_id="trend-symptoms",
            unit="0-10",
            y_min=RATING_MIN,
            y_max=RATING_MAX,
        )
        charts.append({"svg": svg, "caption": tr("history.trend_symptoms_desc", lang)})
    return charts


@router.get("/history", response_class=HTMLResponse, include_in_schema=False)
def history_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    entries = app.transfer.history(
        request.query_params.getlist("type") or None, limit=HISTORY_PAGE_LIMIT
    )
    rows = [describe_entry(entry, lang) for entry in entries]
    charts = history_charts(app.measurements.trends(), lang)
    return render(request, "history.html", {"rows": rows, "charts": charts})


@router.get("/api/history")
def get_history(
    app: AppDep,
    type: Annotated[list[str] | None, Query(description="Entry types; all when omitted.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10000)] = None,
) -> list[Any]:
    """Everything, newest first: sessions, check-ins (with their warning signs),
    measurements, questionnaires..."""
    return app.transfer.history(type or None, limit=limit)


@router.get("/api/history/trends")
def get_trends(app: AppDep) -> dict[str, Any]:
    """The History page's charts as data, oldest first: ``ln_rmssd`` and ``resting_hr`` (one
    point per resting measurement: ``{at, value, id}``; ln ms and beats/min) and ``symptoms``
    (each check-in rating, 0-10, by field: ``{at, value}``)."""
    return app.measurements.trends()
