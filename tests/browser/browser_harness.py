"""Shared by the browser tests and ``screenshots.py``: a real ``vagus serve`` and Debian's Chromium.

The server runs as a subprocess exactly as a person starts it (``vagus serve --port N``), with
its home in a temporary folder and the replay sensor, so the tests see the real uvicorn, the real
static files and the real server-sent events. Playwright drives ``/usr/bin/chromium`` (Debian's
package); it never downloads a browser.

Nothing here imports Playwright at module level, so pytest's ``--doctest-modules`` can import
this file on a machine without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Route, ViewportSize

    from vagus.program import Lang

#: The switch: the browser tests run unless this is "0" (for a machine without Chromium; CI
#: installs Debian's chromium package and runs them).
ENV_SWITCH: Final = "VAGUS_BROWSER_TESTS"
#: Debian's chromium package.
CHROMIUM_PATH: Final = Path("/usr/bin/chromium")
#: Flags for a headless run in a container: no sandbox (no user namespaces), no GPU, and no
#: traffic to Google's services (no network here, and none wanted).
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: The ``vagus`` script of the virtualenv that runs the tests.
VAGUS_SCRIPT: Final = Path(sys.executable).parent / "vagus"
#: How long the server may take to answer its first request, s.
SERVER_START_TIMEOUT_S: Final = 30.0
#: How long a stopping server may take before it is killed, s.
SERVER_STOP_TIMEOUT_S: Final = 10.0
#: Pause between two "is it up yet?" requests, s.
POLL_S: Final = 0.1
#: Viewports (CSS pixels): a laptop, and a small Android phone (360 x 740 is a common size).
DESKTOP: Final[ViewportSize] = {"width": 1280, "height": 800}
PHONE: Final[ViewportSize] = {"width": 360, "height": 740}
#: Replay speed, x real time, of :func:`faster_replay`: 30 s of beats (the live numbers'
#: minimum, issue 12) in 2 s, the 64 s coherence window in about 4 s; slow enough that the
#: "measuring" state is seen first.
FAST_REPLAY_SPEED: Final = 15
#: What :func:`faster_replay` is routed on: the live stream's requests.
LIVE_STREAM_ROUTE: Final = "**/api/live/stream**"


def skip_reason() -> str | None:
    """Why the browser tests were switched off (``VAGUS_BROWSER_TESTS=0``), or None."""
    if os.environ.get(ENV_SWITCH) == "0":
        return f"browser tests switched off with {ENV_SWITCH}=0"
    return None


def missing() -> str | None:
    """What the browser tests need and this machine lacks, or None.

    Missing pieces fail the tests instead of skipping them: a CI run that silently skipped
    the browser would prove nothing.
    """
    if not CHROMIUM_PATH.exists():
        return (
            f"{CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium), "
            f"or set {ENV_SWITCH}=0 to skip the browser tests"
        )
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is missing (pip install -e '.[dev]')"
    if not VAGUS_SCRIPT.exists():
        return f"{VAGUS_SCRIPT} is missing (pip install -e . in this virtualenv)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``vagus serve``: its base URL (no trailing slash) and its home folder."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]


def _wait_until_up(server: Server, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"vagus serve exited with {server.process.returncode}: {log.read_text()}"
            )
        try:
            with urllib.request.urlopen(server.url + "/api/settings", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_S)
    raise RuntimeError(
        f"vagus serve did not answer within {SERVER_START_TIMEOUT_S} s: {log.read_text()}"
    )


def stop_server(server: Server) -> None:
    """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def running_server(home: Path, lang: Lang = "en") -> Iterator[Server]:
    """Start ``vagus serve`` on a free port with its home in ``home``; always stop it."""
    home.mkdir(parents=True, exist_ok=True)
    # vagus refuses unknown VAGUS_* variables (a typo must not pass silently), and the opt-in
    # switch VAGUS_BROWSER_TESTS is one; the server gets only its own settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAGUS_")}
    env |= {"VAGUS_HOME": str(home), "VAGUS_SENSOR": "replay", "VAGUS_LANG": lang}
    port = free_port()
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(VAGUS_SCRIPT), "serve", "--port", str(port), "--sensor", "replay"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(url=f"http://127.0.0.1:{port}", home=home, process=process)
    try:
        _wait_until_up(server, log)
        yield server
    finally:
        stop_server(server)


