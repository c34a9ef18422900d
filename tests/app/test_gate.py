"""Screening and plan decide whether an exercise may start, and at which dose: one gate, in the
app, for the CLI and the web alike (issue 10)."""

from __future__ import annotations

import pytest
from app_helpers import all_no

from vagus.app import App, NotFoundError, RefusedError


def test_unknown_exercise_is_not_found(app: App) -> None:
    with pytest.raises(NotFoundError) as caught:
        app.plan.gate("jogging")
    assert caught.value.field == "exercise_id"


def test_nothing_starts_before_the_health_questions(app: App) -> None:
    with pytest.raises(RefusedError) as caught:
        app.sessions.start("breathing")
    assert caught.value.code == "excluded"
    assert "screening" in caught.value.reason["en"]
    assert caught.value.reason["nb"] != caught.value.reason["en"]
    assert app.transfer.history(["session"]) == []


def test_cold_urticaria_excludes_cold_water_with_its_reason(app: App) -> None:
    app.screening.save(all_no(cold_urticaria=True))
    with pytest.raises(RefusedError) as caught:
        app.sessions.start("cold-water")
    assert caught.value.code == "excluded"
    assert caught.value.reason["en"].startswith("not in the plan")
    assert app.transfer.history(["session"]) == []


def test_clearance_first_then_confirmed(app: App) -> None:
    app.screening.save(all_no(whiplash=True))
    with pytest.raises(RefusedError) as caught:
        app.sessions.start("neck")
    assert caught.value.code == "needs-clearance"
    assert "clinician" in caught.value.reason["en"]
    run = app.sessions.start("neck", confirm_cleared=True)
    assert run.gate.status == "cleared"
    latest = app.screening.latest()
    assert latest is not None
    assert latest.exercises["neck"].allowed


def test_plan_dose_is_the_default(app: App) -> None:
    app.screening.save(all_no())
    plan = app.plan.today()
    dose = plan.dose("breathing")
    assert dose is not None
    run = app.sessions.start("breathing")
    assert run.params["minutes"] == dose
    breathe = next(s for s in run.steps if s.id == "breathe")
    assert breathe.duration_s == pytest.approx(dose * 60)


def test_the_person_may_change_the_dose(app: App) -> None:
    app.screening.save(all_no())
    run = app.sessions.start("breathing", {"minutes": 5})
    assert run.params["minutes"] == 5


def test_left_out_by_override_is_refused(app: App) -> None:
    app.screening.save(all_no())
    app.plan.set_override("humming", {"excluded": True})
    with pytest.raises(RefusedError) as caught:
        app.sessions.start("humming")
    assert "left out" in caught.value.reason["en"]
