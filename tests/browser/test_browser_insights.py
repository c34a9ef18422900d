"""The insights page as a person sees it, at 360 px in Norwegian and at desktop size in
English: the suggestion in the page's language, the effects chart drawn and visible with its
numbers, and no sideways scrolling; Today shows its one line. And the player's summary after a
session run in the browser: its before and after, or in a plain line why there is none.

The journal is filled before the server starts (sessions with rests whose RMSSD is exactly
40 ms before and 50 ms after for breathing); nothing asserted depends on the hour or the day.
Waits are on what the page shows (Playwright's expect), never on a fixed time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_harness import DESKTOP, PHONE, Server, history, running_server, screen_all_no

from insights_journal import add_recording, add_session, rr_with_rmssd
from vagus.app import build_app
from vagus.program import questions
from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Longest one Playwright action waits, ms (as tests/browser/conftest.py).
ACTION_TIMEOUT_MS = 20_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect


@pytest.fixture
def filled_server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "home"
    app = build_app(env={"VAGUS_HOME": str(home), "VAGUS_LANG": "en"})
    try:
        app.screening.save({q.id: False for q in questions("en")})
        start = datetime.now(UTC) - timedelta(days=14)
        for k in range(6):
            at = start + timedelta(days=2 * k)
            add_session(app.journal, at, "breathing", rmssd_before=40.0, rmssd_after=50.0)
            add_session(
                app.journal,
                at + timedelta(minutes=20),
                "humming",
                rmssd_before=40.0,
                rmssd_after=40.0 + 0.8 * (k % 3),
            )
    finally:
        app.close()
    with running_server(home) as server:
        yield server


def open_page(browser: Browser, size: dict[str, int]) -> Page:
    context = browser.new_context(viewport=size)  # type: ignore[arg-type]
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


@pytest.mark.parametrize(
    ("lang", "size", "try_next", "breathing"),
    [("nb", PHONE, "Prøv neste", "Magepust"), ("en", DESKTOP, "Try next", "Belly breathing")],
)
def test_the_insights_page_shows_the_suggestion_and_the_chart(
    browser: Browser,
    filled_server: Server,
    lang: str,
    size: dict[str, int],
    try_next: str,
    breathing: str,
) -> None:
    page = open_page(browser, size)
    try:
        page.goto(f"{filled_server.url}/insights?lang={lang}")
        heading = page.locator("#insights-next-h")
        assert heading.is_visible()
        assert heading.inner_text() == try_next
        reason = page.locator("#insights-next-reason")
        assert reason.is_visible()
        assert reason.inner_text().startswith(breathing + ":")  # the clear leader, in words
        chart = page.locator("#report-effects svg[role=img]").first
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 40
        # Breathing's change, +25 % (40 -> 50 ms every time), is written beside its interval.
        assert "+25" in chart.inner_html()
        assert page.locator("#report-effects").get_by_text(breathing).first.is_visible()
        sideways = page.evaluate(
            "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
        assert sideways <= 0
        page.goto(f"{filled_server.url}/?lang={lang}")
        line = page.locator("#today-insights")
        assert line.is_visible()
        assert (" Neste: " if lang == "nb" else " Next: ") in line.inner_text()
    finally:
        page.context.close()


def run_and_stop(page: Page, server: Server, lang: str, before_stop: Callable[[], None]) -> None:
    """Run humming in the player: start, skip the calm question, stop in the first step (the
    session has begun, so it is kept as stopped), skip the after question: the summary shows.
    ``before_stop`` runs while the session is running."""
    page.goto(f"{server.url}/exercises/humming?lang={lang}")
    page.click("#player-start")
    page.click("#player-rating-skip")
    expect(page.locator("#player-run")).to_be_visible()
    before_stop()
    page.click("#player-stop")
    expect(page.locator("#player-rating")).to_be_visible()
    page.click("#player-rating-skip")
    expect(page.locator("#player-summary")).to_be_visible()


def test_the_summary_says_plainly_that_no_rest_was_measured(
    browser: Browser, server: Server
) -> None:
    page = open_page(browser, PHONE)
    try:
        screen_all_no(page, server, "nb")
        run_and_stop(page, server, "nb", lambda: None)
        change = page.locator("#player-summary-change")
        expect(change).to_have_text(tr("insights.session_no_rests", "nb"))
        expect(page.locator("#player-summary-list")).to_contain_text(
            tr("insights.session_change", "nb")
        )
        sideways = page.evaluate(
            "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
        assert sideways <= 0
    finally:
        page.context.close()


def test_the_summary_shows_the_session_s_before_and_after(browser: Browser, server: Server) -> None:
    """The web player records no rests itself (the CLI's `vagus do` does): the rests are added
    to the running session's journal entry from outside, as another face would, and the
    summary the browser shows after the session reads them."""

    def add_rests() -> None:
        [running] = [e for e in history(server) if e["type"] == "session"]
        app = build_app(env={"VAGUS_HOME": str(server.home), "VAGUS_LANG": "en"})
        try:
            started = datetime.fromisoformat(running["started_at"])
            before = rr_with_rmssd(40.0, 900.0)
            after = rr_with_rmssd(50.0, 60000.0 / 64.0)
            at = started - timedelta(seconds=sum(before) / 1000.0)
            add_recording(app.journal, at, before, ["rest-before"], session_id=running["id"])
            add_recording(app.journal, started, after, ["rest-after"], session_id=running["id"])
        finally:
            app.close()

    page = open_page(browser, DESKTOP)
    try:
        screen_all_no(page, server, "en")
        run_and_stop(page, server, "en", add_rests)
        change = page.locator("#player-summary-change")
        expect(change).to_be_visible()
        text = change.inner_text()
        assert "Rest before: RMSSD 40 ms, heart rate 67" in text
        assert "Rest after: RMSSD 50 ms, heart rate 64" in text
        assert "Change in RMSSD: +25 %" in text
    finally:
        page.context.close()
