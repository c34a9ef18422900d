"""The questionnaires (GAD-7, PHQ-8, DSQ-PEM), scored as published.

``GET /questionnaires`` (HTML list) with ``GET /api/questionnaires``;
``GET``/``POST /questionnaires/{name}`` (HTML form) with ``POST /api/questionnaires/{name}``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vagus.app import NotFoundError
from vagus.app.models import QuestionnaireIn, QuestionnaireOut
from vagus.program import QUESTIONNAIRES
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, form_text, render
from vagus.web._i18n import tr

router = APIRouter(dependencies=[Depends(csrf_protect)])


def questionnaire_name(name: str) -> str:
    """404 (NotFoundError) for a questionnaire that does not exist."""
    if name not in QUESTIONNAIRES:
        raise NotFoundError(
            f"name: expected one of {', '.join(QUESTIONNAIRES)}, got {name!r}", "name"
        )
    return name


def _questionnaire_page(
    request: Request,
    name: str,
    answers: dict[str, str],
    errors: dict[str, str],
    result: dict[str, Any] | None,
    *,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    questionnaire = QUESTIONNAIRES[questionnaire_name(name)]
    q = {
        "id": questionnaire.id,
        "name": questionnaire.name.get(lang),
        "prompts": questionnaire.prompts(lang),
        "max_score": questionnaire.max_score,
        "reference": questionnaire.reference,
    }
    context = {"q": q, "answers": answers, "errors": errors, "result": result}
    return render(request, "questionnaire.html", context, status=status)


@router.get("/questionnaires", response_class=HTMLResponse, include_in_schema=False)
def questionnaires_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    done = app.transfer.history(["questionnaire"])
    items = []
    for questionnaire in QUESTIONNAIRES.values():
        last = next((e for e in done if e["name"] == questionnaire.id), None)
        items.append(
            {
                "id": questionnaire.id,
                "name": questionnaire.name.get(lang),
                "last": None
                if last is None
                else {
                    "score": last["score"],
                    "severity": questionnaire.band(last["severity"]).label.get(lang),
                    "when": str(last["started_at"])[:10],
                },
            }
        )
    return render(request, "questionnaires.html", {"items": items})


@router.get("/api/questionnaires")
def list_questionnaires(lang: LangDep) -> list[dict[str, Any]]:
    """The questionnaires with their items and answer options in ``lang``."""
    return [
        {
            "id": q.id,
            "name": q.name.get(lang),
            "n_answers": q.n_answers,
            "prompts": [
                {"number": p.number, "item": p.item, "question": p.question, "options": p.options}
                for p in q.prompts(lang)
            ],
        }
        for q in QUESTIONNAIRES.values()
    ]


@router.get("/questionnaires/{name}", response_class=HTMLResponse, include_in_schema=False)
def questionnaire_form(request: Request, name: str) -> Response:
    return _questionnaire_page(request, name, {}, {}, None)


@router.post("/questionnaires/{name}", response_class=HTMLResponse, include_in_schema=False)
async def questionnaire_submit(request: Request, name: str, app: AppDep) -> Response:
    lang = choose_lang(request)
    questionnaire = QUESTIONNAIRES[questionnaire_name(name)]
    form = await request.form()
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    values: list[int] = []
    for prompt in questionnaire.prompts(lang):
        key = f"a-{prompt.number}"
        raw = form_text(form, key)
        answers[key] = raw
        if raw.isdigit() and int(raw) < len(prompt.options):
            values.append(int(raw))
        else:
            errors[key] = tr("questionnaire.missing", lang)
    if errors:
        return _questionnaire_page(request, name, answers, errors, None, status=400)
    body = QuestionnaireIn(answers=values)
    # Off the event loop: a write may wait for another's long import.
    result = await asyncio.to_thread(app.checkins.questionnaire, name, body.answers)
    shown = {
        "score": result.score,
        "severity_text": result.severity_text(lang),
        "advice": result.advice(lang),
    }
    return _questionnaire_page(request, name, answers, {}, shown)


@router.post("/api/questionnaires/{name}", status_code=201, response_model=QuestionnaireOut)
def post_questionnaire(
    name: str, body: QuestionnaireIn, app: AppDep, lang: LangDep
) -> dict[str, Any]:
    """Score the answers as published and store them (404 for an unknown questionnaire)."""
    result = app.checkins.questionnaire(questionnaire_name(name), body.answers)
    return result.to_dict() | {
        "severity_text": result.severity_text(lang),
        "advice": result.advice(lang),
    }
