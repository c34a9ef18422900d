"""A new person's first visit, in a real browser, in English and in Norwegian bokmål.

Screening (no to everything), the humming player with live heart data from the replay sensor
over server-sent events, the after-rating, a check-in, and both found in History, on the page
and in the journal (``/api/history``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_harness import Server, answer_screening_no, fill_checkin, history

from vagus.program import load_catalog
from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from vagus.program import Lang

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: The exercise run: humming's steps are prepare (untimed), hum (120 s, skippable), finish.
EXERCISE_ID = "humming"
#: A few texts written out, so the test notices if a page falls back to the wrong language even
#: when the message catalogue itself is wrong.
LITERAL_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "today": "Today",
        "history": "History",
        "checkin_saved": "Your check-in is saved.",
        "done": "Done. Well done.",
    },
    "nb": {
        "today": "I dag",
        "history": "Historikk",
        "checkin_saved": "Innsjekken er lagret.",
        "done": "Ferdig. Godt gjort.",
    },
}
#: The calm rating given after the session (0-10 scale).
AFTER_CALM = 7
#: The check-in typed into the form (each 0-10).
CHECKIN_VALUES = {
    "sleep": "6",
    "headache": "2",
    "digestion": "3",
    "anxiety": "4",
    "pain": "1",
    "fatigue": "5",
}
#: A heart rate shown by the player must be a whole number of beats per minute in this range
#: (the bundled replay recording is a resting adult; anything outside is a wiring bug).
HR_PATTERN = re.compile(r"^\d{2,3}$")
HR_PLAUSIBLE_BPM = (30, 220)


def _wait_for_new_heart_rate(page: Page, before: str) -> str:
    """Wait until #live-hr shows a whole number that differs from ``before``; return it.

    Polled from Python with ``expect``: the app's Content-Security-Policy forbids the string
    evaluation that ``page.wait_for_function`` needs, and the tests keep that policy on.
    """
    shown = page.locator("#live-hr")
    expect(shown).to_have_text(HR_PATTERN)
    expect(shown).not_to_have_text(before)
    expect(shown).to_have_text(HR_PATTERN)
    return shown.inner_text().strip()


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_first_visit_to_recorded_session(page: Page, server: Server, lang: Lang) -> None:
    other: Lang = "nb" if lang == "en" else "en"
    literal = LITERAL_TEXT[lang]

    # Today, in the asked language; a new person is asked to answer the screening first.
    page.goto(f"{server.url}/?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("h1") == tr("today.title", lang)
    assert page.inner_text("h1") != tr("today.title", other)
    assert page.inner_text("h1") == literal["today"]
    page.click("text=" + tr("today.screen_prompt", lang))
    assert page.url.startswith(server.url + "/screen")

    answer_screening_no(page)
    assert page.locator("#result-h").inner_text() == tr("screen.result", lang)

    # The exercise page: the language is remembered without ?lang= (cookie).
    page.goto(f"{server.url}/exercises/{EXERCISE_ID}")
    assert page.get_attribute("html", "lang") == lang
    name = load_catalog().exercise(EXERCISE_ID).text("name", lang)
    assert page.inner_text("h1") == name
    page.check("#player-heart")
    page.click("#player-start")

    # Before-rating: skipped.
    page.locator("#player-rating").wait_for(state="visible")
    assert page.inner_text("#player-rating-q") == tr("player.before_q", lang)
    page.click("#player-rating-skip")
    page.locator("#player-run").wait_for(state="visible")
    page.locator("#player-live").wait_for(state="visible")

    # Live heart data over server-sent events: a number appears, then changes at least once.
    first = _wait_for_new_heart_rate(page, "–")
    second = _wait_for_new_heart_rate(page, first)
    for shown in (first, second):
        assert HR_PATTERN.match(shown), shown
        assert HR_PLAUSIBLE_BPM[0] <= int(shown) <= HR_PLAUSIBLE_BPM[1], shown
    assert page.locator("#live-chart polyline").count() == 1

    # Step 1 (prepare) is untimed: continue. Step 2 (hum, 120 s) is timed: skip. Step 3: continue.
    assert (
        page.inner_text("#player-stepno")
        == f"{tr('player.step', lang)} 1 {tr('player.of', lang)} 3"
    )
    page.click("#player-continue")
    expect(page.locator("#player-stepno")).to_contain_text(" 2 ")
    assert page.locator("#player-breath").is_visible()  # humming has a breathing guide
    assert page.inner_text("#player-phase") in {
        tr(f"player.{p}", lang) for p in ("inhale", "hold_in", "exhale", "hold_out")
    }
    page.click("#player-skip")
    expect(page.locator("#player-stepno")).to_contain_text(" 3 ")
    page.click("#player-continue")

    # After-rating, then the summary.
    page.locator("#player-rating").wait_for(state="visible")
    assert page.inner_text("#player-rating-q") == tr("player.after_q", lang)
    page.fill("#player-calm", str(AFTER_CALM))
    page.click("#player-rating button[type=submit]")
    page.locator("#player-summary").wait_for(state="visible")
    assert page.inner_text("#player-summary-msg") == tr("player.done", lang)
    assert page.inner_text("#player-summary-msg") == literal["done"]
    assert f"– → {AFTER_CALM}" in page.inner_text("#player-summary-list")
    assert page.locator("#player-error").is_hidden()

    # A check-in through the form.
    page.goto(f"{server.url}/checkin")
    assert page.inner_text("h1") == tr("checkin.title", lang)
    fill_checkin(page, CHECKIN_VALUES)
    assert page.url.endswith("/checkin?saved=1")
    assert page.locator("p.ok").inner_text() == tr("cli.checkin_saved", lang)
    assert page.locator("p.ok").inner_text() == literal["checkin_saved"]

    # History shows both, in the language chosen.
    page.goto(f"{server.url}/history")
    assert page.inner_text("h1") == tr("history.title", lang) == literal["history"]
    rows = page.locator("#main tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    session_rows = [t for t in texts if tr("history.type_session", lang) in t]
    checkin_rows = [t for t in texts if tr("history.type_checkin", lang) in t]
    assert len(session_rows) == 1, texts
    assert name in session_rows[0]
    assert "completed" in session_rows[0]
    assert len(checkin_rows) == 1, texts
    assert "6" in checkin_rows[0]

    # And the journal holds exactly what was done.
    entries = history(server)
    sessions = [e for e in entries if e["type"] == "session"]
    checkins = [e for e in entries if e["type"] == "checkin"]
    assert len(sessions) == 1
    assert sessions[0]["exercise_id"] == EXERCISE_ID
    assert sessions[0]["status"] == "completed"
    assert [s["outcome"] for s in sessions[0]["steps"]] == ["completed", "skipped", "completed"]
    assert len(checkins) == 1
    assert {k: checkins[0][k] for k in CHECKIN_VALUES} == {
        k: int(v) for k, v in CHECKIN_VALUES.items()
    }
