"""Everything insights answer for one person, and its JSON (``vagus insights --json``)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

import numpy as np

from vagus.insights._effects import (
    LEFT_OUT_REASONS,
    MAX_CORRECTED_PERCENT,
    MIN_REST_S,
    Effects,
    ExerciseEffect,
    SessionEffect,
    Suggestion,
    exercise_effects,
    suggest_next,
)
from vagus.insights._model import Normal
from vagus.insights._readiness import MIN_MORNINGS, Readiness, readiness
from vagus.insights._records import CheckinRecord, Morning, Rest, SessionRecord
from vagus.insights._symptoms import MIN_PAIRS, LoadFatigue, Trend, load_fatigue, trend
from vagus.program import CHECKIN_FIELDS, Lang
from vagus.program.i18n import Messages, format_number, load_messages

#: Fewest paired sessions before an exercise's effect is put in words (the interval is shown
#: from the first; below this the words say "too early to say").
MIN_PAIRED_WORDS = 3


@dataclass(frozen=True)
class Insights:
    """What the person's records say so far."""

    effects: Effects
    suggestion: Suggestion | None
    morning: Readiness
    trends: Mapping[str, Trend]
    load_fatigue: tuple[LoadFatigue, ...]
    me_cfs: bool


def compute(
    sessions: Sequence[SessionRecord],
    mornings: Sequence[Morning],
    checkins: Sequence[CheckinRecord],
    *,
    exercise_ids: Sequence[str],
    allowed: Sequence[str],
    today: date,
    me_cfs: bool = False,
    seed: int = 0,
) -> Insights:
    """All insights from the records. ``allowed`` are the exercises the screening and plan
    allow today (the suggestion is one of them); ``seed`` makes the suggestion and the
    probabilities repeatable (the app derives it from the day and the sessions so far, so
    the suggestion does not change with every look)."""
    rng = np.random.default_rng(seed)
    effects = exercise_effects(sessions, exercise_ids, seed=seed)
    return Insights(
        effects=effects,
        suggestion=suggest_next(effects, allowed, rng),
        morning=readiness(mornings, today),
        trends={field: trend(checkins, field, today) for field in CHECKIN_FIELDS},
        load_fatigue=load_fatigue(sessions, checkins),
        me_cfs=me_cfs,
    )


# --- words ------------------------------------------------------------------------------


@functools.cache
def messages() -> Messages:
    """The insights catalog (``vagus/insights/insights_messages.toml``), read once."""
    return load_messages(files("vagus.insights") / "insights_messages.toml")


def say(key: str, lang: Lang, **fields: object) -> str:
    return messages().get(key, lang, **fields)


def percent_change(ln_change: float) -> float:
    """A change of ln RMSSD as a percent change of RMSSD.

    >>> round(percent_change(0.2), 1)
    22.1
    """
    return (math.exp(ln_change) - 1.0) * 100.0


def signed(value: float, lang: Lang, decimals: int = 0) -> str:
    """A change with its sign: ``+3``, ``-2,5``; one that rounds to zero is ``0`` (never
    ``-0``).

    >>> signed(2.5, "nb", 1), signed(-0.3, "en"), signed(-2.0, "en", 1)
    ('+2,5', '0', '-2.0')
    """
    text = format_number(value, lang, decimals)
    if text.lstrip("-−").strip("0").strip(",.") == "":
        return text.lstrip("-−")
    return text if text.startswith(("-", "−")) or value <= 0 else "+" + text


def interval_text(
    value: Normal | None, lang: Lang, *, percent: bool = False, decimals: int = 1
) -> str:
    """``mean (low to high)`` with signs, as a percent change of RMSSD when ``percent`` (the
    value is a change of ln RMSSD), else with ``decimals``; a dash for none.

    >>> interval_text(Normal(0.2, 0.1, 0.3), "nb", percent=True)
    '+22 (+11 til +35)'
    >>> interval_text(Normal(-2.0, -2.5, -1.5), "en"), interval_text(None, "en")
    ('-2.0 (-2.5 to -1.5)', '–')
    """
    if value is None:
        return "–"

    def shown(x: float) -> str:
        return signed(percent_change(x), lang) if percent else signed(x, lang, decimals)

    return say(
        "effect.interval",
        lang,
        mean=shown(value.mean),
        low=shown(value.low),
        high=shown(value.high),
    )


