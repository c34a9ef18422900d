"""The JSON API under ``/api``: the twin of every page, documented by FastAPI's OpenAPI.

Every error is a 4xx with ``{"error": "<field>: <what was expected>", "field": "<field>"}`` and
changes nothing. Every unsafe request needs the header ``X-Vagus-CSRF`` with the token of the
``vagus_csrf`` cookie (any GET sets the cookie): see :mod:`vagus.web._csrf`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vagus.app import App
from vagus.program import (
    EXERCISE_IDS,
    QUESTIONNAIRES,
    Lang,
    load_catalog,
    questions,
    red_flags,
)
from vagus.web._deps import choose_lang, csrf_protect, get_app
from vagus.web._i18n import tr
from vagus.web._services import (
    DELETE_WORDS,
    WebError,
    analyze_upload,
    count_imported,
    exercise_json,
    finish_session,
    get_prefs,
    get_session,
    jsonable,
    measurement_json,
    plan_json,
    rate_session,
    record_step,
    report_json,
    screening_json,
    set_prefs,
    start_session,
    today_json,
    trends_json,
    user_errors,
)

router = APIRouter(prefix="/api", dependencies=[Depends(csrf_protect)])

T = TypeVar("T")

AppDep = Annotated[App, Depends(get_app)]


def _api_lang(
    request: Request,
    lang: Annotated[Lang | None, Query(description="Language of the texts: nb or en.")] = None,
) -> Lang:
    """``?lang=`` when given, else the page language (cookie, preference, system)."""
    return lang if lang is not None else choose_lang(request)


LangDep = Annotated[Lang, Depends(_api_lang)]
#: A 0-10 rating, whole numbers only (``true`` or ``"5"`` are refused, not coerced).
Rating = Annotated[int, Field(strict=True, ge=0, le=10)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningIn(_Body):
    """Yes/no answers to every screening question, by question id."""

    answers: dict[str, bool]
    cleared: list[str] = Field(
        default_factory=list, description="Exercise ids the clinician has cleared."
    )


class CheckinIn(_Body):
    """A daily check-in: 0 is no trouble and 10 the worst (sleep: 10 is very good)."""

    sleep: Rating
    headache: Rating
    digestion: Rating
    anxiety: Rating
    pain: Rating
    fatigue: Rating
    note: str = Field("", max_length=2000)


class QuestionnaireIn(_Body):
    """The answers, one per item, as the option numbers the questionnaire uses."""

    answers: list[Annotated[int, Field(strict=True)]]


class SessionIn(_Body):
    """Start a session of one exercise with optional parameters (see the exercise's params)."""

    exercise_id: str
    params: dict[str, float | int | str] = Field(default_factory=dict)


class StepIn(_Body):
    """One step that ended in the browser player (times with their UTC offset)."""

    step_id: str
    kind: str
    started_at: AwareDatetime
    ended_at: AwareDatetime
    active_s: float = Field(ge=0, description="Seconds actually spent, pauses excluded.")
    outcome: Literal["completed", "skipped", "aborted"]


class FinishIn(_Body):
    """How the session ended."""

    status: Literal["completed", "stopped", "aborted"]


class RatingIn(_Body):
    """How calm the person felt, 0-10, before or after."""

    moment: Literal["before", "after"]
    calm: Rating


class PacerIn(_Body):
    """Breathing pacer defaults in seconds (3-12 breaths a minute)."""

    inhale_s: float
    exhale_s: float
    hold_in_s: float = 0.0
    hold_out_s: float = 0.0


class SettingsIn(_Body):
    """Preferences to change; a field left out is kept."""

    lang: Lang | None = None
    pacer: PacerIn | None = None
    sensor: str | None = Field(
        None, description="The server's sensor: replay, simulated, ble or ble:ADDRESS."
    )


class DeleteIn(_Body):
    """The confirmation word: DELETE (or SLETT)."""

    confirm: str


# --- program ----------------------------------------------------------------------------------


@router.get("/today")
def get_today(app: AppDep, lang: LangDep) -> dict[str, Any]:
    """The today page's data: plan, check-in done today, last measurement."""
    return today_json(app, lang)


@router.get("/exercises")
def list_exercises(lang: LangDep) -> list[dict[str, Any]]:
    """The seven exercises with their texts and parameters."""
    return [exercise_json(ex, lang) for ex in EXERCISE_IDS]


@router.get("/exercises/{exercise_id}")
def get_exercise(exercise_id: str, lang: LangDep) -> dict[str, Any]:
    """One exercise (404 for an unknown id)."""
    return exercise_json(exercise_id, lang)


@router.get("/plan")
def get_plan(app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Today's plan, each item with its one-line reason."""
    return plan_json(app.today_plan(), lang)


@router.get("/screening/questions")
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


@router.get("/screening")
def get_screening(app: AppDep, lang: LangDep) -> dict[str, Any] | None:
    """The latest screening result, or null before the first."""
    result = app.screening()
    return None if result is None else screening_json(result, lang)


@router.post("/screening")
def post_screening(body: ScreeningIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Save the answers; returns how each exercise fits (400 naming a missing answer)."""
    with user_errors():
        result = app.save_screening(body.answers, body.cleared)
    app.mark_first_run_done()
    return screening_json(result, lang)


#: How long a check-in waits on the event loop for another writer of the journal (another
#: process, or a thread of this one) before it waits in a worker thread instead, in seconds.
WRITE_WAIT_ON_LOOP_S: Final = 0.5
#: Pauses between two looks at the writer lock while waiting on the loop, in seconds: short
#: at first (a commit takes under a millisecond), doubling up to the last.
WRITE_POLL_FIRST_S: Final = 0.0002
WRITE_POLL_MAX_S: Final = 0.002


async def _write_on_loop(app: App, write: Callable[[], T]) -> T:
    """Run a short journal write on the event loop once no other writer holds the journal.

    Why not a worker thread: a sync route costs FastAPI three thread-pool hops (the sync
    dependency, the route and the response's validation), and a write in a worker thread
    holds the journal's writer lock while it waits for the GIL, so the next writers queue
    behind the event loop's work. With 16 concurrent check-ins on the 2-core test machine:
    375-425 check-ins/s at 2.2-2.4 ms of server CPU each from a worker thread, 585-635/s at
    1.3-1.4 ms here (benchmarks/web_load.py --runs writes). The write is one INSERT and one
    commit, whose fsync keeps it durable (synchronous=FULL; 0.3 ms median, under 1 ms at p99 on
    that machine's disk), so the loop is held for about a millisecond.

    While another thread or process writes, this waits without blocking the loop
    (asyncio.sleep), then, past WRITE_WAIT_ON_LOOP_S, in a worker thread, which waits as long
    as any journal write does (SQLite's busy timeout). PostgreSQL's writes always go to a
    worker thread: they wait for the network.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WRITE_WAIT_ON_LOOP_S
    pause = WRITE_POLL_FIRST_S
    while loop.time() < deadline:
        with app.journal.writer_if_free() as free:
            if free:
                return write()
        if not app.journal.is_sqlite:
            break
        await asyncio.sleep(pause)
        pause = min(2 * pause, WRITE_POLL_MAX_S)
    return await run_in_threadpool(write)


@router.post("/checkins", status_code=201)
async def post_checkin(body: CheckinIn, request: Request) -> dict[str, Any]:
    """Store today's check-in (each rating 0-10)."""
    app = get_app(request)
    values = body.model_dump(exclude={"note"})
    with user_errors():
        row = await _write_on_loop(app, lambda: app.checkin(values, body.note))
    return {"id": row} | body.model_dump()


@router.get("/checkins")
def get_checkins(
    app: AppDep, limit: Annotated[int | None, Query(ge=1, le=10000)] = None
) -> list[Any]:
    """Check-ins, newest first."""
    return app.history(["checkin"], limit=limit)


@router.get("/questionnaires")
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


@router.post("/questionnaires/{name}", status_code=201)
def post_questionnaire(
    name: str, body: QuestionnaireIn, app: AppDep, lang: LangDep
) -> dict[str, Any]:
    """Score the answers as published and store them (404 for an unknown questionnaire)."""
    if name not in QUESTIONNAIRES:
        raise WebError(
            404, f"name: expected one of {', '.join(QUESTIONNAIRES)}, got {name!r}", "name"
        )
    with user_errors():
        result = app.questionnaire(name, body.answers)
    return result.to_dict() | {
        "severity_text": result.severity_text(lang),
        "advice": result.advice(lang),
    }


# --- journal ----------------------------------------------------------------------------------


@router.get("/history")
async def get_history(
    request: Request,
    type: Annotated[list[str] | None, Query(description="Entry types; all when omitted.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10000)] = None,
) -> list[Any]:
    """Everything, newest first: sessions, check-ins, measurements, questionnaires..."""
    # Async, and read on the event loop: a WAL reader never waits for a writer
    # (https://www.sqlite.org/wal.html), and history(limit=50) takes about a millisecond,
    # less than the thread-pool hops a sync route costs (see _write_on_loop).
    with user_errors():  # the journal names an unknown type
        return get_app(request).history(type or None, limit=limit)


@router.get("/history/trends")
def get_trends(app: AppDep) -> dict[str, Any]:
    """The History page's charts as data, oldest first: ``ln_rmssd`` and ``resting_hr`` (one
    point per resting measurement: ``{at, value, id}``; ln ms and beats/min) and ``symptoms``
    (each check-in rating, 0-10, by field: ``{at, value}``)."""
    return trends_json(app)


@router.get("/measurements/{recording_id}")
def get_measurement(recording_id: int, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """One measurement: the stored analysis, its RR intervals and the index table."""
    return measurement_json(app, recording_id, lang)


@router.post("/upload")
async def post_upload(
    app: AppDep, file: Annotated[UploadFile, File()], lang: LangDep
) -> dict[str, Any]:
    """Analyse a recording of any supported format (not stored); 400 with the reader's message."""
    data = await file.read()
    report = analyze_upload(app, file.filename or "upload.txt", data)
    return {"filename": file.filename} | report_json(report, lang)


# --- sessions recorded by the browser player ------------------------------------------------


@router.post("/sessions", status_code=201)
def post_session(body: SessionIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Open a session: its id and its steps (seconds, cue text, pacer pattern)."""
    return start_session(app, body.exercise_id, body.params, lang)


@router.get("/sessions/{session_id}")
def read_session(session_id: int, app: AppDep) -> dict[str, Any]:
    """A session with its recorded steps, ratings and feedback."""
    return get_session(app, session_id)


@router.post("/sessions/{session_id}/steps", status_code=201)
def post_step(session_id: int, body: StepIn, app: AppDep) -> dict[str, Any]:
    """Record one step the moment it ends (a crash loses at most the running step)."""
    return record_step(app, session_id, body.model_dump())


@router.post("/sessions/{session_id}/finish")
def post_finish(session_id: int, body: FinishIn, app: AppDep) -> dict[str, Any]:
    """Close the session: completed, stopped early, or aborted."""
    return finish_session(app, session_id, body.status)


@router.post("/sessions/{session_id}/ratings", status_code=201)
def post_rating(session_id: int, body: RatingIn, app: AppDep) -> dict[str, Any]:
    """A calm rating (0-10) before or after the session; one of each."""
    return rate_session(app, session_id, body.moment, body.calm)


# --- learn and settings -----------------------------------------------------------------------


@router.get("/learn")
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


@router.get("/settings")
def get_settings(app: AppDep) -> dict[str, Any]:
    """Language, breathing pacer defaults and the server's sensor."""
    return get_prefs(app)


@router.put("/settings")
def put_settings(body: SettingsIn, app: AppDep) -> dict[str, Any]:
    """Change the language, pacer defaults and/or sensor (400 naming a bad field)."""
    pacer = None if body.pacer is None else body.pacer.model_dump()
    with user_errors():
        return set_prefs(app, lang=body.lang, pacer=pacer, sensor=body.sensor)


@router.get("/export")
def get_export(app: AppDep) -> JSONResponse:
    """Everything in the journal (docs/export-schema.md), as a download."""
    return JSONResponse(
        app.journal.export(),
        headers={"Content-Disposition": 'attachment; filename="vagus-export.json"'},
    )


@router.post("/import")
def post_import(app: AppDep, data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Load an export into an empty journal (refused whole if anything is wrong)."""
    with user_errors():
        counts = app.journal.import_(data)
    return {"imported": count_imported(counts), "counts": counts}


@router.post("/delete-all")
def post_delete_all(body: DeleteIn, app: AppDep) -> dict[str, Any]:
    """Delete everything; ``confirm`` must be DELETE (or SLETT)."""
    if body.confirm not in DELETE_WORDS.values():
        raise WebError(
            400,
            f"confirm: type {DELETE_WORDS['en']} (or {DELETE_WORDS['nb']}) to delete everything",
            "confirm",
        )
    app.forget()
    return {"deleted": True}


def parse_json_upload(data: bytes) -> Any:
    """An uploaded export's JSON (400 naming line and column when it is not JSON)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise WebError(400, "file: the export is not UTF-8 text", "file") from None
    except json.JSONDecodeError as error:
        raise WebError(
            400,
            f"file: not JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            "file",
        ) from None
