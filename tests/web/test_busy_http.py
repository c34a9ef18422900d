"""A check-in over HTTP while a long import holds the journal (issue 11, finding 8): the JSON
API stores it after one batch of the import, or answers 503 with Retry-After when held out
past the wait, never a bare 500, and stores nothing then. Every wait is on an event."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from journal.busy_helpers import LONG_IMPORT_BEATS, DuringBatch, export_with_beats
from vagus.app import App
from waiting import wait_until

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's future
    from fastapi.testclient import TestClient

CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}


@pytest.fixture(scope="module")
def long_export() -> dict[str, Any]:
    return export_with_beats()


def _post_meanwhile(
    client: TestClient, answers: list[Any], path: str = "/api/checkins", **request: Any
) -> None:
    """POST ``path`` from another thread (the JSON check-in unless told otherwise); its answer,
    or what it raised, goes to ``answers``."""
    request = request or {"json": CHECKIN | {"note": "meanwhile"}}

    def run() -> None:
        try:
            answers.append(client.post(path, **request))
        except BaseException as error:  # handed to the test
            answers.append(error)

    threading.Thread(target=run, daemon=True).start()


def test_a_checkin_during_a_long_import_is_stored(
    client: TestClient, vagus_app: App, long_export: dict[str, Any]
) -> None:
    answers: list[Any] = []
    journal = vagus_app.journal
    lock = journal._write_lock
    assert lock is not None

    def check_in() -> None:
        _post_meanwhile(client, answers)
        wait_until(lambda: answers or lock._thread_gate.locked(), what="the check-in waits")

    with DuringBatch(journal, check_in, journal.counts) as hook:
        vagus_app.transfer.import_data(long_export)
    wait_until(lambda: answers, what="the check-in's answer")
    assert answers[0].status_code == 201, answers[0].text
    assert hook.seen_at_next["checkin"] == 2  # in before the import's next batch
    assert journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


def test_a_checkin_held_out_is_a_503_with_retry_after(
    client: TestClient, vagus_app: App, long_export: dict[str, Any]
) -> None:
    answers: list[Any] = []
    journal = vagus_app.journal
    lock = journal._write_lock
    assert lock is not None
    lock._timeout_s = 0.05

    def check_in() -> None:
        _post_meanwhile(client, answers)
        wait_until(lambda: answers, what="the check-in's answer")

    with DuringBatch(journal, check_in, journal.counts):
        vagus_app.transfer.import_data(long_export)
    answer = answers[0]
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["field"] == "journal"
    assert journal.counts()["checkin"] == 1  # the imported one only
    assert journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


def test_the_checkin_form_held_out_is_a_503_in_the_pages_language(
    client: TestClient, vagus_app: App, long_export: dict[str, Any]
) -> None:
    # The HTML form, not only the JSON API: busy is the server's state, so a 503 page with
    # Retry-After in Norwegian, not a 400 "your form was wrong".
    answers: list[Any] = []
    journal = vagus_app.journal
    lock = journal._write_lock
    assert lock is not None
    lock._timeout_s = 0.05
    form = {name: str(value) for name, value in CHECKIN.items()} | {"note": "meanwhile"}

    def check_in() -> None:
        _post_meanwhile(client, answers, "/checkin?lang=nb", data=form)
        wait_until(lambda: answers, what="the form's answer")

    with DuringBatch(journal, check_in, journal.counts):
        vagus_app.transfer.import_data(long_export)
    answer = answers[0]
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert "Journalen er opptatt" in answer.text
    assert journal.counts()["checkin"] == 1  # the imported one only
