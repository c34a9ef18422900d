"""Daily check-ins with their warning signs, questionnaires, and the red-flag state Today shows
until the person confirms they got help (SAFETY.md: red flags, stop rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from vagus.app.errors import AppError
from vagus.app.models import CheckinIn, CheckinOut, SafetyOut
from vagus.program import CHECKIN_FIELDS, CheckIn, Lang, QuestionnaireResult, score
from vagus.program.safety import SafetyOutcome, assess, symptoms

if TYPE_CHECKING:
    from vagus.app._core import App

#: The latest red flag not yet confirmed as handled (journal setting).
SETTING_RED_FLAG: Final = "red_flag"


def known_symptoms() -> frozenset[str]:
    return frozenset(s.id for s in symptoms("en"))


def check_symptoms(ids: Sequence[str], exercise_id: str | None = None) -> SafetyOutcome:
    """The safety outcome of reported symptom ids (a UserError naming ``symptoms`` for an
    unknown id)."""
    known = known_symptoms()
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise AppError(
            f"symptoms: unknown symptom {unknown[0]!r}; expected ids of /api/safety",
            "symptoms",
        )
    return assess(list(ids), exercise_id)


def safety_out(outcome: SafetyOutcome, lang: Lang) -> SafetyOut:
    return SafetyOut.model_validate(outcome.to_dict(lang))


class CheckinService:
    def __init__(self, app: App) -> None:
        self._app = app

    def add(self, checkin: CheckinIn, lang: Lang) -> CheckinOut:
        """Validate (0-10 each, known symptoms) and store a check-in; the answer carries the
        safety advice for its warning signs, and a red flag is kept for Today."""
        at = self._app.now()
        values = {k: getattr(checkin, k) for k in CHECKIN_FIELDS}
        CheckIn(at=at, note=checkin.note, **values)
        outcome = check_symptoms(checkin.symptoms)
        row = self._app.journal.add_checkin(
            at, note=checkin.note or None, symptoms=list(outcome.symptoms), **values
        )
        self.raise_flag(outcome, at, source="checkin")
        return CheckinOut(id=row, safety=safety_out(outcome, lang))

    def raise_flag(self, outcome: SafetyOutcome, at: datetime, *, source: str) -> None:
        """Keep a raised red flag until the person confirms they got help."""
        if outcome.red_flags:
            self._app.journal.set_setting(
                SETTING_RED_FLAG,
                {
                    "at": at.isoformat(),
                    "symptoms": list(outcome.symptoms),
                    "red_flags": list(outcome.red_flags),
                    "source": source,
                },
            )

    def open_red_flag(self, lang: Lang) -> dict[str, Any] | None:
        """The red flag reported last and not yet confirmed as handled, with its advice in
        ``lang``: ``{"at", "symptoms", "red_flags", "safety"}``; None when there is none."""
        data = self._app.journal.get_setting(SETTING_RED_FLAG)
        if not isinstance(data, dict) or not data.get("red_flags"):
            return None
        known = known_symptoms()
        ids = [s for s in data.get("symptoms", []) if s in known]
        outcome = assess(ids)
        if not outcome.red_flags:
            return None
        return {
            "at": str(data.get("at", "")),
            "symptoms": ids,
            "red_flags": list(outcome.red_flags),
            "safety": safety_out(outcome, lang).model_dump(),
        }

    def confirm_help(self) -> None:
        """The person confirms they got help (or that the red flag is handled)."""
        self._app.journal.set_setting(SETTING_RED_FLAG, {})

    def questionnaire(self, name: str, answers: Sequence[int]) -> QuestionnaireResult:
        """Score a questionnaire as published and store it."""
        result = score(name, answers)
        self._app.journal.add_questionnaire(
            self._app.now(), name, list(answers), result.score, result.severity
        )
        return result