def launch_browser(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with the flags above."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH), args=list(CHROMIUM_ARGS), headless=True
    )


def fetch_json(url: str) -> Any:
    """GET a JSON API address of the server (outside the browser)."""
    import json

    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def history(server: Server) -> list[dict[str, Any]]:
    """The journal's entries, newest first, from ``GET /api/history``."""
    data = fetch_json(server.url + "/api/history")
    entries: list[dict[str, Any]] = data["entries"] if isinstance(data, dict) else data
    return entries


def answer_screening_no(page: Page) -> None:
    """On ``/screen``: tick "no" for every question and submit the form."""
    radios = page.locator('#main form input[type="radio"][value="no"]')
    count = radios.count()
    assert count > 0, "the screening form shows no questions"
    for i in range(count):
        radios.nth(i).check()
    page.locator('#main form button[type="submit"]').click()
    page.wait_for_load_state()


def fill_checkin(page: Page, values: dict[str, str], note: str = "") -> None:
    """On ``/checkin``: type the values (by field name) and submit."""
    for name, value in values.items():
        page.fill(f"#f-{name}", value)
    if note:
        page.fill("#f-note", note)
    page.locator('#main form button[type="submit"]').click()
    page.wait_for_load_state()


def faster_replay(route: Route) -> None:
    """A Playwright route handler for :data:`LIVE_STREAM_ROUTE` that adds ``speed``
    (:data:`FAST_REPLAY_SPEED`) to the live stream's requests: the player asks for real time,
    and a test waits on what the page shows, not for 30 s of real beats.

    ``page.route(LIVE_STREAM_ROUTE, faster_replay)``: the session's POST gets ``speed`` in its
    body, a preview's GET in its query; a recording's GET (``stream=``) is left alone (its
    speed was set by its POST).
    """
    import json

    request = route.request
    if request.method == "POST":
        body = json.loads(request.post_data or "{}")
        body["speed"] = FAST_REPLAY_SPEED
        route.continue_(post_data=json.dumps(body))
    elif "stream=" in request.url:
        route.continue_()
    else:
        joiner = "&" if "?" in request.url else "?"
        route.continue_(url=f"{request.url}{joiner}speed={FAST_REPLAY_SPEED}")


def chart_points(page: Page) -> int:
    """Points in the player's live chart line (0 before it has two)."""
    line = page.locator("#live-chart polyline")
    if line.count() == 0:
        return 0
    return len((line.get_attribute("points") or "").split())


def wait_for_more_points(page: Page, than: int, timeout_s: float = 20.0) -> int:
    """Wait until the live chart holds more than ``than`` points; return how many (polled
    from Python: the app's Content-Security-Policy forbids ``page.wait_for_function``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = chart_points(page)
        if now > than:
            return now
        assert time.monotonic() < deadline, f"the chart stayed at {now} points"
        page.wait_for_timeout(100)


def csrf_token(page: Page) -> str:
    """The CSRF token of the page open in ``page`` (its ``<meta name="csrf-token">``)."""
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    assert token, "the page carries no CSRF token"
    return token


def post_json(page: Page, path: str, body: Any) -> Any:
    """POST JSON to the server from the page's browser context (its cookies and CSRF token,
    as the player does); returns the parsed answer and asserts it succeeded."""
    import json

    url = page.url.split("/", 3)[:3]
    response = page.request.post(
        "/".join(url) + path,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-Vagus-CSRF": csrf_token(page)},
    )
    assert response.ok, f"POST {path}: {response.status} {response.text()}"
    return response.json()


def screen_all_no(page: Page, server: Server, lang: Lang = "en") -> None:
    """Save a screening with "no" to every question through the JSON API (fast), leaving
    ``page`` on Today in ``lang``: the exercises are in the plan from then on (before the
    screening every exercise is refused)."""
    page.goto(f"{server.url}/?lang={lang}")
    questions = fetch_json(server.url + "/api/screening/questions")
    post_json(page, "/api/screening", {"answers": {q["id"]: False for q in questions}})
