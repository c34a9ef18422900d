"""The report's faces on the web: the printable page in nb and en, the PDF download and the
JSON twin say the same as the app's report; a bad date is a 400 naming the field."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta

import pypdf
import pytest

from insights_journal import add_morning, add_session
from vagus.app import App

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's future
    from fastapi.testclient import TestClient


@pytest.fixture
def filled(vagus_app: App) -> App:
    """Six sessions with rests (RMSSD 40 ms before) and a morning of 50 ms, in February."""
    for day in range(6):
        at = datetime(2026, 2, 10, 9, 0).astimezone() + timedelta(days=day)
        add_session(vagus_app.journal, at, "humming" if day % 2 else "breathing")
    add_morning(vagus_app.journal, datetime(2026, 2, 20, 6, 30).astimezone(), 50.0)
    vagus_app.journal.add_checkin(datetime(2026, 2, 27, 20, 0).astimezone(), fatigue=4)
    return vagus_app


def test_report_page_in_norwegian(client: TestClient, filled: App) -> None:
    page = client.get("/report?lang=nb")
    assert page.status_code == 200, page.text
    html = page.text
    for heading in ("Hva som er gjort", "Virkning av hver øvelse", "Morgenmålinger"):
        assert heading in html
    assert "Magepust" in html
    assert "Nynning og sang" in html
    assert "6 økter i perioden (6 fullført, 0 avbrutt), 30 minutter" in html
    assert '<td class="num">40,0</td>' in html  # a rest's RMSSD, decimal comma
    assert '<td class="num">3,91</td>' in html  # the morning's ln RMSSD
    assert "vagus erstatter ikke lege." in html
    assert 'role="img"' in html
    assert "<svg" in html
    assert 'href="/static/report.css"' in html
    assert "/report.pdf?from=2025-12-03&amp;to=2026-03-02&amp;lang=nb" in html
    assert client.get("/static/report.css").status_code == 200


def test_report_page_in_english_for_a_period(client: TestClient, filled: App) -> None:
    page = client.get("/report?lang=en&from=2026-02-10&to=2026-02-11")
    assert page.status_code == 200, page.text
    assert "What was done" in page.text
    assert "Period: 10 February 2026 to 11 February 2026" in page.text
    assert "2 sessions in the period (2 completed, 0 stopped early)" in page.text
    assert '<td class="num">40.0</td>' in page.text


def test_report_pdf_is_the_apps_pdf(client: TestClient, filled: App) -> None:
    answer = client.get("/report.pdf?lang=en")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.content.startswith(b"%PDF")
    assert answer.content == filled.report.pdf_bytes(filled.report.build("en"))
    text = " ".join(pypdf.PdfReader(io.BytesIO(answer.content)).pages[0].extract_text().split())
    assert "What was done" in text


def test_api_report(client: TestClient, filled: App) -> None:
    answer = client.get("/api/report?lang=en&from=2026-02-01")
    assert answer.status_code == 200
    data = answer.json()
    assert data["first"] == "2026-02-01"
    assert data["last"] == "2026-03-02"
    assert data["name"] is None
    assert [s["key"] for s in data["sections"]] == [
        "adherence",
        "effects",
        "morning",
        "symptoms",
        "measurements",
    ]
    assert data["doctor"].startswith("vagus does not replace a doctor.")


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=soon", "from"), ("to=2026-13-01", "to"), ("from=2026-03-01&to=2026-02-01", "from")],
)
def test_a_bad_date_is_a_400_naming_the_field(
    client: TestClient, vagus_app: App, query: str, field: str
) -> None:
    answer = client.get(f"/api/report?{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert body["field"] == field
    assert body["error"].startswith(f"{field}: ")
    assert client.get(f"/report?{query}").status_code == 400
    assert client.get(f"/report.pdf?{query}").status_code == 400


def test_an_empty_journal_has_a_report_page(client: TestClient) -> None:
    page = client.get("/report?lang=en")
    assert page.status_code == 200
    assert "No sessions in the period." in page.text
    assert "No resting measurement in the period." in page.text


def test_a_name_typed_on_the_page_is_on_the_report_and_its_pdf(client: TestClient) -> None:
    page = client.get("/report?lang=nb&name=Kari%20Nordmann")
    assert page.status_code == 200
    assert "Navn: Kari Nordmann" in page.text
    assert "name=Kari+Nordmann" in page.text  # the PDF link carries it
    pdf = client.get("/report.pdf?lang=nb&name=Kari%20Nordmann")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Navn: Kari Nordmann" in text
    assert "Navn:" not in client.get("/report?lang=nb").text
    bad = client.get("/api/report?name=" + "x" * 101)
    assert bad.status_code == 400
    assert bad.json()["field"] == "name"
