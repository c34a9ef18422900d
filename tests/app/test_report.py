"""The report for the therapist (issue 13, section 5): the PDF's text, read back with pypdf,
says what a person reads on paper, in nb and en; an empty journal still gives a report."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest

from fake_clock import FakeNow
from insights_journal import add_morning, add_session
from vagus.app import App, AppError, build_app
from vagus.app.report import MAX_MEASUREMENT_ROWS, report_json, say
from vagus.journal import Journal

#: The app's clock: 07:30 local time on 2 March 2026, whatever the machine's time zone.
LOCAL_NOW = datetime(2026, 3, 2, 7, 30)
#: Sessions of humming and of belly breathing, alternating, one a day from 1 February.
PAIRED = 12
FIRST_DAY = datetime(2026, 2, 1, 9, 0)
MORNINGS = 20
#: Every rest before a session has RMSSD exactly 40 ms (tests/insights_journal.py).
RMSSD_BEFORE_MS = 40.0


def fill(journal: Journal) -> None:
    """12 paired sessions (6 humming, 6 belly breathing), one stopped cold-water session
    without rests, 20 mornings of RMSSD 50 ms and 10 check-ins, all in February 2026."""
    for day in range(PAIRED):
        at = (FIRST_DAY + timedelta(days=day)).astimezone()
        exercise, after = ("humming", 46.0) if day % 2 == 0 else ("breathing", 42.0)
        add_session(journal, at, exercise, rmssd_before=RMSSD_BEFORE_MS, rmssd_after=after)
    start = datetime(2026, 2, 20, 10, 0).astimezone()
    stopped = journal.start_session("cold-water", {}, start)
    journal.finish_session(stopped, "stopped", start + timedelta(minutes=1))
    for day in range(MORNINGS):
        add_morning(journal, datetime(2026, 2, 8, 6, 30).astimezone() + timedelta(days=day), 50.0)
    for day in range(10):
        at = datetime(2026, 2, 18, 20, 0).astimezone() + timedelta(days=day)
        journal.add_checkin(at, sleep=6, fatigue=3 + day % 3, pain=2)


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace made single spaces (lines break where they fit)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def local_app(tmp_path: Path) -> Iterator[App]:
    clock = FakeNow(LOCAL_NOW.astimezone(UTC))
    clock.set_local(LOCAL_NOW)
    built = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}, now=clock)
    yield built
    built.close()


@pytest.fixture
def filled(local_app: App) -> App:
    fill(local_app.journal)
    return local_app


def test_pdf_in_english_says_what_was_done_and_measured(filled: App, tmp_path: Path) -> None:
    path = filled.report.write_pdf(filled.report.build("en"), tmp_path / "report.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for heading in ("What was done", "Effect of each exercise", "Morning measurements"):
        assert heading in text
    assert "Symptoms (check-ins, 0-10)" in text
    assert "Resting measurements" in text
    assert "Humming and singing" in text
    assert "Belly breathing" in text
    assert "Cold water on the face" in text
    # 12 paired sessions and the stopped one; 5 minutes each (the stopped one had no step).
    assert "13 sessions in the period (12 completed, 1 stopped early), 60 minutes" in text
    assert "Period: 3 December 2025 to 2 March 2026" in text
    assert "Made on 2 March 2026" in text
    assert "vagus does not replace a doctor." in text
    # A rest before a session: RMSSD exactly 40 ms, ln 40 = 3.69; a morning: 50 ms, ln 3.91.
    assert " 40.0 3.69 " in text
    assert " 50.0 3.91 " in text
    rests = 2 * PAIRED + MORNINGS
    assert f"{rests} resting measurements in the period; the newest {MAX_MEASUREMENT_ROWS}" in text
    assert "Fatigue" in text
    assert "Sleep" in text
    assert "Name:" not in text  # no name was entered


def test_pdf_in_norwegian(filled: App) -> None:
    report = filled.report.build("nb")
    text = pdf_text(filled.report.pdf_bytes(report))
    for heading in ("Hva som er gjort", "Virkning av hver øvelse", "Morgenmålinger", "Plager"):
        assert heading in text
    assert "Hvilemålinger" in text
    assert "Nynning og sang" in text
    assert "Magepust" in text
    assert "13 økter i perioden (12 fullført, 1 avbrutt)" in text
    assert " 40,0 3,69 " in text  # decimal comma
    assert "vagus erstatter ikke lege." in text
    assert "Navn:" not in text
    assert report.sections[0].heading == say("heading.adherence", "nb")


def test_a_name_is_shown_only_when_entered(filled: App) -> None:
    filled.journal.set_profile({"name": "Kari Nordmann"})
    text = pdf_text(filled.report.pdf_bytes(filled.report.build("nb")))
    assert "Navn: Kari Nordmann" in text


def test_the_effect_of_each_exercise_in_words_and_numbers(filled: App) -> None:
    data = report_json(filled.report.build("en"))
    effects = next(s for s in data["sections"] if s["key"] == "effects")
    table = next(b for b in effects["blocks"] if b["kind"] == "table")
    rows = {row[0]: row for row in table["rows"]}
    assert rows["Humming and singing"][1] == "6 (6)"
    assert rows["Belly breathing"][1] == "6 (6)"
    assert rows["Cold water on the face"][1] == "1 (0)"
    chart = next(b for b in effects["blocks"] if b["kind"] == "interval")
    by_name = {row["label"]: row for row in chart["rows"]}
    # Humming's rests go from 40 to 46 ms (+15 %), breathing's from 40 to 42 (+5 %): the
    # model pools them a little, so each lies between the two and in that order.
    assert 5.0 < by_name["Belly breathing"]["mean"] < by_name["Humming and singing"]["mean"] < 15.1
    assert by_name["Humming and singing"]["text"].endswith(" %")


def test_an_empty_journal_still_gives_a_report(local_app: App) -> None:
    report = local_app.report.build("en")
    text = pdf_text(local_app.report.pdf_bytes(report))
    assert "No sessions in the period. 0 days with a check-in." in text
    assert "Not enough morning measurements yet" in text
    assert "No check-in in the period." in text
    assert "No resting measurement in the period." in text
    assert "Too early to say" in text
    assert "vagus does not replace a doctor." in text


def test_the_period(filled: App) -> None:
    assert filled.report.period() == (date(2025, 12, 3), date(2026, 3, 2))
    assert filled.report.period("2026-02-01", "2026-02-03") == (date(2026, 2, 1), date(2026, 2, 3))
    # A last day after today is today (nothing is recorded in the future).
    assert filled.report.period(None, "2026-06-01")[1] == date(2026, 3, 2)
    report = filled.report.build("en", "2026-02-01", "2026-02-03")
    assert (
        "3 sessions in the period (3 completed, 0 stopped early)"
        in report_json(report)["sections"][0]["blocks"][0]["text"]
    )


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("yesterday", None, "from"),
        ("2026-02-30", None, "from"),
        (None, "03/01/2026", "to"),
        ("2026-03-01", "2026-02-01", "from"),
        ("2026-04-01", None, "from"),  # after today
    ],
)
def test_a_bad_period_is_a_user_error_naming_the_field(
    local_app: App, first: str | None, last: str | None, field: str
) -> None:
    with pytest.raises(AppError) as caught:
        local_app.report.build("en", first, last)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_the_same_report_gives_the_same_bytes(filled: App) -> None:
    first = filled.report.pdf_bytes(filled.report.build("en"))
    second = filled.report.pdf_bytes(filled.report.build("en"))
    assert first == second
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    expected = LOCAL_NOW.astimezone(UTC).strftime("D:%Y%m%d%H%M%S")
    assert str(info["/CreationDate"]).startswith(expected)


def test_an_unwritable_path_is_a_user_error_and_leaves_no_file(
    local_app: App, tmp_path: Path
) -> None:
    report = local_app.report.build("en")
    missing = tmp_path / "no-such-folder" / "report.pdf"
    with pytest.raises(AppError) as caught:
        local_app.report.write_pdf(report, missing)
    assert caught.value.field == "output"
    assert str(missing) in str(caught.value)
    assert not missing.parent.exists()
    with pytest.raises(AppError):
        local_app.report.write_pdf(report, tmp_path)  # a folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_writing_replaces_an_old_file_whole(local_app: App, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    local_app.report.write_pdf(local_app.report.build("nb"), target)
    assert target.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "report.pdf"]
