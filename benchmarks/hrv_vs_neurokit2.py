"""vagus.hrv.analyze() against NeuroKit2's fastest route to the same indices, in one process.

Run by hand (``make bench`` or ``.venv/bin/python benchmarks/hrv_vs_neurokit2.py``); the table it
prints goes in the README. Single core: thread pools are pinned to one thread before numpy loads.

NeuroKit2's route: ``hrv_time`` and ``hrv_frequency`` on the RR intervals, ``fractal_dfa`` for
alpha1 (box sizes 4-16) and alpha2 (16-64) without overlap, and ``entropy_sample`` with m = 2 and
r = 0.2 SDNN: the same indices with our parameters. Each peer step gets a time limit; a step that
runs past it or dies of MemoryError is reported as such, not waited for.

Synthetic RR series (seeded): 60-75 bpm with a day/night trend, 0.1 Hz and 0.25 Hz rhythms, a
random-walk component and white noise, the way real RR series mix slow and fast variability.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import platform
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

from _measure import Run, fmt_mb, measure
from vagus.hrv import analyze

PEER_LIMIT_S = 120.0
SERIES_S = {"5 min": 300.0, "1 h": 3600.0, "24 h": 86400.0}


def synthetic_rr(duration_s: float, seed: int = 2026) -> np.ndarray:
    """RR intervals in ms covering ``duration_s``."""
    rng = np.random.default_rng(seed)
    n = int(duration_s / 0.8) + 200
    t = np.cumsum(np.full(n, 0.85))
    day_night = 80.0 * np.sin(2 * np.pi * t / 86400.0)
    walk = np.cumsum(rng.normal(0.0, 1.5, n))
    walk -= np.convolve(walk, np.ones(301) / 301, mode="same")  # keep it slow but bounded
    rhythms = 25.0 * np.sin(2 * np.pi * 0.1 * t) + 20.0 * np.sin(2 * np.pi * 0.25 * t)
    rr = 880.0 + day_night + walk + rhythms + rng.normal(0.0, 15.0, n)
    rr = rr[np.cumsum(rr) <= duration_s * 1000.0]
    return np.clip(rr, 450.0, 1500.0)


def neurokit2_steps(rr: np.ndarray) -> dict[str, Callable[[], object]]:
    import neurokit2 as nk

    r = 0.2 * float(np.std(rr, ddof=1))
    data = {"RRI": rr}
    return {
        "time": lambda: nk.hrv_time(data),
        "frequency": lambda: nk.hrv_frequency(data),
        "dfa": lambda: (
            nk.fractal_dfa(rr, scale=np.arange(4, 17), overlap=False),
            nk.fractal_dfa(rr, scale=np.arange(16, 65), overlap=False),
        ),
        "sampen": lambda: nk.entropy_sample(rr, dimension=2, tolerance=r),
    }


def fmt_s(run: Run) -> str:
    if run.seconds is None:
        return run.note
    return f"{run.seconds * 1000:.1f} ms" if run.seconds < 1 else f"{run.seconds:.2f} s"


def rss_report() -> None:
    """Whole-process peak RSS of vagus alone on 24 h, in stages (run in a fresh child)."""

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    imported = peak_mb()
    analyze(synthetic_rr(3600.0))
    after_hour = peak_mb()
    analyze(synthetic_rr(86400.0))
    print(
        f"process peak RSS: {imported:.0f} MB after importing vagus.hrv (Python, numpy, scipy); "
        f"{after_hour:.0f} MB after a 1 h analysis; {peak_mb():.0f} MB after the 24 h analysis"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(SERIES_S), action="append", help="series to run")
    parser.add_argument("--peer-limit", type=float, default=PEER_LIMIT_S)
    parser.add_argument("--rss", action="store_true", help="only the process RSS report")
    args = parser.parse_args()
    if args.rss:
        rss_report()
        return
    # A fresh process, so that NeuroKit2's imports do not count.
    subprocess.run([sys.executable, __file__, "--rss"], check=True)
    names = args.only or list(SERIES_S)
    warnings.simplefilter("ignore")

    print(f"# vagus.hrv vs NeuroKit2 on {platform.processor() or platform.machine()}, 1 thread")
    # The first call in a process (imports, first-use caches) is reported apart from the warm runs.
    start = time.perf_counter()
    analyze(synthetic_rr(3600.0))
    print(f"first call in the process: {time.perf_counter() - start:.2f} s\n")
    rows = []
    for name in names:
        rr = synthetic_rr(SERIES_S[name])
        ours = measure(lambda rr=rr: analyze(rr), repeat=5)
        steps = neurokit2_steps(rr)
        peer: dict[str, Run] = {}
        for step, fn in steps.items():
            peer[step] = measure(fn, repeat=1 if name == "24 h" else 3, limit_s=args.peer_limit)
            print(
                f"  {name} NeuroKit2 {step}: {fmt_s(peer[step])}, {fmt_mb(peer[step])}", flush=True
            )
        finished = [r for r in peer.values() if r.seconds is not None]
        total = sum(r.seconds for r in finished if r.seconds is not None)
        complete = len(finished) == len(peer)
        peer_total = Run(total, max((r.peak_mb or 0.0) for r in finished) if finished else None)
        ratio = f"{total / ours.seconds:.0f}x" if ours.seconds else "-"
        if not complete:
            ratio = f"> {ratio}"
        rows.append((name, len(rr), ours, peer_total, complete, ratio, peer))
        print(f"  {name} vagus analyze(): {fmt_s(ours)}, {fmt_mb(ours)}", flush=True)

    print()
    print(
        "| series | beats | vagus analyze() | vagus peak | NeuroKit2 (time+freq+DFA+SampEn) "
        "| NeuroKit2 peak | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, beats, ours, peer_total, complete, ratio, peer in rows:
        failed = [f"{k}: {v.note}" for k, v in peer.items() if v.seconds is None]
        peer_text = (
            fmt_s(peer_total) if complete else f">= {fmt_s(peer_total)} ({'; '.join(failed)})"
        )
        print(
            f"| {name} | {beats:,} | {fmt_s(ours)} | {fmt_mb(ours)} | {peer_text} "
            f"| {fmt_mb(peer_total)} | {ratio} |"
        )


if __name__ == "__main__":
    main()
