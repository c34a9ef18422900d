"""Fixtures for the browser tests: one Chromium per run, one fresh server per test.

They run in ``make test`` (CI installs Debian's chromium); ``VAGUS_BROWSER_TESTS=0`` skips them
on a machine without Chromium. A missing Chromium or playwright fails them with what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_harness import (
    DESKTOP,
    Server,
    launch_browser,
    missing,
    running_server,
    skip_reason,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Longest a single Playwright action or expectation waits, ms (the replay sensor sends about
#: one beat a second, so a heart rate appears within a few seconds).
ACTION_TIMEOUT_MS = 20_000


@pytest.fixture(scope="session", autouse=True)
def _can_run() -> None:
    """Skip when switched off; fail with what to install when something is missing."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    lack = missing()
    if lack is not None:
        pytest.fail(lack)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop
    running on the main thread while it is open, and the other tests that pytest-xdist runs on
    the same worker afterwards (asyncio.run in the device tests) would find it running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real ``vagus serve`` with an empty journal in this test's temporary folder."""
    with running_server(tmp_path / "home") as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page at desktop size.

    It depends on ``server`` so that it closes first: an open live stream (server-sent events)
    would otherwise hold the stopping server for its whole shutdown timeout.
    """
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
