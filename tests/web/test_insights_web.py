"""Insights on the web: /api/insights is the object `vagus insights --json` prints (the app's),
/insights says it in nb and en with the numbers written per language and the charts drawn, Today
carries one line of it, and a session's before and after is served for the player's summary.

The clock is the web tests' fixed 07:30 local time; records sit a few tens of minutes before it
on their days, so their local days agree in any time zone."""

from __future__ import annotations

import math
import re
import warnings
from datetime import timedelta

import pytest

from insights_journal import add_morning, add_session
from vagus.app import App
from vagus.app.insights import exercise_names
from web.conftest import LOCAL_NOW

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def filled(screened: App) -> App:
    """Breathing: RMSSD 40 -> 50 ms (+25 %) every session; humming 40 -> 40-41.6 ms;
    neck: rests only before (left out); 16 mornings."""
    journal = screened.journal
    for k in range(6):
        at = LOCAL_NOW - timedelta(days=12 - 2 * k, minutes=60)
        add_session(journal, at, "breathing", rmssd_before=40.0, rmssd_after=50.0)
        add_session(
            journal,
            at + timedelta(minutes=20),
            "humming",
            rmssd_before=40.0,
            rmssd_after=40.0 + 0.8 * (k % 3),
        )
    add_session(journal, LOCAL_NOW - timedelta(days=1, minutes=50), "neck", rmssd_after=None)
    for day in range(16):
        add_morning(journal, LOCAL_NOW - timedelta(days=day, minutes=30), 40.0 + day % 3)
    return screened


def test_the_api_is_the_app_s_object(client: TestClient, filled: App) -> None:
    for lang in ("en", "nb"):
        answer = client.get(f"/api/insights?lang={lang}")
        assert answer.status_code == 200
        assert answer.json() == filled.insights.overview(lang)
    data = client.get("/api/insights?lang=en").json()
    assert set(data) == {"exercises", "best", "next", "morning", "symptoms"}
    by_id = {e["id"]: e for e in data["exercises"]}
    assert by_id["breathing"]["paired"] == 6
    assert by_id["breathing"]["ln_rmssd_change"]["low"] > 0
    assert by_id["breathing"]["p_best"] > by_id["humming"]["p_best"]
    assert data["best"] == "breathing"
    assert by_id["neck"]["left_out"] == {"missing": 1, "short": 0, "artifacts": 0}


def test_an_empty_journal_has_a_friendly_page(client: TestClient, screened: App) -> None:
    data = client.get("/api/insights?lang=en").json()
    assert data["morning"]["status"] == "too-few"
    assert len(data["exercises"]) == 7
    page = client.get("/insights?lang=en")
    assert page.status_code == 200
    assert "Try next" in page.text
    assert "not measured for you yet" in page.text
    assert "Too early to say" in page.text
    assert "<svg" not in page.text.split('id="insights-next"')[1]  # no empty chart


@pytest.mark.parametrize(
    ("lang", "words", "number"),
    [
        (
            "en",
            (
                "Insights: what works for you",
                "Try next",
                "For you, so far",
                "Belly breathing",
                "does not replace a doctor",
                "A report for your therapist",
            ),
            "+25",
        ),
        (
            "nb",
            (
                "Innsikt: hva virker for deg",
                "Prøv neste",
                "For deg så langt",
                "Magepust",
                "erstatter ikke lege",
                "Rapport til behandleren din",
            ),
            "+25",
        ),
    ],
)
def test_the_page_in_both_languages(
    client: TestClient, filled: App, lang: str, words: tuple[str, ...], number: str
) -> None:
    page = client.get(f"/insights?lang={lang}")
    assert page.status_code == 200
    text = page.text
    for word in words:
        assert word in text
    assert number in text  # breathing's RMSSD change, about +25 %
    assert text.count('role="img"') >= 2  # the effects chart and the morning chart
    decimal = "," if lang == "nb" else "."
    # Heart rate falls by exactly 2 bpm in every paired session: -2.0 / -2,0.
    assert f"-2{decimal}0" in text
    assert 'href="/exercises/' in text.split('id="insights-next"')[1].split("</section>")[0]


