"""The HTML pages, rendered on the server with Jinja2; each has a JSON twin in :mod:`api`.

Forms are validated here, on the server: a bad value gets a message next to its field, the
page comes back with status 400 and what the person typed, and nothing is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from vagus.app import PACER_KEYS, App, check_sensor
from vagus.hrv import power_spectrum
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    QUESTIONNAIRES,
    Lang,
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
    WebError,
    analyze_upload,
    count_imported,
    describe_entry,
    exercise_json,
    get_prefs,
    measurement_json,
    plan_json,
    report_json,
    screening_json,
    set_prefs,
    today_json,
    trends_json,
    user_errors,
)
from vagus.web._svg import TrendSeries, poincare_svg, spectrum_svg, tachogram_svg, trend_svg
from vagus.web.api import parse_json_upload

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
AppDep = Annotated[App, Depends(get_app)]
#: How many history entries the page lists.
HISTORY_PAGE_LIMIT = 100
#: The spectrum is drawn from one minute of beats (the HF band's minimum in the registry) and
#: at least this many beats.
MIN_SPECTRUM_MS = 60_000.0
MIN_SPECTRUM_BEATS = 30


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    return render(request, "today.html", {"today": today_json(app, lang)})


@router.get("/exercises/{exercise_id}", response_class=HTMLResponse)
def exercise_page(request: Request, exercise_id: str, app: AppDep) -> Response:
    lang = choose_lang(request)
    ex = exercise_json(exercise_id, lang)
    # Today's dose from the plan, when the exercise is in it: the player starts with it.
    plan = plan_json(app.today_plan(), lang)
    planned = next((i for i in plan["items"] if i["exercise_id"] == exercise_id), None)
    return render(request, "exercise.html", {"ex": ex, "planned": planned})


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


def _points(series: list[dict[str, Any]]) -> list[tuple[datetime, float | None]]:
    return [(datetime.fromisoformat(p["at"]).astimezone(), p["value"]) for p in series]


def history_charts(app: App, lang: Lang) -> list[dict[str, str]]:
    """The history page's charts (ln RMSSD, resting heart rate, symptoms), each as
    ``{"svg", "caption"}``; a chart with no data is left out."""
    trends = trends_json(app)
    charts = []
    for key, name, unit in (
        ("ln_rmssd", "trend_ln_rmssd", "ln ms"),
        ("resting_hr", "trend_hr", "bpm"),
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
    questionnaire = QUESTIONNAIRES.get(name)
    if questionnaire is None:
        raise WebError(
            404, f"name: expected one of {', '.join(QUESTIONNAIRES)}, got {name!r}", "name"
        )
    q = {
        "id": questionnaire.id,
        "name": questionnaire.name.get(lang),
        "prompts": questionnaire.prompts(lang),
        "max_score": questionnaire.max_score,
        "reference": questionnaire.reference,
    }
    context = {"q": q, "answers": answers, "errors": errors, "result": result}
    return render(request, "questionnaire.html", context, status=status)


@router.get("/questionnaires", response_class=HTMLResponse)
def questionnaires_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    done = app.history(["questionnaire"])
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


@router.get("/questionnaires/{name}", response_class=HTMLResponse)
def questionnaire_form(request: Request, name: str) -> Response:
    return _questionnaire_page(request, name, {}, {}, None)


@router.post("/questionnaires/{name}", response_class=HTMLResponse)
async def questionnaire_submit(request: Request, name: str, app: AppDep) -> Response:
    lang = choose_lang(request)
    questionnaire = QUESTIONNAIRES.get(name)
    if questionnaire is None:
        return _questionnaire_page(request, name, {}, {}, None)  # raises the 404
    form = await request.form()
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    values: list[int] = []
    for prompt in questionnaire.prompts(lang):
        key = f"a-{prompt.number}"
        raw = _text(form, key)
        answers[key] = raw
        if raw.isdigit() and int(raw) < len(prompt.options):
            values.append(int(raw))
        else:
            errors[key] = tr("questionnaire.missing", lang)
    if errors:
        return _questionnaire_page(request, name, answers, errors, None, status=400)
    with user_errors():
        result = app.questionnaire(name, values)
    shown = {
        "score": result.score,
        "severity_text": result.severity_text(lang),
        "advice": result.advice(lang),
    }
    return _questionnaire_page(request, name, answers, {}, shown)


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    with user_errors():  # the journal names an unknown type
        entries = app.history(
            request.query_params.getlist("type") or None, limit=HISTORY_PAGE_LIMIT
        )
    rows = [describe_entry(entry, lang) for entry in entries]
    return render(request, "history.html", {"rows": rows, "charts": history_charts(app, lang)})


def measurement_charts(
    nn_ms: list[float], indices: dict[str, Any], lang: Lang
) -> list[dict[str, str]]:
    """The measurement page's figures: tachogram, Poincaré plot and (from one minute of
    beats, the shortest the HF band is computed from) the Welch spectrum."""

    def numbers(key: str, **names: str) -> str:
        # The chart's own numbers in its description, for a screen reader (WCAG 1.1.1): each
        # named index that was computed, with its unit.
        shown = {
            field: f"{indices[name]:.3g}" if abs(indices[name]) < 10 else f"{indices[name]:.0f}"
            for field, name in names.items()
            if indices.get(name) is not None
        }
        return " " + tr(key, lang, **shown) if len(shown) == len(names) else ""

    charts = [
        {
            "svg": tachogram_svg(
                nn_ms,
                tr("measurement.tachogram", lang),
                tr("measurement.tachogram_desc", lang)
                + numbers("measurement.tachogram_numbers", mean="mean_nn", sdnn="sdnn"),
                chart_id="tachogram",
            ),
            "caption": tr("measurement.tachogram", lang),
        },
        {
            "svg": poincare_svg(
                nn_ms,
                tr("measurement.poincare", lang),
                tr("measurement.poincare_desc", lang)
                + numbers("measurement.poincare_numbers", sd1="sd1", sd2="sd2"),
                chart_id="poincare",
                sd1_ms=indices.get("sd1"),
                sd2_ms=indices.get("sd2"),
            ),
            "caption": tr("measurement.poincare", lang),
        },
    ]
    if len(nn_ms) >= MIN_SPECTRUM_BEATS and sum(nn_ms) >= MIN_SPECTRUM_MS:
        freqs, psd = power_spectrum(np.asarray(nn_ms, dtype=np.float64))
        charts.append(
            {
                "svg": spectrum_svg(
                    freqs,
                    psd,
                    tr("measurement.spectrum", lang),
                    tr("measurement.spectrum_desc", lang)
                    + numbers("measurement.spectrum_numbers", lf="lf", hf="hf", peak="lf_peak"),
                    chart_id="spectrum",
                ),
                "caption": tr("measurement.spectrum", lang),
            }
        )
    return charts


@router.get("/measurements/{recording_id}", response_class=HTMLResponse)
def measurement_page(request: Request, recording_id: int, app: AppDep) -> Response:
    lang = choose_lang(request)
    data = measurement_json(app, recording_id, lang)
    analysis = data.get("analysis")
    indices = analysis.get("indices", {}) if isinstance(analysis, dict) else {}
    nn = data["nn_ms"] if data.get("nn_ms") is not None else data["rr_ms"]
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.title", lang, id=recording_id),
            "analysis": analysis,
            "table": data["table"],
            "charts": measurement_charts(nn, indices, lang),
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
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.upload_title", lang, name=upload.filename),
            "analysis": out,
            "table": out["table"],
            "charts": measurement_charts(out["nn_ms"], out["indices"], lang),
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
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    return render(
        request,
        "settings.html",
        {
            "prefs": get_prefs(app),
            "values": values or {},
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
    sensor: str | None = _text(form, "sensor") or None  # left empty: keep the sensor
    if sensor is not None:
        try:
            sensor = check_sensor(sensor)
        except ValueError as error:
            errors["sensor"] = str(error)
    if not errors:
        try:
            with user_errors():
                set_prefs(app, lang="nb" if chosen == "nb" else "en", pacer=pacer, sensor=sensor)
        except WebError as error:
            field = next((k for k in PACER_KEYS if k in error.message), "inhale_s")
            errors[field] = error.message
    if errors:
        typed = {key: _text(form, key) for key in (*PACER_KEYS, "sensor")}
        return _settings_page(request, app, errors=errors, values=typed, status=400)
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
