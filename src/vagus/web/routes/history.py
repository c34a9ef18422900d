"""The journal's history, newest first, and its trends as charts.

``GET /history`` (HTML: one page of rows, and the charts) with ``GET /api/history`` (one page
of entries) and ``GET /api/history/trends`` (the charts' data).

Both are bounded however long the journal (issue 11, finding 9: 37,000 check-ins made a 31 MB
page): the list is paged (``?page=N``, :data:`HISTORY_PAGE_SIZE` a page, newest first) and each
chart series draws at most :data:`MAX_TREND_POINTS` points (:func:`bounded_points`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vagus.app.transfer import HISTORY_PAGE_MAX, HISTORY_PAGE_SIZE, HistoryPage
from vagus.program import CHECKIN_FIELDS, Lang, format_number
from vagus.program.checkin import RATING_MAX, RATING_MIN
from vagus.web._deps import AppDep, choose_lang, csrf_protect, render
from vagus.web._i18n import tr
from vagus.web._present import describe_entry
from vagus.web._svg import TrendSeries, trend_svg

router = APIRouter(dependencies=[Depends(csrf_protect)])
#: Most points one series of a trend chart draws. Each point is a marker with a tooltip, and
#: a 480 px wide chart shows no more than this apart; 37,000 check-ins drew 222,000 markers
#: (six symptom series), most of a 31 MB page.
MAX_TREND_POINTS: Final = 120

Point = tuple[date | datetime, float | None]


def _points(series: list[dict[str, Any]]) -> list[tuple[datetime, float | None]]:
    return [(datetime.fromisoformat(p["at"]).astimezone(), p["value"]) for p in series]


def _day_of(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def averaged_days(points: Sequence[Point], most: int = MAX_TREND_POINTS) -> int | None:
    """How many days each point of :func:`bounded_points` averages; None when it keeps the
    points as they are (at most ``most``)."""
    if len(points) <= most:
        return None
    first = min(_day_of(when) for when, _ in points)
    last = max(_day_of(when) for when, _ in points)
    return max(1, math.ceil(((last - first).days + 1) / most))


def _averaged_note(groups: Sequence[Sequence[Point]], lang: Lang) -> str:
    """ " Long series are shown as averages of N days." when a chart's points are averages (so
    its description, which says "each check-in", stays true); else nothing."""
    days = max((averaged_days(points) or 0 for points in groups), default=0)
    if not days:
        return ""
    key = "history.trend_averaged_day" if days == 1 else "history.trend_averaged_days"
    return " " + tr(key, lang, days=days)


def bounded_points(points: Sequence[Point], most: int = MAX_TREND_POINTS) -> list[Point]:
    """``points`` (oldest first) as they are when there are at most ``most``; else the mean of
    each run of ``k`` calendar days, dated by the run's first day, with ``k`` the fewest days
    that make at most ``most`` runs. The whole time span stays in the chart; a run whose
    values are all missing stays a gap (None); a run with no points is left out.

    >>> day = date(2026, 1, 1)
    >>> pts = [(day + timedelta(days=i), float(i % 2)) for i in range(10)]
    >>> [(when.isoformat(), mean) for when, mean in bounded_points(pts, 5)][:2]
    [('2026-01-01', 0.5), ('2026-01-03', 0.5)]
    >>> len(bounded_points(pts, 5))
    5
    >>> bounded_points(pts[:3], 5) == pts[:3]
    True
    """
    run_days = averaged_days(points, most)
    if run_days is None:
        return list(points)
    first = min(_day_of(when) for when, _ in points)
    runs: dict[int, list[float]] = {}
    for when, value in points:
        values = runs.setdefault((_day_of(when) - first).days // run_days, [])
        if value is not None and math.isfinite(value):
            values.append(value)
    return [
        (first + timedelta(days=run * run_days), sum(values) / len(values) if values else None)
        for run, values in sorted(runs.items())
    ]


def history_charts(trends: dict[str, Any], lang: Lang) -> list[dict[str, str]]:
    """The history page's charts (ln RMSSD, resting heart rate, symptoms) from the app's
    trends, each as ``{"svg", "caption"}``; a chart with no data is left out."""
    charts = []
    for key, name, unit in (
        ("ln_rmssd", "trend_ln_rmssd", "ln ms"),
        ("resting_hr", "trend_hr", tr("units.bpm", lang)),
    ):
        if trends[key]:
            raw = _points(trends[key])
            series = [TrendSeries(tr(f"history.{name}", lang), bounded_points(raw), key)]
            svg = trend_svg(
                series,
                tr(f"history.{name}", lang),
                tr(f"history.{name}_desc", lang) + _averaged_note([raw], lang),
                chart_id=f"trend-{key}",
                unit=unit,
            )
            charts.append({"svg": svg, "caption": tr(f"history.{name}", lang)})
    if any(trends["symptoms"].values()):
        raws = {field: _points(trends["symptoms"][field]) for field in CHECKIN_FIELDS}
        series = [
            TrendSeries(
                tr(f"checkin.{field}", lang).split(" (")[0],
                bounded_points(raws[field]),
                f"symptom-{field}",
            )
            for field in CHECKIN_FIELDS
        ]
        note = _averaged_note(list(raws.values()), lang)
        svg = trend_svg(
            series,
            tr("history.trend_symptoms", lang),
            tr("history.trend_symptoms_desc", lang) + note,
            chart_id="trend-symptoms",
            unit="0-10",
            y_min=RATING_MIN,
            y_max=RATING_MAX,
        )
        charts.append({"svg": svg, "caption": tr("history.trend_symptoms_desc", lang) + note})
    return charts


def _page_href(types: list[str], page: int) -> str:
    """The History page's address for page ``page`` of the same types."""
    query = [("type", kind) for kind in types] + [("page", str(page))]
    return "/history?" + urlencode(query)


