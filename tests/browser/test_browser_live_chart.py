"""The player's live heart data as a person sees it (issue 12): the chart is visible and grows
whenever the heart is shown; "measuring" with its progress until 30 s of beats are in, then the
numbers; the coherence ratio with its level once its 64 s window is full; Pause says Paused and
stays so; the summary gives the share of the session in each coherence level. In nb and en.

The replay sensor runs at ``FAST_REPLAY_SPEED`` times real time: the player asks for real time,
so the test rewrites its requests to ``/api/live/stream`` (``browser_harness.faster_replay``: the
stream's own ``speed`` option, for the preview GET and for the session's POST) instead of
waiting 64 s. Every wait is on what the page
shows, never a fixed sleep.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from browser_harness import (
    LIVE_STREAM_ROUTE,
    Server,
    chart_points,
    faster_replay,
    history,
    screen_all_no,
    wait_for_more_points,
)

from vagus.app.live import COHERENCE_LEVELS
from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from vagus.program import Lang

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: Longest wait for a page state polled from Python, s.
WAIT_S = 20.0
#: A whole number of beats per minute.
WHOLE_NUMBER = re.compile(r"^\d{2,3}$")
#: ln RMSSD with two decimals, in either language's decimal sign.
TWO_DECIMALS = re.compile(r"^\d+[.,]\d\d$")


def _placeholder_prefix(key: str, lang: Lang, **fields: str) -> str:
    """The text of ``key`` up to its first placeholder."""
    text = tr(key, lang, **dict.fromkeys(fields, "\x00"))
    return text.split("\0", 1)[0]


def _session_recording(server: Server) -> dict[str, Any]:
    (session,) = [e for e in history(server) if e["type"] == "session"]
    recordings = [e for e in history(server) if e["type"] == "measurement"]
    (linked,) = [r for r in recordings if r["session_id"] == session["id"]]
    return linked


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_live_chart_numbers_and_pause(page: Page, server: Server, lang: Lang) -> None:
    page.route(LIVE_STREAM_ROUTE, faster_replay)
    screen_all_no(page, server, lang)
    page.goto(f"{server.url}/exercises/breathing?lang={lang}")
    page.check("#player-heart")
    page.click("#player-start")
    page.click("#player-rating-skip")
    expect(page.locator("#player-live")).to_be_visible()

    # The chart is shown with the heart: visible, with a size, and it grows beat by beat.
    chart = page.locator("#live-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 0
    assert box["height"] > 0

    # Before 30 s of beats: "measuring" and its progress, no number.
    measuring = page.locator("#live-measuring-text")
    expect(measuring).to_be_visible()
    prefix = _placeholder_prefix("player.measuring", lang, seconds="", minimum="")
    expect(measuring).to_contain_text(prefix)
    expect(page.locator("#live-progress")).to_be_visible()
    expect(page.locator("#live-hr")).to_have_text("–")
    expect(page.locator("#live-ln")).to_have_text("–")
    first = wait_for_more_points(page, 1)
    wait_for_more_points(page, first)

    # From 30 s: the numbers, and "measuring" is gone.
    expect(page.locator("#live-hr")).to_have_text(WHOLE_NUMBER)
    expect(page.locator("#live-ln")).to_have_text(TWO_DECIMALS)
    expect(page.locator("#live-measuring")).to_be_hidden()
    # From 64 s: the coherence ratio with its level, and what coherence is.
    levels = "|".join(re.escape(tr(f"live.level_{level}", lang)) for level in COHERENCE_LEVELS)
    expect(page.locator("#live-coh-level")).to_have_text(re.compile(f"^({levels})$"))
    expect(page.locator("#live-coh")).to_have_text(TWO_DECIMALS)
    help_prefix = _placeholder_prefix(
        "player.coherence_help", lang, window="", every="", medium="", high=""
    )
    expect(page.locator("#live-coh-help")).to_contain_text(help_prefix)
    expect(page.locator("#live-coh-help")).to_contain_text("64")

    # Pause in the breathing guide: it says Paused (nb "På pause"), and keeps saying it while
    # the heart goes on beating on the chart.
    page.click("#player-continue")  # past the untimed "prepare" step to the breathing guide
    expect(page.locator("#player-breath")).to_be_visible()
    page.click("#player-pause")
    phase = page.locator("#player-phase")
    expect(phase).to_have_text(tr("player.paused", lang))
    expect(page.locator("#player-pause")).to_have_text(tr("player.resume", lang))
    wait_for_more_points(page, chart_points(page))
    expect(chart).to_be_visible()
    expect(phase).to_have_text(tr("player.paused", lang))
    page.click("#player-pause")
    breath_words = "|".join(
        re.escape(tr(f"player.{p}", lang)) for p in ("inhale", "hold_in", "exhale", "hold_out")
    )
    expect(phase).to_have_text(re.compile(f"^({breath_words})$"))

    # The summary gives the share of the session in each coherence level.
    page.click("#player-stop")
    page.click("#player-rating-skip")
    summary = page.locator("#player-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(tr("player.summary_coherence", lang))
    for level in COHERENCE_LEVELS:
        expect(summary).to_contain_text(re.compile(rf"{tr(f'live.level_{level}', lang)} \d+ %"))

    # The session's recording was saved with its coherence shares.
    deadline = time.monotonic() + WAIT_S
    while _session_recording(server)["ended_at"] is None:
        assert time.monotonic() < deadline, "the session's recording was not finished"
        time.sleep(0.2)
    shares = _session_recording(server)["analysis"]["coherence"]
    assert shares["n_windows"] >= 1
    assert sum(shares[level] for level in COHERENCE_LEVELS) == pytest.approx(1.0)
