"""Helpers for the app tests: screening answers (the clock: tests/fake_clock.py)."""

from __future__ import annotations

from vagus.program import questions


def all_no(**yes: bool) -> dict[str, bool]:
    """Screening answers: every question "no", except those given (``cold_urticaria=True``)."""
    answers = {q.id: False for q in questions("en")}
    answers.update({k.replace("_", "-"): v for k, v in yes.items()})
    return answers
