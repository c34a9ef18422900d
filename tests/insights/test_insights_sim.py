"""A small run of benchmarks/insights_sim.py (which measures the policies at scale, 400 people):
every policy's code runs and is repeatable, the benchmark feeds the product's ``suggest_next``
exactly what the app would, and on an easy person the product's top-two Thompson sampling names
the truly best exercise more often than round-robin after the same number of sessions."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from vagus.insights import (
    Posterior,
    Rest,
    SessionRecord,
    exercise_effects,
    session_effect,
    suggest_next,
)

SIM_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "insights_sim.py"


@pytest.fixture(scope="module")
def sim() -> ModuleType:
    spec = importlib.util.spec_from_file_location("insights_sim", SIM_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["insights_sim"] = module
    spec.loader.exec_module(module)
    return module


def test_every_policy_runs_and_a_run_is_repeatable(sim: ModuleType) -> None:
    first = sim.run_person((7, False), sim.POLICIES, 10)
    assert first == sim.run_person((7, False), sim.POLICIES, 10)
    assert set(first) == set(sim.POLICIES)
    for rows, guess in first.values():
        assert len(rows) == 2  # the checkpoints at 5 and 10 sessions
        assert len(guess) == 10  # after every session
        assert [guess[4], guess[9]] == [row[0] for row in rows]
        for named_right, best_named, best_right, covered, total in rows:
            assert isinstance(named_right, bool)
            assert best_right <= best_named
            assert 0 <= covered <= total <= 7


def test_the_margin_is_kept(sim: ModuleType) -> None:
    for seed in range(20):
        person = sim.draw_person(np.random.default_rng([seed, 0]), sim.GAP)
        top = np.sort(person.theta)[::-1]
        assert 3 <= len(top) <= 7
        assert top[0] - top[1] >= sim.GAP
        assert 0.05 <= person.within_sd <= 0.10
        assert 0.10 <= person.day_sd <= 0.20


def _records(groups: dict[str, list[float]]) -> list[SessionRecord]:
    out: list[SessionRecord] = []
    day = date(2024, 5, 1)
    for exercise, changes in groups.items():
        for change in changes:
            before = Rest(3.7, 62.0, 60.0, 0.0)
            after = Rest(3.7 + change, 60.0, 60.0, 0.0)
            started = datetime(2024, 5, 1, 9)
            out.append(SessionRecord(len(out) + 1, exercise, started, day, 5.0, before, after))
    return out


def test_the_benchmark_feeds_suggest_next_what_the_app_does(sim: ModuleType) -> None:
    rng = np.random.default_rng(5)
    ids = [str(i) for i in range(5)]
    for state in range(12):
        counts = rng.integers(0 if state < 4 else 1, 5, size=len(ids))
        counts[0] = max(counts[0], 1)
        values = {i: list(rng.normal(0.05, 0.12, n)) for i, n in zip(ids, counts, strict=True)}
        records = _records(values)
        # The same changes the app computes from the rests (after minus before).
        groups: dict[str, list[float]] = {i: [] for i in ids}
        for effect in map(session_effect, records):
            assert effect.ln_rmssd_change is not None
            groups[effect.exercise_id].append(effect.ln_rmssd_change)
        posterior = Posterior(groups, sim.PRIOR)
        means = sim.posterior_means(posterior)
        for i, mean in zip(ids, means, strict=True):
            summary = posterior.summary(i)
            assert (summary is None and mean == -math.inf) or (
                summary is not None and mean == pytest.approx(summary.mean, abs=1e-12)
            )
        app = exercise_effects(records, ids, seed=state)
        bench = sim.effects_of(posterior, [len(groups[i]) for i in ids])
        for k in range(5):
            assert suggest_next(bench, ids, np.random.default_rng([state, k])) == suggest_next(
                app, ids, np.random.default_rng([state, k])
            )


def test_thompson_sampling_beats_round_robin_on_an_easy_person(sim: ModuleType) -> None:
    # Six exercises: one clearly best, a runner-up, four clearly worse. Round-robin spends
    # two thirds of its sessions on the four; top-two Thompson sampling soon leaves them.
    person = sim.Person(np.array([0.20, 0.05, -0.15, -0.15, -0.20, -0.15]), 0.08, 0.15)
    policies = ("vagus", "round-robin")
    runs = [sim.simulate(person, seed, policies, 20) for seed in range(16)]
    at = [sim.CHECKPOINTS.index(n) for n in (10, 15, 20)]
    named = {p: [sum(run[p].rows[k][2] for run in runs) for k in at] for p in policies}
    # Measured on 60 seeds: the product 47 %, 77 %, 92 % at 10, 15, 20 sessions; round-robin
    # 35 %, 62 %, 73 %. On these 16 fixed seeds it must be ahead in total and never behind.
    assert sum(named["vagus"]) > sum(named["round-robin"])
    assert all(v >= r for v, r in zip(named["vagus"], named["round-robin"], strict=True))
    assert named["vagus"][-1] >= 0.8 * len(runs)


def test_the_crossing_is_interpolated(sim: ModuleType) -> None:
    shares = [0.5, 0.8, 0.95, 1.0] + [1.0] * (len(sim.CHECKPOINTS) - 4)
    assert sim.first_reaching(shares) == pytest.approx(10 + 5 * (0.9 - 0.8) / (0.95 - 0.8))
    assert sim.first_reaching([0.1] * len(sim.CHECKPOINTS)) is None