def pager(found: HistoryPage, types: list[str], lang: Lang) -> dict[str, Any]:
    """What the page's navigation shows: "Showing a-b of n" (numbers as ``lang`` writes them)
    and the links to newer and older entries (None where there are none)."""
    return {
        "shown": tr(
            "history.page_shown",
            lang,
            first=format_number(found.first, lang, 0),
            last=format_number(found.last, lang, 0),
            total=format_number(found.total, lang, 0),
        ),
        "newer": None if found.newer is None else _page_href(types, found.newer),
        "older": None if found.older is None else _page_href(types, found.older),
    }


@router.get("/history", response_class=HTMLResponse, include_in_schema=False)
def history_page(request: Request, app: AppDep) -> Response:
    """One page of the journal (``?page=N``, newest first; a bad N is a 400 naming the page
    field, one beyond the last goes to the last) and the charts."""
    lang = choose_lang(request)
    types = request.query_params.getlist("type")
    found = app.transfer.history_page(types or None, request.query_params.get("page", "1"))
    if found.page > found.pages:
        return RedirectResponse(_page_href(types, found.pages), status_code=303)
    rows = [describe_entry(entry, lang) for entry in found.entries]
    charts = history_charts(app.measurements.trends(), lang)
    context = {"rows": rows, "charts": charts, "pager": pager(found, types, lang)}
    return render(request, "history.html", context)


@router.get(
    "/api/history",
    responses={
        200: {
            "headers": {
                "X-Total-Count": {
                    "description": "How many entries there are in all (of these types).",
                    "schema": {"type": "integer"},
                },
                "Link": {
                    "description": 'The pages of newer and older entries (rel="prev", '
                    'rel="next"; RFC 8288), where there are some.',
                    "schema": {"type": "string"},
                },
            }
        }
    },
)
def get_history(
    app: AppDep,
    response: Response,
    type: Annotated[list[str] | None, Query(description="Entry types; all when omitted.")] = None,
    page: Annotated[
        int, Query(ge=1, le=10**15, description="Page number, from 1 (the newest entries).")
    ] = 1,
    limit: Annotated[
        int, Query(ge=1, le=HISTORY_PAGE_MAX, description="Entries per page.")
    ] = HISTORY_PAGE_SIZE,
) -> list[Any]:
    """One page of everything, newest first: sessions, check-ins (with their warning signs),
    measurements, questionnaires... Page 1 is the newest ``limit`` entries; a page beyond the
    last is empty. ``X-Total-Count`` says how many there are, ``Link`` where the next and
    previous pages are."""
    found = app.transfer.history_page(type or None, page, limit)
    query = [("type", kind) for kind in type or []] + [("limit", str(limit))]
    links = []
    if found.newer is not None:
        links.append(
            f'</api/history?{urlencode([*query, ("page", str(found.newer))])}>; rel="prev"'
        )
    if found.older is not None:
        links.append(
            f'</api/history?{urlencode([*query, ("page", str(found.older))])}>; rel="next"'
        )
    response.headers["X-Total-Count"] = str(found.total)
    if links:
        response.headers["Link"] = ", ".join(links)
    return found.entries


@router.get("/api/history/trends")
def get_trends(app: AppDep) -> dict[str, Any]:
    """The History page's charts as data, oldest first: ``ln_rmssd`` and ``resting_hr`` (one
    point per resting measurement: ``{at, value, id}``; ln ms and beats/min) and ``symptoms``
    (each check-in rating, 0-10, by field: ``{at, value}``)."""
    return app.measurements.trends()
