"""The History page and ``GET /api/history`` are paged, and the page stays small however long
the journal (issue 11, finding 9: 37,000 check-ins made a 31 MB page): 50 entries a page,
newest first, "Newer"/"Older" links and "Showing a-b of n" in nb and en, a bad page number
a 400 in the page's language, and charts of at most MAX_TREND_POINTS points a series."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vagus.app import App, build_app
from vagus.app.transfer import HISTORY_PAGE_MAX, HISTORY_PAGE_SIZE
from vagus.program import format_number
from vagus.web import create_app
from vagus.web._i18n import tr
from vagus.web._present import describe_entry
from vagus.web.routes.history import MAX_TREND_POINTS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: The app's clock (fixed, in UTC) and the host name the test client sends, as in conftest.py.
NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
TEST_HOST = "testserver"
#: The first stored check-in; one an hour from then (all before the tests' clock).
FIRST_AT = datetime(2021, 1, 1, 12, tzinfo=UTC)
#: The journal that made the 31 MB page, and the most a page of it may weigh now.
BIG_JOURNAL = 37_000
MAX_PAGE_BYTES = 300_000
#: Page numbers that are not whole numbers >= 1.
BAD_PAGES = ("0", "-1", "abc", "1.5", "", " 2", "1e3", "9" * 40)


def checkins(n: int) -> list[dict[str, Any]]:
    """``n`` check-ins as an export's records, one an hour from FIRST_AT, ratings varying."""
    return [
        {
            "id": i + 1,
            "at": (FIRST_AT + timedelta(hours=i)).isoformat(),
            "sleep": i % 11,
            "headache": (i * 3) % 11,
            "digestion": (i * 5) % 11,
            "anxiety": (i * 7) % 11,
            "pain": i % 5,
            "fatigue": i % 7,
            "note": None,
            "symptoms": [],
        }
        for i in range(n)
    ]


def store_checkins(app: App, n: int) -> None:
    """Store ``n`` check-ins at once: an import of an export holding them (one transaction;
    37,000 take about a second, where one add_checkin each would take far longer)."""
    tables = ("settings", "screenings", "plans", "sessions", "steps", "ratings", "feedback")
    data: dict[str, Any] = {
        "format": "vagus-journal",
        "version": 2,
        "exported_at": NOW.isoformat(),
        **{name: [] for name in (*tables, "gratitude", "questionnaires", "recordings")},
        "checkins": checkins(n),
    }
    app.transfer.import_data(data)


def rows_of(page: str) -> int:
    return page.count('<tr class="entry-')


def links(page: str) -> dict[str, str]:
    """The pager's links by rel (prev: newer, next: older), unescaped."""
    return {
        rel: html.unescape(href)
        for href, rel in re.findall(r'<a href="([^"]*)" rel="(prev|next)">', page)
    }


@pytest.fixture
def hundred_twenty(client: TestClient, vagus_app: App) -> TestClient:
    store_checkins(vagus_app, 120)
    return client


def test_first_page_is_the_newest_fifty(hundred_twenty: TestClient, vagus_app: App) -> None:
    page = hundred_twenty.get("/history").text
    assert rows_of(page) == HISTORY_PAGE_SIZE == 50
    # Newest first: the rows are the 50 newest entries, in the journal's order.
    newest = vagus_app.transfer.history(limit=50)
    assert [e["id"] for e in newest] == list(range(120, 70, -1))
    places = [page.index(f"<td>{describe_entry(e, 'en')['when']}</td>") for e in newest]
    assert places == sorted(places)
    assert links(page) == {"next": "/history?page=2"}
    assert tr("history.page_shown", "en", first="1", last="50", total="120") in page
    assert tr("history.page_older", "en") in page
    assert tr("history.page_newer", "en") not in page
    assert f'aria-label="{tr("history.page_nav", "en")}"' in page


def test_middle_and_last_pages(hundred_twenty: TestClient) -> None:
    middle = hundred_twenty.get("/history?page=2").text
    assert rows_of(middle) == 50
    assert links(middle) == {"prev": "/history?page=1", "next": "/history?page=3"}
    assert tr("history.page_shown", "en", first="51", last="100", total="120") in middle
    last = hundred_twenty.get("/history?page=3").text
    assert rows_of(last) == 20
    assert links(last) == {"prev": "/history?page=2"}
    assert tr("history.page_shown", "en", first="101", last="120", total="120") in last


