"""Per-exercise effects for one person, the probability that each is their best, and what to
try next.

The effect of one session is the change from the rest before it to the rest after it: ln RMSSD
(after minus before; x 100 is roughly the percent change), mean heart rate (bpm) and the calm
rating. Rests are usable when they hold at least :data:`MIN_REST_S` of beats and the artifact
correction changed at most :data:`MAX_CORRECTED_PERCENT` of their intervals; the rest are left
out and counted by reason. Each outcome gets its own hierarchical model
(:mod:`vagus.insights._model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from vagus.insights._model import Normal, Posterior, Prior
from vagus.insights._records import Rest, SessionRecord

#: Fewest seconds of beats in a usable rest. The rests are 60 s; ln RMSSD from 60 s agrees
#: closely with 5 minutes at rest (Esco & Flatt 2014, J Sports Sci Med 13:535; Munoz et al.
#: 2015, PLoS One 10:e0138921). 50 s lets a rest lose a few beats at its edges.
MIN_REST_S: Final = 50.0
#: Most corrected intervals in a usable rest, percent (Kubios's 5 % guidance for corrected
#: beats; the same limit vagus warns at).
MAX_CORRECTED_PERCENT: Final = 5.0
#: "Best" is named only when its probability of being best reaches this.
P_BEST_NAMED: Final = 0.8
#: Top-two Thompson sampling: the share of suggestions that are the draw's best; the rest go
#: to the strongest challenger (Russo 2016's default, near-optimal for any true effects).
TOP_TWO_BETA: Final = 0.5
#: Redraws made to find the challenger (an exercise that is nearly surely best has none).
CHALLENGER_DRAWS: Final = 200

Outcome = Literal["ln_rmssd", "hr_bpm", "calm"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("ln_rmssd", "hr_bpm", "calm")
#: Weakly informative priors per outcome. ln RMSSD: one session's change has noise about
#: sqrt(2) x the within-day SD of a 1-minute rest (0.05-0.10; Plews et al. 2012), so 0.07-0.14,
#: median 0.12; exercises' true effects differ by about 0.15 (tau's scale). Heart rate: noise
#: about 3 bpm. Calm (0-10): about 1.2 points.
PRIORS: Final[Mapping[Outcome, Prior]] = {
    "ln_rmssd": Prior(sigma_median=0.12, sigma_log_sd=0.75, tau_scale=0.15),
    "hr_bpm": Prior(sigma_median=3.0, sigma_log_sd=0.75, tau_scale=3.0),
    "calm": Prior(sigma_median=1.2, sigma_log_sd=0.75, tau_scale=1.5),
}

LeftOut = Literal["missing", "short", "artifacts"]
LEFT_OUT_REASONS: Final[tuple[LeftOut, ...]] = ("missing", "short", "artifacts")


def rest_problem(rest: Rest | None) -> LeftOut | None:
    """Why a rest cannot be used (None when it can).

    >>> rest_problem(Rest(3.5, 62.0, 58.0, 1.2)) is None
    True
    >>> rest_problem(None), rest_problem(Rest(3.5, 62.0, 30.0, 0.0))
    ('missing', 'short')
    >>> rest_problem(Rest(3.5, 62.0, 60.0, 8.0))
    'artifacts'
    """
    if rest is None:
        return "missing"
    if rest.duration_s < MIN_REST_S:
        return "short"
    if rest.ln_rmssd is None:
        return "missing"
    if rest.corrected_percent > MAX_CORRECTED_PERCENT:
        return "artifacts"
    return None


@dataclass(frozen=True)
class SessionEffect:
    """What one session changed; None where it cannot be said, and why (``left_out``)."""

    session_id: int
    exercise_id: str
    ln_rmssd_change: float | None
    hr_change_bpm: float | None
    calm_change: float | None
    left_out: tuple[LeftOut, ...] = ()

    @property
    def paired(self) -> bool:
        return self.ln_rmssd_change is not None


def session_effect(session: SessionRecord) -> SessionEffect:
    """The change from the rest before to the rest after, and in calm.

    >>> s = SessionRecord(1, "humming", None, None, 5.0,  # type: ignore[arg-type]
    ...                   Rest(3.0, 70.0, 60.0, 0.0), Rest(3.2, 66.5, 60.0, 0.0), 4, 7)
    >>> e = session_effect(s)
    >>> round(e.ln_rmssd_change, 3), e.hr_change_bpm, e.calm_change
    (0.2, -3.5, 3.0)
    """
    problems = tuple(
        p for p in (rest_problem(session.before), rest_problem(session.after)) if p is not None
    )
    ln_change = hr_change = None
    before, after = session.before, session.after
    if not problems and before is not None and after is not None:
        if before.ln_rmssd is not None and after.ln_rmssd is not None:
            ln_change = after.ln_rmssd - before.ln_rmssd
        if before.mean_hr_bpm is not None and after.mean_hr_bpm is not None:
            hr_change = after.mean_hr_bpm - before.mean_hr_bpm
    calm = (
        float(session.calm_after - session.calm_before)
        if session.calm_before is not None and session.calm_after is not None
        else None
    )
    return SessionEffect(session.id, session.exercise_id, ln_change, hr_change, calm, problems)


@dataclass(frozen=True)
class ExerciseEffect:
    """One exercise for one person so far."""

    id: str
    sessions: int
    paired: int
    ln_rmssd_change: Normal | None
    hr_change_bpm: Normal | None
    calm_change: Normal | None
    p_best: float | None
    left_out: Mapping[LeftOut, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """What to try next and why (``why`` names the case; the faces word it)."""

    exercise: str
    why: Literal["untried", "leading", "uncertain"]


@dataclass(frozen=True)
class Effects:
    """Every exercise's effect, the best (when clear) and the posterior for the next pick."""

    exercises: tuple[ExerciseEffect, ...]
    best: str | None
    posterior: Posterior | None


