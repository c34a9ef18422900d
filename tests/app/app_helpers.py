"""Helpers for the app tests: a wall clock moved by hand, and screening answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from vagus.program import questions


class FakeNow:
    """A wall clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def all_no(**yes: bool) -> dict[str, bool]:
    """Screening answers: every question "no", except those given (``cold_urticaria=True``)."""
    answers = {q.id: False for q in questions("en")}
    answers.update({k.replace("_", "-"): v for k, v in yes.items()})
    return answers
