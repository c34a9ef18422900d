"""The live stream against a real ``vagus serve`` (uvicorn, not the in-process client): a
recording opened by ``POST /api/live/stream`` and read with ``GET ?stream=``; when the client
goes away, the server finishes the session's recording with its analysis, marks the session,
still running, as interrupted, and frees the stream's slot."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vagus.web._live import MAX_STREAMS
from web.web_helpers import step_done

VAGUS = Path(sys.executable).parent / "vagus"
#: Longest wait for the server to answer, and for the recording to be finished, s.
WAIT_S = 30.0
#: Beats read before the client hangs up (replay at 20x: well under a second).
BEATS_READ = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAGUS_")}
    env |= {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_SENSOR": "replay"}
    process = subprocess.Popen(
        [str(VAGUS), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                _get_json(url + "/api/settings")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post_json(url: str, body: Any, token: tuple[str, str]) -> Any:
    header, cookie = token
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Vagus-CSRF": header, "Cookie": cookie},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _csrf_token(server: str) -> tuple[str, str]:
    """``GET /api/csrf``: the token, and the session cookie it is bound to."""
    with urllib.request.urlopen(server + "/api/csrf", timeout=5) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
        return str(json.loads(response.read())["token"]), str(cookie)


def _running_session(server: str, token: tuple[str, str]) -> int:
    """A breathing session with its first step done (after the health questions)."""
    answers = {q["id"]: False for q in _get_json(server + "/api/screening/questions")}
    _post_json(server + "/api/screening", {"answers": answers}, token)
    session = _post_json(server + "/api/sessions", {"exercise_id": "breathing"}, token)
    first = session["steps"][0]
    step = step_done(first)
    _post_json(f"{server}/api/sessions/{session['id']}/steps", step, token)
    return int(session["id"])


def test_a_client_hanging_up_finishes_the_recording_and_interrupts_the_session(
    server: str,
) -> None:
    token = _csrf_token(server)
    session_id = _running_session(server, token)
    host, port = server.removeprefix("http://").split(":")
    opened = _post_json(server + "/api/live/stream", {"session_id": session_id, "speed": 20}, token)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", opened["url"])
    response = connection.getresponse()
    assert response.status == 200
    beats = 0
    while beats < BEATS_READ:
        line = response.readline()
        assert line, "the stream ended early"
        if line.startswith(b"event: beat"):
            beats += 1
    connection.close()  # hang up mid-stream, as a closed browser tab does

    deadline = time.monotonic() + WAIT_S
    while True:
        [entry] = _get_json(server + "/api/history?type=measurement")
        session = _get_json(f"{server}/api/sessions/{session_id}")
        done = entry["ended_at"] is not None and session["status"] != "running"
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {"web", "session"} <= set(entry["tags"])
    assert entry["session_id"] == session_id
    assert entry["ended_at"] is not None, "the recording was left open"
    assert entry["n_beats"] >= BEATS_READ
    assert entry["analysis"] is not None
    assert session["status"] == "interrupted"
    # The hung-up stream freed its slot: every one of the server's slots opens again (streams
    # waiting for their GET hold theirs; the server closes them when it stops).
    for _ in range(MAX_STREAMS):
        _post_json(server + "/api/live/stream", {"session_id": session_id, "speed": 20}, token)
