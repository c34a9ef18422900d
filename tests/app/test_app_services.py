"""The app's services that the CLI and the web share: preferences and the language, the sensor
spec, the breathing pace, and sessions driven step by step from outside (the browser's player)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vagus.app import (
    PACER_KEYS,
    App,
    AppError,
    ConflictError,
    NotFoundError,
    SensorSpec,
    UserError,
)
from vagus.app.resonance import SETTING_RESONANCE


def test_prefs_default_and_set(app: App) -> None:
    prefs = app.prefs.get()
    assert prefs.lang is None
    assert prefs.pacer_set is False
    assert prefs.sensor == app.settings.sensor == "replay"
    assert prefs.pacer == {"inhale_s": 4.0, "exhale_s": 8.0, "hold_in_s": 0.0, "hold_out_s": 0.0}
    changed = app.prefs.set(lang="nb", pacer={"inhale_s": 4, "exhale_s": 6}, sensor="simulated")
    assert changed.lang == "nb"
    assert changed.pacer["exhale_s"] == 6.0
    assert changed.pacer_set is True
    assert changed.sensor == "simulated"
    assert changed.sensor_set is True


def test_pacer_defaults_come_from_the_settings(tmp_path: object) -> None:
    from vagus.app import build_app

    built = build_app(
        env={"VAGUS_HOME": f"{tmp_path}/h", "VAGUS_INHALE_S": "5", "VAGUS_EXHALE_S": "7"}
    )
    try:
        assert built.prefs.get().pacer["inhale_s"] == 5.0
        assert built.sessions.pace().pattern["exhale_s"] == 7.0
    finally:
        built.close()


def test_bad_prefs_store_nothing(app: App) -> None:
    app.prefs.set(sensor="simulated")
    before = app.prefs.get()
    # 2 s in and 1 s out is 20 breaths a minute, outside 3-12.
    with pytest.raises(UserError, match="breath"):
        app.prefs.set(pacer={"inhale_s": 2, "exhale_s": 1}, lang="en")
    with pytest.raises(AppError, match="sensor"):
        app.prefs.set(sensor="replay:/etc/passwd", lang="en")
    assert app.prefs.get() == before


def test_one_language_resolution(app: App) -> None:
    # explicit > saved preference > setting (VAGUS_LANG=en here) > system locale
    assert app.prefs.lang() == "en"
    app.prefs.set(lang="nb")
    assert app.prefs.lang() == "nb"
    assert app.prefs.lang("en") == "en"
    with pytest.raises(UserError) as caught:
        app.prefs.lang("de")
    assert caught.value.field == "lang"


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
def test_web_sensor_spec(spec: str, ok: bool) -> None:
    if ok:
        assert str(SensorSpec.parse_for_web(spec)) == spec
    else:
        with pytest.raises(AppError) as caught:
            SensorSpec.parse_for_web(spec)
        assert caught.value.field == "sensor"


def test_cli_sensor_spec_allows_a_file_replay() -> None:
    spec = SensorSpec.parse("replay:ride.fit")
    assert spec.kind == "replay"
    assert spec.argument == "ride.fit"
    assert spec.is_file_replay


def test_breathing_uses_the_persons_pace_on_both_faces(screened: App) -> None:
    app = screened
    assert app.sessions.pace().source == "default"
    app.journal.set_setting(SETTING_RESONANCE, {"best_bpm": 5.5})
    pace = app.sessions.pace()
    assert pace.source == "resonance"
    run = app.sessions.start("breathing")
    assert run.params["inhale_s"] == pace.pattern["inhale_s"]
    # The pacer keeps phases in whole milliseconds, so the rate is 5.5/min to within 1e-4.
    rate = 60.0 / (run.params["inhale_s"] + run.params["exhale_s"])
    assert rate == pytest.approx(5.5, abs=1e-4)
    app.prefs.set(pacer={"inhale_s": 5, "exhale_s": 7})
    assert app.sessions.pace().source == "chosen"
    params = app.sessions.start("breathing").params
    assert {k: params[k] for k in PACER_KEYS} == {
        "inhale_s": 5.0,
        "exhale_s": 7.0,
        "hold_in_s": 0.0,
        "hold_out_s": 0.0,
    }
    explicit = app.sessions.start("breathing", {"inhale_s": 3, "exhale_s": 6}).params
    assert explicit["inhale_s"] == 3
    assert explicit["exhale_s"] == 6


def test_steps_recorded_from_outside(screened: App) -> None:
    app = screened
    run = app.sessions.start("humming")
    sid = run.session_id
    t0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
    first = run.steps[0]
    app.sessions.record_step(
        sid, first.id, first.kind, t0, t0 + timedelta(seconds=5), 5.0, "completed"
    )
    with pytest.raises(ConflictError, match="already recorded"):
        app.sessions.record_step(sid, first.id, first.kind, t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="step_id"):
        app.sessions.record_step(sid, "juggle", "do", t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="kind"):
        app.sessions.record_step(sid, run.steps[1].id, "finish", t0, t0, 0.0, "completed")
    with pytest.raises(AppError, match="outcome"):
        app.sessions.record_step(sid, run.steps[1].id, run.steps[1].kind, t0, t0, 0.0, "exploded")
    with pytest.raises(NotFoundError):
        app.sessions.record_step(999, first.id, first.kind, t0, t0, 0.0, "completed")
    app.sessions.rate(sid, "after", 7)
    assert app.sessions.finish(sid, "stopped") == "stopped"
    done = app.sessions.get(sid)
    assert [s["step_id"] for s in done["steps"]] == [first.id]
    assert done["ratings"]["after"] == 7
    with pytest.raises(NotFoundError):
        app.sessions.finish(999, "stopped")
