"""The HTML pages, rendered on the server with Jinja2; each has a JSON twin in :mod:`api`.

Forms are validated here, on the server: a bad value gets a message next to its field, the
page comes back with status 400 and what the person typed, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from vagus.app import App
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    load_catalog,
    param_specs,
    questions,
    red_flags,
)
from vagus.program.checkin import MAX_NOTE_CHARS, RATING_MAX, RATING_MIN
from vagus.web._deps import choose_lang, csrf_protect, get_app, render
from vagus.web._i18n import tr
from vagus.web._services import (
    DELETE_WORDS,
    PACER_KEYS,
    WebError,
    analyze_upload,
    count_imported,
    exercise_json,
    get_prefs,
    measurement_json,
    report_json,
    screening_json,
    set_prefs,
    today_json,
    user_errors,
)
from vagus.web._svg import tachogram_svg
from vagus.web.api import parse_json_upload

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
AppDep = Annotated[App, Depends(get_app)]
#: How many history entries the page lists.
HISTORY_PAGE_LIMIT = 100


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    return render(request, "today.html", {"today": today_json(app, lang)})


@router.get("/exercises/{exercise_id}", response_class=HTMLResponse)
def exercise_page(request: Request, exercise_id: str) -> Response:
    lang = choose_lang(request)
    return render(request, "exercise.html", {"ex": exercise_json(exercise_id, lang)})


def _checkin_page(
    request: Request, values: dict[str, str], errors: dict[str, str], *, status: int = 200
) -> Response:
    return render(
        request,
        "checkin.html",
        {
            "fields": CHECKIN_FIELDS,
            "values": values,
            "errors": errors,
            "saved": request.query_params.get("saved") == "1",
            "min": RATING_MIN,
            "max": RATING_MAX,
            "note_max": MAX_NOTE_CHARS,
        },
        status=status,
    )


@router.get("/checkin", response_class=HTMLResponse)
def checkin_form(request: Request) -> Response:
    return _checkin_page(request, {}, {})


@router.post("/checkin", response_class=HTMLResponse)
async def checkin_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    values = {name: _text(form, name) for name in (*CHECKIN_FIELDS, "note")}
    errors: dict[str, str] = {}
    ratings: dict[str, int] = {}
    for name in CHECKIN_FIELDS:
        raw = values[name]
        if not raw.isdigit() or not RATING_MIN <= int(raw) <= RATING_MAX:
            errors[name] = tr("checkin.bad_value", lang)
        else:
            ratings[name] = int(raw)
    if len(values["note"]) > MAX_NOTE_CHARS:
        errors["note"] = f"note: at most {MAX_NOTE_CHARS} characters"
    if not errors:
        try:
            with user_errors():
                app.checkin(ratings, values["note"])
        except WebError as error:
            errors[error.field or "note"] = error.message
    if errors:
        return _checkin_page(request, values, errors, status=400)
    return RedirectResponse("/checkin?saved=1", status_code=303)


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


@router.get("/screen", response_class=HTMLResponse)
def screen_form(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    record = app.journal.latest_screening()
    answers = {}
    if record is not None:
        stored = record.answers.get("answers", {})
        answers = {k: "yes" if v else "no" for k, v in stored.items()}
    current = app.screening()
    result = None if current is None else screening_json(current, lang)
    return _screen_page(request, answers, {}, result)


@router.post("/screen", response_class=HTMLResponse)
async def screen_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for q in questions(lang):
        value = _text(form, f"q-{q.id}")
        if value in ("yes", "no"):
            answers[q.id] = value
        else:
            errors[q.id] = tr("screen.missing", lang)
    if errors:
        return _screen_page(request, answers, errors, None, status=400)
    with user_errors():
        result = app.save_screening({k: v == "yes" for k, v in answers.items()})
    app.mark_first_run_done()
    return _screen_page(request, answers, {}, screening_json(result, lang))


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, app: AppDep) -> Response:
    with user_errors():  # the journal names an unknown type
        entries = app.history(
            request.query_params.getlist("type") or None, limit=HISTORY_PAGE_LIMIT
        )
    names = {
        ex: load_catalog().exercise(ex).text("name", choose_lang(request)) for ex in EXERCISE_IDS
    }
    return render(request, "history.html", {"entries": entries, "names": names})


@router.get("/measurements/{recording_id}", response_class=HTMLResponse)
def measurement_page(request: Request, recording_id: int, app: AppDep) -> Response:
    lang = choose_lang(request)
    data = measurement_json(app, recording_id, lang)
    svg = tachogram_svg(
        data["rr_ms"], tr("measurement.tachogram", lang), tr("measurement.tachogram_desc", lang)
    )
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.title", lang, id=recording_id),
            "analysis": data.get("analysis"),
            "table": data["table"],
            "svg": svg,
            "entry": data,
        },
    )


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request) -> Response:
    return render(request, "upload.html", {"error": None})


@router.post("/upload", response_class=HTMLResponse)
async def upload_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(request, "upload.html", {"error": tr("upload.no_file", lang)}, status=400)
    data = await upload.read()
    try:
        report = analyze_upload(app, upload.filename, data)
    except WebError as error:
        return render(request, "upload.html", {"error": error.message}, status=error.status)
    out = report_json(report, lang)
    svg = tachogram_svg(
        out["nn_ms"], tr("measurement.tachogram", lang), tr("measurement.tachogram_desc", lang)
    )
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.upload_title", lang, name=upload.filename),
            "analysis": out,
            "table": out["table"],
            "svg": svg,
            "entry": None,
        },
    )


@router.get("/learn", response_class=HTMLResponse)
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


def _settings_page(
    request: Request,
    app: App,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    return render(
        request,
        "settings.html",
        {
            "prefs": get_prefs(app),
            "pacer_keys": PACER_KEYS,
            "specs": {s.name: s for s in param_specs("breathing")},
            "errors": errors or {},
            "message": message,
            "delete_word": DELETE_WORDS[lang],
        },
        status=status,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, app: AppDep) -> Response:
    return _settings_page(request, app)


@router.post("/settings", response_class=HTMLResponse)
async def settings_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    pacer: dict[str, float] = {}
    errors: dict[str, str] = {}
    for key in PACER_KEYS:
        raw = _text(form, key).replace(",", ".")
        try:
            pacer[key] = float(raw)
        except ValueError:
            errors[key] = f"{key}: expected a number of seconds, got {raw!r}"
    chosen = _text(form, "lang")
    if chosen not in ("nb", "en"):
        errors["lang"] = f"lang: expected nb or en, got {chosen!r}"
    if not errors:
        try:
            with user_errors():
                set_prefs(app, lang="nb" if chosen == "nb" else "en", pacer=pacer)
        except WebError as error:
            field = next((k for k in PACER_KEYS if k in error.message), "inhale_s")
            errors[field] = error.message
    if errors:
        return _settings_page(request, app, errors=errors, status=400)
    response = _settings_page(request, app, message=tr("settings.saved", lang))
    return response


@router.post("/settings/import", response_class=HTMLResponse)
async def settings_import(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _settings_page(request, app, errors={"file": tr("upload.no_file", lang)}, status=400)
    try:
        data = parse_json_upload(await upload.read())
        with user_errors():
            counts = app.journal.import_(data)
    except WebError as error:
        return _settings_page(request, app, errors={"file": error.message}, status=400)
    message = tr("settings.imported", lang, count=count_imported(counts))
    return _settings_page(request, app, message=message)


@router.post("/settings/delete-all", response_class=HTMLResponse)
async def settings_delete(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    if _text(form, "confirm") not in DELETE_WORDS.values():
        wrong = tr("settings.delete_wrong", lang, word=DELETE_WORDS[lang])
        return _settings_page(request, app, errors={"confirm": wrong}, status=400)
    app.forget()
    return _settings_page(request, app, message=tr("cli.forget_done", lang))
