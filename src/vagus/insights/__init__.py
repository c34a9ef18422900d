"""Insights: which exercise works for *you*, whether today is a normal day, and how symptoms
and load move together. Pure: works on typed records (:mod:`vagus.insights._records`) that the
app builds from the journal, never on the database.

>>> from datetime import date
>>> result = compute([], [], [], exercise_ids=["humming", "breathing"],
...                  allowed=["humming", "breathing"], today=date(2024, 5, 1))
>>> result.effects.best, result.suggestion.exercise, result.morning.status
(None, 'humming', 'too-few')
"""

from vagus.insights._effects import (
    LEFT_OUT_REASONS,
    MAX_CORRECTED_PERCENT,
    MIN_REST_S,
    P_BEST_NAMED,
    Effects,
    ExerciseEffect,
    SessionEffect,
    Suggestion,
    exercise_effects,
    rest_problem,
    session_effect,
    suggest_next,
)
from vagus.insights._insights import (
    MIN_PAIRED_WORDS,
    Insights,
    best_text,
    compute,
    effect_text,
    interval_text,
    left_out_text,
    load_text,
    messages,
    morning_numbers,
    morning_text,
    next_text,
    percent_change,
    probability_text,
    say,
    session_text,
    signed,
    to_json,
    trend_text,
)
from vagus.insights._model import INTERVAL_LEVEL, Normal, Posterior, Prior
from vagus.insights._readiness import (
    BASELINE_DAYS,
    MIN_MORNINGS,
    ROLLING_DAYS,
    SWC_SD,
    MorningPoint,
    Readiness,
    readiness,
)
from vagus.insights._records import CheckinRecord, Morning, Rest, SessionRecord
from vagus.insights._symptoms import LAGS_DAYS, MIN_PAIRS, LoadFatigue, Trend, load_fatigue, trend

__all__ = [
    "BASELINE_DAYS",
    "INTERVAL_LEVEL",
    "LAGS_DAYS",
    "LEFT_OUT_REASONS",
    "MAX_CORRECTED_PERCENT",
    "MIN_MORNINGS",
    "MIN_PAIRED_WORDS",
    "MIN_PAIRS",
    "MIN_REST_S",
    "P_BEST_NAMED",
    "ROLLING_DAYS",
    "SWC_SD",
    "CheckinRecord",
    "Effects",
    "ExerciseEffect",
    "Insights",
    "LoadFatigue",
    "Morning",
    "MorningPoint",
    "Normal",
    "Posterior",
    "Prior",
    "Readiness",
    "Rest",
    "SessionEffect",
    "SessionRecord",
    "Suggestion",
    "Trend",
    "best_text",
    "compute",
    "effect_text",
    "exercise_effects",
    "interval_text",
    "left_out_text",
    "load_fatigue",
    "load_text",
    "messages",
    "morning_numbers",
    "morning_text",
    "next_text",
    "percent_change",
    "probability_text",
    "readiness",
    "rest_problem",
    "say",
    "session_effect",
    "session_text",
    "signed",
    "suggest_next",
    "to_json",
    "trend",
    "trend_text",
]
