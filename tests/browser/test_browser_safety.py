"""The safety rules as a person meets them in the browser, in English and Norwegian bokmål.

- An exercise the screening leaves out (cold water with cold urticaria) shows the reason in
  place of Start; a Start pressed on a page opened before the screening changed shows the
  server's refusal and starts nothing.
- A warning sign reported in the player (chest pain) shows its advice at once, with the
  emergency number 113, and the session ends stopped; a stop-rule sign answered after the
  timed steps shows that exercise's advice.
- The check-in lists the warning signs; a red-flag sign shows its advice at once, and Today
  keeps showing it until the person confirms they got help.

Each test skips the timed steps instead of waiting for them, and waits on what the page shows
(``expect``), never for a fixed time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from browser_harness import (
    Server,
    fetch_json,
    fill_checkin,
    history,
    post_json,
    screen_all_no,
)

from vagus.app import check_symptoms
from vagus.web._i18n import tr

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from vagus.program import Lang

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: The screening question whose "yes" leaves cold water out of the plan (a hard stop, not
#: "ask your clinician first": src/vagus/program/data/screening.toml).
COLD_URTICARIA = "cold-urticaria"
COLD_WATER = "cold-water"
BREATHING = "breathing"
#: A red-flag sign (SAFETY.md, heart: urgent assessment; vagus adds "call 113 if it gets worse").
CHEST_PAIN = "chest-pain"
#: The emergency number in Norway, which the advice for chest pain names.
EMERGENCY_NUMBER = "113"
#: Two of breathing's stop-rule signs (SAFETY.md, slow breathing: tingling, dizziness, ...).
BREATHING_SIGNS = ("dizziness", "tingling")
#: A check-in that is all right but for the sign ticked with it (each 0-10).
CHECKIN_VALUES = {
    "sleep": "5",
    "headache": "3",
    "digestion": "4",
    "anxiety": "4",
    "pain": "2",
    "fatigue": "5",
}
LANGS = ["en", "nb"]


def _other(lang: Lang) -> Lang:
    return "nb" if lang == "en" else "en"


def _advice(symptoms: list[str], exercise_id: str | None, lang: Lang) -> list[str]:
    """The advice the rules give for these signs, in ``lang`` (vagus.app, in-process)."""
    return [str(line) for line in check_symptoms(symptoms, exercise_id).advice(lang)]


def _labels(server: Server, lang: Lang) -> dict[str, str]:
    safety = fetch_json(f"{server.url}/api/safety?lang={lang}")
    return {s["id"]: s["label"] for s in safety["symptoms"]}


def _expect_advice_lines(items: Locator, lines: list[str]) -> None:
    """Each advice line shown, one item each, in order; the emergency number visible."""
    expect(items).to_have_count(len(lines))
    expect(items).to_have_text(lines)
    shown = [items.nth(i) for i in range(len(lines)) if EMERGENCY_NUMBER in lines[i]]
    assert shown, f"no advice line names {EMERGENCY_NUMBER}: {lines}"
    for item in shown:
        expect(item).to_be_visible()
        expect(item).to_contain_text(EMERGENCY_NUMBER)


def _screen_with_cold_urticaria(page: Page, server: Server, lang: Lang) -> None:
    """On /screen: "no" to everything but cold urticaria, and save."""
    page.goto(f"{server.url}/screen?lang={lang}")
    radios = page.locator('#main form input[type="radio"][value="no"]')
    for i in range(radios.count()):
        radios.nth(i).check()
    page.check(f'input[name="q-{COLD_URTICARIA}"][value="yes"]')
    page.locator('#main form button[type="submit"]').click()
    page.wait_for_load_state()
    expect(page.locator("#result-h")).to_have_text(tr("screen.result", lang))


def _refusal(page: Page, server: Server, lang: Lang | None = None) -> dict[str, Any]:
    """What POST /api/sessions answers for cold water from this page's context: 409, with the
    reason in ``lang`` (default: the page's language, as the player asks)."""
    import json

    query = "" if lang is None else f"?lang={lang}"
    response = page.request.post(
        f"{server.url}/api/sessions{query}",
        data=json.dumps({"exercise_id": COLD_WATER}),
        headers={
            "Content-Type": "application/json",
            "X-Vagus-CSRF": page.get_attribute('meta[name="csrf-token"]', "content") or "",
        },
    )
    assert response.status == 409, response.text()
    body: dict[str, Any] = response.json()
    return body


def _start_breathing(page: Page, server: Server, lang: Lang) -> None:
    """Screened, on the breathing page with the heart shown: Start, skip the before-rating, and
    continue past the untimed first step to the breathing guide."""
    screen_all_no(page, server, lang)
    page.goto(f"{server.url}/exercises/{BREATHING}")
    page.check("#player-heart")  # the live stream is open while the session runs
    page.click("#player-start")
    page.click("#player-rating-skip")
    expect(page.locator("#player-run")).to_be_visible()
    page.click("#player-continue")
    expect(page.locator("#player-breath")).to_be_visible()


def _only_session(server: Server) -> dict[str, Any]:
    [entry] = [e for e in history(server) if e["type"] == "session"]
    session: dict[str, Any] = fetch_json(f"{server.url}/api/sessions/{entry['id']}")
    return session


# --- screening: an excluded exercise ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_excluded_exercise_shows_the_reason_and_no_start(
    page: Page, server: Server, lang: Lang
) -> None:
    _screen_with_cold_urticaria(page, server, lang)
    page.goto(f"{server.url}/exercises/{COLD_WATER}")
    assert page.get_attribute("html", "lang") == lang

    refused = _refusal(page, server)
    assert refused["code"] == "excluded"
    notice = page.locator("#gate-refused")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(refused["reason"])
    # The reason is in the page's language: the other language's words are not on the page.
    elsewhere = _refusal(page, server, _other(lang))["reason"]
    assert elsewhere != refused["reason"]
    expect(notice).not_to_contain_text(elsewhere)
    expect(page.locator("#player-start")).to_have_count(0)
    assert not [e for e in history(server) if e["type"] == "session"]


