"""Live measurement without hardware: the replay and simulated sensors, from the command line,
on SQLite and PostgreSQL; a SIGKILL during a replay keeps every beat received. The app decides
what is stored (issue 10): a measurement shorter than a minute is not kept, the rests around a
session are linked to it and never tagged "morning", the resonance assessment refuses the
replay sensor and keeps nothing from the simulator."""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from vagus.app import build_app, example_rr_path
from vagus.app.live import LiveValues
from vagus.cli import app
from vagus.cli.live import live_panel, panel_beats, run_recording
from vagus.hrv import NAMES, read_rr
from vagus.program import Lang, format_number, t

runner = CliRunner()


class Clock(Protocol):
    """The conftest's ``now`` fixture: the wall clock every command runs on."""

    def set_local(self, local: datetime) -> None: ...


def run(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def entries(env: dict[str, str], kind: str) -> list[dict[str, Any]]:
    result = run(env, "history", "--json", "--type", kind)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def measurements(env: dict[str, str]) -> list[dict[str, Any]]:
    return entries(env, "measurement")


def stored_rr(env: dict[str, str], recording_id: int) -> list[float]:
    app_ = build_app(env=env)
    try:
        rr: list[float] = app_.measurements.get(recording_id, "en")["rr_ms"]
    finally:
        app_.close()
    return rr


def test_measure_replay_json_matches_hrv_shape(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "measure", "--minutes", "1", "--speed", "60", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # The shape of `vagus hrv --json`.
    assert {"n_beats", "n_intervals", "duration_s", "artifacts", "warnings", "indices"} <= set(data)
    assert list(data["indices"]) == list(NAMES)
    # The replay plays the bundled recording from its start: the first beats are its first.
    expected = read_rr(example_rr_path())
    assert data["n_beats"] >= 60
    assert data["duration_s"] >= 60
    stored = measurements(vagus_env)
    # The journal counts RR intervals (the analysis' n_intervals); the beats are one more.
    assert stored[0]["n_beats"] == data["n_intervals"] == data["n_beats"] - 1
    assert stored[0]["session_id"] is None
    rr = stored_rr(vagus_env, stored[0]["id"])
    np.testing.assert_allclose(rr, expected[: len(rr)], rtol=0, atol=1e-9)


def test_a_standalone_measurement_is_morning_only_before_ten(
    vagus_env: dict[str, str], now: Clock
) -> None:
    # The clock is injected: 07:30 and 14:00 local time, whenever the test runs.
    assert run(vagus_env, "measure", "--minutes", "1", "--speed", "120").exit_code == 0
    now.set_local(datetime(2026, 3, 2, 14, 0))
    done = run(vagus_env, "measure", "--minutes", "1", "--speed", "120", "--tag", "morning")
    assert done.exit_code == 0, done.output
    # Newest first: the afternoon one is not "morning", even when asked (the app decides).
    assert [m["tags"] for m in measurements(vagus_env)] == [[], ["morning"]]


def test_do_with_a_sensor_records_rest_session_rest(screened_env: dict[str, str]) -> None:
    # 07:30 local on the injected clock: a morning, and still the rests are not "morning".
    result = run(
        screened_env, "do", "breathing", "--minutes", "2", "--speed", "60", "--sensor", "simulated"
    )
    assert result.exit_code == 0, result.output
    session = entries(screened_env, "session")[0]
    found = measurements(screened_env)
    tags = [entry["tags"] for entry in found]
    assert tags == [["rest-after"], ["session"], ["rest-before"]]  # newest first
    assert all("morning" not in t for t in tags)
    assert all(entry["session_id"] == session["id"] for entry in found)
    assert sorted(session["recording_ids"]) == sorted(entry["id"] for entry in found)
    assert all(entry["n_beats"] > 30 for entry in found)


def test_measure_shorter_than_a_minute_is_refused(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "measure", "--minutes", "0.5")
    assert result.exit_code == 2
    assert "--minutes" in result.stderr
    assert measurements(vagus_env) == []


def test_a_measurement_cut_short_is_discarded(vagus_env: dict[str, str], tmp_path: Path) -> None:
    # A replay of 40 beats (32 s) ends before the minute a measurement needs.
    short = tmp_path / "short.txt"
    short.write_text("".join("800\n" for _ in range(40)))
    for lang, expected in (("en", "not saved"), ("nb", "ikke lagret")):
        result = run(
            vagus_env,
            "measure",
            "--minutes",
            "1",
            "--speed",
            "100",
            "--sensor",
            f"replay:{short}",
            "--lang",
            lang,
        )
        assert result.exit_code == 2, result.output
        assert expected in result.stderr
    assert measurements(vagus_env) == []


def test_resonance_refuses_the_replay_sensor(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "resonance", "--speed", "400")  # the default sensor: replay
    assert result.exit_code == 2
    assert "replay" in result.stderr
    assert "Traceback" not in result.output
    assert run(vagus_env, "history", "--json").stdout.strip() == "[]"  # nothing stored


def test_resonance_with_the_simulator_is_a_demonstration(screened_env: dict[str, str]) -> None:
    result = run(screened_env, "resonance", "--sensor", "simulated", "--speed", "400", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data["ranked_bpm"]) == [4.5, 5.0, 5.5, 6.0, 6.5]
    # The simulated baroreflex resonates at 0.1 Hz (6/min); its neighbours may tie with it.
    assert data["best_bpm"] in (5.5, 6.0, 6.5)
    assert data["candidate"] is True
    assert data["stored"] is False
    assert measurements(screened_env) == []  # its recording is not kept either
    shown = run(screened_env, "resonance", "--sensor", "simulated", "--speed", "400")
    assert shown.exit_code == 0, shown.output
    assert "not saved" in shown.stdout
    # Later sessions keep the default pace: the simulator's rate is nobody's.
    done = run(screened_env, "do", "breathing", "--minutes", "2", "--speed", "400")
    assert done.exit_code == 0, done.output
    params = entries(screened_env, "session")[0]["params"]
    assert (params["inhale_s"], params["exhale_s"]) == (4.0, 8.0)
    app_ = build_app(env=screened_env)
    try:
        assert app_.resonance.rate() is None
    finally:
        app_.close()


def test_bad_sensor_is_a_user_error(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "measure", "--sensor", "carrier-pigeon")
    assert result.exit_code == 2
    assert "replay, replay:FILE, simulated, ble or ble:ADDRESS" in result.stderr
    missing = run(vagus_env, "measure", "--sensor", "replay:/no/such/file.txt")
    assert missing.exit_code == 2
    assert "/no/such/file.txt" in missing.stderr
    assert measurements(vagus_env) == []


def test_sigkill_during_replay_keeps_every_beat(vagus_env: dict[str, str]) -> None:
    env = os.environ | vagus_env
    vagus = str(Path(sys.executable).with_name("vagus"))
    child = subprocess.Popen(
        [vagus, "measure", "--minutes", "20", "--speed", "20"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        stored: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            time.sleep(0.3)
            stored = measurements(vagus_env)
            if stored and stored[0]["n_beats"] >= 40:
                break
        assert stored, "the child never stored a beat"
        assert child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    after = measurements(vagus_env)[0]
    assert after["n_beats"] >= 40  # nothing received and stored was lost
    rr = stored_rr(vagus_env, after["id"])
    expected = read_rr(example_rr_path())
    np.testing.assert_allclose(rr, expected[: len(rr)], rtol=0, atol=1e-9)


# --- issue 12: what the live panel shows is what is saved ---------------------------------------


def _render(panel: Any, width: int = 100) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(panel)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(
    ("lang", "measuring", "absent"),
    [("en", "measuring … 12 of 30 s", "RMSSD"), ("nb", "måler … 12 av 30 s", "RMSSD")],
)
def test_the_panel_says_measuring_before_30_s(lang: Lang, measuring: str, absent: str) -> None:
    values = LiveValues(t_s=12.3, n_beats=15, heart_rate_bpm=64.0)
    text = _render(live_panel("title", values, 12.3, 60.0, lang))
    assert measuring in text
    assert absent not in text  # no number before the minimum (issue 12)
    assert t("live.coherence", lang) not in text.split("\n", 3)[1]


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_last_panel_is_the_saved_analysis(vagus_env: dict[str, str], lang: Lang) -> None:
    """The CLI's path (run_recording, then finish): the values of the last panel equal the
    saved analysis to 1e-9 over the same beats, and the panel shows them."""
    from rich.console import Console

    app_ = build_app(env=vagus_env)
    try:
        recording = app_.live.start_recording(app_.live.make_sensor("replay", speed=400))
        out = io.StringIO()
        console = Console(file=out, width=100, color_system=None)
        run_recording(recording, 90.0, title="t", console=console, lang=lang, stop_sensor=True)
        shown = recording.values
        assert shown is not None
        assert shown.ready
        report = recording.finish()
        assert report is not None
        stored = app_.journal.recording(recording.recording_id)
        rr = app_.journal.recording_rr(recording.recording_id)
    finally:
        app_.close()
    assert shown.n_beats == shown.analysed_beats == len(rr)
    saved = stored["analysis"]["indices"]
    assert shown.rmssd_ms is not None
    assert shown.ln_rmssd is not None
    assert shown.mean_hr_bpm is not None
    assert math.isclose(shown.rmssd_ms, saved["rmssd"], rel_tol=0, abs_tol=1e-9)
    assert math.isclose(shown.ln_rmssd, saved["ln_rmssd"], rel_tol=0, abs_tol=1e-9)
    assert math.isclose(shown.mean_hr_bpm, saved["mean_hr"], rel_tol=0, abs_tol=1e-9)
    # Past 64 s: a coherence ratio with its level, and the shares saved with the analysis.
    assert shown.coherence is not None
    assert shown.coherence_level is not None
    shares = stored["analysis"]["coherence"]
    assert shares["n_windows"] == shown.coherence_shares.n_windows >= 1
    assert shares[shown.coherence_level] > 0
    last_panel = out.getvalue().rsplit("╭", 1)[-1]
    assert f"{format_number(saved['rmssd'], lang, 1)} ms" in last_panel
    assert format_number(saved["ln_rmssd"], lang, 2) in last_panel
    assert t(f"live.level_{shown.coherence_level}", lang) in last_panel


def test_measure_prints_the_coherence_shares(vagus_env: dict[str, str]) -> None:
    for lang, words in (("en", "Coherence over the recording: low"), ("nb", "gjennom opptaket")):
        result = run(vagus_env, "measure", "--minutes", "1.5", "--speed", "120", "--lang", lang)
        assert result.exit_code == 0, result.output
        assert words in result.stdout
    stored = measurements(vagus_env)[0]
    app_ = build_app(env=vagus_env)
    try:
        analysis = app_.journal.recording(stored["id"])["analysis"]
    finally:
        app_.close()
    shares = analysis["coherence"]
    assert shares["n_windows"] >= 1
    assert sum(shares[level] for level in ("low", "medium", "high")) == pytest.approx(1.0)


def _count_after(text: str, prefix: str) -> int:
    """The number right after ``prefix`` (spaces between) in ``text``; fails when absent."""
    found = re.search(re.escape(prefix) + r"\s*(\d+)", text)
    assert found is not None, (prefix, text)
    return int(found.group(1))


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_panel_and_the_saved_line_count_the_same_beats(
    vagus_env: dict[str, str], lang: Lang
) -> None:
    """Issue 12: the panel said "Beats 77" (the RR intervals received, as the journal counts
    them) and then "Saved: 78 beats" (the analysis' beats). Both now count beats: n intervals
    lie between n + 1 beats."""
    result = run(vagus_env, "measure", "--minutes", "1", "--speed", "120", "--lang", lang)
    assert result.exit_code == 0, result.output
    last_panel, after = result.stdout.rsplit("╭", 1)[-1].split("╯", 1)
    shown = _count_after(last_panel, t("live.beats", lang))
    saved_prefix = t("live.result", lang, beats="\0", hr="", rmssd="", ln="").split("\0")[0]
    # The saved line starts a line of its own, also when the output is not a terminal.
    assert after.startswith("\n" + saved_prefix), after[:80]
    saved = _count_after(after, saved_prefix)
    stored = measurements(vagus_env)[0]
    app_ = build_app(env=vagus_env)
    try:
        analysis = app_.journal.recording(stored["id"])["analysis"]
    finally:
        app_.close()
    assert shown == saved == analysis["n_beats"]
    assert analysis["n_intervals"] == stored["n_beats"] == shown - 1  # the journal's count


def test_the_panel_counts_beats_from_the_intervals_received() -> None:
    assert panel_beats(None) == 0
    assert panel_beats(LiveValues(t_s=0.0, n_beats=0)) == 0
    values = LiveValues(t_s=12.3, n_beats=15, heart_rate_bpm=64.0)
    assert panel_beats(values) == 16
    text = _render(live_panel("title", values, 12.3, 60.0, "en"))
    assert re.search(r"Beats\s+16\b", text), text
