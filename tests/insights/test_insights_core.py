"""Known answers for the insights core: effects with honest intervals, the best named only when
clear, the suggestion only among the allowed, morning readiness and symptom trends by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from vagus.insights import (
    MIN_MORNINGS,
    CheckinRecord,
    Morning,
    Posterior,
    Prior,
    Rest,
    SessionRecord,
    compute,
    effect_text,
    exercise_effects,
    load_fatigue,
    readiness,
    suggest_next,
    to_json,
    trend,
)

DAY0 = date(2024, 3, 1)
IDS = ("breathing", "humming", "neck")
NAMES = {"breathing": "Belly breathing", "humming": "Humming", "neck": "Neck"}


def rest(ln: float, hr: float = 65.0, seconds: float = 60.0, corrected: float = 0.0) -> Rest:
    return Rest(ln, hr, seconds, corrected)


def session(
    i: int,
    exercise: str,
    change: float | None,
    *,
    before: Rest | None = None,
    after: Rest | None = None,
    calm: tuple[int, int] | None = None,
    minutes: float = 5.0,
) -> SessionRecord:
    """A session whose ln RMSSD rises by ``change`` (rests at ln 3.5 before)."""
    day = DAY0 + timedelta(days=i)
    if change is not None:
        before = before or rest(3.5, 66.0)
        after = after or rest(3.5 + change, 64.0)
    return SessionRecord(
        i,
        exercise,
        datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        day,
        minutes,
        before,
        after,
        calm[0] if calm else None,
        calm[1] if calm else None,
    )


def sessions_with(effects: dict[str, float], n: int, sd: float, seed: int) -> list[SessionRecord]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        for exercise, effect in effects.items():
            out.append(session(len(out), exercise, float(effect + rng.normal(0, sd))))
    return out


# --- effects --------------------------------------------------------------------------


def test_an_exercise_with_no_effect_has_an_interval_around_zero() -> None:
    records = sessions_with({"humming": 0.0}, 20, 0.12, seed=1)
    result = exercise_effects(records, IDS)
    humming = next(e for e in result.exercises if e.id == "humming")
    assert humming.paired == 20
    change = humming.ln_rmssd_change
    assert change is not None
    assert change.low < 0 < change.high
    # About the t-interval of the 20 changes (one exercise: no pooling to speak of); the
    # prior on sigma and the grid move it by a few percent of its width at most.
    values = [
        s.after.ln_rmssd - s.before.ln_rmssd
        for s in records
        if s.after and s.before and s.after.ln_rmssd and s.before.ln_rmssd
    ]
    half = stats.t.ppf(0.975, 19) * np.std(values, ddof=1) / math.sqrt(20)
    assert change.mean == pytest.approx(np.mean(values), abs=0.01)
    assert change.high - change.low == pytest.approx(2 * half, rel=0.15)
    assert humming.p_best is None  # one exercise measured: nothing to compare
    assert result.best is None


def test_two_exercises_with_a_clear_difference_are_ranked_right() -> None:
    records = sessions_with({"breathing": 0.20, "humming": 0.0}, 12, 0.10, seed=2)
    result = exercise_effects(records, IDS, seed=3)
    by_id = {e.id: e for e in result.exercises}
    breathing, humming = by_id["breathing"], by_id["humming"]
    assert breathing.ln_rmssd_change is not None
    assert humming.ln_rmssd_change is not None
    assert breathing.ln_rmssd_change.mean > humming.ln_rmssd_change.mean
    assert breathing.ln_rmssd_change.low > 0  # its interval excludes no change
    assert breathing.p_best is not None
    assert breathing.p_best > 0.95
    assert breathing.p_best + (humming.p_best or 0.0) == pytest.approx(1.0)
    assert result.best == "breathing"
    assert by_id["neck"].ln_rmssd_change is None  # never done: no interval
    assert by_id["neck"].p_best is None


def test_overlapping_exercises_name_no_best() -> None:
    records = sessions_with({"breathing": 0.05, "humming": 0.04}, 4, 0.12, seed=4)
    result = exercise_effects(records, IDS)
    assert result.best is None
    ps = [e.p_best for e in result.exercises if e.p_best is not None]
    assert len(ps) == 2
    assert max(ps) < 0.8


def test_one_session_borrows_strength_from_the_others() -> None:
    # Partial pooling: a single high session of neck is pulled toward the others' mean.
    records = sessions_with({"breathing": 0.05, "humming": 0.05}, 10, 0.10, seed=5)
    records.append(session(99, "neck", 0.40))
    result = exercise_effects(records, IDS)
    neck = next(e for e in result.exercises if e.id == "neck")
    assert neck.ln_rmssd_change is not None
    assert 0.05 < neck.ln_rmssd_change.mean < 0.40
    assert neck.ln_rmssd_change.low < 0.05 < neck.ln_rmssd_change.high
    assert effect_text(neck, "en").startswith("Too early to say: 1 of at least 3")


def test_the_grid_posterior_matches_a_brute_force_integral() -> None:
    # The same model integrated by Monte Carlo over (sigma, tau, mu): the grid's posterior
    # mean of an exercise agrees within 0.005 ln units (a hand-independent check of the
    # closed-form pieces: the marginal of tau and sigma, and theta given them).
    groups = {"a": [0.1, 0.3, 0.2], "b": [0.0, -0.1], "c": [0.25]}
    prior = Prior(0.12, 0.75, 0.15)
    grid = Posterior(groups, prior)
    rng = np.random.default_rng(0)
    n = 400_000
    sigma = np.exp(np.log(0.12) + 0.75 * rng.standard_normal(n))
    tau = np.abs(0.15 * rng.standard_normal(n))
    mu = rng.uniform(-1.0, 1.0, n)  # flat over far more than the data's range
    theta = mu[:, None] + tau[:, None] * rng.standard_normal((n, 3))
    log_w = np.zeros(n)
    for j, values in enumerate(groups.values()):
        for y in values:
            log_w += -np.log(sigma) - 0.5 * ((y - theta[:, j]) / sigma) ** 2
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    for j, name in enumerate(groups):
        summary = grid.summary(name)
        assert summary is not None
        assert summary.mean == pytest.approx(float(w @ theta[:, j]), abs=0.005)


def test_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    # People drawn from the model's own assumptions: coverage is within 92-98 % over 1,200
    # intervals (binomial SE 0.6 %); benchmarks/insights_sim.py measures it at scale.
    rng = np.random.default_rng(7)
    covered = total = 0
    prior = Prior(0.12, 0.75, 0.15)
    for _ in range(240):
        mu, tau, sigma = rng.normal(0.05, 0.05), rng.uniform(0.03, 0.15), rng.uniform(0.07, 0.14)
        theta = rng.normal(mu, tau, 5)
        n = rng.integers(1, 9, 5)
        groups = {str(j): list(theta[j] + rng.normal(0, sigma, n[j])) for j in range(5)}
        posterior = Posterior(groups, prior)
        for j in range(5):
            s = posterior.summary(str(j))
            assert s is not None
            covered += s.low <= theta[j] <= s.high
            total += 1
    assert 0.92 <= covered / total <= 0.98


def test_an_empty_history_has_nothing_to_say_and_suggests_a_first_exercise() -> None:
    result = exercise_effects([], IDS)
    assert result.best is None
    assert result.posterior is None
    assert all(e.ln_rmssd_change is None and e.p_best is None for e in result.exercises)
    assert [e.sessions for e in result.exercises] == [0, 0, 0]
    pick = suggest_next(result, ["humming", "neck"], np.random.default_rng(0))
    assert pick is not None
    assert (pick.exercise, pick.why) == ("humming", "untried")
    assert suggest_next(result, [], np.random.default_rng(0)) is None


def test_rests_missing_on_one_side_are_left_out_and_counted() -> None:
    records = [
        session(0, "humming", None, before=rest(3.5), after=None, calm=(3, 6)),
        session(1, "humming", None, before=None, after=rest(3.6)),
        session(2, "humming", None, before=rest(3.5, seconds=30.0), after=rest(3.6)),
        session(3, "humming", None, before=rest(3.5), after=rest(3.6, corrected=9.0)),
    ]
    result = exercise_effects(records, IDS)
    humming = next(e for e in result.exercises if e.id == "humming")
    assert (humming.sessions, humming.paired) == (4, 0)
    assert humming.ln_rmssd_change is None
    assert dict(humming.left_out) == {"missing": 2, "short": 1, "artifacts": 1}
    # The calm ratings do not need the rests.
    assert humming.calm_change is not None
    assert humming.calm_change.low < 3.0 < humming.calm_change.high


def test_heart_rate_and_calm_changes_are_estimated_too() -> None:
    records = [
        session(i, "breathing", 0.1, calm=(4, 7), after=rest(3.6, hr=61.0)) for i in range(8)
    ]
    result = exercise_effects(records, IDS)
    breathing = result.exercises[0]
    assert breathing.hr_change_bpm is not None
    assert breathing.calm_change is not None
    assert breathing.hr_change_bpm.mean == pytest.approx(-5.0, abs=0.05)
    assert breathing.calm_change.mean == pytest.approx(3.0, abs=0.05)


def test_the_suggestion_is_always_an_allowed_exercise_and_repeatable() -> None:
    records = sessions_with({"breathing": 0.2, "humming": 0.0, "neck": 0.1}, 6, 0.1, seed=8)
    result = exercise_effects(records, IDS)
    for seed in range(50):
        pick = suggest_next(result, ["humming", "neck"], np.random.default_rng(seed))
        assert pick is not None
        assert pick.exercise in {"humming", "neck"}
    first = suggest_next(result, IDS, np.random.default_rng(11))
    assert first == suggest_next(result, IDS, np.random.default_rng(11))
    # Top-two Thompson sampling: the leader about half the time (and whenever it is the
    # draw's challenger too), the runner-up (neck, 0.1) most of the rest, the clear loser
    # (humming, 0.0) seldom.
    picks = [suggest_next(result, IDS, np.random.default_rng(s)) for s in range(400)]
    shares = {i: sum(p is not None and p.exercise == i for p in picks) / 400 for i in IDS}
    assert 0.45 < shares["breathing"] < 0.8
    assert shares["neck"] > shares["humming"]
    assert shares["humming"] < 0.15


def test_an_untried_allowed_exercise_can_be_suggested_as_untried() -> None:
    records = sessions_with({"breathing": 0.05, "humming": 0.05}, 3, 0.12, seed=9)
    result = exercise_effects(records, IDS)
    whys = {
        p.why
        for s in range(200)
        if (p := suggest_next(result, ["neck"], np.random.default_rng(s))) is not None
    }
    assert whys == {"untried"}


# --- morning readiness ------------------------------------------------------------------


def mornings(values: list[float], end: date) -> list[Morning]:
    return [Morning(end - timedelta(days=len(values) - 1 - i), v) for i, v in enumerate(values)]


def test_readiness_needs_fourteen_mornings() -> None:
    today = date(2024, 5, 1)
    r = readiness(mornings([4.0] * (MIN_MORNINGS - 1), today), today)
    assert (r.days, r.status, r.normal_low) == (13, "too-few", None)
    assert r.ln_rmssd_7d == pytest.approx(4.0)
    assert readiness([], today).status == "too-few"


@pytest.mark.parametrize(("last_week", "status"), [(3.9, "within"), (3.5, "below"), (4.4, "above")])
def test_readiness_compares_the_week_with_the_normal_range(last_week: float, status: str) -> None:
    today = date(2024, 5, 1)
    base = [3.8, 4.0] * 20  # mean 3.9, SD 0.1013 (ddof 1) before the last week
    values = base + [last_week] * 7
    r = readiness(mornings(values, today), today)
    window = values[-60:]
    mean, sd = np.mean(window), np.std(window, ddof=1)
    assert r.days == len(window)
    assert r.normal_low == pytest.approx(mean - 0.5 * sd)
    assert r.normal_high == pytest.approx(mean + 0.5 * sd)
    assert r.ln_rmssd_7d == pytest.approx(last_week)
    assert r.status == status


def test_readiness_without_a_recent_morning_is_too_few() -> None:
    today = date(2024, 5, 1)
    values = mornings([4.0, 4.1] * 10, today - timedelta(days=10))
    r = readiness(values, today)
    assert r.ln_rmssd_7d is None
    assert r.status == "too-few"
    assert r.days == 20


# --- symptoms and load ------------------------------------------------------------------


def test_trend_means_by_hand_and_several_checkins_a_day_averaged() -> None:
    today = date(2024, 1, 14)
    rows = [CheckinRecord(date(2024, 1, d), {"pain": d % 3}) for d in range(1, 15)]
    rows.append(CheckinRecord(today, {"pain": 8}))  # the same day: (2 + 8) / 2 = 5
    t = trend(rows, "pain", today)
    assert t.days == 14
    assert t.mean_7d == pytest.approx((2 + 0 + 1 + 2 + 0 + 1 + 5) / 7)
    assert t.previous_7d == pytest.approx((1 + 2 + 0 + 1 + 2 + 0 + 1) / 7)
    assert t.series[-1].value == 5.0


def test_load_and_fatigue_association_by_hand() -> None:
    start = date(2024, 1, 1)
    rng = np.random.default_rng(3)
    minutes = [float(rng.choice([0, 10, 20])) for _ in range(40)]
    sessions = [
        SessionRecord(i, "humming", datetime(2024, 1, 1, tzinfo=UTC), start + timedelta(i), m)
        for i, m in enumerate(minutes)
        if m
    ]
    fatigue = {
        start + timedelta(i + 1): 3 + 0.1 * minutes[i] + float(rng.normal(0, 0.5))
        for i in range(40)
    }
    checkins = [CheckinRecord(d, {"fatigue": round(v)}) for d, v in fatigue.items()]
    lag1 = load_fatigue(sessions, checkins)[0]
    days = [d - timedelta(1) for d in sorted(fatigue)]
    x = [minutes[(d - start).days] for d in days]
    y = [round(fatigue[d + timedelta(1)]) for d in days]
    slope = np.polyfit(x, y, 1)[0] * 10
    assert lag1.per_10_min is not None
    assert lag1.pairs == 40
    assert lag1.per_10_min.mean == pytest.approx(slope)
    assert lag1.per_10_min.low < slope < lag1.per_10_min.high
    assert lag1.per_10_min.low > 0  # the fatigue was built to follow the load
    assert "humming" in lag1.by_exercise


def test_load_fatigue_needs_enough_days() -> None:
    rows = [CheckinRecord(date(2024, 1, d), {"fatigue": 3}) for d in range(1, 6)]
    assert all(item.per_10_min is None for item in load_fatigue([], rows))
    assert all(item.pairs == 0 for item in load_fatigue([], []))


# --- the JSON ----------------------------------------------------------------------------


def test_the_json_has_the_issue_s_shape() -> None:
    records = sessions_with({"breathing": 0.2, "humming": 0.0}, 5, 0.1, seed=1)
    result = compute(
        records, [], [], exercise_ids=IDS, allowed=["humming", "neck"], today=date(2024, 4, 1)
    )
    en, nb = to_json(result, NAMES, "en"), to_json(result, NAMES, "nb")
    assert set(en) == {"exercises", "best", "next", "morning", "symptoms"}
    assert [e["id"] for e in en["exercises"]] == list(IDS)
    first = en["exercises"][0]
    assert set(first) >= {
        "id",
        "sessions",
        "paired",
        "ln_rmssd_change",
        "hr_change_bpm",
        "calm_change",
        "p_best",
    }
    assert set(first["ln_rmssd_change"]) == {"mean", "low", "high"}
    assert en["exercises"][2]["ln_rmssd_change"] is None
    assert en["next"]["exercise"] in {"humming", "neck"}
    assert en["next"]["reason"] != nb["next"]["reason"]
    assert set(en["morning"]) >= {"days", "ln_rmssd_7d", "normal_low", "normal_high", "status"}
    assert en["morning"]["status"] == "too-few"