def test_start_on_a_page_opened_before_the_screening_shows_the_refusal(
    page: Page, server: Server
) -> None:
    screen_all_no(page, server, "nb")
    page.goto(f"{server.url}/exercises/{COLD_WATER}")
    expect(page.locator("#player-start")).to_be_visible()
    # Meanwhile (another tab) the answers change: cold urticaria leaves cold water out.
    questions = fetch_json(server.url + "/api/screening/questions")
    post_json(
        page,
        "/api/screening",
        {"answers": {q["id"]: q["id"] == COLD_URTICARIA for q in questions}},
    )

    page.click("#player-start")
    error = page.locator("#player-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(_refusal(page, server, "nb")["reason"])
    expect(page.locator("#player-rating")).to_be_hidden()
    expect(page.locator("#player-run")).to_be_hidden()
    assert not [e for e in history(server) if e["type"] == "session"]


# --- the player: a warning sign during the session, a stop-rule sign after it -------------------


@pytest.mark.parametrize("lang", LANGS)
def test_warning_sign_in_the_player_shows_113_and_stops(
    page: Page, server: Server, lang: Lang
) -> None:
    _start_breathing(page, server, lang)

    page.click("#player-symptom")
    form = page.locator("#symptom-form")
    expect(form).to_be_visible()
    label = _labels(server, lang)[CHEST_PAIN]
    expect(form.get_by_label(label, exact=True)).to_be_visible()
    form.get_by_label(label, exact=True).check()
    page.click("#symptom-send")

    # The advice at once, in the page's language, with the emergency number; it has the focus.
    advice = page.locator("#player-advice")
    expect(advice).to_be_visible()
    assert advice.get_attribute("role") == "alert"
    items = page.locator("#player-advice-list li")
    _expect_advice_lines(items, _advice([CHEST_PAIN], BREATHING, lang))
    expect(advice).to_be_focused()

    # The player stopped: no guide, no report button, the summary says why.
    expect(page.locator("#player-run")).to_be_hidden()
    expect(page.locator("#player-symptom")).to_be_hidden()
    expect(page.locator("#player-summary")).to_be_visible()
    expect(page.locator("#player-summary-msg")).to_have_text(tr("player.stopped_symptom", lang))

    # The server stopped it: the step that was running is not recorded, the sign is kept.
    session = _only_session(server)
    assert session["status"] == "stopped"
    assert [s["step_id"] for s in session["steps"]] == ["prepare"]
    assert any(CHEST_PAIN in f["symptoms"] for f in session["feedback"]), session["feedback"]

    # Today keeps the red flag.
    page.goto(f"{server.url}/")
    expect(page.locator("#red-flag")).to_be_visible()
    expect(page.locator("#red-flag")).to_contain_text(EMERGENCY_NUMBER)
    # Closing the tab's stream after the stop left the session stopped, not interrupted.
    assert _only_session(server)["status"] == "stopped"


def test_stop_rule_sign_after_the_session_shows_its_advice(page: Page, server: Server) -> None:
    lang: Lang = "nb"
    _start_breathing(page, server, lang)
    page.click("#player-skip")  # the breathing step: skipped rather than waited for
    expect(page.locator("#player-continue")).to_be_visible()
    page.click("#player-continue")  # the closing step

    form = page.locator("#stoprule-form")
    expect(form).to_be_visible()
    expect(page.locator("#player-run")).to_be_hidden()
    labels = _labels(server, lang)
    for sign in BREATHING_SIGNS:
        form.get_by_label(labels[sign], exact=True).check()
    expect(page.locator("#stoprule-send")).to_have_text(tr("player.stoprule_send", lang))
    page.click("#stoprule-send")

    advice = page.locator("#player-advice")
    expect(advice).to_be_visible()
    expect(page.locator("#player-advice-list li")).to_have_text(
        _advice(list(BREATHING_SIGNS), BREATHING, lang)
    )
    expect(form).to_be_hidden()
    # Then the after-rating and the summary, with the server's word on how it ended.
    expect(page.locator("#player-rating")).to_be_visible()
    page.click("#player-rating-skip")
    expect(page.locator("#player-summary")).to_be_visible()
    session = _only_session(server)
    assert session["status"] == "stopped"  # the breathing step was skipped
    expect(page.locator("#player-summary-msg")).to_have_text(tr("player.stopped_symptom", lang))
    assert any(set(BREATHING_SIGNS) <= set(f["symptoms"]) for f in session["feedback"])


# --- the check-in's warning signs and Today's red flag ------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_checkin_warning_sign_shows_advice_and_today_keeps_it(
    page: Page, server: Server, lang: Lang
) -> None:
    screen_all_no(page, server, lang)
    page.goto(f"{server.url}/checkin")
    safety = fetch_json(f"{server.url}/api/safety?lang={lang}")
    labels = {s["id"]: s["label"] for s in safety["symptoms"]}
    boxes = page.locator('input[name="symptoms"]')
    listed = {boxes.nth(i).get_attribute("value") for i in range(boxes.count())}
    assert set(safety["red_flag_signs"]) <= listed, set(safety["red_flag_signs"]) - listed
    for sign in safety["red_flag_signs"]:
        expect(page.get_by_label(labels[sign], exact=True)).to_be_visible()

    page.get_by_label(labels[CHEST_PAIN], exact=True).check()
    fill_checkin(page, CHECKIN_VALUES)
    advice = page.locator("#checkin-advice")
    expect(advice).to_be_visible()
    lines = _advice([CHEST_PAIN], None, lang)
    for line in lines:
        expect(advice).to_contain_text(line)
    expect(advice).to_contain_text(EMERGENCY_NUMBER)

    # Today shows the red flag, with its advice, until the person confirms they got help.
    page.goto(f"{server.url}/")
    flag = page.locator("#red-flag")
    expect(flag).to_be_visible()
    expect(flag).to_contain_text(lines[0])
    expect(flag).to_contain_text(EMERGENCY_NUMBER)
    page.reload()
    expect(flag).to_be_visible()
    page.click("#red-flag-confirm")
    expect(page.locator("#red-flag")).to_have_count(0)
    page.goto(f"{server.url}/")
    expect(page.locator("#red-flag")).to_have_count(0)
    assert fetch_json(f"{server.url}/api/today")["red_flag"] is None
