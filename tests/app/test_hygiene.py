"""The journal holds what happened, nothing that misleads (issue 10): honest session statuses,
no row for a session cancelled before it began, measurements the person started and long enough
to mean something, rests linked to their session, "morning" only for a standalone morning
measurement."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fake_clock import FakeNow
from vagus.app import (
    MIN_MEASUREMENT_S,
    App,
    AppError,
    Beat,
    LiveRecording,
    PushFeed,
    RecordingKind,
)
from vagus.hrv import HrvReport


def _step(app: App, session_id: int, step_id: str, kind: str, outcome: str, at: datetime) -> None:
    app.sessions.record_step(session_id, step_id, kind, at, at + timedelta(seconds=5), 5.0, outcome)


def test_cancel_before_the_first_step_leaves_no_row(screened: App) -> None:
    run = screened.sessions.start("breathing")
    run.rate("before", 5)
    assert screened.sessions.finish(run.session_id, "aborted") is None
    assert screened.transfer.history(["session"]) == []


def test_completed_means_the_main_step_was_done(screened: App, clock: FakeNow) -> None:
    run = screened.sessions.start("breathing")
    _step(screened, run.session_id, "prepare", "prepare", "completed", clock())
    _step(screened, run.session_id, "breathe", "do", "completed", clock())
    assert screened.sessions.finish(run.session_id, "completed") == "completed"


def test_main_step_skipped_is_stopped_whatever_the_face_says(screened: App, clock: FakeNow) -> None:
    run = screened.sessions.start("breathing")
    _step(screened, run.session_id, "prepare", "prepare", "completed", clock())
    _step(screened, run.session_id, "breathe", "do", "skipped", clock())
    _step(screened, run.session_id, "finish", "finish", "completed", clock())
    assert screened.sessions.finish(run.session_id, "completed") == "stopped"
    assert screened.sessions.get(run.session_id)["status"] == "stopped"


def test_a_lost_face_marks_the_session_interrupted(screened: App, clock: FakeNow) -> None:
    run = screened.sessions.start("breathing")
    _step(screened, run.session_id, "prepare", "prepare", "completed", clock())
    assert screened.sessions.finish(run.session_id, "interrupted") == "interrupted"
    # Finishing again changes nothing.
    assert screened.sessions.finish(run.session_id, "completed") == "interrupted"


def test_steps_are_refused_once_the_session_ended(screened: App, clock: FakeNow) -> None:
    run = screened.sessions.start("breathing")
    _step(screened, run.session_id, "prepare", "prepare", "completed", clock())
    screened.sessions.finish(run.session_id, "stopped")
    with pytest.raises(AppError):
        _step(screened, run.session_id, "breathe", "do", "completed", clock())


def _feed() -> PushFeed:
    return PushFeed("test strap")


def _record(
    app: App,
    feed: PushFeed,
    seconds: float,
    kind: RecordingKind = "measurement",
    session_id: int | None = None,
) -> tuple[LiveRecording, HrvReport | None]:
    recording = app.live.open_recording(feed, kind=kind, session_id=session_id)
    n = int(seconds)
    feed.push([Beat(rr_ms=1000.0, t_s=float(i + 1)) for i in range(n)])
    recording.pump()
    report = recording.finish()
    return recording, report


def test_a_short_measurement_is_discarded(app: App) -> None:
    recording, report = _record(app, _feed(), MIN_MEASUREMENT_S - 5)
    assert report is None
    assert recording.discarded
    assert app.transfer.history(["measurement"]) == []


def test_a_minute_is_kept(app: App) -> None:
    recording, report = _record(app, _feed(), MIN_MEASUREMENT_S + 1)
    assert report is not None
    assert not recording.discarded
    assert len(app.transfer.history(["measurement"])) == 1


@pytest.mark.parametrize(
    ("local_hour", "morning"), [(6, True), (9, True), (10, False), (15, False)]
)
def test_morning_is_a_standalone_measurement_before_ten(
    app: App, clock: FakeNow, local_hour: int, morning: bool
) -> None:
    # Set the wall clock so that the *local* hour (whatever the machine's zone) is local_hour.
    local = clock().astimezone()
    clock.at = (local.replace(hour=local_hour, minute=5)).astimezone(clock.at.tzinfo)
    assert app.local_now().hour == local_hour
    _record(app, _feed(), 90)
    (entry,) = app.transfer.history(["measurement"])
    assert ("morning" in entry["tags"]) is morning


def test_session_rests_are_linked_and_never_morning(screened: App, clock: FakeNow) -> None:
    local = clock().astimezone()
    clock.at = local.replace(hour=7).astimezone(clock.at.tzinfo)
    run = screened.sessions.start("breathing")
    for kind in ("rest-before", "session", "rest-after"):
        _record(screened, _feed(), 30, kind=kind, session_id=run.session_id)
    entries = screened.transfer.history(["measurement"])
    assert len(entries) == 3  # rests are kept even when short: they belong to the session
    for entry in entries:
        assert "morning" not in entry["tags"]
        assert entry.get("session_id") == run.session_id
    assert {e["tags"][0] for e in entries} == {"rest-before", "session", "rest-after"}


def test_a_rest_needs_its_session(app: App) -> None:
    with pytest.raises(AppError):
        app.live.open_recording(PushFeed("x"), kind="rest-before")
