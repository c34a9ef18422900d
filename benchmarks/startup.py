"""How fast the command line answers: whole-process wall time and peak memory (issue 12 s. 5).

Run by hand, never in tests::

    .venv/bin/python benchmarks/startup.py            # median of 5 runs each
    .venv/bin/python benchmarks/startup.py --runs 9

Each row is a fresh process, timed from spawn to exit, so it counts the interpreter's start,
every import and the work. The commands are run round-robin (one of each, then the next round),
so a burst of load from other programs on the machine falls on all rows alike, and the table
gives the median of the rounds. The targets are ratios within this one run, against the floors
of the same machine at the same moment: ``python -c "import numpy"`` and
``python -c "import numpy, scipy.signal"``.

Inputs, written to a temporary folder: 5 minutes is pyhrv's ``SampleNNISeriesShort`` (337 beats,
300 s; the bundled example's first 5 minutes when pyhrv is not installed), 24 hours is a
synthetic series of about 100,000 beats (fixed seed: slow drift, 0.1 Hz and 0.25 Hz rhythms,
noise). ``VAGUS_HOME`` points into the same folder, so no person's journal is read or created.
One unmeasured run of each ``vagus`` command comes first, so Python's bytecode caches exist as
they do after an install (``pip install`` compiles them). Before it, ``vagus hrv --example``
runs once with an empty ``NUMBA_CACHE_DIR``: its time is a user's first run, and any file
numba writes there is a kernel compiled at run time.

Peak memory is the peak resident set size of the process (``ru_maxrss`` of the child, taken
per process with ``os.wait4``: the same number ``resource.getrusage(RUSAGE_CHILDREN)`` gives
for one child), the largest over the rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Beats of the synthetic 24 h recording: about 100,000 at a mean RR of 864 ms.
BEATS_24H = 100_000
SEED = 12
SHORT_FILE = "rr_5min.txt"
LONG_FILE = "rr_24h.txt"


@dataclass
class Row:
    name: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    max_rss_kb: int = 0

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def _vagus() -> list[str]:
    """The installed ``vagus`` console script beside this Python, else ``python -m vagus``."""
    script = Path(sys.executable).with_name("vagus")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vagus"]


def write_inputs(folder: Path) -> None:
    """The 5 min and 24 h RR files (ms, one per line); run in a child process (see main)."""
    import numpy as np

    short = folder / SHORT_FILE
    # Found, not imported: pyhrv loads matplotlib, and a large parent would count in each
    # child's peak RSS (the forked copy is the child until it runs exec).
    spec = importlib.util.find_spec("pyhrv")
    try:
        if spec is None or spec.origin is None:
            raise OSError("pyhrv is not installed")
        sample = Path(spec.origin).parent / "files" / "SampleNNISeriesShort.npy"
        rr_short = np.load(sample).astype(np.float64)
    except OSError:
        from vagus.app import example_rr_path

        lines = example_rr_path().read_text().splitlines()
        rr_all = np.array([float(x) for x in lines if x and not x.startswith("#")])
        rr_short = rr_all[np.cumsum(rr_all) <= 300_000.0]
    short.write_text("\n".join(f"{x:g}" for x in rr_short) + "\n")
    rng = np.random.default_rng(SEED)
    t = np.arange(BEATS_24H) * 0.864
    rr_long = (
        864.0
        + 60.0 * np.sin(2 * np.pi * t / 86_400.0)  # the day-night drift
        + 25.0 * np.sin(2 * np.pi * 0.1 * t)  # LF (Mayer waves)
        + 20.0 * np.sin(2 * np.pi * 0.25 * t)  # HF (breathing)
        + rng.normal(0.0, 15.0, BEATS_24H)
    )
    (folder / LONG_FILE).write_text("\n".join(f"{x:.1f}" for x in rr_long) + "\n")


def run_once(row: Row, env: dict[str, str]) -> None:
    """One whole-process run: wall time, and the child's own peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(row.argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage; getrusage(RUSAGE_CHILDREN) would give the largest
    # of all children so far.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(row.argv)} failed ({process.returncode}):\n{stderr}")
    row.seconds.append(elapsed)
    row.max_rss_kb = max(row.max_rss_kb, usage.ru_maxrss)  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--write-inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_inputs:
        write_inputs(args.write_inputs)
        return
    with tempfile.TemporaryDirectory(prefix="vagus-startup-") as tmp:
        folder = Path(tmp)
        # In a child, so that this process never loads numpy: a child's peak RSS counts its
        # parent's pages until it runs exec (vfork), so this process stays small.
        subprocess.run([sys.executable, __file__, "--write-inputs", tmp], check=True)
        short, long = folder / SHORT_FILE, folder / LONG_FILE
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAGUS_")}
        env["VAGUS_HOME"] = str(folder / "home")
        env.setdefault("COLUMNS", "100")
        py = sys.executable
        vagus = _vagus()
        rows = [
            Row("`python -c 'import numpy'`", [py, "-c", "import numpy"]),
            Row(
                "`python -c 'import numpy, scipy.signal'`",
                [py, "-c", "import numpy, scipy.signal"],
            ),
            Row("`vagus --help`", [*vagus, "--help"]),
            Row("`vagus hrv` 5 min", [*vagus, "hrv", str(short)]),
            Row("`vagus hrv` 24 h", [*vagus, "hrv", str(long)]),
        ]
        # A user's first run: an empty numba cache, so a kernel compiled at run time shows.
        numba_cache = folder / "numba-cache"
        first = Row("`vagus hrv --example`, first run", [*vagus, "hrv", "--example"])
        run_once(first, env | {"NUMBA_CACHE_DIR": str(numba_cache)})
        compiled = sum(1 for p in numba_cache.rglob("*") if p.is_file())
        for row in rows[2:]:  # warm-up: bytecode caches, and the journal's first creation
            run_once(row, env)
            row.seconds.clear()
        for _ in range(args.runs):
            for row in rows:
                run_once(row, env)
    numpy_s, scipy_s, help_row, short_row, long_row = rows
    targets = {
        help_row.name: (numpy_s, 2.0, "import numpy"),
        short_row.name: (scipy_s, 1.0, "import numpy, scipy.signal"),
        long_row.name: (scipy_s, 2.0, "import numpy, scipy.signal"),
    }
    print(f"Median of {args.runs} runs, whole process ({sys.version.split()[0]}).\n")
    print("| command | median s | min-max s | peak RSS MB | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    for row in rows:
        rss = f"{row.max_rss_kb / 1024:.0f}"
        spread = f"{min(row.seconds):.2f}-{max(row.seconds):.2f}"
        if row.name in targets:
            floor, limit, label = targets[row.name]
            ratio = row.median_s / floor.median_s
            met = "yes" if ratio <= limit else "**no**"
            cells = f"{ratio:.2f} | <= {limit:g} x `{label}` | {met}"
        else:
            cells = "- | floor | -"
        print(f"| {row.name} | {row.median_s:.3f} | {spread} | {rss} | {cells} |")
    print(f"\n24 h: {BEATS_24H:,} beats; peak RSS target < 200 MB: ", end="")
    print("met" if long_row.max_rss_kb / 1024 < 200 else "**not met**")
    print(
        f"First run (`vagus hrv --example`, empty numba cache): {first.seconds[0]:.2f} s, "
        f"{first.max_rss_kb / 1024:.0f} MB; numba cache files written: {compiled} "
        f"(target: 0, the kernel never compiles on a user's first run)."
    )


if __name__ == "__main__":
    main()
