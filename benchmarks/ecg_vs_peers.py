"""Raw ECG from an EDF file to an HRV report: vagus against sleepecg's detector and NeuroKit2.

Run by hand (``.venv/bin/python benchmarks/ecg_vs_peers.py``); the tables it prints go in the
README. One thread: the thread pools are pinned before numpy is imported.

Series (250 Hz, written to EDF+ with pyedflib first, 16-bit samples):

- **synthetic 1 h**: NeuroKit2's ECGSYN simulation (10 minutes at 70 bpm, tiled to an hour);
- **real 1 h**: MIT-BIH Arrhythmia record 100 (lead MLII), resampled from 360 to 250 Hz with
  ``scipy.signal.resample_poly`` and tiled to an hour;
- **real 24 h**: the same, tiled to a day (vagus only, with its peak memory).

Contenders, each from the same EDF file:

- **vagus**: ``pyedflib`` read + ``vagus.signals.detect_ecg_beats`` (quality checks, sleepecg,
  shape test, refinement) + ``vagus.hrv.analyze`` (artifact correction and every index);
- **sleepecg's detector alone**: ``sleepecg.detect_heartbeats`` on the array in memory, the
  compiled core that vagus wraps; also read + detector + ``analyze`` for a like-for-like route;
- **NeuroKit2's default pipeline**: read + ``nk.ecg_process`` + ``nk.hrv`` on its R peaks. Each
  NeuroKit2 step gets a time limit (``signal.setitimer``), so the benchmark always finishes.

Time is the best of several plain calls; peak memory is the tracemalloc peak of one more call,
measured apart because tracemalloc's hooks slow numpy-heavy code several-fold.
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
import tempfile
import time
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyedflib
import scipy.signal
import sleepecg

from _measure import Run, fmt_mb, measure
from vagus.hrv import analyze
from vagus.signals import detect_ecg_beats

FS_HZ = 250
PEER_LIMIT_S = 600.0
MITDB_100 = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb-100" / "100"


# --- the series ----------------------------------------------------------------------------------


def real_ecg(duration_s: float) -> np.ndarray:
    """MIT-BIH record 100 (MLII) resampled to 250 Hz and tiled to ``duration_s``."""
    import wfdb

    record = wfdb.rdrecord(str(MITDB_100), channels=[0])
    ratio = Fraction(FS_HZ, int(record.fs))
    ecg = scipy.signal.resample_poly(record.p_signal[:, 0], ratio.numerator, ratio.denominator)
    n = int(duration_s * FS_HZ)
    return np.tile(ecg, n // ecg.size + 1)[:n]


def synthetic_ecg(duration_s: float) -> np.ndarray:
    """NeuroKit2's ECGSYN at 70 bpm, 10 minutes, tiled to ``duration_s`` (ECGSYN integrates an
    ODE; an hour of it takes minutes to simulate)."""
    import neurokit2 as nk

    piece = nk.ecg_simulate(
        duration=600, sampling_rate=FS_HZ, heart_rate=70, noise=0.01, random_state=2026
    )
    n = int(duration_s * FS_HZ)
    return np.tile(piece, n // piece.size + 1)[:n]


def write_edf(path: Path, ecg: np.ndarray) -> None:
    """One ECG channel as EDF+ with 16-bit samples over the signal's own range."""
    low, high = float(np.floor(ecg.min())), float(np.ceil(ecg.max()))
    writer = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(
            [
                {
                    "label": "ECG",
                    "dimension": "mV",
                    "sample_frequency": FS_HZ,
                    "physical_min": low,
                    "physical_max": high,
                    "digital_min": -32768,
                    "digital_max": 32767,
                    "transducer": "",
                    "prefilter": "",
                }
            ]
        )
        writer.writeSamples([ecg])
    finally:
        writer.close()


def read_edf(path: Path) -> tuple[np.ndarray, float]:
    reader = pyedflib.EdfReader(str(path))
    try:
        return reader.readSignal(0), float(reader.getSampleFrequency(0))
    finally:
        reader.close()


# --- the contenders ----------------------------------------------------------------------------


def vagus_pipeline(path: Path) -> Any:
    ecg, fs = read_edf(path)
    beats = detect_ecg_beats(ecg, fs, source=path.name)
    return analyze(beats.rr_ms())


def sleepecg_pipeline(path: Path) -> Any:
    ecg, fs = read_edf(path)
    beats = sleepecg.detect_heartbeats(ecg, fs)
    return analyze(np.diff(beats) / fs * 1000.0)


# --- measuring ---------------------------------------------------------------------------------


def fmt_s(run: Run) -> str:
    if run.seconds is None:
        return run.note
    return f"{run.seconds * 1000:.0f} ms" if run.seconds < 1 else f"{run.seconds:.2f} s"


def neurokit2_steps(path: Path, limit_s: float) -> dict[str, Run]:
    """NeuroKit2's default route, step by step, each under the time limit."""
    import neurokit2 as nk

    ecg, fs = read_edf(path)
    state: dict[str, Any] = {}

    def process() -> None:
        state["info"] = nk.ecg_process(ecg, sampling_rate=int(fs))[1]

    def hrv() -> None:
        nk.hrv(state["info"]["ECG_R_Peaks"], sampling_rate=int(fs))

    runs = {"read": measure(lambda: read_edf(path), repeat=3)}
    runs["ecg_process"] = measure(process, limit_s=limit_s)
    runs["hrv"] = measure(hrv, limit_s=limit_s) if "info" in state else Run(None, None, "no peaks")
    return runs


