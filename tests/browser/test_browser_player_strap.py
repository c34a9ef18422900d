"""The exercise page with a strap connected in the browser: the button appears only with Web
Bluetooth, the player shows the strap's heart data (not the server's sensor), and the beats are
recorded in the journal as the session's recording."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import Server, history, screen_all_no
from test_browser_strap import FAKE_BLUETOOTH, NO_BLUETOOTH, STRAP_NAME, rr_packet, wait_for

from vagus.web._i18n import tr
from vagus.web._live import BROWSER_TAG

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: RR intervals the fake strap sends, in 1/1024 s (about 1 s each: 60 bpm).
RAW_RR = (1024, 1030, 1018, 1024, 1040, 1010)


def test_no_button_without_web_bluetooth(page: Page, server: Server) -> None:
    page.add_init_script(NO_BLUETOOTH)
    screen_all_no(page, server)  # before the health questions every exercise is refused
    page.goto(f"{server.url}/exercises/breathing?lang=en")
    expect(page.locator("#player-start")).to_be_visible()
    expect(page.locator("#player-strap")).to_be_hidden()


def test_player_shows_the_browsers_strap(page: Page, server: Server) -> None:
    page.add_init_script(FAKE_BLUETOOTH)
    screen_all_no(page, server)
    page.goto(f"{server.url}/exercises/breathing?lang=nb")
    button = page.locator("#strap-connect")
    expect(button).to_be_visible()
    expect(button).to_have_text(tr("strap.connect", "nb"))
    button.click()
    expect(page.locator("#strap-status")).to_have_text(
        f"{tr('strap.connected', 'nb')} {STRAP_NAME}"
    )
    page.click("#player-start")
    page.click("#player-rating-skip")
    page.locator("#player-run").wait_for(state="visible")
    expect(page.locator("#player-live")).to_be_visible()
    for raw in RAW_RR:
        page.evaluate("(bytes) => window.__fakeStrap.emit(bytes)", rr_packet([raw]))
    # Six beats of about 1 s: the strap's, not the server's replay (which would be many more
    # and ~75 bpm). Under 30 s of beats the player says it is measuring and shows no number
    # (issue 12), while the chart draws each beat.
    measuring = tr("player.measuring", "nb", seconds="6", minimum="30")
    expect(page.locator("#live-measuring-text")).to_have_text(measuring)
    expect(page.locator("#live-hr")).to_have_text("–")
    expect(page.locator("#live-chart")).to_be_visible()
    points = wait_for(
        page,
        "() => (document.querySelector('#live-chart polyline') || {getAttribute: () => ''})"
        ".getAttribute('points')",
        lambda p: len((p or "").split()) == len(RAW_RR),
        "the live chart",
    )
    assert len(points.split()) == len(RAW_RR)
    page.click("#player-stop")
    page.click("#player-rating-skip")
    expect(page.locator("#player-summary")).to_be_visible()

    measurements = [e for e in history(server) if e["type"] == "measurement"]
    strap = [m for m in measurements if BROWSER_TAG in m["tags"]]
    # Connected before Start, the strap's beats went to the session's recording once it
    # began; after the session a standalone measurement follows (empty here: it is discarded
    # when the strap stops if shorter than a minute).
    (session,) = [e for e in history(server) if e["type"] == "session"]
    (linked,) = [m for m in strap if m["session_id"] is not None]
    assert linked["session_id"] == session["id"]
    assert linked["id"] in session["recording_ids"]
    assert linked["n_beats"] == len(RAW_RR)
    assert linked["source"] == f"{STRAP_NAME} (browser)"
    assert all(m["n_beats"] == 0 for m in strap if m is not linked)
    # No stream from the server's own sensor was opened while the strap was connected.
    assert all(BROWSER_TAG in m["tags"] for m in measurements)
