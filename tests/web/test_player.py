"""The browser player: static/pacer.js agrees with vagus.program.pacer, and the page wires it up.

The JavaScript pacer is run with Node (skipped, with the reason, when ``node`` is missing) over
5 minutes of elapsed time for five patterns: every phase boundary and +-1 ms around it, every
half-millisecond rounding point next to a boundary, and a seeded random sample of 20 000 float
times. Phase and cycle must be identical; lung, phase_elapsed_s and phase_remaining_s agree to
1e-12 (V8's cosine and glibc's may differ in the last bit; the ms arithmetic is exact).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vagus.app import App
from vagus.program.pacer import BreathPattern, boundaries, phase_at

STATIC = Path(str(files("vagus.web") / "static"))
#: Five minutes of elapsed time, the test's span (s).
SPAN_S = 300.0
#: Random float times per pattern (seeded).
RANDOM_TIMES = 20_000
#: Tolerance on lung and the phase times: rounding differences of the cosine only.
TOL = 1e-12

PATTERNS: dict[str, BreathPattern] = {
    "4/8": BreathPattern(4.0, 8.0),
    "5.5/5.5": BreathPattern(5.5, 5.5),
    "4/2/6/0": BreathPattern(4.0, 6.0, hold_in_s=2.0),
    "box 4-4-4-4": BreathPattern(4.0, 4.0, hold_in_s=4.0, hold_out_s=4.0),
    "from_rate(7)": BreathPattern.from_rate(7.0),
}

NODE_SCRIPT = """
const pacer = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  const out = cases.map((c) => {
    const p = pacer.makePattern(c.pattern);
    return c.times.map((t) => {
      const s = pacer.phaseAt(p, t);
      return [s.phase, s.cycle, s.lung, s.phaseElapsedS, s.phaseRemainingS];
    });
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _times(pattern: BreathPattern, rng: random.Random) -> list[float]:
    times: set[float] = {0.0, SPAN_S}
    for start_s, _ in boundaries(pattern, SPAN_S):
        ms = round(start_s * 1000)
        for delta_ms in (-1, 0, 1):
            if ms + delta_ms >= 0:
                times.add((ms + delta_ms) / 1000)
        # Half-millisecond points: the rounding (halves up) decides the phase here.
        for half in (-0.5, 0.5, -0.4999, 0.4999):
            if ms + half >= 0:
                times.add((ms + half) / 1000)
    times.update(rng.uniform(0.0, SPAN_S) for _ in range(RANDOM_TIMES))
    return sorted(times)


def _run_node(cases: list[dict[str, Any]]) -> list[list[list[Any]]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript pacer cannot be run")
    result = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(STATIC / "pacer.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out: list[list[list[Any]]] = json.loads(result.stdout)
    return out


def test_js_pacer_matches_python() -> None:
    rng = random.Random(5)
    cases = []
    for pattern in PATTERNS.values():
        cases.append(
            {
                "pattern": {
                    "inhale_s": pattern.inhale_s,
                    "hold_in_s": pattern.hold_in_s,
                    "exhale_s": pattern.exhale_s,
                    "hold_out_s": pattern.hold_out_s,
                },
                "times": _times(pattern, rng),
            }
        )
    results = _run_node(cases)
    assert len(results) == len(PATTERNS)
    checked = 0
    for name, case, js_states in zip(PATTERNS, cases, results, strict=True):
        pattern = PATTERNS[name]
        assert len(js_states) == len(case["times"])
        for t, (phase, cycle, lung, elapsed, remaining) in zip(
            case["times"], js_states, strict=True
        ):
            py = phase_at(pattern, t)
            assert (phase, cycle) == (py.phase, py.cycle), f"{name} at t={t!r}"
            assert abs(lung - py.lung) <= TOL, f"{name} lung at t={t!r}"
            assert abs(elapsed - py.phase_elapsed_s) <= TOL, f"{name} at t={t!r}"
            assert abs(remaining - py.phase_remaining_s) <= TOL, f"{name} at t={t!r}"
            checked += 1
    # Every pattern has at least 25 cycles in 5 minutes, 2-4 boundaries each, 7 points each.
    assert checked > len(PATTERNS) * RANDOM_TIMES


def test_js_pacer_refuses_negative_time() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript pacer cannot be run")
    script = (
        "const p = require(process.argv[1]);"
        "try { p.phaseAt(p.makePattern({inhale_s: 4, exhale_s: 8}), -1); process.exit(3); }"
        "catch (e) { process.stdout.write(e.message); }"
    )
    result = subprocess.run(
        [node, "-e", script, str(STATIC / "pacer.js")],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert "elapsed time must be a finite number of seconds >= 0" in result.stdout


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_exercise_page_has_the_player(client: TestClient, screened: App, lang: str) -> None:
    page = client.get(f"/exercises/breathing?lang={lang}")
    assert page.status_code == 200
    html = page.text
    # The scripts are the server's own (the CSP allows only 'self'), loaded after the markup.
    assert '<script src="/static/pacer.js" defer></script>' in html
    assert '<script src="/static/player.js" defer></script>' in html
    assert 'id="player-ui" hidden' in html  # shown by the script: without JS the text stays
    assert "<noscript>" in html
    strings = re.search(
        r'<script type="application/json" id="player-strings">(.*?)</script>', html, re.S
    )
    assert strings is not None
    data = json.loads(strings.group(1))
    assert {"inhale", "exhale", "hold_in", "hold_out", "start", "pause", "resume"} <= set(data)
    assert data["inhale"] == ("Pust inn" if lang == "nb" else "Breathe in")
    for control in ("player-pause", "player-skip", "player-stop", "player-start"):
        assert f'id="{control}"' in html
    assert 'aria-live="polite"' in html


def test_static_assets_are_served(client: TestClient) -> None:
    for name, needle in (
        ("pacer.js", "function phaseAt"),
        ("player.js", "X-Vagus-CSRF"),
        ("player.js", "EventSource"),
        # A session's live recording is opened by a POST (issue 11): no GET records.
        ("player.js", 'api("/api/live/stream", { session_id: state.session.id })'),
        ("style.css", "prefers-reduced-motion"),
    ):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert needle in response.text, f"{name} lacks {needle}"
    # The player never counts frames: the phase comes from performance.now minus pauses.
    player = (STATIC / "player.js").read_text(encoding="utf-8")
    assert "performance.now()" in player
    assert "Pacer.phaseAt(state.pattern, elapsedS)" in player
