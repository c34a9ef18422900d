"""Learn: the exercises, clinic treatments, the purpose statement and the warning signs.

``GET /learn`` (HTML) and ``GET /api/learn``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vagus.program import EXERCISE_IDS, load_catalog, red_flags
from vagus.web._deps import LangDep, choose_lang, csrf_protect, render
from vagus.web._i18n import tr
from vagus.web._present import exercise_json, jsonable

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/learn", response_class=HTMLResponse, include_in_schema=False)
def learn_page(request: Request) -> Response:
    lang = choose_lang(request)
    catalog = load_catalog()
    return render(
        request,
        "learn.html",
        {
            "exercises": [exercise_json(ex, lang) for ex in EXERCISE_IDS],
            "treatments": [t.to_dict(lang) for t in catalog.treatments.values()],
            "red_flags": red_flags(lang),
        },
    )


@router.get("/api/learn")
def get_learn(lang: LangDep) -> dict[str, Any]:
    """The learn page: exercises, clinic treatments, purpose statement and warning signs."""
    catalog = load_catalog()
    return {
        "exercises": [exercise_json(ex, lang) for ex in EXERCISE_IDS],
        "treatments": [t.to_dict(lang) for t in catalog.treatments.values()],
        "clinic": catalog.clinic.to_dict(lang),
        "purpose": tr("purpose.statement", lang),
        "not_a_doctor": tr("purpose.not_a_doctor", lang),
        "red_flags": [jsonable(flag, lang) for flag in red_flags(lang)],
    }
