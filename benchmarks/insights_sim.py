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
- ``thompson``: plain Thompson sampling (Thompson 1933, *Biometrika* 25:285; Russo et al. 2018,
  *Found. Trends Mach. Learn.* 11:1), the best of one draw;
- ``round-robin``: each exercise in turn;
- ``favourite``: each once, then always the exercise with the highest posterior mean.

After 5, 10, ..., 60 sessions: is ``best`` (p_best >= 0.8, what the product names) named, and
is it the truly best? How often is a named ``best`` wrong? Is the exercise with the highest
posterior mean the truly best (a guess the product does not state)? Do the 95 % intervals of
the exercises tried cover their true effects? For each, the session count at which a policy
first reaches 90 % (linear between checkpoints) and the issue's target: >= 90 % at a session
count at least 30 % below round-robin's.

Every person's draws come from ``numpy.random.default_rng([seed, stream])``, so a run is the
same for a given ``--seed`` whatever the number of workers.
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
from typing import NamedTuple

# One thread per worker process: the workers are the parallelism (set before numpy loads).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vagus.insights import (
    P_BEST_NAMED,
    Effects,
    ExerciseEffect,
    Normal,
    Posterior,
    suggest_next,
)
from vagus.insights._effects import PRIORS

POLICIES = ("vagus", "thompson", "round-robin", "favourite")
CHECKPOINTS = tuple(range(5, 61, 5))
#: The margin by which the best exercise beats the second in the main table, ln units.
GAP = 0.10
PRIOR = PRIORS["ln_rmssd"]


@dataclass(frozen=True)
class Person:
    """One synthetic person: the true per-session effect of each exercise on ln RMSSD, the SD
    of one rest around the day's baseline, and the SD of the day's baseline."""

    theta: NDArray[np.float64]
    within_sd: float
    day_sd: float

    @property
    def best(self) -> int:
        return int(np.argmax(self.theta))


def draw_person(rng: np.random.Generator, gap: float | None) -> Person:
    """A person as the module's docstring describes; with ``gap``, the exercises' effects are
    redrawn until the best beats the second by at least ``gap``."""
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
    """One session of exercise ``j``: the rest after minus the rest before, in ln RMSSD."""
    baseline = 3.7 + rng.normal(0.0, person.day_sd)
    before = baseline + rng.normal(0.0, person.within_sd)
    after = baseline + person.theta[j] + rng.normal(0.0, person.within_sd)
    return float(after - before)


def posterior_means(posterior: Posterior) -> list[float]:
    """Every exercise's posterior mean (``-inf`` for one without sessions): what
    ``posterior.summary(i).mean`` gives, without the interval's bisection, which would make
    this benchmark several times slower (``tests/insights/test_insights_sim.py`` checks that
    the two agree)."""
    means = posterior._weight @ posterior._mean  # the mixture's mean, per exercise
    seen = posterior.observed
    return [float(m) if s else -math.inf for m, s in zip(means, seen, strict=True)]


def effects_of(posterior: Posterior, counts: Sequence[int]) -> Effects:
    """What :func:`vagus.insights.exercise_effects` gives the app for these sessions, as far
    as :func:`suggest_next` reads it: the posterior, each exercise's paired count and its
    posterior mean (the intervals, which it does not read, are left at the mean).
    ``tests/insights/test_insights_sim.py`` checks that it suggests what the app would."""
    exercises = []
    for i, (n, mean) in enumerate(zip(counts, posterior_means(posterior), strict=True)):
        change = Normal(mean, mean, mean) if n else None
        exercises.append(ExerciseEffect(str(i), n, n, change, None, None, None))
    return Effects(tuple(exercises), None, posterior)


def thompson(posterior: Posterior, rng: np.random.Generator) -> int:
    """Plain Thompson sampling: the best exercise of one draw from the posterior."""
    return int(np.argmax(posterior.draws(rng, 1)[0]))


#: One checkpoint of one person under one policy: (the highest posterior mean is the truly
#: best, ``best`` is named, the named ``best`` is the truly best, intervals covering the true
#: effect, intervals).
Row = tuple[bool, bool, bool, int, int]


class Run(NamedTuple):
    """One person under one policy: a :data:`Row` per checkpoint, and after every session
    whether the highest posterior mean is the truly best (cheap, so the session count at which
    that guess reaches 90 % is found to the session)."""

    rows: list[Row]
    guess: list[bool]


def simulate(
    person: Person, seed: int, policies: Sequence[str] = POLICIES, last: int = CHECKPOINTS[-1]
) -> dict[str, Run]:
    """``person`` under each policy for ``last`` sessions."""
    j = len(person.theta)
    ids = [str(i) for i in range(j)]
    out: dict[str, Run] = {}
    for policy in policies:
        # The same noise stream for every policy: differences come from the choices.
        noise = np.random.default_rng([seed, 1])
        choose = np.random.default_rng([seed, 2])
        groups: dict[str, list[float]] = {i: [] for i in ids}
        rows: list[Row] = []
        guess: list[bool] = []
        posterior: Posterior | None = None
        for n in range(1, last + 1):
            counts = [len(groups[i]) for i in ids]
            if policy == "round-robin" or (policy == "favourite" and n <= j):
                pick = (n - 1) % j
            elif posterior is None:
                pick = counts.index(min(counts))
            elif policy == "favourite":
                pick = int(np.argmax(posterior_means(posterior)))
            elif policy == "thompson":
                pick = thompson(posterior, choose)
            elif policy == "vagus":
                suggestion = suggest_next(effects_of(posterior, counts), ids, choose)
                assert suggestion is not None
                pick = int(suggestion.exercise)
            else:
                raise ValueError(f"unknown policy {policy!r}")
            groups[str(pick)].append(session_change(person, pick, noise))
            posterior = Posterior(groups, PRIOR)
            guess.append(int(np.argmax(posterior_means(posterior))) == person.best)
            if n in CHECKPOINTS:
                rows.append(checkpoint(person, posterior, groups, [seed, 3, n]))
        out[policy] = Run(rows, guess)
    return out


