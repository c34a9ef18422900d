"""How a session in the player ends, as the person sees it and as the journal keeps it: Cancel at
the before-rating leaves the page as it was and no session; a closed tab leaves the session
"cut off unexpectedly" (interrupted), not running forever."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from browser_harness import Server, history, screen_all_no

from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: Longest wait for the server to notice a closed tab (it checks its client every beat), s.
NOTICE_S = 20.0
#: Pause between two looks at the journal while waiting, s.
POLL_S = 0.2


def _sessions(server: Server) -> list[dict[str, Any]]:
    return [e for e in history(server) if e["type"] == "session"]


def test_cancel_at_the_before_rating_leaves_the_start_state(page: Page, server: Server) -> None:
    screen_all_no(page, server)
    page.goto(f"{server.url}/exercises/humming?lang=en")
    page.click("#player-start")
    expect(page.locator("#player-rating")).to_be_visible()
    page.click("#player-rating-cancel")

    start = page.locator("#player-start")
    expect(start).to_be_visible()
    expect(start).to_be_enabled()
    expect(start).to_be_focused()
    for hidden in ("#player-rating", "#player-run", "#player-summary", "#player-error"):
        expect(page.locator(hidden)).to_be_hidden()
    assert _sessions(server) == []  # it did not happen

    # And the player still works after a cancel.
    start.click()
    page.click("#player-rating-skip")
    expect(page.locator("#player-run")).to_be_visible()


def test_a_closed_tab_leaves_the_session_interrupted(page: Page, server: Server) -> None:
    screen_all_no(page, server, "nb")
    page.goto(f"{server.url}/exercises/breathing")
    page.check("#player-heart")
    page.click("#player-start")
    page.click("#player-rating-skip")
    # The live stream runs (its first beats are on the chart; numbers follow after 30 s).
    expect(page.locator("#live-chart polyline")).to_have_count(1)
    page.click("#player-continue")  # one step recorded: the session has begun
    expect(page.locator("#player-breath")).to_be_visible()

    other = page.context.new_page()
    page.close()
    deadline = time.monotonic() + NOTICE_S
    while _sessions(server)[0]["status"] == "running":
        assert time.monotonic() < deadline, "the server did not notice the closed tab"
        time.sleep(POLL_S)
    assert _sessions(server)[0]["status"] == "interrupted"
    other.goto(f"{server.url}/history")
    expect(other.locator("#main tbody")).to_contain_text(tr("history.status_interrupted", "nb"))
