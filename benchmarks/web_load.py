"""Load test of the web app over loopback: check-in writes, history reads and a mix.

Run by hand, never in tests: ``.venv/bin/python benchmarks/web_load.py`` (``--help`` for the
knobs). Prints a markdown table per run and what limited it.

What it does:

1. Starts the real server in a subprocess, ``vagus serve --host 127.0.0.1 --port PORT`` with
   ``VAGUS_HOME`` set to a fresh temporary directory (so the default SQLite journal: WAL,
   ``synchronous=FULL``, one fsync per commit), waits until ``GET /api/history`` answers and
   always stops it at the end (SIGINT, then SIGKILL after a grace period), also on error.
2. Loads it from this machine only (127.0.0.1) with ``httpx.AsyncClient``: ``--procs``
   load-generator processes with ``--workers`` concurrent requests in all, a keep-alive
   connection per worker. Each process first does a ``GET`` to receive the ``vagus_csrf``
   cookie and echoes it in ``X-Vagus-CSRF`` on every ``POST`` (``vagus.web._csrf``).
   A warm-up (``--warmup-s``) is followed by the timed runs, each bounded both by time
   (``--duration-s``) and by count (``--max-requests``):

   - ``POST /api/checkins``: a check-in, ratings 0-10;
   - ``GET /api/history?limit=50``: the newest 50 journal entries;
   - a mix with ``--write-share`` writes (20 % by default).

   The latency of a request is the wall time from sending it to having read the whole response
   (``time.perf_counter``); a request fails when its status is not 2xx or it raises.
3. Measures what limits the throughput: the server process's CPU time during each run
   (``/proc/PID/stat`` utime + stime; 100 % is one core, and uvicorn here runs one process
   whose Python code holds the GIL), the load generator's own CPU, and the cost of one
   ``synchronous=FULL`` versus ``NORMAL`` commit with plain ``sqlite3`` in the same temporary
   directory (the fsync a check-in pays).
4. If ``wrk`` is on the PATH, it cross-checks the history run with it (C, far cheaper per
   request than httpx, so it shows how much the Python client itself costs).

Targets (from the issue): at least 500 requests/s and p99 under 50 ms for check-in writes and
for history reads on SQLite, with no failed requests. The machine has few cores and the load
generator shares them with the server; the output says so, because the numbers are then a lower
bound on what the server alone could do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

ROOT: Final = Path(__file__).resolve().parent.parent
VAGUS_BIN: Final = ROOT / ".venv" / "bin" / "vagus"
HOST: Final = "127.0.0.1"
HISTORY_PATH: Final = "/api/history?limit=50"
CHECKIN_PATH: Final = "/api/checkins"
CSRF_COOKIE: Final = "vagus_csrf"
CSRF_HEADER: Final = "X-Vagus-CSRF"
#: Targets from the issue.
TARGET_RPS: Final = 500.0
TARGET_P99_MS: Final = 50.0
#: How long the server may take to answer its first request after start.
STARTUP_TIMEOUT_S: Final = 30.0
#: Grace period after SIGINT before the server is killed.
STOP_GRACE_S: Final = 10.0
#: Per-request timeout of the client (a request slower than this counts as failed).
REQUEST_TIMEOUT_S: Final = 10.0
CLOCK_TICKS_PER_S: Final = os.sysconf("SC_CLK_TCK")


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``vagus serve`` on 127.0.0.1:port with its own ``VAGUS_HOME``; stopped on exit, always."""
    env = os.environ | {"VAGUS_HOME": str(home), "VAGUS_LANG": "en"}
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(VAGUS_BIN), "serve", "--host", HOST, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(proc, port, home)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on Ctrl+C
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_until_up(proc: subprocess.Popen[bytes], port: int, home: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = f"http://{HOST}:{port}{HISTORY_PATH}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (home / "server.log").read_text(errors="replace")
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {url} within {STARTUP_TIMEOUT_S:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/PID/stat`` fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S


# --- the load generator -----------------------------------------------------------------------


@dataclass
class Result:
    latencies_s: list[float] = field(default_factory=list)
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    client_cpu_s: float = 0.0


def checkin_body(rng: random.Random) -> dict[str, object]:
    body: dict[str, object] = {
        name: rng.randint(0, 10)
        for name in ("sleep", "headache", "digestion", "anxiety", "pain", "fatigue")
    }
    body["note"] = "load test"
    return body


async def _load(
    base: str,
    workers: int,
    duration_s: float,
    max_requests: int,
    write_share: float,
    seed: int,
) -> Result:
    result = Result()
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT_S) as client:
        first = await client.get(HISTORY_PATH)  # sets the CSRF cookie on the client
        first.raise_for_status()
        token = client.cookies.get(CSRF_COOKIE)
        if not token:
            raise RuntimeError(f"GET {HISTORY_PATH} set no {CSRF_COOKIE} cookie")
        headers = {CSRF_HEADER: token}
        budget = [max_requests]
        deadline = time.perf_counter() + duration_s

        async def worker(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            while budget[0] > 0 and time.perf_counter() < deadline:
                budget[0] -= 1
                write = rng.random() < write_share
                start = time.perf_counter()
                try:
                    if write:
                        response = await client.post(
                            CHECKIN_PATH, json=checkin_body(rng), headers=headers
                        )
                    else:
                        response = await client.get(HISTORY_PATH)
                    ok = 200 <= response.status_code < 300
                    reason = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    ok, reason = False, type(error).__name__
                result.latencies_s.append(time.perf_counter() - start)
                if not ok:
                    result.failed += 1
                    result.errors[reason] = result.errors.get(reason, 0) + 1

        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(workers)))
        result.wall_s = time.perf_counter() - wall0
        result.client_cpu_s = time.process_time() - cpu0
    return result


