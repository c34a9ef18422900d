"""The resonance assessment in the app (moved out of the CLI): refused with a replay, and a
simulated heart's result shown but never stored (issue 10)."""

from __future__ import annotations

import time

import pytest

from vagus.app import App, RefusedError
from vagus.app.resonance import Schedule, rank_rates


def test_replay_is_refused_and_nothing_is_stored(app: App) -> None:
    with pytest.raises(RefusedError) as caught:
        app.resonance.begin("replay")
    assert caught.value.code == "replay-sensor"
    assert caught.value.field == "sensor"
    assert app.transfer.history(["measurement"]) == []
    assert app.resonance.rate() is None


def test_simulated_result_is_shown_not_stored(app: App) -> None:
    assessment = app.resonance.begin("simulated", speed=400.0)
    recording = assessment.recording
    assert recording is not None
    deadline = time.monotonic() + 120.0  # a generous bound for a slow machine, not a budget
    while recording.t_s < assessment.schedule.total_s and not recording.feed.ended:
        recording.pump(assessment.schedule.breath_cycle(recording.t_s))
        assert time.monotonic() < deadline, "the simulated sensor stopped delivering beats"
        time.sleep(0.005)  # yield to the sensor thread
    result = app.resonance.conclude(assessment)
    assert not result.stored
    assert len(result.ranked_bpm) >= 2
    assert app.resonance.rate() is None
    assert app.transfer.history(["measurement"]) == []


def test_schedule_and_ranking() -> None:
    schedule = Schedule.standard()
    assert schedule.total_s == pytest.approx(5 * 120 + 4 * 30)
    assert schedule.breathing(125.0) is None  # the rest between blocks
    assert schedule.breathing(10.0) is not None
    blocks = {
        6.0: {"hr_swing_bpm": 10.0, "lf_power_ms2": 900.0, "lf_peak_ms2_per_hz": 9000.0},
        5.0: {"hr_swing_bpm": 12.0, "lf_power_ms2": 1200.0, "lf_peak_ms2_per_hz": 9900.0},
        6.5: {"hr_swing_bpm": 8.0, "lf_power_ms2": 500.0, "lf_peak_ms2_per_hz": 5000.0},
    }
    assert rank_rates(blocks) == [5.0, 6.0, 6.5]
