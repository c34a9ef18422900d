"""A phone-sized screen (no sideways scrolling, the player's controls in view) and a bad form
value (a message next to the field, nothing stored)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_harness import (
    LIVE_STREAM_ROUTE,
    PHONE,
    Server,
    faster_replay,
    fill_checkin,
    history,
    screen_all_no,
)

from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: Widest the page may be on a 360 px phone, CSS px: nothing wider than the screen.
PHONE_WIDTH_PX = PHONE["width"]
#: What the live heart rate shows once 30 s of beats are in (whole beats per minute).
WHOLE_NUMBER = re.compile(r"^\d+$")
#: Longest wait for the live numbers at the faster replay, ms (30 s of beats take about 2 s).
LIVE_WAIT_MS = 20_000
#: A check-in that is all right but for the field under test.
GOOD_CHECKIN = {
    "sleep": "5",
    "headache": "5",
    "digestion": "5",
    "anxiety": "5",
    "pain": "5",
    "fatigue": "5",
}


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate("() => document.scrollingElement.scrollWidth")
    return width


def test_phone_viewport_has_no_sideways_scroll(page: Page, server: Server) -> None:
    page.set_viewport_size(PHONE)
    screen_all_no(page, server)  # before the health questions every exercise is refused
    page.goto(f"{server.url}/?lang=en")
    assert _scroll_width(page) <= PHONE_WIDTH_PX

    page.goto(f"{server.url}/exercises/breathing")
    assert _scroll_width(page) <= PHONE_WIDTH_PX
    start = page.locator("#player-start")
    start.scroll_into_view_if_needed()
    expect(start).to_be_in_viewport()

    # Running: the pause, skip and stop buttons fit on the screen, side by side or wrapped.
    # The replay runs faster than real time: the numbers appear after 30 s of beats.
    page.route(LIVE_STREAM_ROUTE, faster_replay)
    page.check("#player-heart")
    start.click()
    page.click("#player-rating-skip")
    page.click("#player-continue")  # past the untimed "prepare" step to the breathing guide
    expect(page.locator("#player-breath")).to_be_visible()
    for button in ("#player-pause", "#player-skip", "#player-stop"):
        control = page.locator(button)
        control.scroll_into_view_if_needed()
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE_WIDTH_PX, button
    expect(page.locator("#live-hr")).to_have_text(WHOLE_NUMBER, timeout=LIVE_WAIT_MS)
    assert _scroll_width(page) <= PHONE_WIDTH_PX
    # The heart rate and the whole breathing circle fit on one phone screen together.
    page.evaluate("() => document.getElementById('player-run').scrollIntoView({block: 'start'})")
    expect(page.locator("#live-hr")).to_be_in_viewport()
    expect(page.locator("#player-circle")).to_be_in_viewport(ratio=1)
    page.click("#player-stop")


#: The status of a form page sent back with a message (pages.py: 400, nothing stored).
HTTP_BAD_REQUEST = 400
#: Bad values, each tried in turn on the same journal: above the scale, empty, below the
#: scale, not a whole number.
BAD_VALUES = (("anxiety", "11"), ("sleep", ""), ("pain", "-1"), ("fatigue", "2.5"))


def test_bad_checkin_value_is_refused_next_to_field(page: Page, server: Server) -> None:
    for field, value in BAD_VALUES:
        _submit_bad_value(page, server, field, value)


def _submit_bad_value(page: Page, server: Server, field: str, value: str) -> None:
    page.goto(f"{server.url}/checkin?lang=en")
    before = history(server)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        fill_checkin(page, GOOD_CHECKIN | {field: value}, note="kept after the error")
    assert answer.value.status == HTTP_BAD_REQUEST, (field, value)

    # One message, next to the field, tied to it for screen readers; the summary says so too.
    error = page.locator(f"#e-{field}")
    expect(error).to_have_text(tr("checkin.bad_value", "en"))
    assert page.locator(".field-error").count() == 1, (field, value)
    assert page.get_attribute(f"#f-{field}", "aria-invalid") == "true"
    assert page.get_attribute(f"#f-{field}", "aria-describedby") == f"e-{field}"
    field_box = page.locator(f"#f-{field}").locator("xpath=..")
    expect(field_box.locator(".field-error")).to_have_count(1)
    expect(page.locator("p.error[role=alert]")).to_have_text(tr("checkin.fix_errors", "en"))

    # What the person typed comes back, so nothing has to be typed twice.
    assert page.input_value("#f-note") == "kept after the error"
    assert page.input_value("#f-headache") == "5"

    # Nothing stored.
    assert history(server) == before
    page.goto(f"{server.url}/history")
    assert tr("history.type_checkin", "en") not in page.inner_text("#main")
