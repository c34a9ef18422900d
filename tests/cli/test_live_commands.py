"""Live measurement without hardware: the replay and simulated sensors, from the command line,
on SQLite and PostgreSQL; a SIGKILL during a replay keeps every beat received."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner, Result

from vagus.app import build_app, example_rr_path
from vagus.cli import app
from vagus.hrv import NAMES, read_rr

runner = CliRunner()


def run(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def measurements(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run(env, "history", "--json", "--type", "measurement")
    assert result.exit_code == 0, result.output
    entries: list[dict[str, Any]] = json.loads(result.stdout)
    return entries


def test_measure_replay_json_matches_hrv_shape(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "measure", "--minutes", "1", "--speed", "60", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"n_beats", "duration_s", "artifacts", "warnings", "indices"}
    assert list(data["indices"]) == list(NAMES)
    # The replay plays the bundled recording from its start: the first beats are its first.
    expected = read_rr(example_rr_path())
    assert data["n_beats"] >= 60
    assert data["duration_s"] >= 60
    stored = measurements(vagus_env)
    assert stored[0]["n_beats"] == data["n_beats"]
    app_ = build_app(env=vagus_env)
    try:
        rr = app_.journal.recording_rr(stored[0]["id"])
    finally:
        app_.close()
    np.testing.assert_allclose(rr, expected[: len(rr)], rtol=0, atol=1e-9)


def test_do_with_a_sensor_records_rest_session_rest(vagus_env: dict[str, str]) -> None:
    result = run(
        vagus_env, "do", "breathing", "--minutes", "2", "--speed", "60", "--sensor", "simulated"
    )
    assert result.exit_code == 0, result.output
    tags = [entry["tags"] for entry in measurements(vagus_env)]
    assert tags == [["rest-after"], ["session"], ["rest-before"]]  # newest first
    assert all(entry["n_beats"] > 30 for entry in measurements(vagus_env))


def test_resonance_with_the_simulator(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "resonance", "--sensor", "simulated", "--speed", "200", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data["ranked_bpm"]) == [4.5, 5.0, 5.5, 6.0, 6.5]
    # The simulated baroreflex resonates at 0.1 Hz (6/min); its neighbours may tie with it.
    assert data["best_bpm"] in (5.5, 6.0, 6.5)
    assert data["candidate"] is True
    done = run(vagus_env, "do", "breathing", "--minutes", "2", "--speed", "400")
    assert done.exit_code == 0, done.output
    history = json.loads(run(vagus_env, "history", "--json", "--type", "session").stdout)
    params = history[0]["params"]
    rate = 60.0 / (params["inhale_s"] + params["exhale_s"])
    assert abs(rate - data["best_bpm"]) < 0.05  # later sessions pace at the candidate rate


def test_bad_sensor_is_a_user_error(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "measure", "--sensor", "carrier-pigeon")
    assert result.exit_code == 2
    assert "replay, replay:FILE, simulated or ble" in result.stderr
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
    app_ = build_app(env=vagus_env)
    try:
        rr = app_.journal.recording_rr(after["id"])
    finally:
        app_.close()
    expected = read_rr(example_rr_path())
    np.testing.assert_allclose(rr, expected[: len(rr)], rtol=0, atol=1e-9)
