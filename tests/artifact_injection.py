"""Artifact injection shared by the batch and streaming artifact tests.

Lipponen & Tarvainen 2019 (J Med Eng Technol 43(3):173-181) test their method on clean series
with simulated missed, extra and ectopic beats; this reproduces that, with a fixed seed.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np

from vagus.hrv._types import FloatArray

#: The kinds :func:`inject` makes, and the least distance between two artifacts, in beats.
KINDS: Final[tuple[str, ...]] = ("missed", "extra", "ectopic")
MIN_GAP_BEATS: Final = 10


class Injected(NamedTuple):
    """An injected artifact: the intervals it occupies in the injected series, and its kind."""

    first: int
    last: int
    kind: str


def inject(
    clean: FloatArray,
    seed: int,
    per_kind: int = 20,
    kinds: tuple[str, ...] = KINDS,
) -> tuple[FloatArray, list[Injected]]:
    """Missed, extra and ectopic beats at random, well-separated places (fixed seed).

    - missed: two intervals merged into one (a beat the detector did not see);
    - extra: one interval split into two unequal parts (25-45 % / 55-75 %), a false detection;
    - ectopic: a premature beat, the interval shortened by 20-30 % and the next lengthened by
      the same amount (compensatory pause).

    ``per_kind`` artifacts of each of ``kinds``. One artifact per slot of equal length (about
    75 beats with the defaults on the NSR hour), at least 10 beats from the next, and none in the
    first and last 100 beats (a tenth of the series when that is shorter), so that each has clean
    neighbours as in the paper's simulations.
    """
    rng = np.random.default_rng(seed)
    n_slots = len(kinds) * per_kind
    margin = min(100, clean.size // 10)
    slot = (clean.size - 2 * margin) // n_slots
    if slot <= MIN_GAP_BEATS:
        raise ValueError(f"{n_slots} artifacts do not fit into {clean.size} beats")
    starts = margin + slot * np.arange(n_slots) + rng.integers(0, slot - MIN_GAP_BEATS, n_slots)
    chosen = rng.permutation(np.repeat(np.array(kinds), per_kind))
    plan = dict(zip(starts.tolist(), chosen.tolist(), strict=True))
    out: list[float] = []
    where: list[Injected] = []
    i = 0
    while i < clean.size:
        kind = plan.get(i)
        if kind == "missed":
            where.append(Injected(len(out), len(out), kind))
            out.append(clean[i] + clean[i + 1])
            i += 2
        elif kind == "extra":
            part = rng.uniform(0.25, 0.45)
            where.append(Injected(len(out), len(out) + 1, kind))
            out += [part * clean[i], (1.0 - part) * clean[i]]
            i += 1
        elif kind == "ectopic":
            shift = rng.uniform(0.2, 0.3) * clean[i]
            where.append(Injected(len(out), len(out) + 1, kind))
            out += [clean[i] - shift, clean[i + 1] + shift]
            i += 2
        else:
            out.append(clean[i])
            i += 1
    return np.asarray(out), where


def inject_share(
    clean: FloatArray, seed: int, kind: str, percent: float
) -> tuple[FloatArray, list[Injected]]:
    """``percent`` % of the beats of ``clean`` turned into artifacts of one ``kind``."""
    count = max(1, round(percent / 100.0 * clean.size))
    return inject(clean, seed, per_kind=count, kinds=(kind,))
