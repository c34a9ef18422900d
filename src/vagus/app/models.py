"""The input and output models of each resource, shared by the HTML forms, the JSON API and the
CLI's ``--json``: a check-in is validated here, once, whichever face it came from."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from vagus.journal._validate import unstorable
from vagus.program import Lang

#: A 0-10 rating, whole numbers only (``true`` or ``"5"`` are refused, not coerced).
Rating = Annotated[int, Field(strict=True, ge=0, le=10)]
#: Longest free note (as the journal stores it).
MAX_NOTE: int = 2000


def plain_text(value: str) -> str:
    """``value`` if the journal can store it and an answer can echo it, else a ValueError:
    PostgreSQL refuses a NUL character in text, and a lone UTF-16 surrogate (JSON's
    ``"\\ud800"``) cannot be written as UTF-8 (issue 11's API fuzz found both as 500s).

    >>> plain_text("ok")
    'ok'
    >>> plain_text("a\\x00b")
    Traceback (most recent call last):
    ...
    ValueError: must not contain a NUL character
    """
    # The journal's own rule (vagus.journal._validate.unstorable), so the two cannot differ.
    problem = unstorable(value)
    if problem == "NUL":
        raise ValueError("must not contain a NUL character")
    if problem == "surrogate":
        raise ValueError("must be Unicode text (it has an unpaired surrogate)")
    return value


#: A string of a request: text without NUL or unpaired surrogates (:func:`plain_text`).
Text = Annotated[str, AfterValidator(plain_text)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningIn(_Body):
    """Yes/no answers to every screening question, by question id."""

    answers: dict[Text, bool]
    cleared: list[Text] = Field(
        default_factory=list, description="Exercise ids the clinician has cleared."
    )


class ClearanceIn(_Body):
    """The person confirms their clinician cleared this exercise."""

    exercise_id: Text


class CheckinIn(_Body):
    """A daily check-in: 0 is no trouble and 10 the worst (sleep: 10 is very good), a note, and
    any warning signs the person has now (symptom ids of ``/api/safety``)."""

    sleep: Rating
    headache: Rating
    digestion: Rating
    anxiety: Rating
    pain: Rating
    fatigue: Rating
    note: Text = Field("", max_length=MAX_NOTE)
    symptoms: list[Text] = Field(default_factory=list)


class SafetyOut(BaseModel):
    """What reported symptoms mean, with the advice in the person's language."""

    symptoms: list[str]
    exercise_id: str | None
    red_flags: list[str]
    level: str | None
    stop_session: bool
    emergency: bool
    crisis: bool
    alert_clinician: bool
    advice: list[str]


class CheckinOut(BaseModel):
    id: int
    safety: SafetyOut


class SymptomsIn(_Body):
    """Warning signs reported during or after a session (symptom ids), with an optional note."""

    symptoms: list[Text] = Field(min_length=1)
    note: Text = Field("", max_length=MAX_NOTE)


class FeedbackOut(BaseModel):
    id: int
    session_id: int
    safety: SafetyOut
    status: str | None = None


class QuestionnaireIn(_Body):
    """The answers, one per item, as the option numbers the questionnaire uses."""

    answers: list[Annotated[int, Field(strict=True)]]


class SessionIn(_Body):
    """Start a session of one exercise. Parameters left out come from today's plan (the dose)
    and the person's pacer; ``confirm_cleared`` confirms the clinician's clearance of an
    exercise the screening marked "ask your clinician first"."""

    exercise_id: Text
    params: dict[Text, float | int | Text] = Field(default_factory=dict)
    confirm_cleared: bool = False


class StepIn(_Body):
    """One step that ended in the browser player (times with their UTC offset)."""

    step_id: Text
    kind: Text
    started_at: AwareDatetime
    ended_at: AwareDatetime
    active_s: float = Field(ge=0, description="Seconds actually spent, pauses excluded.")
    outcome: Literal["completed", "skipped", "aborted"]


class FinishIn(_Body):
    """How the session ended, as the player saw it; the app decides the stored status
    (``completed`` only when every timed main step was completed)."""

    status: Literal["completed", "stopped", "aborted", "interrupted"]


class RatingIn(_Body):
    """How calm the person felt, 0-10, before or after."""

    moment: Literal["before", "after"]
    calm: Rating


class PacerIn(_Body):
    """Breathing pacer defaults in seconds (3-12 breaths a minute)."""

    inhale_s: float
    exhale_s: float
    hold_in_s: float = 0.0
    hold_out_s: float = 0.0


class SettingsIn(_Body):
    """Preferences to change; a field left out is kept."""

    lang: Lang | None = None
    pacer: PacerIn | None = None
    sensor: Text | None = Field(
        None, description="The server's sensor: replay, simulated, ble or ble:ADDRESS."
    )


class DeleteIn(_Body):
    """The confirmation word: DELETE (or SLETT)."""

    confirm: Text


# --- output models of the JSON API (the answers of /api; the CLI's --json prints the same) ----


class _Out(BaseModel):
    # An answer with a key its model does not declare is a bug (500), never a key dropped.
    model_config = ConfigDict(extra="forbid")


class CheckinSavedOut(_Out):
    """A stored check-in as ``POST /api/checkins`` answers: its id, what was stored, and the
    advice for its warning signs (``safety``, in the request's language)."""

    id: int
    sleep: int
    headache: int
    digestion: int
    anxiety: int
    pain: int
    fatigue: int
    note: str
    symptoms: list[str]
    safety: SafetyOut


class RedFlagConfirmedOut(_Out):
    """The person confirmed they got help for the open red flag."""

    confirmed: bool


class ExerciseFitOut(_Out):
    """How one exercise fits the screening: its status and the reasons, in one language."""

    exercise_id: str
    name: str
    status: str
    reasons: list[str]


class ScreeningOut(_Out):
    """A screening result: the questions answered yes, and how each exercise fits."""

    yes: list[str]
    exercises: list[ExerciseFitOut]


class QuestionnaireOut(_Out):
    """A scored questionnaire, with its band's label and advice in one language."""

    name: str
    score: int | float
    severity: str
    details: dict[str, Any]
    severity_text: str
    advice: str | None


class SessionStartOut(_Out):
    """A started session for the player: id, parameters (the plan's dose unless changed),
    steps (seconds, cue text, pacer pattern), total seconds and the breathing pace used."""

    id: int
    exercise_id: str
    params: dict[str, Any]
    steps: list[dict[str, Any]]
    total_s: float
    pace: dict[str, float | str]


class StepSavedOut(_Out):
    """A recorded step."""

    id: int
    session_id: int
    step_id: str


class FinishOut(_Out):
    """The status the app stored; None when the session had no step and was removed."""

    status: str | None


class RatingOut(_Out):
    """A recorded calm rating."""

    id: int
    session_id: int
    moment: Literal["before", "after"]
    calm: int


class PrefsOut(_Out):
    """The person's preferences (``app.prefs.get()``): language (None until chosen), the
    pacer pattern in seconds and whether it was chosen, the web's sensor and whether chosen."""

    lang: Lang | None
    pacer: dict[str, float]
    pacer_set: bool
    sensor: str
    sensor_set: bool


class ImportOut(_Out):
    """What an import loaded: entries (beats not counted) and rows per table."""

    imported: int
    counts: dict[str, int]


class DeletedOut(_Out):
    """Everything was deleted."""

    deleted: bool
    files_clean: bool = Field(
        description="False when another program kept the SQLite file open, so old copies may "
        "remain in the file until it closes; delete again after closing it."
    )