def effect_text(effect: ExerciseEffect, lang: Lang) -> str:
    """One exercise's effect on RMSSD in words (modest: "for you, so far")."""
    if effect.paired == 0 or effect.ln_rmssd_change is None:
        return say("effect.not_measured", lang)
    if effect.paired < MIN_PAIRED_WORDS:
        return say("effect.too_early", lang, paired=effect.paired, need=MIN_PAIRED_WORDS)
    change = effect.ln_rmssd_change
    # Decided on the whole percents shown, so the words never say "rises" beside "0 to +12".
    low, high = round(percent_change(change.low)), round(percent_change(change.high))
    key = "effect.rises" if low > 0 else "effect.falls" if high < 0 else "effect.unclear"
    return say(
        key,
        lang,
        mean=signed(percent_change(change.mean), lang),
        low=signed(percent_change(change.low), lang),
        high=signed(percent_change(change.high), lang),
    )


def left_out_text(effect: ExerciseEffect, lang: Lang) -> str | None:
    """The sessions left out of an exercise's effect, by reason (None when none were)."""
    if not any(effect.left_out.values()):
        return None
    return say("effect.left_out", lang, **{r: effect.left_out.get(r, 0) for r in LEFT_OUT_REASONS})


def probability_text(p: float, lang: Lang) -> str:
    """A probability as a person reads it: "> 99 %" and "< 1 %" at the ends (a Monte Carlo
    estimate is never certain), whole percents between.

    >>> probability_text(0.997, "en"), probability_text(0.004, "nb"), probability_text(0.853, "nb")
    ('> 99 %', '< 1 %', '85 %')
    """
    if p >= 0.995:
        return "> 99 %"
    if p < 0.005:
        return "< 1 %"
    return f"{format_number(100.0 * p, lang)} %"


def session_text(effect: SessionEffect, before: Rest | None, after: Rest | None, lang: Lang) -> str:
    """One session's before and after in words, or why there is no comparison."""
    if before is None and after is None:
        return say("session.none", lang)
    if effect.ln_rmssd_change is None or before is None or after is None:
        reason = min(effect.left_out or ("missing",), key=LEFT_OUT_REASONS.index)
        return say(
            f"session.{reason}",
            lang,
            seconds=format_number(MIN_REST_S, lang),
            percent=format_number(MAX_CORRECTED_PERCENT, lang),
        )

    def ms(rest: Rest) -> str:
        return format_number(math.exp(rest.ln_rmssd or 0.0), lang, 0)

    def bpm(rest: Rest) -> str:
        return "–" if rest.mean_hr_bpm is None else format_number(rest.mean_hr_bpm, lang, 0)

    return say(
        "session.change",
        lang,
        before_ms=ms(before),
        after_ms=ms(after),
        hr_before=bpm(before),
        hr_after=bpm(after),
        percent=signed(percent_change(effect.ln_rmssd_change), lang),
    )


def best_text(result: Insights, names: Mapping[str, str], lang: Lang) -> str:
    """Which exercise helps the person most, said only when the data say it."""
    from babel.lists import format_list

    from vagus.program.i18n import BABEL_LOCALES

    tried = [e for e in result.effects.exercises if e.p_best is not None]
    best = result.effects.best
    if best is not None:
        others = [names.get(e.id, e.id) for e in tried if e.id != best]
        p = next(e.p_best for e in tried if e.id == best) or 0.0
        return say(
            "best.named",
            lang,
            exercise=names.get(best, best),
            others=format_list(others, style="standard", locale=BABEL_LOCALES[lang]),
            probability=probability_text(p, lang),
        )
    return say("best.unclear" if tried else "best.none", lang)


def next_text(suggestion: Suggestion, names: Mapping[str, str], lang: Lang) -> str:
    """The one-sentence reason for the suggestion."""
    return say(
        f"next.{suggestion.why}", lang, exercise=names.get(suggestion.exercise, suggestion.exercise)
    )