def test_today_carries_one_line_of_it(client: TestClient, filled: App) -> None:
    today = client.get("/api/today?lang=en").json()
    assert today["insights"] == filled.insights.today_line("en")
    assert today["insights"].split(" Next: ")[1].split(":")[0] in {
        "Belly breathing",
        "Humming and singing",
        "Cold water on the face",
        "Calm neck movements and self-massage",
        "Laughter and good company",
        "Meditation and gratitude",
        "Calm physical activity",
    }
    page = client.get("/?lang=nb").text
    line = re.search(r'id="today-insights">(.*?)</p>', page, re.S)
    assert line is not None
    assert "Neste:" in line.group(1)
    assert 'href="/insights"' in line.group(1)


def test_before_the_health_questions_today_suggests_nothing(
    client: TestClient, vagus_app: App
) -> None:
    assert client.get("/api/today").json()["insights"] is None
    assert 'id="today-insights"' not in client.get("/").text


def test_a_session_s_before_and_after(client: TestClient, filled: App) -> None:
    sessions = {s["exercise_id"]: s["id"] for s in filled.journal.history(types=["session"])}
    change = client.get(f"/api/sessions/{sessions['breathing']}/change?lang=en").json()
    assert change["ln_rmssd_change"] == pytest.approx(math.log(50 / 40), abs=1e-9)
    assert change["left_out"] == []
    assert "Rest before: RMSSD 40 ms" in change["text"]
    assert "Rest after: RMSSD 50 ms" in change["text"]
    one_sided = client.get(f"/api/sessions/{sessions['neck']}/change?lang=nb").json()
    assert one_sided["after"] is None
    assert one_sided["left_out"] == ["missing"]
    assert "en av hvilene ble ikke målt" in one_sided["text"]
    missing = client.get("/api/sessions/999/change")
    assert missing.status_code == 404
    assert missing.json()["field"] == "id"


@pytest.fixture
def three(screened: App) -> App:
    """Three exercises x 8 sessions with clearly different effects on RMSSD: breathing
    40 -> 52 ms (+30 %) every time, humming none (40 -> 39.2-40.8 ms), cold water about +6 %."""
    journal = screened.journal
    for k in range(8):
        at = LOCAL_NOW - timedelta(days=20 - 2 * k, minutes=60)
        add_session(journal, at, "breathing", rmssd_before=40.0, rmssd_after=52.0)
        add_session(
            journal,
            at + timedelta(minutes=15),
            "humming",
            rmssd_before=40.0,
            rmssd_after=40.0 + 0.8 * (k % 3 - 1),
        )
        add_session(
            journal,
            at + timedelta(minutes=30),
            "cold-water",
            rmssd_before=40.0,
            rmssd_after=42.0 + 0.8 * (k % 2),
        )
    return screened


def test_three_exercises_are_ranked_for_the_person(client: TestClient, three: App) -> None:
    data = client.get("/api/insights?lang=en").json()
    assert data == three.insights.overview("en")
    by_id = {e["id"]: e for e in data["exercises"]}
    assert [by_id[i]["paired"] for i in ("breathing", "humming", "cold-water")] == [8, 8, 8]
    tried = [e for e in data["exercises"] if e["p_best"] is not None]
    assert max(tried, key=lambda e: e["p_best"])["id"] == "breathing"
    breathing = by_id["breathing"]["ln_rmssd_change"]
    assert breathing["low"] > 0  # the large effect's interval excludes no change
    assert breathing["low"] < math.log(52 / 40) < breathing["high"]
    humming = by_id["humming"]["ln_rmssd_change"]
    assert humming["low"] < 0 < humming["high"]  # no effect: its interval holds 0
    assert data["best"] == "breathing"
    for untried in ("neck", "laughter", "meditation", "activity"):
        assert by_id[untried]["sessions"] == 0
        assert by_id[untried]["ln_rmssd_change"] is None


