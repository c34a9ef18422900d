"""Which exercise works for *you*: how fast each way of choosing sessions finds it (issue 13).

Run by hand: ``.venv/bin/python benchmarks/insights_sim.py`` (about 5 minutes on 2 cores;
``--quick`` for a smoke run). It prints markdown tables for the README.

Synthetic people, each with 3-7 exercises whose true per-session effects on ln RMSSD are known:

- the person's average effect ``mu ~ N(0.05, 0.05^2)`` and the spread between their exercises
  ``tau ~ U(0.05, 0.15)``; each exercise's effect ``theta_j ~ N(mu, tau^2)``;
- noise as Plews et al. 2012 (*Eur J Appl Physiol* 112:3729) and the issue give it: a day's
  baseline ln RMSSD varies with SD ``U(0.10, 0.20)``, one rest around it with SD ``U(0.05,
  0.10)``; a session is a rest before (baseline + noise), the exercise, and a rest after
  (baseline + theta_j + noise), so the paired change has noise sqrt(2) x the within-day SD and the
  day's baseline cancels (it is drawn all the same);
- "the truly best" is only nameable when it is better than the next by a margin a person would
  care about: the main table keeps people whose best exercise beats the second by >= 0.10 ln
  units (about 10 % RMSSD; exercises are redrawn until it does); ``--any-gap`` gives the
  unconditioned numbers, where the top two can be a hair apart.

Each person is run under each policy for up to 60 sessions, from the same random stream:

- ``vagus``: the product's :func:`vagus.insights.suggest_next`, fed the way the app feeds it
  (one posterior after each session; every exercise allowed): each exercise once, then top-two
  Thompson sampling (Russo 2016, *COLT*): half the time the best of one posterior draw, else
  the strongest challenger;
- ``thompson``: plain Thompson sampling (Thompson 1933; Russo et al. 2018), the best of one draw;
- ``round-robin``: each exercise in turn;
- ``favourite``: each once, then always the exercise with the highest posterior mean.

After 5, 10, ..., 60 sessions: is the exercise with the highest posterior mean the truly best
("named right")? Is ``best`` (p_best >= 0.8) named, and is it right? Do the 95 % intervals of
the exercises tried cover their true effects? The issue's target: >= 90 % named right at a
session count at least 30 % below round-robin's.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vagus.insights import (
    P_BEST_NAMED,
    Effects,
    ExerciseEffect,
    Posterior,
    suggest_next,
)
from vagus.insights._effects import PRIORS

POLICIES = tuple(os.environ.get("SIM_POLICIES", "vagus,thompson,round-robin,favourite").split(","))
CHECKPOINTS = tuple(range(5, 61, 5))
#: The margin by which the best exercise beats the second in the main table, ln units.
GAP = 0.10
PRIOR = PRIORS["ln_rmssd"]


@dataclass(frozen=True)
class Person:
    theta: np.ndarray  # true effect per exercise
    within_sd: float
    day_sd: float

    @property
    def best(self) -> int:
        return int(np.argmax(self.theta))


def draw_person(rng: np.random.Generator, gap: float | None) -> Person:
    j = int(rng.integers(3, 8))
    mu = rng.normal(0.05, 0.05)
    tau = rng.uniform(0.05, 0.15)
    while True:
        theta = rng.normal(mu, tau, j)
        top = np.sort(theta)[::-1]
        if gap is None or top[0] - top[1] >= gap:
            break
    return Person(theta, float(rng.uniform(0.05, 0.10)), float(rng.uniform(0.10, 0.20)))


def session_change(person: Person, j: int, rng: np.random.Generator) -> float:
    baseline = 3.7 + rng.normal(0.0, person.day_sd)
    before = baseline + rng.normal(0.0, person.within_sd)
    after = baseline + person.theta[j] + rng.normal(0.0, person.within_sd)
    return float(after - before)


def effects_of(posterior: Posterior, counts: Sequence[int]) -> Effects:
    """The minimal Effects that :func:`suggest_next` reads (ids, paired counts, means)."""
    exercises = []
    for i, n in enumerate(counts):
        summary = posterior.summary(str(i)) if n else None
        exercises.append(ExerciseEffect(str(i), n, n, summary, None, None, None))
    return Effects(tuple(exercises), None, posterior)


def thompson(posterior: Posterior, rng: np.random.Generator) -> int:
    """Plain Thompson sampling: the best exercise of one draw from the posterior."""
    return int(np.argmax(posterior.draws(rng, 1)[0]))


def run_person(
    args: tuple[int, bool],
    policies: Sequence[str] = POLICIES,
    last: int = CHECKPOINTS[-1],
) -> dict[str, list[tuple[bool, bool, bool, int, int]]]:
    """One person under each policy, for ``last`` sessions: per checkpoint (named right, best
    named, best named right, intervals covering, intervals)."""
    seed, any_gap = args
    person = draw_person(np.random.default_rng([seed, 0]), None if any_gap else GAP)
    j = len(person.theta)
    out: dict[str, list[tuple[bool, bool, bool, int, int]]] = {}
    for policy in policies:
        # The same noise stream for every policy: differences come from the choices.
        noise = np.random.default_rng([seed, 1])
        choose = np.random.default_rng([seed, 2])
        groups: dict[str, list[float]] = {str(i): [] for i in range(j)}
        rows = []
        posterior: Posterior | None = None
        for n in range(1, last + 1):
            counts = [len(groups[str(i)]) for i in range(j)]
            if policy == "round-robin" or (policy == "favourite" and n <= j):
                pick = (n - 1) % j
            elif posterior is None:
                pick = counts.index(min(counts))
            elif policy == "favourite":
                means = [posterior.summary(str(i)) for i in range(j)]
                pick = int(np.argmax([m.mean if m else -math.inf for m in means]))
            elif policy == "thompson":
                pick = thompson(posterior, choose)
            else:
                suggestion = suggest_next(
                    effects_of(posterior, counts), [str(i) for i in range(j)], choose
                )
                assert suggestion is not None
                pick = int(suggestion.exercise)
            groups[str(pick)].append(session_change(person, pick, noise))
            posterior = Posterior(groups, PRIOR)
            if n in CHECKPOINTS:
                summaries = [posterior.summary(str(i)) for i in range(j)]
                means = [s.mean if s else -math.inf for s in summaries]
                named = int(np.argmax(means))
                tried = [str(i) for i in range(j) if groups[str(i)]]
                best_named = best_right = False
                if len(tried) >= 2:
                    p = posterior.p_best(tried, np.random.default_rng([seed, 3, n]))
                    leader = max(p, key=lambda k: p[k])
                    best_named = p[leader] >= P_BEST_NAMED
                    best_right = best_named and int(leader) == person.best
                covered = sum(
                    1
                    for i, s in enumerate(summaries)
                    if s is not None and s.low <= person.theta[i] <= s.high
                )
                total = sum(1 for s in summaries if s is not None)
                rows.append((named == person.best, best_named, best_right, covered, total))
        out[policy] = rows
    return out


def first_reaching(shares: Sequence[float], target: float = 0.9) -> float | None:
    """The session count at which ``shares`` first reaches ``target``, linear between the
    checkpoints (None when it never does)."""
    previous_n, previous = 0, 0.0
    for n, share in zip(CHECKPOINTS, shares, strict=True):
        if share >= target:
            return previous_n + (n - previous_n) * (target - previous) / (share - previous)
        previous_n, previous = n, share
    return None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=400, help="synthetic people (400)")
    parser.add_argument("--seed", type=int, default=0, help="first person's seed")
    parser.add_argument("--quick", action="store_true", help="40 people: a smoke run")
    parser.add_argument(
        "--any-gap", action="store_true", help="no margin between the best and the second"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    people = 40 if args.quick else args.people
    started = time.perf_counter()
    jobs = [(args.seed + k, args.any_gap) for k in range(people)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_person, jobs, chunksize=4))
    wall = time.perf_counter() - started
    gap = "any gap" if args.any_gap else f"best beats the second by >= {GAP} ln units"
    print(f"### {people} synthetic people, 3-7 exercises ({gap}); {wall:.0f} s\n")

    def share(policy: str, k: int, field: int) -> float:
        return float(np.mean([r[policy][k][field] for r in results]))

    def table(title: str, field: int) -> dict[str, float | None]:
        print(title + "\n")
        print("| policy | " + " | ".join(f"{n}" for n in CHECKPOINTS) + " | reaches 90 % at |")
        print("|---|" + "---:|" * len(CHECKPOINTS) + "---:|")
        reach: dict[str, float | None] = {}
        for policy in POLICIES:
            shares = [share(policy, k, field) for k in range(len(CHECKPOINTS))]
            reach[policy] = first_reaching(shares)
            cells = " | ".join(f"{100 * x:.0f} %" for x in shares)
            found = reach[policy]
            print(f"| {policy} | {cells} | {'> 60' if found is None else f'{found:.0f}'} |")
        rr = reach["round-robin"]
        for policy in [p for p in ("vagus", "thompson") if p in POLICIES]:
            mine = reach[policy]
            if mine is None:
                print(f"\n{policy}: below 90 % at 60 sessions")
            elif rr is None:
                print(f"\n{policy}: 90 % at {mine:.0f} sessions; round-robin below 90 % at 60")
            else:
                saving = 1 - mine / rr
                verdict = "met" if saving >= 0.30 else "not met"
                print(
                    f"\n{policy}: 90 % at {mine:.0f} sessions, round-robin at {rr:.0f}: "
                    f"{100 * saving:.0f} % fewer (target >= 30 %: {verdict})"
                )
        print()
        return reach

    table(
        "The product names the truly best (`best`: p_best >= 0.8, and it is the best), after "
        "n sessions:",
        2,
    )
    print("How often a named `best` is wrong (of the people for whom one is named):\n")
    print("| policy | " + " | ".join(f"{n}" for n in (10, 20, 40, 60)) + " |")
    print("|---|" + "---:|" * 4)
    for policy in POLICIES:
        cells = []
        for n in (10, 20, 40, 60):
            k = CHECKPOINTS.index(n)
            named = sum(r[policy][k][1] for r in results)
            wrong = sum(r[policy][k][1] and not r[policy][k][2] for r in results)
            cells.append(f"{100 * wrong / max(1, named):.1f} % of {100 * named / people:.0f} %")
        print(f"| {policy} | " + " | ".join(cells) + " |")
    print()
    table("The exercise with the highest posterior mean is the truly best (a guess, unnamed):", 0)
    print("Coverage of the 95 % intervals (every exercise tried, every person; target 93-97 %):\n")
    print("| policy | @10 | @20 | @40 | @60 |")
    print("|---|---:|---:|---:|---:|")
    for policy in POLICIES:
        cells = []
        for n in (10, 20, 40, 60):
            k = CHECKPOINTS.index(n)
            covered = sum(r[policy][k][3] for r in results)
            total = sum(r[policy][k][4] for r in results)
            cells.append(f"{100 * covered / total:.1f} %")
        print(f"| {policy} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
