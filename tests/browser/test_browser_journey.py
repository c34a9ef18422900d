"""A new person's first visit, in a real browser, in English and in Norwegian bokmål.

Screening (no to everything), today's plan, a real two-minute breathing session (the plan's
first dose) in the player with live heart data from the replay sensor over server-sent events,
the stop-rule question ("None of these"), the after-rating, a check-in, and both found in
History (rows and the symptom chart), on the page and in the journal (``/api/history``): the
session completed, its live recording linked to it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_harness import (
    Server,
    answer_screening_no,
    chart_points,
    fetch_json,
    fill_checkin,
    history,
    wait_for_more_points,
)

from vagus.program import load_catalog
from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from vagus.program import Lang

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: The exercise run: breathing at today's plan dose for a new person, 2 minutes: prepare
#: (untimed), breathe (120 s at 4 s in / 8 s out, run to its end), finish (untimed).
EXERCISE_ID = "breathing"
PLANNED_MINUTES = 2
#: Longest wait for the timed step to end by itself, ms (120 s plus slack for a busy machine).
BREATHE_STEP_TIMEOUT_MS = 150_000
#: Fewest beats the live recording must hold after two minutes of replay (about 75 a minute).
MIN_LIVE_BEATS = 100
#: Longest wait for the pacer's next phase, ms (the longest phase is the 8 s out-breath).
PHASE_TIMEOUT_MS = 15_000
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
#: ln RMSSD as the player shows it: two decimals, in either language's decimal sign.
LN_PATTERN = re.compile(r"^\d+[.,]\d\d$")
#: Longest wait for the live numbers, ms: they appear after 30 s of beats (MIN_LIVE_S) at the
#: replay's real time; the breathing step (120 s) is running meanwhile.
LIVE_NUMBERS_TIMEOUT_MS = 90_000


def _wait_for_live_numbers(page: Page) -> str:
    """Wait until #live-hr shows a whole number (the analysis of 30 s of beats or more, at
    the replay's real time; issue 12) and ln RMSSD its two decimals; return the heart rate.

    Polled from Python with ``expect``: the app's Content-Security-Policy forbids the string
    evaluation that ``page.wait_for_function`` needs, and the tests keep that policy on.
    """
    shown = page.locator("#live-hr")
    expect(shown).to_have_text(HR_PATTERN, timeout=LIVE_NUMBERS_TIMEOUT_MS)
    expect(page.locator("#live-ln")).to_have_text(LN_PATTERN)
    expect(page.locator("#live-measuring")).to_be_hidden()
    return shown.inner_text().strip()


def _answer_stop_rule_none(page: Page, server: Server, lang: Lang) -> None:
    """The stop-rule question after the timed steps: its checkboxes are this exercise's stop-rule
    signs with their labels in ``lang``; "None of these" moves on."""
    form = page.locator("#stoprule-form")
    expect(form).to_be_visible()
    safety = fetch_json(f"{server.url}/api/safety?lang={lang}")
    labels = {s["id"]: s["label"] for s in safety["symptoms"]}
    signs = safety["stop_rules"][EXERCISE_ID]
    boxes = form.locator('input[name="stop-symptom"]')
    expect(boxes).to_have_count(len(signs))
    for sign in signs:
        expect(form.get_by_label(labels[sign], exact=True)).to_be_visible()
    expect(page.locator("#stoprule-none")).to_have_text(tr("player.stoprule_none", lang))
    page.click("#stoprule-none")
    expect(form).to_be_hidden()
    expect(page.locator("#player-advice")).to_be_hidden()


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

    # Today's plan now lists breathing at 2 minutes; its link opens the player with that dose.
    page.goto(f"{server.url}/")
    name = load_catalog().exercise(EXERCISE_ID).text("name", lang)
    page.click(f"ul.plan a[href='/exercises/{EXERCISE_ID}']")
    # The exercise page: the language is remembered without ?lang= (cookie).
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("h1") == name
    assert f"{PLANNED_MINUTES} min" in page.inner_text("#planned")
    page.check("#player-heart")
    page.click("#player-start")

    # Before-rating: skipped.
    page.locator("#player-rating").wait_for(state="visible")
    assert page.inner_text("#player-rating-q") == tr("player.before_q", lang)
    page.click("#player-rating-skip")
    page.locator("#player-run").wait_for(state="visible")
    page.locator("#player-live").wait_for(state="visible")

    # Live heart data over server-sent events: the chart draws each beat at once and grows,
    # while "measuring" counts towards the 30 s after which the numbers appear (below).
    first = wait_for_more_points(page, 1)
    wait_for_more_points(page, first)
    assert page.locator("#live-chart polyline").count() == 1
    expect(page.locator("#live-measuring-text")).to_be_visible()
    expect(page.locator("#live-hr")).to_have_text("–")

    # Step 1 (prepare) is untimed: continue. Step 2 (breathe, 120 s) runs to its end while the
    # pacer turns between in- and out-breath. Step 3 (finish): continue.
    assert (
        page.inner_text("#player-stepno")
        == f"{tr('player.step', lang)} 1 {tr('player.of', lang)} 3"
    )
    page.click("#player-continue")
    expect(page.locator("#player-stepno")).to_have_text(
        f"{tr('player.step', lang)} 2 {tr('player.of', lang)} 3"
    )
    assert page.locator("#player-breath").is_visible()
    phase = page.locator("#player-phase")
    expect(phase).to_have_text(tr("player.inhale", lang), timeout=PHASE_TIMEOUT_MS)
    expect(phase).to_have_text(tr("player.exhale", lang), timeout=PHASE_TIMEOUT_MS)  # 4 s in
    # 8 s out, then in again: the pacer went through one whole breath.
    expect(phase).to_have_text(tr("player.inhale", lang), timeout=PHASE_TIMEOUT_MS)
    # From 30 s of beats on, the numbers: the analysis of the beats so far, a plausible rate;
    # the chart goes on growing.
    shown = _wait_for_live_numbers(page)
    assert HR_PLAUSIBLE_BPM[0] <= int(shown) <= HR_PLAUSIBLE_BPM[1], shown
    wait_for_more_points(page, chart_points(page))
    expect(page.locator("#player-stepno")).to_have_text(
        f"{tr('player.step', lang)} 3 {tr('player.of', lang)} 3", timeout=BREATHE_STEP_TIMEOUT_MS
    )
    page.click("#player-continue")

    # The stop-rule question: this exercise's signs, in the page's language; none came.
    _answer_stop_rule_none(page, server, lang)

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
    expect(page.locator("p.ok")).to_have_text(tr("cli.checkin_saved", lang))
    # No warning sign ticked: no advice.
    expect(page.locator("#checkin-advice")).to_have_count(0)
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
    assert tr("history.status_completed", lang) in session_rows[0]
    assert tr("history.steps", lang, n=3) in session_rows[0]
    assert page.locator("#trend-symptoms-title").count() == 1  # the check-in's chart
    assert len(checkin_rows) == 1, texts
    assert "6" in checkin_rows[0]

    # And the journal holds exactly what was done.
    entries = history(server)
    sessions = [e for e in entries if e["type"] == "session"]
    checkins = [e for e in entries if e["type"] == "checkin"]
    assert len(sessions) == 1
    assert sessions[0]["exercise_id"] == EXERCISE_ID
    assert sessions[0]["status"] == "completed"
    # Today's dose, at the pace the server chose (the player sends no parameters of its own).
    assert sessions[0]["params"]["minutes"] == PLANNED_MINUTES
    assert [s["outcome"] for s in sessions[0]["steps"]] == ["completed"] * 3
    breathe = sessions[0]["steps"][1]
    assert breathe["step_id"] == "breathe"
    # The step ran its full 120 s of active time (to the browser clock's millisecond rounding).
    assert breathe["active_s"] == pytest.approx(PLANNED_MINUTES * 60, abs=1.0)
    # The live stream's recording is the session's (linked to it, not a measurement of its
    # own), finished with its analysis when the player closed the stream after /finish had
    # answered (the server notices the disconnect; real uvicorn, real EventSource).
    recordings = [e for e in entries if e["type"] == "measurement"]
    live = [e for e in recordings if e["session_id"] == sessions[0]["id"]]
    assert len(live) == 1, recordings
    assert len(recordings) == 1, recordings
    assert "session" in live[0]["tags"]
    assert "morning" not in live[0]["tags"]
    assert live[0]["ended_at"] is not None
    assert live[0]["n_beats"] >= MIN_LIVE_BEATS
    assert live[0]["analysis"]["indices"]["mean_hr"] is not None
    assert len(checkins) == 1
    assert {k: checkins[0][k] for k in CHECKIN_VALUES} == {
        k: int(v) for k, v in CHECKIN_VALUES.items()
    }