def morning_text(morning: Readiness, lang: Lang) -> str:
    """The morning status in words."""
    if morning.days < MIN_MORNINGS:
        return say("morning.too-few", lang, days=morning.days, need=MIN_MORNINGS)
    if morning.ln_rmssd_7d is None:
        return say("morning.stale", lang)
    return say(f"morning.{morning.status}", lang)


def morning_numbers(morning: Readiness, lang: Lang) -> str | None:
    if morning.ln_rmssd_7d is None or morning.normal_low is None or morning.normal_high is None:
        return None
    return say(
        "morning.numbers",
        lang,
        mean=format_number(morning.ln_rmssd_7d, lang, 2),
        low=format_number(morning.normal_low, lang, 2),
        high=format_number(morning.normal_high, lang, 2),
        days=morning.days,
    )


def trend_text(field: str, item: Trend, lang: Lang) -> str:
    """One score's 7-day mean now and the week before (or that there are none lately)."""
    if item.mean_7d is None and item.previous_7d is None:
        return say("symptoms.trend_none", lang, field=say(f"field.{field}", lang))
    return say(
        "symptoms.trend",
        lang,
        field=say(f"field.{field}", lang),
        mean=format_number(item.mean_7d, lang, 1),
        previous=format_number(item.previous_7d, lang, 1),
    )


def load_text(item: LoadFatigue, lang: Lang) -> str:
    if item.per_10_min is None:
        return say(
            "symptoms.load_too_few", lang, lag=item.lag_days, pairs=item.pairs, need=MIN_PAIRS
        )
    return say(
        "symptoms.load",
        lang,
        lag=item.lag_days,
        mean=signed(item.per_10_min.mean, lang, 2),
        low=signed(item.per_10_min.low, lang, 2),
        high=signed(item.per_10_min.high, lang, 2),
        pairs=item.pairs,
    )


# --- JSON -------------------------------------------------------------------------------


def _normal(value: Normal | None) -> dict[str, float] | None:
    return None if value is None else {"mean": value.mean, "low": value.low, "high": value.high}


def to_json(result: Insights, names: Mapping[str, str], lang: Lang) -> dict[str, Any]:
    """The shape of ``vagus insights --json`` (README, "Insights"); ``reason`` in ``lang``."""
    morning = result.morning
    return {
        "exercises": [
            {
                "id": e.id,
                "sessions": e.sessions,
                "paired": e.paired,
                "ln_rmssd_change": _normal(e.ln_rmssd_change),
                "hr_change_bpm": _normal(e.hr_change_bpm),
                "calm_change": _normal(e.calm_change),
                "p_best": e.p_best,
                "left_out": dict(e.left_out),
            }
            for e in result.effects.exercises
        ],
        "best": result.effects.best,
        "next": None
        if result.suggestion is None
        else {
            "exercise": result.suggestion.exercise,
            "reason": next_text(result.suggestion, names, lang),
        },
        "morning": {
            "days": morning.days,
            "ln_rmssd_7d": morning.ln_rmssd_7d,
            "normal_low": morning.normal_low,
            "normal_high": morning.normal_high,
            "status": morning.status,
            "series": [
                {
                    "date": p.day.isoformat(),
                    "ln_rmssd": p.ln_rmssd,
                    "mean_7d": p.mean_7d,
                    "normal_low": p.normal_low,
                    "normal_high": p.normal_high,
                }
                for p in morning.series
            ],
        },
        "symptoms": {
            "trends": {
                field: {
                    "days": item.days,
                    "mean_7d": item.mean_7d,
                    "previous_7d": item.previous_7d,
                    "series": [
                        {"date": p.day.isoformat(), "value": p.value, "mean_7d": p.mean_7d}
                        for p in item.series
                    ],
                }
                for field, item in result.trends.items()
            },
            "load_fatigue": {
                "applies": result.me_cfs,
                "lags": [
                    {
                        "lag_days": item.lag_days,
                        "pairs": item.pairs,
                        "per_10_min": _normal(item.per_10_min),
                        "by_exercise": {k: _normal(v) for k, v in item.by_exercise.items()},
                    }
                    for item in result.load_fatigue
                ],
            },
        },
    }
