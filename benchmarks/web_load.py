"""Load test of the web app over loopback: check-in writes, history reads and a mix.

Run by hand, never in tests: ``.venv/bin/python benchmarks/web_load.py`` (``--help`` for the
knobs). Prints a markdown table per load generator and what limited the runs.

What it does:

1. Starts the real server in a subprocess, ``vagus serve --host 127.0.0.1 --port PORT`` with
   ``VAGUS_HOME`` set to a fresh temporary directory (so the default SQLite journal: WAL,
   ``synchronous=FULL``, one fsync per commit), waits until ``GET /api/history`` answers and
   always stops it at the end (SIGINT, then SIGKILL after a grace period), also on error.
2. Loads it from this machine only (127.0.0.1), ``--workers`` concurrent requests in all, a
   keep-alive connection each, three timed runs after a warm-up (``--warmup-s``), each bounded
   by time (``--duration-s``):

   - ``POST /api/checkins``: a check-in, ratings 0-10 drawn at random;
   - ``GET /api/history?limit=50``: the newest 50 journal entries;
   - a mix with ``--write-share`` writes (20 % by default).

   Every request carries the ``vagus_csrf`` cookie and every ``POST`` the token that
   ``GET /api/csrf`` hands out with it, in ``X-Vagus-CSRF`` (``vagus.web._csrf``).

   Two load generators, ``--client``:

   - ``wrk`` (C, from Debian's ``wrk`` package), the primary one when it is on the PATH: one
     thread (``--wrk-threads``), its requests built by a generated Lua script, its latency
     percentiles and errors reported by the script's ``done()``. A request fails when the
     socket fails, it times out (2 s) or its status is 400 or more (``summary.errors``).
   - ``httpx.AsyncClient`` in ``--procs`` processes, the fallback (and the cross-check).
     httpx costs about 5 ms of CPU per request, so on a 2-core machine it cannot send 500
     requests a second and leave a core to the server: its numbers are a lower bound. Latency
     is the wall time from sending a request to having read the whole response; a request
     fails when its status is not 2xx or it raises.

   ``--client auto`` (the default) runs wrk and then httpx when wrk is installed, else httpx.
   ``--runs`` picks some of the three runs; ``--serve-arg`` passes an argument on to
   ``vagus serve`` (``--serve-arg=--workers --serve-arg=2`` for two server processes).
3. Measures what limits the throughput: the server's CPU time during each run (``/proc``,
   the server process and any children; 100 % is one core), the load generator's CPU, and
   the CPU the rest of the machine used meanwhile (``/proc/stat`` busy time minus those two:
   other programs compete for the same cores). It also times ``App.checkin`` and
   ``App.history`` in-process on the same journal (the part of a request that is not HTTP),
   and one commit with plain ``sqlite3`` with ``synchronous=FULL`` versus ``NORMAL`` in the
   same directory: the difference is the fsync a check-in pays, and its inverse the most
   commits a second one writer can make.

Targets (from the issue): at least 500 requests/s and p99 under 50 ms for check-in writes and
for history reads on SQLite, with no failed requests. The load generator shares the machine's
cores with the server, so the numbers are a lower bound on what the server alone could do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import re
import resource
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
CHECKIN_FIELDS: Final = ("sleep", "headache", "digestion", "anxiety", "pain", "fatigue")
#: Targets from the issue.
TARGET_RPS: Final = 500.0
TARGET_P99_MS: Final = 50.0
#: How long the server may take to answer its first request after start.
STARTUP_TIMEOUT_S: Final = 30.0
#: Grace period after SIGINT before the server is killed.
STOP_GRACE_S: Final = 10.0
#: Per-request timeout of the httpx client (a request slower than this counts as failed).
REQUEST_TIMEOUT_S: Final = 10.0
#: wrk's own per-request timeout (its default); a slower request counts as failed.
WRK_TIMEOUT_S: Final = 2
#: Requests the wrk script builds up front and cycles through (building one per request in
#: Lua would cost wrk more than the server's answer; wrk's SCRIPTING notes).
WRK_PREBUILT_REQUESTS: Final = 1000
CLOCK_TICKS_PER_S: Final = os.sysconf("SC_CLK_TCK")


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(
    home: Path, port: int, extra_args: list[str]
) -> Iterator[subprocess.Popen[bytes]]:
    """``vagus serve`` on 127.0.0.1:port with its own ``VAGUS_HOME``; stopped on exit, always."""
    env = os.environ | {"VAGUS_HOME": str(home), "VAGUS_LANG": "en"}
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(VAGUS_BIN), "serve", "--host", HOST, "--port", str(port), *extra_args],
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


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process ended meanwhile
        return None
    return stat.rsplit(")", 1)[1].split()


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live descendants (``/proc``).

    Fields 14 and 15 of ``/proc/PID/stat`` (utime, stime), plus 16 and 17 (cutime, cstime:
    children that have ended), summed over the process tree (uvicorn with ``--workers``).
    """
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    ticks = 0
    for member in tree:
        fields = _stat_fields(member)
        if fields is not None:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS_PER_S


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy so far (``/proc/stat``, all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    # guest time is already counted in user and nice
    return (sum(values[:8]) - idle) / CLOCK_TICKS_PER_S


def csrf_token(base: str) -> tuple[str, str]:
    """The CSRF cookie and token a script gets from ``GET /api/csrf`` (the token is an HMAC of
    the cookie with the server's secret: ``vagus.web._csrf``)."""
    response = httpx.get(base + "/api/csrf", timeout=REQUEST_TIMEOUT_S)
    response.raise_for_status()
    cookie = response.cookies.get(CSRF_COOKIE)
    if not cookie:
        raise RuntimeError(f"GET /api/csrf set no {CSRF_COOKIE} cookie")
    return cookie, str(response.json()["token"])


# --- results ----------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    client: str
    requests: int
    failed: int
    errors: dict[str, int]
    wall_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float
    client_cpu_s: float
    machine_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def other_cpu_s(self) -> float:
        """CPU the rest of the machine used meanwhile (never below 0: clocks tick coarsely)."""
        return max(0.0, self.machine_cpu_s - self.server_cpu_s - self.client_cpu_s)

    def pct_of_core(self, cpu_s: float) -> float:
        return 100.0 * cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000.0 * self.server_cpu_s / max(1, self.requests)

    @property
    def meets_targets(self) -> bool:
        return self.failed == 0 and self.rps >= TARGET_RPS and self.p99_ms < TARGET_P99_MS


def nearest_rank(data: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q % of the data at or below."""
    if not data:
        return float("nan")
    ordered = sorted(data)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[rank - 1]


@contextlib.contextmanager
def measured(server_pid: int) -> Iterator[dict[str, float]]:
    """CPU seconds of the server and of the whole machine during the block."""
    out: dict[str, float] = {}
    server0, machine0 = tree_cpu_seconds(server_pid), machine_busy_seconds()
    yield out
    out["server"] = tree_cpu_seconds(server_pid) - server0
    out["machine"] = machine_busy_seconds() - machine0


# --- load generator 1: wrk --------------------------------------------------------------------

WRK_SCRIPT: Final = """\
-- Generated by benchmarks/web_load.py: %(name)s
local cookie = "%(cookie)s"
local token = "%(token)s"
local write_share = %(write_share)r
local checkin_path = "%(checkin_path)s"
local history_path = "%(history_path)s"
local fields = {%(fields)s}
local requests = {}
local n = 0

function init(args)
  math.randomseed(%(seed)d)
  local get_headers = {["Cookie"] = "vagus_csrf=" .. cookie}
  local post_headers = {
    ["Cookie"] = "vagus_csrf=" .. cookie,
    ["%(csrf_header)s"] = token,
    ["Content-Type"] = "application/json",
  }
  for i = 1, %(prebuilt)d do
    if math.random() < write_share then
      local parts = {}
      for _, name in ipairs(fields) do
        parts[#parts + 1] = string.format('"%%s": %%d', name, math.random(0, 10))
      end
      local body = "{" .. table.concat(parts, ", ") .. ', "note": "load test"}'
      requests[i] = wrk.format("POST", checkin_path, post_headers, body)
    else
      requests[i] = wrk.format("GET", history_path, get_headers)
    end
  end
end

function request()
  n = n %% #requests + 1
  return requests[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "VAGUS_WRK requests=%%d duration_us=%%d connect=%%d read=%%d write=%%d status=%%d " ..
    "timeout=%%d p50=%%d p95=%%d p99=%%d max=%%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_run(
    wrk: str,
    name: str,
    base: str,
    server_pid: int,
    csrf: tuple[str, str],
    *,
    write_share: float,
    duration_s: float,
    connections: int,
    threads: int,
    workdir: Path,
    seed: int,
) -> Run:
    """One wrk run (a generated Lua script picks writes with probability ``write_share``)."""
    script = workdir / f"wrk-{seed}.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "name": name,
            "cookie": csrf[0],
            "token": csrf[1],
            "write_share": float(write_share),
            "checkin_path": CHECKIN_PATH,
            "history_path": HISTORY_PATH,
            "fields": ", ".join(f'"{f}"' for f in CHECKIN_FIELDS),
            "seed": seed,
            "csrf_header": CSRF_HEADER,
            "prebuilt": WRK_PREBUILT_REQUESTS,
        }
    )
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s:.0f}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        str(script),
        base + "/",
    ]
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with measured(server_pid) as cpu:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"VAGUS_WRK (.*)", out.stdout)
    if out.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    values = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    errors = {
        kind: values[kind]
        for kind in ("connect", "read", "write", "status", "timeout")
        if values[kind]
    }
    return Run(
        name=name,
        client="wrk",
        requests=values["requests"],
        # wrk counts a timed-out request in "timeout" and not in "requests"
        failed=sum(errors.values()),
        errors=errors,
        wall_s=values["duration_us"] / 1e6,
        p50_ms=values["p50"] / 1000,
        p95_ms=values["p95"] / 1000,
        p99_ms=values["p99"] / 1000,
        max_ms=values["max"] / 1000,
        server_cpu_s=cpu["server"],
        client_cpu_s=(children1.ru_utime + children1.ru_stime)
        - (children0.ru_utime + children0.ru_stime),
        machine_cpu_s=cpu["machine"],
    )