def test_a_page_beyond_the_last_goes_to_the_last(hundred_twenty: TestClient) -> None:
    answer = hundred_twenty.get("/history?page=4", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/history?page=3"
    assert rows_of(hundred_twenty.get("/history?page=999999999").text) == 20


def test_the_types_stay_in_the_links(hundred_twenty: TestClient) -> None:
    page = hundred_twenty.get("/history?type=checkin&page=2").text
    assert links(page) == {
        "prev": "/history?type=checkin&page=1",
        "next": "/history?type=checkin&page=3",
    }
    assert rows_of(hundred_twenty.get("/history?type=questionnaire").text) == 0


@pytest.mark.parametrize("bad", BAD_PAGES)
def test_a_bad_page_number_is_a_400_in_the_pages_language(
    hundred_twenty: TestClient, bad: str
) -> None:
    for lang in ("en", "nb"):
        answer = hundred_twenty.get("/history", params={"page": bad, "lang": lang})
        assert answer.status_code == 400, answer.text
        # "There is no page ...: choose a whole number from 1 to 3": the pages there are.
        expected = tr("errors.page_range", lang, low="1", high="3", value=bad)
        assert html.escape(expected, quote=False) in answer.text


def test_the_pager_in_norwegian(hundred_twenty: TestClient) -> None:
    page = hundred_twenty.get("/history?page=2&lang=nb").text
    assert tr("history.page_shown", "nb", first="51", last="100", total="120") in page
    assert "Viser 51–100 av 120" in page
    for key in ("page_newer", "page_older", "page_nav"):
        assert html.escape(tr(f"history.{key}", "nb"), quote=False) in page


def test_an_empty_journal_has_no_pager(client: TestClient) -> None:
    page = client.get("/history").text
    assert tr("cli.history_empty", "en") in page
    assert links(page) == {}
    assert client.get("/history?page=2", follow_redirects=False).headers["location"] == (
        "/history?page=1"
    )


def test_the_api_pages_the_same_way(hundred_twenty: TestClient) -> None:
    first = hundred_twenty.get("/api/history")
    assert [e["id"] for e in first.json()] == list(range(120, 70, -1))
    assert first.headers["x-total-count"] == "120"
    assert first.headers["link"] == '</api/history?limit=50&page=2>; rel="next"'
    last = hundred_twenty.get("/api/history?page=3")
    assert [e["id"] for e in last.json()] == list(range(20, 0, -1))
    assert last.headers["link"] == '</api/history?limit=50&page=2>; rel="prev"'
    beyond = hundred_twenty.get("/api/history?page=4")
    assert beyond.json() == []
    assert beyond.headers["link"] == '</api/history?limit=50&page=3>; rel="prev"'
    small = hundred_twenty.get("/api/history?type=checkin&limit=7&page=2")
    assert [e["id"] for e in small.json()] == list(range(113, 106, -1))
    assert small.headers["link"] == (
        '</api/history?type=checkin&limit=7&page=1>; rel="prev", '
        '</api/history?type=checkin&limit=7&page=3>; rel="next"'
    )
    assert len(hundred_twenty.get(f"/api/history?limit={HISTORY_PAGE_MAX}").json()) == 120
    for query in ("page=0", "page=x", f"limit={HISTORY_PAGE_MAX + 1}", "limit=0"):
        assert hundred_twenty.get(f"/api/history?{query}").status_code == 422, query


def test_the_count_is_every_entry(screened: App) -> None:
    screened.journal.add_checkin(NOW - timedelta(hours=1), sleep=5)
    everything = screened.transfer.history()
    assert {e["type"] for e in everything} >= {"screening", "checkin"}
    assert screened.transfer.history_count() == len(everything)
    assert screened.transfer.history_count(["checkin"]) == 1
    found = screened.transfer.history_page(page=1)
    assert (found.total, found.first, found.last) == (len(everything), 1, len(everything))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server around a journal of 37,000 check-ins (one an hour: over four years)."""
    home: Path = tmp_path_factory.mktemp("big") / "home"
    app = build_app(
        env={"VAGUS_HOME": str(home), "VAGUS_LANG": "en", "VAGUS_ALLOWED_HOSTS": TEST_HOST},
        now=lambda: NOW,
    )
    store_checkins(app, BIG_JOURNAL)
    with TestClient(create_app(app)) as test_client:
        yield test_client
    app.close()


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_a_long_journal_makes_a_small_page(big: TestClient, lang: str) -> None:
    answer = big.get(f"/history?lang={lang}")
    assert answer.status_code == 200
    assert len(answer.content) < MAX_PAGE_BYTES
    page = answer.text
    assert rows_of(page) == 50
    total = format_number(BIG_JOURNAL, lang, 0)  # 37,000 / 37 000
    assert tr("history.page_shown", lang, first="1", last="50", total=total) in page
    last_page = -(-BIG_JOURNAL // HISTORY_PAGE_SIZE)
    assert links(big.get(f"/history?page={last_page}").text) == {
        "prev": f"/history?page={last_page - 1}"
    }
    # The symptom chart: six series, each at most MAX_TREND_POINTS markers (not 37,000).
    symptoms = page[page.index('id="trend-symptoms') :]
    symptoms = symptoms[: symptoms.index('<g class="legend">')]  # the lines, not the legend
    series = re.split(r'<g class="series series-\d[^"]*" fill=', symptoms)[1:]
    assert len(series) == 6
    for one in series:
        assert 0 < one.count('class="pt"') <= MAX_TREND_POINTS


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_averaged_charts_say_so(big: TestClient, lang: str) -> None:
    # 37,000 hourly check-ins span 1,542 days: 120 points of 13 days each, and the chart's
    # description (read by screen readers, shown as the caption) says the points are averages.
    page = big.get(f"/history?lang={lang}").text
    assert html.escape(tr("history.trend_averaged_days", lang, days=13), quote=False) in page


def test_a_short_series_is_not_called_averaged(hundred_twenty: TestClient) -> None:
    page = hundred_twenty.get("/history?lang=en").text
    assert "averages" not in page  # "averages over N days" and "daily averages" alike
