"""Timing and memory for the side-by-side benchmarks, shared by every script in benchmarks/.

Time and memory are measured in separate calls because tracemalloc's allocation hooks slow
numpy-heavy code several-fold; a peer step gets a time limit (SIGALRM) so a benchmark always
finishes, and a step that runs past it or dies of MemoryError is reported as such.
"""

from __future__ import annotations

import gc
import signal
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    seconds: float | None
    peak_mb: float | None
    note: str = ""


class _TimeoutError(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TimeoutError


def _call(fn: Callable[[], object], limit_s: float | None) -> str:
    """Run ``fn`` under an optional time limit; '' when it finished, else why not."""
    if limit_s is not None:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        fn()
    except _TimeoutError:
        return f"> {limit_s:.0f} s (stopped)"
    except MemoryError:
        return "MemoryError"
    finally:
        if limit_s is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return ""


def measure(fn: Callable[[], object], *, repeat: int = 1, limit_s: float | None = None) -> Run:
    """Best wall time of ``repeat`` plain calls, then the tracemalloc peak of one more call."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        failed = _call(fn, limit_s)
        if failed:
            return Run(None, None, failed)
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    failed = _call(fn, limit_s)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Run(best, None if failed else peak / 2**20, failed)


def fmt_mb(run: Run) -> str:
    return "-" if run.peak_mb is None else f"{run.peak_mb:.0f} MB"
