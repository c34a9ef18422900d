"""Settings: language, breathing pacer and the web's sensor; export, import and delete-all.

``GET``/``POST /settings`` (HTML form) with ``GET``/``PUT /api/settings``;
``GET /api/export``; ``POST /settings/import`` (form) with ``POST /api/import``;
``POST /settings/delete-all`` (form) with ``POST /api/delete-all``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from vagus.app import PACER_KEYS, App, AppError, BusyError, UserError
from vagus.app.models import DeletedOut, DeleteIn, ImportOut, PrefsOut, SettingsIn
from vagus.program import param_specs
from vagus.web._deps import (
    AppDep,
    choose_lang,
    csrf_protect,
    field_errors,
    form_text,
    render,
)
from vagus.web._errors import error_html
from vagus.web._i18n import tr
from vagus.web._present import DELETE_WORDS, count_imported

router = APIRouter(dependencies=[Depends(csrf_protect)])


def prefs_json(app: App) -> dict[str, Any]:
    """The person's preferences (``app.prefs.get()``) as JSON."""
    return dataclasses.asdict(app.prefs.get())


def parse_json_upload(data: bytes) -> Any:
    """An uploaded export's JSON (400 naming line and column when it is not JSON)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise AppError(
            "file: the export is not UTF-8 text", "file", key="errors.not_an_export"
        ) from None
    except json.JSONDecodeError as error:
        raise AppError(
            f"file: not JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            "file",
            key="errors.not_json",
            line=error.lineno,
            column=error.colno,
        ) from None


def check_delete_word(word: str) -> None:
    if word not in DELETE_WORDS.values():
        raise AppError(
            f"confirm: type {DELETE_WORDS['en']} (or {DELETE_WORDS['nb']}) to delete everything",
            "confirm",
        )


def _settings_page(
    request: Request,
    app: App,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    return render(
        request,
        "settings.html",
        {
            "prefs": prefs_json(app),
            "values": values or {},
            "pacer_keys": PACER_KEYS,
            "specs": {s.name: s for s in param_specs("breathing")},
            "errors": errors or {},
            "message": message,
            "delete_word": DELETE_WORDS[lang],
        },
        status=status,
    )


# --- preferences --------------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse, include_in_schema=False)
def settings_page(request: Request, app: AppDep) -> Response:
    return _settings_page(request, app)


@router.post("/settings", response_class=HTMLResponse, include_in_schema=False)
async def settings_submit(request: Request, app: AppDep) -> Response:
    """Validate through :class:`~vagus.app.models.SettingsIn` and store through the app."""
    lang = choose_lang(request)
    form = await request.form()
    typed = {key: form_text(form, key) for key in (*PACER_KEYS, "sensor", "lang")}
    errors: dict[str, str] = {}
    try:
        body = SettingsIn.model_validate(
            {
                "lang": typed["lang"],
                "pacer": {key: typed[key].replace(",", ".") for key in PACER_KEYS},
                "sensor": typed["sensor"] or None,  # left empty: keep the sensor
            }
        )
    except ValidationError as error:
        for name, message in field_errors(error).items():
            if name in PACER_KEYS:
                errors[name] = tr("settings.bad_seconds", lang)
            elif name == "lang":
                errors["lang"] = tr("settings.bad_lang", lang)
            else:
                errors[name] = message
        return _settings_page(request, app, errors=errors, values=typed, status=400)
    try:
        pacer = None if body.pacer is None else body.pacer.model_dump()
        # Off the event loop: a write may wait for another's long import.
        await asyncio.to_thread(
            functools.partial(app.prefs.set, lang=body.lang, pacer=pacer, sensor=body.sensor)
        )
    except BusyError:
        raise  # the server's state, not the form's fault: 503 with Retry-After
    except UserError as error:
        if error.field == "sensor":
            errors["sensor"] = error_html(error, lang)
        else:
            field = next((k for k in PACER_KEYS if k in str(error)), "inhale_s")
            errors[field] = error_html(error, lang)
        return _settings_page(request, app, errors=errors, values=typed, status=400)
    return _settings_page(request, app, message=tr("settings.saved", choose_lang(request)))


@router.get("/api/settings", response_model=PrefsOut)
def get_settings(app: AppDep) -> dict[str, Any]:
    """Language, breathing pacer defaults and the server's sensor."""
    return prefs_json(app)


@router.put("/api/settings", response_model=PrefsOut)
def put_settings(body: SettingsIn, app: AppDep) -> dict[str, Any]:
    """Change the language, pacer defaults and/or sensor (400 naming a bad field)."""
    pacer = None if body.pacer is None else body.pacer.model_dump()
    app.prefs.set(lang=body.lang, pacer=pacer, sensor=body.sensor)
    return prefs_json(app)


# --- export and import --------------------------------------------------------------------------


@router.get("/api/export")
def get_export(app: AppDep) -> JSONResponse:
    """Everything in the journal (docs/export-schema.md), as a download."""
    return JSONResponse(
        app.transfer.export_data(),
        headers={"Content-Disposition": 'attachment; filename="vagus-export.json"'},
    )


@router.post("/settings/import", response_class=HTMLResponse, include_in_schema=False)
async def settings_import(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _settings_page(request, app, errors={"file": tr("upload.no_file", lang)}, status=400)
    raw = await upload.read()
    try:
        # Parsing and storing a large export take seconds: in a worker thread, so the server
        # keeps answering meanwhile (the journal writes it in batches).
        counts = await asyncio.to_thread(lambda: app.transfer.import_data(parse_json_upload(raw)))
    except BusyError:
        raise  # the server's state, not the form's fault: 503 with Retry-After
    except UserError as error:
        return _settings_page(request, app, errors={"file": error_html(error, lang)}, status=400)
    message = tr("settings.imported", lang, count=count_imported(counts))
    return _settings_page(request, app, message=message)


@router.post("/api/import", response_model=ImportOut)
def post_import(app: AppDep, data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Load an export into an empty journal (refused whole if anything is wrong)."""
    counts = app.transfer.import_data(data)
    return {"imported": count_imported(counts), "counts": counts}


# --- delete everything --------------------------------------------------------------------------


@router.post("/settings/delete-all", response_class=HTMLResponse, include_in_schema=False)
async def settings_delete(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    try:
        check_delete_word(DeleteIn(confirm=form_text(form, "confirm")).confirm)
    except UserError:
        wrong = tr("settings.delete_wrong", lang, word=DELETE_WORDS[lang])
        return _settings_page(request, app, errors={"confirm": wrong}, status=400)
    # Off the event loop: deleting waits for the journal's writer and checkpoints the file.
    done = await asyncio.to_thread(app.transfer.forget)
    key = "cli.forget_done" if done else "cli.forget_done_pending"
    return _settings_page(request, app, message=tr(key, lang))


@router.post("/api/delete-all", response_model=DeletedOut)
def post_delete_all(body: DeleteIn, app: AppDep) -> dict[str, Any]:
    """Delete everything; ``confirm`` must be DELETE (or SLETT)."""
    check_delete_word(body.confirm)
    return {"deleted": True, "files_clean": app.transfer.forget()}
