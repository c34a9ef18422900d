"""Screening: the health questions, their verdicts, clearances, and the one gate every face
passes before an exercise starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from vagus.app.errors import AppError, NotFoundError
from vagus.program import EXERCISE_IDS, ScreeningResult, evaluate

if TYPE_CHECKING:
    from vagus.app._core import App

SETTING_FIRST_RUN_DONE: Final = "first_run_done"


def check_exercise(exercise_id: str) -> None:
    """NotFoundError (field ``exercise_id``) for an id that is not one of the seven."""
    if exercise_id not in EXERCISE_IDS:
        raise NotFoundError(
            f"exercise_id: unknown exercise {exercise_id!r}; expected one of "
            f"{', '.join(EXERCISE_IDS)}",
            "exercise_id",
            key="errors.unknown_exercise",
            exercise=exercise_id,
        )


class ScreeningService:
    def __init__(self, app: App) -> None:
        self._app = app

    def first_run(self) -> bool:
        """True until the person has seen the first-run text and done the screening."""
        return not self._app.journal.get_setting(SETTING_FIRST_RUN_DONE, False)

    def mark_first_run_done(self) -> None:
        self._app.journal.set_setting(SETTING_FIRST_RUN_DONE, True)

    def save(self, answers: Mapping[str, bool], cleared: Sequence[str] = ()) -> ScreeningResult:
        """Evaluate and store the answers (a UserError names unknown or missing ones)."""
        for exercise_id in cleared:
            check_exercise(exercise_id)
        result = evaluate(answers, frozenset(cleared))
        self._app.journal.save_screening(
            {"answers": dict(answers), "cleared": sorted(set(cleared))}, at=self._app.now()
        )
        self.mark_first_run_done()
        return result

    def latest(self) -> ScreeningResult | None:
        """The latest screening, evaluated with today's rules; None before the first."""
        record = self._app.journal.latest_screening()
        if record is None:
            return None
        data = record.answers
        return evaluate(data.get("answers", {}), frozenset(data.get("cleared", ())))

    def done(self) -> bool:
        return self._app.journal.latest_screening() is not None

    def answers(self) -> dict[str, bool]:
        record = self._app.journal.latest_screening()
        return dict(record.answers.get("answers", {})) if record is not None else {}

    def confirm_clearance(self, exercise_id: str) -> ScreeningResult:
        """The person confirms their clinician cleared an exercise."""
        check_exercise(exercise_id)
        record = self._app.journal.latest_screening()
        if record is None:
            raise AppError(
                "screening: answer the health questions first (vagus screen, or /screen)",
                "screening",
            )
        answers = record.answers.get("answers", {})
        cleared = set(record.answers.get("cleared", ())) | {exercise_id}
        return self.save(answers, sorted(cleared))
