"""Today: the plan, an open red flag, the check-in and the last resting measurement.

``GET /`` (HTML), ``GET /api/today`` and ``GET /api/plan`` (the shape of ``vagus plan --json``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vagus.app import today_overview
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render
from vagus.web._present import labelled, plan_view

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def today_page(request: Request, app: AppDep) -> Response:
    """Today: the plan (stored when it changed, nothing else is written), the red flag that
    is still open, the check-in and the last resting measurement."""
    lang = choose_lang(request)
    today = today_overview(app, lang)
    today["plan"] = plan_view(today["plan"], lang)
    flag = today.get("red_flag")
    if flag:
        flag["labels"] = labelled(flag.get("symptoms", []), lang)
    return render(request, "today.html", {"today": today})


@router.get("/api/today")
def get_today(app: AppDep, lang: LangDep) -> dict[str, Any]:
    """The today page's data: the plan, screened, check-in done today, the last resting
    measurement, and an open red flag (``null`` when there is none)."""
    return today_overview(app, lang)


@router.get("/api/plan")
def get_plan(app: AppDep) -> dict[str, Any]:
    """Today's plan: the shape of ``vagus plan --json`` (each reason in nb and en)."""
    return app.plan.today_json()
