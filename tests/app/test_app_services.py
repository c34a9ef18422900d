"""The app's services that the CLI and the web share: preferences, and sessions driven step by
step from outside (the browser's player)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vagus.app import (
    PACER_KEYS,
    App,
    AppError,
    ConflictError,
    NotFoundError,
    build_app,
    check_sensor,
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"})
    yield built
    built.close()


def test_prefs_default_and_set(app: App) -> None:
    prefs = app.prefs()
    assert prefs["lang"] is None
    assert prefs["pacer_set"] is False
    assert prefs["sensor"] == app.settings.sensor == "replay"
    assert prefs["pacer"] == {"inhale_s": 4.0, "exhale_s": 8.0, "hold_in_s": 0.0, "hold_out_s": 0.0}
    changed = app.set_prefs(lang="nb", pacer={"inhale_s": 4, "exhale_s": 6}, sensor="simulated")
    assert changed["lang"] == "nb"
    assert changed["pacer"]["exhale_s"] == 6.0
    assert changed["pacer_set"] is True
    assert changed["sensor"] == "simulated"
    assert changed["sensor_set"] is True


def test_bad_prefs_store_nothing(app: App) -> None:
    app.set_prefs(sensor="simulated")
    before = app.prefs()
    # 2 s in and 1 s out is 20 breaths a minute, outside 3-12.
    with pytest.raises(ValueError, match="breath"):
        app.set_prefs(pacer={"inhale_s": 2, "exhale_s": 1}, lang="en")
    with pytest.raises(AppError, match="sensor"):
        app.set_prefs(sensor="replay:/etc/passwd", lang="en")
    assert app.prefs() == before


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("replay", True),
        ("simulated", True),
        ("ble", True),
        ("ble:AA:BB:CC:DD:EE:FF", True),
        ("ble:", False),
        ("replay:/etc/passwd", False),
        ("simulated:x", False),
        ("usb", False),
        ("ble:" + "A" * 65, False),
    ],
)
def test_check_sensor(spec: str, ok: bool) -> None:
    if ok:
        assert check_sensor(spec) == spec
    else:
        with pytest.raises(AppError) as caught:
            check_sensor(spec)
        assert caught.value.field == "sensor"


def test_breathing_uses_the_persons_pacer_in_the_cli_too(app: App) -> None:
    assert app.start_session("breathing").params == {}
    app.save_resonance({"best_bpm": 5.5})
    from_resonance = app.start_session("breathing").params
    # The pacer keeps phases in whole milliseconds, so the rate is 5.5/min to within 1e-4.
    rate = 60.0 / (from_resonance["inhale_s"] + from_resonance["exhale_s"])
    assert rate == pytest.approx(5.5, abs=1e-4)
    app.set_prefs(pacer={"inhale_s": 5, "exhale_s": 7})
    assert app.start_session("breathing").params == {
        "inhale_s": 5.0,
        "exhale_s": 7.0,
        "hold_in_s": 0.0,
        "hold_out_s": 0.0,
    }
    explicit = app.start_session("breathing", {"inhale_s": 3, "exhale_s": 6}).params
    assert explicit == {"inhale_s": 3, "exhale_s": 6}  # the person's choice for this session
    assert set(PACER_KEYS) >= set(explicit)


def test_steps_recorded_from_outside(app: App) -> None:
    run = app.start_session("humming")
    sid = run.session_id
    t0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
    first = run.steps[0]
    app.record_step(sid, first.id, first.kind, t0, t0 + timedelta(seconds=5), 5.0, "completed")
    with pytest.raises(ConflictError, match="already recorded"):
        app.record_step(sid, first.id, first.kind, t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="step_id"):
        app.record_step(sid, "juggle", "do", t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="kind"):
        app.record_step(sid, run.steps[1].id, "finish", t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="outcome"):
        app.record_step(sid, run.steps[1].id, run.steps[1].kind, t0, t0, 0.0, "exploded")
    with pytest.raises(NotFoundError):
        app.record_step(999, first.id, first.kind, t0, t0, 0.0, "completed")
    app.rate_session(sid, "after", 7)
    done = app.finish_session(sid, "stopped")
    assert done["status"] == "stopped"
    assert [s["step_id"] for s in done["steps"]] == [first.id]
    assert done["ratings"]["after"] == 7
    assert str(sid) not in (app.journal.get_setting("live_sessions", {}) or {})
    with pytest.raises(NotFoundError):
        app.finish_session(999, "stopped")
