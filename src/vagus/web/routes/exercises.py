"""The exercises, each with its player when the screening and plan allow it, and the
clinician's clearance of an exercise marked "ask your clinician first".

``GET /exercises`` and ``GET /exercises/{id}`` (HTML) with ``GET /api/exercises`` and
``GET /api/exercises/{id}``;
``POST /exercises/{id}/clearance`` (form) with ``POST /api/screening/clearance``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vagus.app import PACER_KEYS, App, RefusedError
from vagus.app.models import ClearanceIn, ScreeningOut
from vagus.program import Lang, stop_symptoms
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render, see_other
from vagus.web._present import (
    exercise_json,
    labelled,
    pace_text,
    player_symptoms,
    screening_json,
    unit_text,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/exercises/{exercise_id}", response_class=HTMLResponse, include_in_schema=False)
def exercise_page(request: Request, exercise_id: str, app: AppDep) -> Response:
    """The exercise, and the player when the screening and plan allow it (the app's gate):
    refused shows the reason and no Start; "ask your clinician first" shows the reason and
    the clearance form. The dose and pace shown are those the player will use."""
    lang = choose_lang(request)
    ex = exercise_json(exercise_id, lang)
    refused: dict[str, str] | None = None
    planned: dict[str, Any] | None = None
    params: dict[str, Any] = {}
    try:
        gate = app.plan.gate(exercise_id)
    except RefusedError as error:
        refused = {"code": error.code, "reason": error.reason.get(lang, str(error))}
    else:
        if gate.item is not None:
            planned = {
                "dose": gate.item.dose,
                "unit_text": unit_text(gate.item.unit, lang),
                "params": gate.params,
                "reason_text": gate.item.reason(lang),
            }
        params = app.sessions.params_for(exercise_id, gate, {})
    pace = None
    if exercise_id == "breathing":
        chosen = app.sessions.pace()
        pattern = {k: float(params.get(k, chosen.pattern.get(k, 0.0))) for k in PACER_KEYS}
        pace = {"text": pace_text(pattern, lang), "source": chosen.source}
    return render(
        request,
        "exercise.html",
        {
            "ex": ex,
            "planned": planned,
            "params": params,
            "refused": refused,
            "pace": pace,
            "symptoms": player_symptoms(exercise_id, lang),
            "stop_symptoms": labelled([s.id for s in stop_symptoms(exercise_id, lang)], lang),
        },
    )


def _exercises_today(app: App, lang: Lang) -> list[dict[str, Any]]:
    """Each exercise with its texts, parameters and where it stands today (``today``:
    ``status`` planned / open / needs-clearance / excluded, ``reason``, ``dose``, ``unit``)."""
    out = []
    for status in app.plan.exercises():
        item = exercise_json(status.exercise_id, lang)
        item["today"] = {
            "status": status.status,
            "reason": status.reason[lang] if status.reason else None,
            "dose": status.dose,
            "unit": status.unit,
            "unit_text": unit_text(status.unit, lang) if status.unit else None,
        }
        out.append(item)
    return out


@router.get("/exercises", response_class=HTMLResponse, include_in_schema=False)
def exercises_page(request: Request, app: AppDep) -> Response:
    """The seven exercises and where each stands today for this person."""
    lang = choose_lang(request)
    return render(request, "exercises.html", {"exercises": _exercises_today(app, lang)})


@router.get("/api/exercises")
def list_exercises(app: AppDep, lang: LangDep) -> list[dict[str, Any]]:
    """The seven exercises with their texts, parameters and where each stands today."""
    return _exercises_today(app, lang)


@router.get("/api/exercises/{exercise_id}")
def get_exercise(exercise_id: str, lang: LangDep) -> dict[str, Any]:
    """One exercise (404 for an unknown id)."""
    return exercise_json(exercise_id, lang)


# --- the clinician's clearance ------------------------------------------------------------------


@router.post(
    "/exercises/{exercise_id}/clearance", response_class=HTMLResponse, include_in_schema=False
)
def exercise_clearance(exercise_id: str, app: AppDep) -> Response:
    """The person confirms their clinician cleared this exercise; back to its page."""
    app.screening.confirm_clearance(exercise_id)
    return see_other(f"/exercises/{exercise_id}")


@router.post("/api/screening/clearance", response_model=ScreeningOut)
def post_clearance(body: ClearanceIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """The person confirms their clinician cleared an exercise ("ask your clinician first")."""
    return screening_json(app.screening.confirm_clearance(body.exercise_id), lang)
