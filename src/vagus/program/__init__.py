"""The program: the seven exercises, guided sessions, screening, safety and the gradual plan.

Pure domain code: time is injected (:class:`Clock`), nothing here does I/O except reading the
package's own data files (catalog, cues, messages, screening, safety, questionnaires, plan rules).
"""

from vagus.program.catalog import EXERCISE_IDS, Catalog, Exercise, load_catalog
from vagus.program.checkin import FIELDS as CHECKIN_FIELDS
from vagus.program.checkin import CalmRating, CheckIn, SessionFeedback
from vagus.program.exercises import (
    PARAM_SPECS,
    LogField,
    ParamSpec,
    build_steps,
    cue_text,
    default_minutes,
    defaults,
    param_specs,
    total_duration_s,
    validate_params,
)
from vagus.program.i18n import (
    LANGS,
    Lang,
    error_text,
    format_number,
    format_significant,
    resolve_lang,
    t,
    unit_label,
)
from vagus.program.pacer import BreathPattern, PacerError, PacerState, boundaries, phase_at
from vagus.program.plan import (
    ExerciseOverride,
    Overrides,
    PlanItem,
    SessionOutcome,
    TodayPlan,
    plan_today,
)
from vagus.program.questionnaires import QUESTIONNAIRES, QuestionnaireResult, score
from vagus.program.safety import SafetyOutcome, assess, red_flags, stop_symptoms
from vagus.program.screening import ScreeningResult, evaluate, questions
from vagus.program.session import (
    Clock,
    GuidedSession,
    ManualClock,
    MonotonicClock,
    SessionEnded,
    SessionError,
    SessionState,
    Step,
    StepEnded,
    StepStarted,
)

__all__ = [
    "CHECKIN_FIELDS",
    "EXERCISE_IDS",
    "LANGS",
    "PARAM_SPECS",
    "QUESTIONNAIRES",
    "BreathPattern",
    "CalmRating",
    "Catalog",
    "CheckIn",
    "Clock",
    "Exercise",
    "ExerciseOverride",
    "GuidedSession",
    "Lang",
    "LogField",
    "ManualClock",
    "MonotonicClock",
    "Overrides",
    "PacerError",
    "PacerState",
    "ParamSpec",
    "PlanItem",
    "QuestionnaireResult",
    "SafetyOutcome",
    "ScreeningResult",
    "SessionEnded",
    "SessionError",
    "SessionFeedback",
    "SessionOutcome",
    "SessionState",
    "Step",
    "StepEnded",
    "StepStarted",
    "TodayPlan",
    "assess",
    "boundaries",
    "build_steps",
    "cue_text",
    "default_minutes",
    "defaults",
    "error_text",
    "evaluate",
    "format_number",
    "format_significant",
    "load_catalog",
    "param_specs",
    "phase_at",
    "plan_today",
    "questions",
    "red_flags",
    "resolve_lang",
    "score",
    "stop_symptoms",
    "t",
    "total_duration_s",
    "unit_label",
    "validate_params",
]
