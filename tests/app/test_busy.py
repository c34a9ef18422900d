"""The app during a long import (issue 11, finding 8): a check-in waits for one batch of the
import and is stored, or, held out past the wait, is refused with BusyError and stores
nothing; an import that fails midway leaves the journal as it was. Every wait is on an event
(tests/waiting.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from journal.busy_helpers import LONG_IMPORT_BEATS, DuringBatch, export_with_beats
from vagus.app import App, BusyError
from vagus.app.models import CheckinIn
from waiting import wait_until

CHECKIN = CheckinIn(sleep=6, headache=1, digestion=1, anxiety=2, pain=3, fatigue=4, note="now")


@pytest.fixture(scope="module")
def long_export() -> dict[str, Any]:
    return export_with_beats()


def _check_in_meanwhile(app: App, answers: list[Any]) -> None:
    def run() -> None:
        try:
            answers.append(app.checkins.add(CHECKIN, "en"))
        except BaseException as error:  # handed to the test
            answers.append(error)

    threading.Thread(target=run, daemon=True).start()


def test_a_checkin_during_a_long_import_is_stored(app: App, long_export: dict[str, Any]) -> None:
    answers: list[Any] = []
    lock = app.journal._write_lock
    assert lock is not None

    def check_in() -> None:
        _check_in_meanwhile(app, answers)
        wait_until(lambda: answers or lock._thread_gate.locked(), what="the check-in waits")

    with DuringBatch(app.journal, check_in, app.journal.counts) as hook:
        counts = app.transfer.import_data(long_export)
    wait_until(lambda: answers, what="the check-in's answer")
    assert not isinstance(answers[0], BaseException), answers
    assert hook.seen_at_next["checkin"] == 2  # in before the import's next batch
    assert counts["beats"] == LONG_IMPORT_BEATS
    assert app.journal.counts()["rr_beat"] == LONG_IMPORT_BEATS


def test_a_checkin_held_out_is_busy_and_stores_nothing(
    app: App, long_export: dict[str, Any]
) -> None:
    answers: list[Any] = []
    lock = app.journal._write_lock
    assert lock is not None
    lock._timeout_s = 0.05

    def check_in() -> None:
        _check_in_meanwhile(app, answers)
        wait_until(lambda: answers, what="the check-in's answer")

    with DuringBatch(app.journal, check_in, app.journal.counts):
        app.transfer.import_data(long_export)
    assert isinstance(answers[0], BusyError), answers
    assert answers[0].retry_after_s > 0
    assert app.journal.counts()["checkin"] == 1  # the imported one only


def test_an_import_that_fails_midway_changes_nothing(app: App, long_export: dict[str, Any]) -> None:
    before = app.journal.export()
    before.pop("exported_at")

    def fail() -> None:
        raise OSError("disk full (simulated)")

    with (
        DuringBatch(app.journal, fail, app.journal.counts, at=2),
        pytest.raises(OSError, match="simulated"),
    ):
        app.transfer.import_data(long_export)
    after = app.journal.export()
    after.pop("exported_at")
    assert after == before
    assert sum(app.journal.counts().values()) == 0