# --- load generator 2: httpx ------------------------------------------------------------------


@dataclass
class HttpxResult:
    latencies_s: list[float] = field(default_factory=list)
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    client_cpu_s: float = 0.0


def checkin_body(rng: random.Random) -> dict[str, object]:
    body: dict[str, object] = {name: rng.randint(0, 10) for name in CHECKIN_FIELDS}
    body["note"] = "load test"
    return body


async def _load(
    base: str,
    workers: int,
    duration_s: float,
    max_requests: int,
    write_share: float,
    seed: int,
) -> HttpxResult:
    result = HttpxResult()
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT_S) as client:
        first = await client.get("/api/csrf")  # sets the CSRF cookie on the client
        first.raise_for_status()
        headers = {CSRF_HEADER: str(first.json()["token"])}
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


def _load_process(args: tuple[str, int, float, int, float, int, float]) -> HttpxResult:
    base, workers, duration_s, max_requests, write_share, seed, start_at = args
    # All processes start together so that their windows overlap.
    time.sleep(max(0.0, start_at - time.time()))
    return asyncio.run(_load(base, workers, duration_s, max_requests, write_share, seed))


def httpx_run(
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
    time.sleep(max(0.0, start_at - time.time() - 0.05))
    with measured(server_pid) as cpu:
        results = [_load_process(jobs[0])] if pool is None else pool.map(_load_process, jobs)
    latencies = [lat * 1000.0 for r in results for lat in r.latencies_s]
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    return Run(
        name=name,
        client="httpx",
        requests=len(latencies),
        failed=sum(r.failed for r in results),
        errors=errors,
        wall_s=max(r.wall_s for r in results),
        p50_ms=nearest_rank(latencies, 50),
        p95_ms=nearest_rank(latencies, 95),
        p99_ms=nearest_rank(latencies, 99),
        max_ms=max(latencies, default=float("nan")),
        server_cpu_s=cpu["server"],
        client_cpu_s=sum(r.client_cpu_s for r in results),
        machine_cpu_s=cpu["machine"],
    )


# --- cross-checks -----------------------------------------------------------------------------


def sqlite_commit_ms(directory: Path, synchronous: str, n: int = 300) -> float:
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
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t (note) VALUES ('x')")
            con.execute("COMMIT")
            times.append(time.perf_counter() - start)
        return 1000.0 * statistics.median(times)
    finally:
        con.close()


def service_ms(home: Path, n: int = 200) -> tuple[float, float, float, float, int]:
    """``app.checkins.add`` and ``app.transfer.history_page`` (50 entries) in this process,
    no HTTP.

    The same journal the server used (so as many entries). Returns the median wall ms and
    median CPU ms of each (write wall, write CPU, read wall, read CPU) and the number of
    entries: the server's CPU per request minus these is what the web stack costs.
    """
    from vagus.app import build_app
    from vagus.app.models import CheckinIn

    app = build_app(env={"VAGUS_HOME": str(home), "VAGUS_LANG": "en"})
    values = dict.fromkeys(CHECKIN_FIELDS, 3)
    write_wall, write_cpu, read_wall, read_cpu = [], [], [], []
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.thread_time()
        app.checkins.add(CheckinIn(**values), "en")
        write_wall.append(time.perf_counter() - wall)
        write_cpu.append(time.thread_time() - cpu)
        wall, cpu = time.perf_counter(), time.thread_time()
        app.transfer.history_page(None, 1, 50)
        read_wall.append(time.perf_counter() - wall)
        read_cpu.append(time.thread_time() - cpu)
    total = sum(app.journal.counts().values())
    app.close()
    medians = [1000.0 * statistics.median(x) for x in (write_wall, write_cpu, read_wall, read_cpu)]
    return medians[0], medians[1], medians[2], medians[3], total


# --- report -----------------------------------------------------------------------------------


def table(runs: list[Run]) -> str:
    rows = [
        (
            "| run | client | requests | failed | req/s | p50 ms | p95 ms | p99 ms | max ms "
            "| server CPU | server CPU ms/req | client CPU | other CPU | targets |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        verdict = "met" if r.meets_targets else "missed"
        rows.append(
            f"| {r.name} | {r.client} | {r.requests} | {r.failed} | {r.rps:.0f} "
            f"| {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} "
            f"| {r.pct_of_core(r.server_cpu_s):.0f} % | {r.server_cpu_ms_per_request:.2f} "
            f"| {r.pct_of_core(r.client_cpu_s):.0f} % | {r.pct_of_core(r.other_cpu_s):.0f} % "
            f"| {verdict} |"
        )
    return "\n".join(rows)


def verdicts(runs: list[Run]) -> list[str]:
    lines = []
    for r in runs:
        if r.errors:
            lines.append(f"- {r.name} ({r.client}): failures {r.errors}")
        if not r.meets_targets:
            gaps = []
            if r.rps < TARGET_RPS:
                gaps.append(f"{r.rps:.0f} req/s is {100 * (1 - r.rps / TARGET_RPS):.0f} % short")
            if r.p99_ms >= TARGET_P99_MS:
                gaps.append(f"p99 {r.p99_ms:.1f} ms is {r.p99_ms / TARGET_P99_MS:.1f}x the target")
            if r.failed:
                gaps.append(f"{r.failed} failed")
            lines.append(f"- {r.name} ({r.client}): missed ({'; '.join(gaps)})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator: auto runs wrk (when on the PATH), then httpx",
    )
    parser.add_argument(
        "--workers", type=int, default=16, help="concurrent requests (connections) in all"
    )
    parser.add_argument("--procs", type=int, default=1, help="httpx load-generator processes")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--duration-s", type=float, default=10.0, help="length of each run")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="length of the warm-up")
    parser.add_argument(
        "--max-requests", type=int, default=50_000, help="upper bound of httpx requests per run"
    )
    parser.add_argument("--write-share", type=float, default=0.2, help="writes in the mixed run")
    parser.add_argument(
        "--runs",
        default="writes,reads,mixed",
        help="which timed runs, comma-separated (default: writes,reads,mixed)",
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for vagus serve (repeat for several)",
    )
    args = parser.parse_args(argv)
    if args.procs < 1 or args.workers < args.procs:
        parser.error("need --procs >= 1 and --workers >= --procs")
    if not {name.strip() for name in args.runs.split(",")} <= {"writes", "reads", "mixed"}:
        parser.error("--runs: expected some of writes, reads, mixed")
    wrk = shutil.which("wrk")
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not on the PATH (Debian: apt-get install wrk)")
    clients = {"auto": ["wrk", "httpx"] if wrk else ["httpx"], "wrk": ["wrk"]}.get(
        args.client, ["httpx"]
    )

    port = args.port or free_port()
    base = f"http://{HOST}:{port}"
    serve = " ".join(["vagus serve", *args.serve_arg])
    described = {
        "wrk": f"wrk ({args.wrk_threads} thread(s))",
        "httpx": f"httpx {httpx.__version__} AsyncClient ({args.procs} process(es))",
    }
    print(
        f"# vagus web load test\n\nServer: `{serve}` on {base}, SQLite journal in a "
        f"temporary VAGUS_HOME. Load: {' then '.join(described[c] for c in clients)}; "
        f"{args.workers} concurrent connections, {args.duration_s:.0f} s per run after a "
        f"{args.warmup_s:.0f} s warm-up. Python {sys.version.split()[0]}, {os.cpu_count()} "
        "CPU(s): the load generator runs on the same cores as the server and takes CPU from "
        "it, so these numbers are a lower bound on the server alone. CPU columns: 100 % is "
        "one core; other CPU is what the rest of the machine used meanwhile.\n",
        flush=True,
    )
    runs: list[Run] = []
    all_shares = {
        "writes": ("check-in writes (POST /api/checkins)", 1.0),
        "reads": ("history reads (GET /api/history?limit=50)", 0.0),
        "mixed": (f"mixed, {args.write_share:.0%} writes", args.write_share),
    }
    shares = [all_shares[name.strip()] for name in args.runs.split(",") if name.strip()]
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="vagus-load-") as tmp:
        home = Path(tmp)
        with running_server(home, port, args.serve_arg) as server:
            csrf = csrf_token(base)
            for client in clients:
                if client == "wrk" and wrk is not None:
                    common = {
                        "connections": args.workers,
                        "threads": args.wrk_threads,
                        "workdir": home,
                    }
                    wrk_run(
                        wrk,
                        "warm-up",
                        base,
                        server.pid,
                        csrf,
                        write_share=0.5,
                        duration_s=args.warmup_s,
                        seed=1,
                        **common,
                    )
                    for seed, (name, share) in enumerate(shares, start=2):
                        run = wrk_run(
                            wrk,
                            name,
                            base,
                            server.pid,
                            csrf,
                            write_share=share,
                            duration_s=args.duration_s,
                            seed=seed,
                            **common,
                        )
                        runs.append(run)
                        print(f"- done: {name} (wrk): {run.requests} requests", file=sys.stderr)
                    continue
                with ctx.Pool(args.procs) if args.procs > 1 else contextlib.nullcontext() as pool:
                    common_httpx = {
                        "procs": args.procs,
                        "workers": args.workers,
                        "max_requests": args.max_requests,
                    }
                    httpx_run(
                        pool,
                        "warm-up",
                        base,
                        server.pid,
                        duration_s=args.warmup_s,
                        write_share=0.5,
                        **common_httpx,
                    )
                    for name, share in shares:
                        run = httpx_run(
                            pool,
                            name,
                            base,
                            server.pid,
                            duration_s=args.duration_s,
                            write_share=share,
                            **common_httpx,
                        )
                        runs.append(run)
                        print(f"- done: {name} (httpx): {run.requests} requests", file=sys.stderr)
        write_ms, write_cpu_ms, read_ms, read_cpu_ms, entries = service_ms(home)
        commit_full = sqlite_commit_ms(home, "FULL")
        commit_normal = sqlite_commit_ms(home, "NORMAL")

    print(table(runs))
    print(
        f"\nTargets: >= {TARGET_RPS:.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms, no failed "
        "requests (each run judged alone)."
    )
    for line in verdicts(runs):
        print(line)
    fsync_ms = max(0.0, commit_full - commit_normal)
    print(
        f"\nOne SQLite commit (WAL, plain sqlite3, same filesystem): {commit_full:.2f} ms with "
        f"synchronous=FULL (the journal's setting), {commit_normal:.2f} ms with NORMAL: the "
        f"fsync costs {fsync_ms:.2f} ms, so one writer can commit at most "
        f"{1000 / commit_full:.0f} times a second here."
    )
    print(
        f"In-process service calls on the same journal ({entries} entries), no HTTP (medians): "
        f"App.checkin {write_ms:.2f} ms wall, {write_cpu_ms:.2f} ms CPU; "
        f"App.history(limit=50) {read_ms:.2f} ms wall, {read_cpu_ms:.2f} ms CPU. The server's "
        "CPU ms per request minus these is the web stack (uvicorn, FastAPI, pydantic, JSON)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