@pytest.mark.parametrize(
    ("lang", "breathing", "percent", "untried"),
    [
        ("en", "Belly breathing", "+30", "Not tried yet: "),
        ("nb", "Magepust", "+30", "Ikke prøvd ennå: "),
    ],
)
def test_the_page_names_all_seven_exercises(
    client: TestClient, three: App, lang: str, breathing: str, percent: str, untried: str
) -> None:
    text = client.get(f"/insights?lang={lang}").text
    chart = text.split('id="report-effects"')[1].split("</section>")[0]
    assert chart.count('role="img"') == 1
    # The chart's row for breathing, with its mean and interval written beside it.
    assert f">{breathing}</text>" in chart
    assert f">{percent} (" in chart
    line = re.search(r'id="insights-untried">(.*?)</p>', text, re.S)
    assert line is not None
    assert line.group(1).startswith(untried)
    names = exercise_names(lang)  # type: ignore[arg-type]
    for exercise in ("neck", "laughter", "meditation", "activity"):
        assert names[exercise] in line.group(1)
    assert breathing not in line.group(1)


def test_an_empty_journal_in_norwegian(client: TestClient, screened: App) -> None:
    page = client.get("/insights?lang=nb")
    assert page.status_code == 200
    text = page.text
    assert "Prøv neste" in text
    assert "For tidlig å si" in text
    assert "For få morgenmålinger ennå: 0 av 14" in text
    assert "<svg" not in text.split('id="insights-next"')[1]  # no empty chart
    line = re.search(r'id="insights-untried">(.*?)</p>', text, re.S)
    assert line is not None
    assert "Magepust" in line.group(1)  # nothing tried: all seven are named
    assert 'href="/report"' in text


def test_a_session_without_rests_says_so(client: TestClient, screened: App) -> None:
    journal = screened.journal
    at = LOCAL_NOW - timedelta(hours=1)
    session = add_session(journal, at, "humming", rmssd_before=None, rmssd_after=None)
    change = client.get(f"/api/sessions/{session}/change?lang=en").json()
    assert change["before"] is None
    assert change["after"] is None
    assert change["ln_rmssd_change"] is None
    assert set(change["left_out"]) == {"missing"}  # on both sides
    assert change["calm_before"] == 4
    assert change["calm_after"] == 6
    assert change == screened.insights.session_change(session).to_json() | {
        "text": screened.insights.session_change(session).text("en")
    }


@pytest.mark.parametrize(("lang", "decimal"), [("en", "."), ("nb", ",")])
def test_the_charts_fit_a_phone_and_carry_their_numbers(
    client: TestClient, filled: App, lang: str, decimal: str
) -> None:
    text = client.get(f"/insights?lang={lang}").text
    forest = re.search(r'<svg class="chart forest".*?</svg>', text, re.S)
    assert forest is not None
    svg = forest.group(0)
    assert 'viewBox="0 0 360 ' in svg  # drawn for a phone's width
    assert svg.count('class="interval"') == 2  # breathing and humming; neck has no pair
    assert svg.count('class="zero"') == 1
    assert '"numbers"' in svg
    assert "+25 (" in svg  # breathing's mean and interval beside its row
    morning = re.search(r'<svg class="chart morning".*?</svg>', text, re.S)
    assert morning is not None
    svg = morning.group(0)
    assert svg.count('class="pt"') == 16  # every morning
    assert svg.count('class="mean"') == 1
    assert 'class="band"' in svg  # the normal range, from the 14th morning on
    # The ln RMSSD ticks (about 3.69-3.74) are written as the language writes them.
    assert re.search(rf">3\{decimal}\d+</text>", svg)