def _load_process(args: tuple[str, int, float, int, float, int, float]) -> Result:
    base, workers, duration_s, max_requests, write_share, seed, start_at = args
    # All processes start together so that their windows overlap.
    time.sleep(max(0.0, start_at - time.time()))
    return asyncio.run(_load(base, workers, duration_s, max_requests, write_share, seed))


@dataclass
class Run:
    name: str
    requests: int
    failed: int
    errors: dict[str, int]
    wall_s: float
    latencies_ms: list[float]
    server_cpu_pct: float
    client_cpu_pct: float
    server_cpu_ms_per_request: float

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        # Nearest-rank percentile: the smallest value with at least q % of the data at or below.
        rank = max(1, int(-(-q * len(data) // 100)))
        return data[rank - 1]

    @property
    def meets_targets(self) -> bool:
        return self.failed == 0 and self.rps >= TARGET_RPS and self.pct(99) < TARGET_P99_MS


def run_load(
    pool: mp.pool.Pool | None,
    name: str,
    base: str,
    server_pid: int,
    *,
    procs: int,
    workers: int,
    duration_s: float,
    max_requests: int,
    write_share: float,
) -> Run:
    per_proc_workers = [workers // procs + (1 if i < workers % procs else 0) for i in range(procs)]
    per_proc_max = [
        max_requests // procs + (1 if i < max_requests % procs else 0) for i in range(procs)
    ]
    start_at = time.time() + 0.5
    jobs = [
        (base, w, duration_s, m, write_share, i + 1, start_at)
        for i, (w, m) in enumerate(zip(per_proc_workers, per_proc_max, strict=True))
    ]
    server_cpu0 = cpu_seconds(server_pid)
    wall0 = time.perf_counter()
    results = [_load_process(jobs[0])] if pool is None else pool.map(_load_process, jobs)
    server_cpu = cpu_seconds(server_pid) - server_cpu0
    outer_wall = time.perf_counter() - wall0 - 0.5
    wall = max(r.wall_s for r in results)
    latencies = [lat * 1000.0 for r in results for lat in r.latencies_s]
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    return Run(
        name=name,
        requests=len(latencies),
        failed=sum(r.failed for r in results),
        errors=errors,
        wall_s=wall,
        latencies_ms=latencies,
        server_cpu_pct=100.0 * server_cpu / max(outer_wall, wall),
        client_cpu_pct=100.0 * sum(r.client_cpu_s for r in results) / wall,
        server_cpu_ms_per_request=1000.0 * server_cpu / max(1, len(latencies)),
    )


# --- cross-checks -----------------------------------------------------------------------------


def sqlite_commit_ms(directory: Path, synchronous: str, n: int = 200) -> float:
    """Median wall time of one single-row INSERT + COMMIT in WAL mode, in milliseconds."""
    path = directory / f"fsync-{synchronous.lower()}.sqlite"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute(f"PRAGMA synchronous = {synchronous}")
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)")
        times = []
        for _ in range(n):
            start = time.perf_counter()
            con.execute("BEGIN")
            con.execute("INSERT INTO t (note) VALUES ('x')")
            con.execute("COMMIT")
            times.append(time.perf_counter() - start)
        return 1000.0 * statistics.median(times)
    finally:
        con.close()


def service_ms(home: Path, n: int = 100) -> tuple[float, float, int]:
    """Median ms of ``App.checkin`` and ``App.history(limit=50)`` called in this process.

    The same journal the server used (so as many entries), without HTTP, FastAPI or JSON: the
    server's CPU per request minus these is what the web stack costs. Returns the two medians
    and the number of entries in the journal.
    """
    from vagus.app import build_app

    app = build_app(env={"VAGUS_HOME": str(home), "VAGUS_LANG": "en"})
    values = dict.fromkeys(("sleep", "headache", "digestion", "anxiety", "pain", "fatigue"), 3)
    writes, reads = [], []
    for _ in range(n):
        start = time.perf_counter()
        app.checkin(values, "load test")
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        app.history(None, limit=50)
        reads.append(time.perf_counter() - start)
    total = sum(app.journal.counts().values())
    return 1000.0 * statistics.median(writes), 1000.0 * statistics.median(reads), total


def run_wrk(base: str, duration_s: float, connections: int) -> str | None:
    """``wrk`` on the history endpoint, one thread; its summary lines, or None without wrk."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration_s:.0f}s", "--latency", base + HISTORY_PATH],
        capture_output=True,
        text=True,
        timeout=duration_s + 30,
        check=False,
    )
    keep = ("Latency", "50%", "90%", "99%", "requests in", "Requests/sec", "Non-2xx", "Socket")
    return "\n".join(line for line in out.stdout.splitlines() if line.strip().startswith(keep))


# --- report -----------------------------------------------------------------------------------


def table(runs: list[Run]) -> str:
    rows = [
        (
            "| run | requests | failed | req/s | median ms | p95 ms | p99 ms | max ms "
            "| server CPU | server CPU ms/req | client CPU | targets |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        verdict = "met" if r.meets_targets else "missed"
        rows.append(
            f"| {r.name} | {r.requests} | {r.failed} | {r.rps:.0f} | {r.pct(50):.1f} "
            f"| {r.pct(95):.1f} | {r.pct(99):.1f} | {max(r.latencies_ms, default=0):.1f} "
            f"| {r.server_cpu_pct:.0f} % | {r.server_cpu_ms_per_request:.1f} "
            f"| {r.client_cpu_pct:.0f} % | {verdict} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=16, help="concurrent requests in all")
    parser.add_argument("--procs", type=int, default=1, help="load-generator processes")
    parser.add_argument("--duration-s", type=float, default=10.0, help="length of each run")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="length of the warm-up")
    parser.add_argument(
        "--max-requests", type=int, default=50_000, help="upper bound of requests per run"
    )
    parser.add_argument("--write-share", type=float, default=0.2, help="writes in the mixed run")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk cross-check")
    args = parser.parse_args(argv)
    if args.procs < 1 or args.workers < args.procs:
        parser.error("need --procs >= 1 and --workers >= --procs")

    port = args.port or free_port()
    base = f"http://{HOST}:{port}"
    print(
        f"# vagus web load test\n\nServer: `vagus serve` (uvicorn, 1 process) on {base}, SQLite "
        f"journal in a temporary VAGUS_HOME. Client: httpx {httpx.__version__} AsyncClient, "
        f"{args.procs} process(es), {args.workers} concurrent workers, {args.duration_s:.0f} s "
        f"per run (at most {args.max_requests} requests), {args.warmup_s:.0f} s warm-up. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s): the load generator runs on "
        "the same cores as the server and takes CPU from it, so these numbers are a lower "
        "bound on the server alone. Server CPU: 100 % is one core.\n",
        flush=True,
    )
    runs: list[Run] = []
    wrk_out: str | None = None
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="vagus-load-") as tmp:
        home = Path(tmp)
        with (
            running_server(home, port) as server,
            ctx.Pool(args.procs) if args.procs > 1 else contextlib.nullcontext() as pool,
        ):
            common = {
                "procs": args.procs,
                "workers": args.workers,
                "max_requests": args.max_requests,
            }
            run_load(
                pool,
                "warm-up",
                base,
                server.pid,
                duration_s=args.warmup_s,
                write_share=0.5,
                **common,
            )
            for name, share in (
                ("check-in writes (POST /api/checkins)", 1.0),
                ("history reads (GET /api/history?limit=50)", 0.0),
                (f"mixed, {args.write_share:.0%} writes", args.write_share),
            ):
                run = run_load(
                    pool,
                    name,
                    base,
                    server.pid,
                    duration_s=args.duration_s,
                    write_share=share,
                    **common,
                )
                runs.append(run)
                print(f"- done: {name}: {run.requests} requests", file=sys.stderr, flush=True)
            if not args.no_wrk:
                wrk_out = run_wrk(base, args.duration_s, args.workers)
        write_ms, read_ms, entries = service_ms(home)
        commit_full = sqlite_commit_ms(home, "FULL")
        commit_normal = sqlite_commit_ms(home, "NORMAL")

    print(table(runs))
    print(
        f"\nTargets: >= {TARGET_RPS:.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms, no failed "
        "requests (each run judged alone)."
    )
    for r in runs:
        if r.errors:
            print(f"- {r.name}: failures {r.errors}")
        if not r.meets_targets:
            gaps = []
            if r.rps < TARGET_RPS:
                gaps.append(f"{r.rps:.0f} req/s is {100 * (1 - r.rps / TARGET_RPS):.0f} % short")
            if r.pct(99) >= TARGET_P99_MS:
                gaps.append(
                    f"p99 {r.pct(99):.1f} ms is {r.pct(99) / TARGET_P99_MS:.1f}x the target"
                )
            if r.failed:
                gaps.append(f"{r.failed} failed")
            print(f"- {r.name}: missed ({'; '.join(gaps)})")
    print(
        f"\nOne SQLite commit (WAL, plain sqlite3, same filesystem): {commit_full:.2f} ms with "
        f"synchronous=FULL (the journal's setting), {commit_normal:.2f} ms with NORMAL."
    )
    print(
        f"In-process service calls on the same journal ({entries} entries), no HTTP: "
        f"App.checkin {write_ms:.2f} ms, App.history(limit=50) {read_ms:.2f} ms (medians). "
        "Compare with the server CPU ms per request above: the rest is uvicorn (h11), "
        "FastAPI/pydantic, JSON and the thread-pool hop of a sync route."
    )
    if wrk_out is not None:
        print(f"\nwrk cross-check, GET {HISTORY_PATH}, 1 thread, {args.workers} connections:\n")
        print("```\n" + wrk_out + "\n```")
    elif not args.no_wrk:
        print("\nwrk is not installed; no cross-check.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
