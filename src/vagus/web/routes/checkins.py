"""The daily check-in with its warning signs, the advice for them, and the red flag Today
keeps until the person confirms they got help.

``GET``/``POST /checkin`` (HTML form) with ``GET``/``POST /api/checkins``;
``POST /red-flag/confirm`` (form) with ``POST /api/red-flag/confirm``; ``GET /api/safety``
(the warning signs a person can report).

The form is validated through :class:`~vagus.app.models.CheckinIn`, the model the JSON API
uses: a bad value gets a message next to its field in the page's language, the page comes
back with status 400 and what the person typed, and nothing is stored.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from vagus.app import BusyError, UserError
from vagus.app.models import CheckinIn, CheckinSavedOut, RedFlagConfirmedOut
from vagus.program import CHECKIN_FIELDS
from vagus.program.checkin import MAX_NOTE_CHARS, RATING_MAX, RATING_MIN
from vagus.web._deps import (
    AppDep,
    LangDep,
    choose_lang,
    csrf_protect,
    field_errors,
    form_text,
    render,
    see_other,
)
from vagus.web._errors import error_html
from vagus.web._i18n import tr
from vagus.web._present import safety_json, symptom_labels

router = APIRouter(dependencies=[Depends(csrf_protect)])


def _checkin_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    safety: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    labels = symptom_labels(lang)
    return render(
        request,
        "checkin.html",
        {
            "fields": CHECKIN_FIELDS,
            "values": values,
            "errors": errors,
            "saved": safety is not None,
            "safety": safety,
            "symptoms": [{"id": k, "label": v} for k, v in labels.items()],
            "chosen": set(values.get("symptoms", [])),
            "min": RATING_MIN,
            "max": RATING_MAX,
            "note_max": MAX_NOTE_CHARS,
        },
        status=status,
    )


@router.get("/checkin", response_class=HTMLResponse, include_in_schema=False)
def checkin_form(request: Request) -> Response:
    return _checkin_page(request, {}, {})


def _rating(raw: str) -> int | str:
    """A typed rating as a whole number when it is one (the model checks its range)."""
    return int(raw) if re.fullmatch(r"[+-]?\d{1,6}", raw) else raw


@router.post("/checkin", response_class=HTMLResponse, include_in_schema=False)
async def checkin_submit(request: Request, app: AppDep) -> Response:
    """Validate through :class:`~vagus.app.models.CheckinIn`, store, and show the advice for
    any warning sign at once."""
    lang = choose_lang(request)
    form = await request.form()
    values: dict[str, Any] = {name: form_text(form, name) for name in (*CHECKIN_FIELDS, "note")}
    values["symptoms"] = [s for s in form.getlist("symptoms") if isinstance(s, str)]
    errors: dict[str, str] = {}
    try:
        checkin = CheckinIn.model_validate(
            {name: _rating(values[name]) for name in CHECKIN_FIELDS}
            | {"note": values["note"], "symptoms": values["symptoms"]}
        )
    except ValidationError as error:
        for name in field_errors(error):
            if name in CHECKIN_FIELDS:
                errors[name] = tr("checkin.bad_value", lang)
            elif name == "note":
                errors["note"] = tr("checkin.note_too_long", lang, n=MAX_NOTE_CHARS)
            else:
                errors["symptoms"] = tr("checkin.bad_symptom", lang)
        return _checkin_page(request, values, errors, status=400)
    try:
        # Off the event loop: a write may wait for another's long import (the writer gate).
        out = await asyncio.to_thread(app.checkins.add, checkin, lang)
    except BusyError:
        raise  # the server's state, not the form's fault: 503 with Retry-After
    except UserError as error:
        field = error.field if error.field in (*CHECKIN_FIELDS, "note") else "symptoms"
        errors[field or "symptoms"] = (
            tr("checkin.bad_symptom", lang) if field == "symptoms" else error_html(error, lang)
        )
        return _checkin_page(request, values, errors, status=400)
    return _checkin_page(request, {}, {}, safety=out.safety.model_dump())


@router.post("/api/checkins", status_code=201, response_model=CheckinSavedOut)
def post_checkin(body: CheckinIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Store today's check-in (each rating 0-10, any warning signs by id); the answer carries
    the advice for the warning signs at once (``safety``, in the request's language).

    A plain route: FastAPI runs it in its thread pool, so a write that waits for another
    writer of the journal never holds up the event loop.
    """
    out = app.checkins.add(body, lang)
    return {"id": out.id} | body.model_dump() | {"safety": out.safety.model_dump()}


@router.get("/api/checkins")
def get_checkins(
    app: AppDep, limit: Annotated[int | None, Query(ge=1, le=10000)] = None
) -> list[Any]:
    """Check-ins, newest first."""
    return app.transfer.history(["checkin"], limit=limit)


# --- warning signs and the red flag -------------------------------------------------------------


@router.get("/api/safety")
def get_safety(lang: LangDep) -> dict[str, Any]:
    """The warning signs a person can report (``{id, label}``), which of them are red flags,
    and each exercise's stop-rule signs."""
    return safety_json(lang)


@router.post("/red-flag/confirm", response_class=HTMLResponse, include_in_schema=False)
def red_flag_confirm(app: AppDep) -> Response:
    """The person confirms they got help: Today shows the plan again."""
    app.checkins.confirm_help()
    return see_other("/")


@router.post("/api/red-flag/confirm", response_model=RedFlagConfirmedOut)
def confirm_red_flag(app: AppDep) -> dict[str, Any]:
    """The person confirms they got help for the red flag Today shows."""
    app.checkins.confirm_help()
    return {"confirmed": True}