def peak_rss_mb() -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rss_report(path: Path) -> None:
    """Whole-process peak RSS of the vagus pipeline on the 24-hour file (in a fresh child).

    A child started from a large parent inherits the parent's high-water mark, so it is reset
    first (Linux >= 4.0: writing 5 to /proc/self/clear_refs).
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        print("(could not reset the RSS high-water mark; the figures below include the parent's)")
    before = peak_rss_mb()
    start = time.perf_counter()
    report = vagus_pipeline(path)
    seconds = time.perf_counter() - start
    print(
        f"24 h, fresh process: {seconds:.2f} s from EDF to report ({report.n_beats:,} beats); "
        f"peak RSS {before:.0f} MB after imports, {peak_rss_mb():.0f} MB after the pipeline"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-limit", type=float, default=PEER_LIMIT_S)
    parser.add_argument("--no-neurokit2", action="store_true", help="skip the NeuroKit2 runs")
    parser.add_argument("--rss", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss:
        rss_report(args.rss)
        return
    warnings.simplefilter("ignore")
    print(f"# raw ECG to HRV on {platform.processor() or platform.machine()}, 1 thread\n")

    with tempfile.TemporaryDirectory() as folder:
        files = {
            "synthetic 1 h": Path(folder) / "synthetic_1h.edf",
            "real 1 h": Path(folder) / "real_1h.edf",
            "real 24 h": Path(folder) / "real_24h.edf",
        }
        write_edf(files["synthetic 1 h"], synthetic_ecg(3600.0))
        write_edf(files["real 1 h"], real_ecg(3600.0))
        write_edf(files["real 24 h"], real_ecg(86400.0))
        vagus_pipeline(files["real 1 h"])  # warm-up: imports, caches

        rows = []
        for name in ("synthetic 1 h", "real 1 h"):
            path = files[name]
            ecg, fs = read_edf(path)
            beats = detect_ecg_beats(ecg, fs)
            runs = {
                "read": measure(lambda p=path: read_edf(p), repeat=5),
                "detect": measure(lambda e=ecg, f=fs: detect_ecg_beats(e, f), repeat=5),
                "analyze": measure(lambda b=beats: analyze(b.rr_ms()), repeat=5),
                "vagus": measure(lambda p=path: vagus_pipeline(p), repeat=5),
                "sleepecg": measure(lambda e=ecg, f=fs: sleepecg.detect_heartbeats(e, f), repeat=5),
                "sleepecg route": measure(lambda p=path: sleepecg_pipeline(p), repeat=5),
            }
            peer = {} if args.no_neurokit2 else neurokit2_steps(path, args.peer_limit)
            for step, run in peer.items():
                print(f"  {name} NeuroKit2 {step}: {fmt_s(run)}, {fmt_mb(run)}", flush=True)
            rows.append((name, ecg.size, beats, runs, peer))
            print(f"  {name} vagus: {fmt_s(runs['vagus'])}, {fmt_mb(runs['vagus'])}", flush=True)

        print()
        print(
            "| series | samples | beats | vagus: read + detect + analyze | vagus peak "
            "| sleepecg detector alone | vagus / sleepecg | read + sleepecg + analyze "
            "| NeuroKit2 ecg_process + hrv | NeuroKit2 peak | speed-up |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, samples, beats, runs, peer in rows:
            ours = runs["vagus"]
            assert ours.seconds is not None
            split = "/".join(fmt_s(runs[k]) for k in ("read", "detect", "analyze"))
            ratio = ours.seconds / (runs["sleepecg"].seconds or float("nan"))
            nk_runs = list(peer.values())
            done = [r for r in nk_runs if r.seconds is not None]
            nk_total = sum(r.seconds for r in done if r.seconds is not None)
            complete = bool(nk_runs) and len(done) == len(nk_runs)
            nk_text = (
                fmt_s(Run(nk_total, None))
                if complete
                else "; ".join(f"{k}: {fmt_s(v)}" for k, v in peer.items())
            )
            nk_peak = max((r.peak_mb or 0.0) for r in done) if done else None
            # A step whose traced run passed the time limit has a time but no peak.
            at_least = ">= " if any(r.peak_mb is None for r in done) else ""
            speed_up = f"{nk_total / ours.seconds:.0f}x" if complete else "-"
            print(
                f"| {name} | {samples:,} | {beats.peaks.size:,} | {fmt_s(ours)} ({split}) "
                f"| {fmt_mb(ours)} | {fmt_s(runs['sleepecg'])} | {ratio:.2f} "
                f"| {fmt_s(runs['sleepecg route'])} | {nk_text} "
                f"| {'-' if nk_peak is None else f'{at_least}{nk_peak:.0f} MB'} | {speed_up} |"
            )

        day = measure(lambda: vagus_pipeline(files["real 24 h"]), repeat=2)
        day_ecg, day_fs = read_edf(files["real 24 h"])
        alone = measure(lambda e=day_ecg, f=day_fs: sleepecg.detect_heartbeats(e, f), repeat=2)
        del day_ecg
        print(
            f"\n24 h at 250 Hz ({int(86400 * FS_HZ):,} samples), EDF to report: "
            f"{fmt_s(day)}, tracemalloc peak {fmt_mb(day)} (sleepecg's detector alone on the "
            f"array: {fmt_s(alone)}, {fmt_mb(alone)})"
        )
        subprocess.run([sys.executable, __file__, "--rss", str(files["real 24 h"])], check=True)


if __name__ == "__main__":
    main()
