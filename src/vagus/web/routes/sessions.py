"""Sessions run by the browser player: start, steps, ratings, warning signs, finish.

JSON only (``/api/sessions...``): the player lives on the exercise page
(:mod:`vagus.web.routes.exercises`), which shows the dose and pace a start here will use.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from vagus.app import PACER_KEYS, App, SessionRun
from vagus.app.models import (
    FeedbackOut,
    FinishIn,
    FinishOut,
    RatingIn,
    RatingOut,
    SessionIn,
    SessionStartOut,
    StepIn,
    StepSavedOut,
    SymptomsIn,
)
from vagus.program import Lang
from vagus.web._deps import AppDep, LangDep, csrf_protect
from vagus.web._present import step_json

router = APIRouter(dependencies=[Depends(csrf_protect)])


def session_json(run: SessionRun, app: App, lang: Lang, params: dict[str, Any]) -> dict[str, Any]:
    """A started session for the browser player: id, params, steps (seconds, cue text, pacer
    pattern), total seconds and the pace its breathing uses (and where it comes from)."""
    steps = [step_json(step, lang) for step in run.steps]
    pace = app.sessions.pace()
    source = "chosen" if set(PACER_KEYS) & set(params) else pace.source
    pattern = {k: float(run.params.get(k, pace.pattern.get(k, 0.0))) for k in PACER_KEYS}
    return {
        "id": run.session_id,
        "exercise_id": run.exercise_id,
        "params": run.params,
        "steps": steps,
        "total_s": sum(s["duration_s"] or 0.0 for s in steps),
        "pace": pattern | {"source": source},
    }


@router.post("/api/sessions", status_code=201, response_model=SessionStartOut)
def post_session(body: SessionIn, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """Open a session at today's dose (unless ``params`` change it): its id, steps and pace.

    409 with ``code`` (``excluded`` or ``needs-clearance``) and the ``reason`` in the page's
    language when the screening or plan does not allow the exercise; ``confirm_cleared``
    confirms the clinician's clearance.
    """
    run = app.sessions.start(
        body.exercise_id, dict(body.params), confirm_cleared=body.confirm_cleared
    )
    return session_json(run, app, lang, dict(body.params))


@router.get("/api/sessions/{session_id}")
def read_session(session_id: int, app: AppDep) -> dict[str, Any]:
    """A session with its recorded steps, ratings and feedback."""
    return app.sessions.get(session_id)


@router.post("/api/sessions/{session_id}/steps", status_code=201, response_model=StepSavedOut)
def post_step(session_id: int, body: StepIn, app: AppDep) -> dict[str, Any]:
    """Record one step the moment it ends (a crash loses at most the running step)."""
    row = app.sessions.record_step(
        session_id,
        body.step_id,
        body.kind,
        body.started_at,
        body.ended_at,
        body.active_s,
        body.outcome,
    )
    return {"id": row, "session_id": session_id, "step_id": body.step_id}


@router.post("/api/sessions/{session_id}/finish", response_model=FinishOut)
def post_finish(session_id: int, body: FinishIn, app: AppDep) -> dict[str, str | None]:
    """Close the session. The server decides the status: ``completed`` only when every timed
    main step was completed, else ``stopped`` (``interrupted`` when asked); ``null`` when the
    session had no step yet and was removed (cancelled before it began)."""
    return {"status": app.sessions.finish(session_id, body.status)}


@router.post("/api/sessions/{session_id}/ratings", status_code=201, response_model=RatingOut)
def post_rating(session_id: int, body: RatingIn, app: AppDep) -> dict[str, Any]:
    """A calm rating (0-10) before or after the session; one of each."""
    row = app.sessions.rate(session_id, body.moment, body.calm)
    return {"id": row, "session_id": session_id, "moment": body.moment, "calm": body.calm}


@router.post("/api/sessions/{session_id}/symptoms", status_code=201, response_model=FeedbackOut)
def post_symptoms(session_id: int, body: SymptomsIn, app: AppDep, lang: LangDep) -> FeedbackOut:
    """Warning signs during or after a session: stored with it, the advice returned at once
    (in the request's language), a red flag kept for Today, a running session stopped."""
    return app.sessions.report_symptoms(session_id, body.symptoms, body.note, lang)