def _values(
    effects: Sequence[SessionEffect], ids: Sequence[str], outcome: Outcome
) -> dict[str, list[float]]:
    attr = {"ln_rmssd": "ln_rmssd_change", "hr_bpm": "hr_change_bpm", "calm": "calm_change"}[
        outcome
    ]
    out: dict[str, list[float]] = {i: [] for i in ids}
    for effect in effects:
        value = getattr(effect, attr)
        if value is not None and effect.exercise_id in out:
            out[effect.exercise_id].append(float(value))
    return out


def exercise_effects(
    sessions: Sequence[SessionRecord], exercise_ids: Sequence[str], *, seed: int = 0
) -> Effects:
    """Every exercise's effects (in the order of ``exercise_ids``) from the person's sessions.

    ``p_best`` compares the exercises with at least one paired session, and only when there
    are two or more of them; ``best`` is named only when its ``p_best`` reaches
    :data:`P_BEST_NAMED`.
    """
    ids = list(exercise_ids)
    for session in sessions:
        if session.exercise_id not in ids:
            ids.append(session.exercise_id)  # an exercise the catalog no longer has
    effects = [session_effect(s) for s in sessions]
    posteriors: dict[Outcome, Posterior | None] = {}
    for outcome in OUTCOMES:
        groups = _values(effects, ids, outcome)
        posteriors[outcome] = Posterior(groups, PRIORS[outcome]) if any(groups.values()) else None
    ln_post = posteriors["ln_rmssd"]
    paired = {i: sum(1 for e in effects if e.exercise_id == i and e.paired) for i in ids}
    tried = [i for i in ids if paired[i] > 0]
    p_best: dict[str, float] = {}
    if ln_post is not None and len(tried) >= 2:
        p_best = ln_post.p_best(tried, np.random.default_rng(seed))
    out = []
    for i in ids:
        left: dict[LeftOut, int] = dict.fromkeys(LEFT_OUT_REASONS, 0)
        for e in effects:
            if e.exercise_id == i and not e.paired:
                # One reason per session: a missing rest outweighs a short one, and so on.
                left[min(e.left_out, key=LEFT_OUT_REASONS.index)] += 1
        summaries = {
            o: (None if posteriors[o] is None else posteriors[o].summary(i))  # type: ignore[union-attr]
            for o in OUTCOMES
        }
        out.append(
            ExerciseEffect(
                id=i,
                sessions=sum(1 for s in sessions if s.exercise_id == i),
                paired=paired[i],
                ln_rmssd_change=summaries["ln_rmssd"],
                hr_change_bpm=summaries["hr_bpm"],
                calm_change=summaries["calm"],
                p_best=p_best.get(i),
                left_out=left,
            )
        )
    best = max(p_best, key=lambda k: p_best[k]) if p_best else None
    if best is not None and p_best[best] < P_BEST_NAMED:
        best = None
    return Effects(tuple(out), best, ln_post)


def suggest_next(
    effects: Effects, allowed: Sequence[str], rng: np.random.Generator
) -> Suggestion | None:
    """Top-two Thompson sampling (Thompson 1933; Russo 2016, "Simple Bayesian algorithms for
    best arm identification", *COLT*): draw one plausible set of effects from the posterior;
    half the time suggest the allowed exercise that is best in that draw, otherwise redraw
    until another exercise is best and suggest that one, the strongest challenger. Plain
    Thompson sampling keeps suggesting the leader and is slow to confirm it against the
    runner-up; the top-two variant is built to identify the best in the fewest sessions,
    which is what the person wants to learn (``benchmarks/insights_sim.py`` measures both).

    First, each allowed exercise is measured once (a session with rests before and after):
    while some are not, the one of them done least (the first in order among equals) is
    suggested. Sampling an exercise nothing is known of from what the others suggest wastes
    sessions when their effects differ. With it the product names the truly best for 90 % of
    synthetic people at 32.1 sessions, plain Thompson sampling at 37.3, round-robin at 50.6
    (``benchmarks/insights_sim.py``, 400 people).
    """
    if not allowed:
        return None
    by_id = {e.id: e for e in effects.exercises}
    unmeasured = [a for a in allowed if a not in by_id or by_id[a].paired == 0]
    if unmeasured or effects.posterior is None:
        choice = min(unmeasured or allowed, key=lambda i: by_id[i].sessions if i in by_id else 0)
        return Suggestion(choice, "untried")
    posterior = effects.posterior
    names = [a for a in allowed if a in posterior.ids]
    if not names:
        return Suggestion(allowed[0], "untried")
    cols = [posterior.ids.index(a) for a in names]
    first = int(np.argmax(posterior.draws(rng, 1)[0, cols]))
    pick = first
    if len(names) > 1 and rng.random() >= TOP_TWO_BETA:
        redraws = posterior.draws(rng, CHALLENGER_DRAWS)[:, cols].argmax(1)
        others = redraws[redraws != first]
        if len(others):
            pick = int(others[0])
    choice = names[pick]
    if by_id[choice].paired == 0:
        return Suggestion(choice, "untried")
    means = {
        e.id: e.ln_rmssd_change.mean
        for e in effects.exercises
        if e.ln_rmssd_change is not None and e.id in names
    }
    leading = max(means, key=lambda k: means[k])
    return Suggestion(choice, "leading" if choice == leading else "uncertain")