def checkpoint(
    person: Person, posterior: Posterior, groups: dict[str, list[float]], seed: list[int]
) -> Row:
    """What the product would say now, against the truth (as ``exercise_effects`` does it)."""
    summaries = [posterior.summary(i) for i in groups]
    means = [s.mean if s else -math.inf for s in summaries]
    named = int(np.argmax(means))
    tried = [i for i in groups if groups[i]]
    best_named = best_right = False
    if len(tried) >= 2:
        p = posterior.p_best(tried, np.random.default_rng(seed))
        leader = max(p, key=lambda k: p[k])
        best_named = p[leader] >= P_BEST_NAMED
        best_right = best_named and int(leader) == person.best
    covered = sum(
        1 for i, s in enumerate(summaries) if s is not None and s.low <= person.theta[i] <= s.high
    )
    total = sum(1 for s in summaries if s is not None)
    return (named == person.best, best_named, best_right, covered, total)


def run_person(
    args: tuple[int, bool],
    policies: Sequence[str] = POLICIES,
    last: int = CHECKPOINTS[-1],
) -> dict[str, Run]:
    """Synthetic person ``seed`` (with or without the margin, ``any_gap``) under each policy."""
    seed, any_gap = args
    person = draw_person(np.random.default_rng([seed, 0]), None if any_gap else GAP)
    return simulate(person, seed, policies, last)


def first_reaching(
    shares: Sequence[float], target: float = 0.9, at: Sequence[int] = CHECKPOINTS
) -> float | None:
    """The session count at which ``shares`` (after ``at`` sessions) first reaches ``target``,
    linear between the checkpoints (None when it never does)."""
    previous_n, previous = 0, 0.0
    for n, share in zip(at, shares, strict=True):
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
    se = 100 * math.sqrt(0.9 * 0.1 / people)
    print(
        f"### {people} synthetic people (seeds {args.seed}-{args.seed + people - 1}), 3-7 "
        f"exercises ({gap}); {wall:.0f} s with {args.workers} workers\n\n"
        f"A share near 90 % has a standard error of {se:.1f} points.\n"
    )

    def share(policy: str, k: int, field: int) -> float:
        return float(np.mean([r[policy].rows[k][field] for r in results]))

    def verdicts(reach: dict[str, float | None]) -> None:
        rr = reach["round-robin"]
        for policy in ("vagus", "thompson", "favourite"):
            mine = reach[policy]
            if mine is None:
                print(f"\n{policy}: below 90 % at 60 sessions")
            elif rr is None:
                print(f"\n{policy}: 90 % at {mine:.1f} sessions; round-robin below 90 % at 60")
            else:
                saving = 1 - mine / rr
                verdict = "met" if saving >= 0.30 else "not met"
                print(
                    f"\n{policy}: 90 % at {mine:.1f} sessions, round-robin at {rr:.1f}: "
                    f"{100 * saving:.0f} % fewer (target >= 30 %: {verdict})"
                )
        print()

    def table(title: str, field: int, per_session: bool = False) -> None:
        print(title + "\n")
        print("| policy | " + " | ".join(f"{n}" for n in CHECKPOINTS) + " | reaches 90 % at |")
        print("|---|" + "---:|" * len(CHECKPOINTS) + "---:|")
        reach: dict[str, float | None] = {}
        for policy in POLICIES:
            shares = [share(policy, k, field) for k in range(len(CHECKPOINTS))]
            if per_session:
                every = np.mean([r[policy].guess for r in results], axis=0)
                reach[policy] = first_reaching(every, at=range(1, len(every) + 1))
            else:
                reach[policy] = first_reaching(shares)
            cells = " | ".join(f"{100 * x:.0f} %" for x in shares)
            found = reach[policy]
            print(f"| {policy} | {cells} | {'> 60' if found is None else f'{found:.1f}'} |")
        verdicts(reach)

    table(
        "The product names the truly best (`best`: p_best >= 0.8, and it is the best), after "
        "n sessions (90 % crossing: linear between the checkpoints):",
        2,
    )
    print("How often a named `best` is wrong (of the people for whom one is named):\n")
    print("| policy | " + " | ".join(f"{n}" for n in (10, 20, 40, 60)) + " |")
    print("|---|" + "---:|" * 4)
    for policy in POLICIES:
        cells = []
        for n in (10, 20, 40, 60):
            k = CHECKPOINTS.index(n)
            named = sum(r[policy].rows[k][1] for r in results)
            wrong = sum(r[policy].rows[k][1] and not r[policy].rows[k][2] for r in results)
            cells.append(f"{100 * wrong / max(1, named):.1f} % of {100 * named / people:.0f} %")
        print(f"| {policy} | " + " | ".join(cells) + " |")
    print()
    table(
        "The exercise with the highest posterior mean is the truly best (a guess, unnamed; "
        "90 % crossing from every session, linear between sessions):",
        0,
        per_session=True,
    )
    print("Coverage of the 95 % intervals (every exercise tried, every person; target 93-97 %):\n")
    print("| policy | @10 | @20 | @40 | @60 |")
    print("|---|---:|---:|---:|---:|")
    for policy in POLICIES:
        cells = []
        for n in (10, 20, 40, 60):
            k = CHECKPOINTS.index(n)
            covered = sum(r[policy].rows[k][3] for r in results)
            total = sum(r[policy].rows[k][4] for r in results)
            cells.append(f"{100 * covered / total:.1f} %")
        print(f"| {policy} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
