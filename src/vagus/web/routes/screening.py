"""The health questions (screening) that decide which exercises fit.

``GET``/``POST /screen`` (HTML form) with ``GET /api/screening/questions`` and
``GET``/``POST /api/screening``. The clearance of one exercise is with the exercises
(:mod:`vagus.web.routes.exercises`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vagus.app.models import ScreeningIn, ScreeningOut
from vagus.program import questions
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, form_text, render
from vagus.web._i18n import tr
from vagus.web._present import screening_json

router = APIRouter(dependencies=[Depends(csrf_protect)])


def _screen_page(
    request: Request,
    answers: dict[str, str],
    errors: dict[str, str],
    result: dict[str, Any] | None,
    *,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    groups: dict[str, dict[str, Any]] = {}
    for q in questions(lang):
        group = groups.setdefault(q.group, {"title": q.group_title, "questions": []})
        group["questions"].append(q)
    return render(
        request,
        "screen.html",
        {"groups": list(groups.values()), "answers": answers, "errors": errors, "result": result},
        status=status,
    )


@router.get("/screen", response_class=HTMLResponse, include_in_schema=False)
def screen_form(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    stored = app.screening.answers()
    answers = {k: "yes" if v else "no" for k, v in stored.items()}
    current = app.screening.latest()
    result = None if current is None else screening_json(current, lang)
    return _screen_page(request, answers, {}, result)


@router.post("/screen", response_class=HTMLResponse, include_in_schema=False)
async def screen_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for q in questions(lang):
        value = form_text(form, f"q-{q.id}")
        if value in ("yes", "no"):
            answers[q.id] = value
        else:
            errors[q.id] = tr("screen.missing", lang)
    if errors:
        return _screen_page(request, answers, errors, None, status=400)
    # Off the event loop: a write may wait for another's long import.
    result = await asyncio.to_thread(
        app.screening.save, {k: v == "yes" for k, v in answers.items()}
    )
    return _screen_page(request, answers, {}, screening_json(result, lang))


@router.get("/api/screening/questions")
def screening_questions(lang: LangDep) -> list[dict[str, Any]]:
    """Every screening question in ``lang``, grouped, in order."""
    return [
        {
            "id": q.id,
            "group": q.group,
            "group_title": q.group_title,
            "text": q.text,
            "follow_up_to": q.follow_up_to,
        }
        for q in questions(lang)
    ]


@router.get("/api/screening", response_model=ScreeningOut | None)
def get_screening(app: AppDep, lang: LangDep) -> dict[str, Any] | None:
    """The latest screening result, or null before the first."""
    result = app.screening.latest()
    return None if result is None else screening_json(result, lang)


@router.post("/api/screening", response_model=ScreeningOut)
def post_screening(body: ScreeningIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Save the answers; returns how each exercise fits (400 naming a missing answer)."""
    return screening_json(app.screening.save(body.answers, body.cleared), lang)
