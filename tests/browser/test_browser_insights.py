"""The insights page as a person sees it, at 360 px in Norwegian and at desktop size in
English: the suggestion in the page's language, the effects chart drawn and visible with its
numbers, and no sideways scrolling; Today shows its one line.

The journal is filled before the server starts (sessions with rests whose RMSSD is exactly
40 ms before and 50 ms after for breathing); nothing asserted depends on the hour or the day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_harness import DESKTOP, PHONE, Server, running_server

from insights_journal import add_session
from vagus.app import build_app
from vagus.program import questions

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Longest one Playwright action waits, ms (as tests/browser/conftest.py).
ACTION_TIMEOUT_MS = 20_000


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
