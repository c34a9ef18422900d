"""Keyboard only: the skip link, a visible focus, and a whole session run with Tab, Enter and
Space, never the mouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import Server, history, screen_all_no

from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: Most Tab presses allowed to reach a control (a page has far fewer focusable elements).
MAX_TABS = 80


def _focused_id(page: Page) -> str:
    focused: str = page.evaluate("() => document.activeElement ? document.activeElement.id : ''")
    return focused


def _outline(page: Page) -> str:
    style: str = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle + ' ' + s.outlineWidth; }"
    )
    return style


def _tab_to(page: Page, element_id: str) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if _focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_a_session_by_keyboard_alone(page: Page, server: Server) -> None:
    screen_all_no(page, server)  # before the health questions every exercise is refused
    page.goto(f"{server.url}/exercises/humming?lang=en")

    # The first Tab reaches the skip link, shown with a visible outline.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    expect(page.locator("a.skip")).to_be_in_viewport()
    assert not _outline(page).startswith("none"), _outline(page)
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    # Start, rate calm 6 with the arrow keys, save.
    _tab_to(page, "player-start")
    assert not _outline(page).startswith("none")
    page.keyboard.press("Enter")
    expect(page.locator("#player-rating")).to_be_visible()
    assert _focused_id(page) == "player-calm"
    page.keyboard.press("ArrowRight")  # 5 -> 6
    expect(page.locator("#player-calm-out")).to_have_text("6")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Save button

    # The untimed first step: focus is on Continue. The timed hum: focus on Pause.
    expect(page.locator("#player-run")).to_be_visible()
    assert _focused_id(page) == "player-continue"
    page.keyboard.press("Enter")
    expect(page.locator("#player-stepno")).to_have_text(f"{tr('player.step', 'en')} 2 of 3")
    assert _focused_id(page) == "player-pause"
    page.keyboard.press("Space")
    expect(page.locator("#player-pause")).to_have_text(tr("player.resume", "en"))
    page.keyboard.press("Space")
    expect(page.locator("#player-pause")).to_have_text(tr("player.pause", "en"))

    # Stop, skip the after-rating, and the summary takes the focus.
    _tab_to(page, "player-stop")
    page.keyboard.press("Enter")
    expect(page.locator("#player-rating")).to_be_visible()
    _tab_to(page, "player-rating-skip")
    page.keyboard.press("Enter")
    expect(page.locator("#player-summary")).to_be_visible()
    assert _focused_id(page) == "player-summary"

    [session] = [e for e in history(server) if e["type"] == "session"]
    assert session["status"] == "stopped"
    assert session["ratings"]["before"] == 6
    assert [s["outcome"] for s in session["steps"]] == ["completed", "aborted"]
