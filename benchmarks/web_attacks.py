"""The server under the attacks of issue 11: RSS and the latency of ``GET /`` meanwhile.

Run by hand, never in tests: ``.venv/bin/python benchmarks/web_attacks.py`` (about a minute).

It starts a real ``vagus serve`` (a fresh ``VAGUS_HOME``: SQLite, the replay sensor; the same
helpers as ``web_load.py``), samples the server's resident memory (``/proc/PID/status``,
``VmRSS``) every 20 ms and sends ``GET /`` 20 times a second from its own keep-alive client the
whole time. Then it sends, one after another, to ``POST /api/upload`` with the CSRF token:

- the issue's first zip bomb: a 2 MB Apple Health ``export.zip`` whose ``export.xml`` holds
  200 MB of whitespace inside ``<HealthData>`` (before: 196 MB -> 2.3 GB RSS, server frozen
  5-7 s);
- the second: a 0.5 MB ``export.zip`` with one ``Record`` of 3 million beats (before: +1.5 GB,
  unresponsive 33 s);
- 600 MB with an honest ``Content-Length`` (before: 413 after 3.7 s and +563 MB);
- 600 MB sent chunked, with no ``Content-Length`` (refused while it streams);
- all four at once.

For each: the status, the time to the answer, and the RSS growth over the idle baseline; and
the ``GET /`` latency (p50, p99, max) while the attacks ran, against the idle baseline.
Targets (issue 11): every attack answered within 1 s, RSS growth under 100 MB, ``GET /`` p99
under 100 ms meanwhile. The uploads are generated as they are sent, so the client holds
neither 600 MB nor the unpacked bombs. The load average at the start and the end says how
busy the machine was (2 cores; the load generator shares them).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from web_load import HOST, free_port, nearest_rank, running_server

MB: Final = 1_000_000
EXPORT_MEMBER: Final = "apple_health_export/export.xml"
HEAD: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    ' <ExportDate value="2026-05-01 09:00:00 +0200"/>\n <Me/>\n'
)
RECORD_HEAD: Final = (
    ' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Apple Watch" '
    'unit="ms" creationDate="2026-05-01 08:34:40 +0200" startDate="2026-05-01 08:33:39 +0200" '
    'endDate="2026-05-01 08:34:40 +0200" value="42.5">\n  <HeartRateVariabilityMetadataList>\n'
)
RECORD_TAIL: Final = "  </HeartRateVariabilityMetadataList>\n </Record>\n"
BEAT: Final = '   <InstantaneousBeatsPerMinute bpm="75" time="08:33:44,67"/>\n'
UPLOAD_BYTES: Final = 600 * MB
CHUNK: Final = 1 << 20
PROBE_EVERY_S: Final = 0.05
RSS_EVERY_S: Final = 0.02
TARGET_ANSWER_S: Final = 1.0
TARGET_RSS_MB: Final = 100.0
TARGET_P99_MS: Final = 100.0


# --- the attacks ------------------------------------------------------------------------------


def zip_bomb(body: Iterator[str], padding_bytes: int = 0) -> bytes:
    """An Apple Health export.zip: the header, ``body`` written a piece at a time, the end."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(EXPORT_MEMBER, "w", force_zip64=True) as member:
            member.write(HEAD.encode())
            for piece in body:
                member.write(piece.encode())
            member.write(b"</HealthData>\n")
        if padding_bytes:  # stored noise, so the archive is as large as the issue's
            noise = random.Random(11).randbytes(padding_bytes)
            archive.writestr("apple_health_export/workout-routes/route.gpx", noise)
    return buffer.getvalue()


def whitespace_body(megabytes: int) -> Iterator[str]:
    yield RECORD_HEAD + BEAT * 60 + RECORD_TAIL
    block = (" " * 1023 + "\n") * 1024
    for _ in range(megabytes):
        yield block


def beats_body(n_beats: int) -> Iterator[str]:
    yield RECORD_HEAD
    for _ in range(n_beats // 10_000):
        yield BEAT * 10_000
    yield RECORD_TAIL


def multipart_stream(name: str, size: int, boundary: str) -> Iterator[bytes]:
    """A multipart form with one file of ``size`` zero bytes, produced as it is sent."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    block = b"0" * CHUNK
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def multipart_length(name: str, size: int, boundary: str) -> int:
    head = sum(len(p) for p in multipart_stream(name, 0, boundary))
    return head + size


@dataclass
class Answer:
    name: str
    sent_mb: float
    status: int | str
    seconds: float
    rss_growth_mb: float = 0.0


# --- measuring --------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """RSS every 20 ms and ``GET /`` every 50 ms, each with its monotonic time."""

    def __init__(self, base: str, pid: int) -> None:
        self.base, self.pid = base, pid
        self.rss: list[tuple[float, float]] = []
        self.probes: list[tuple[float, float, int]] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._sample_rss, daemon=True),
            threading.Thread(target=self._probe, daemon=True),
        ]

    def __enter__(self) -> Sampler:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _sample_rss(self) -> None:
        while not self._stop.wait(RSS_EVERY_S):
            self.rss.append((time.monotonic(), rss_mb(self.pid)))

    def _probe(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.wait(PROBE_EVERY_S):
                start = time.monotonic()
                try:
                    status = client.get("/").status_code
                except httpx.HTTPError:
                    status = 0
                self.probes.append((start, (time.monotonic() - start) * 1000, status))

    def rss_peak(self, start: float, end: float) -> float:
        return max((mb for t, mb in self.rss if start <= t <= end), default=0.0)

    def latencies(self, start: float, end: float) -> list[float]:
        return [ms for t, ms, status in self.probes if start <= t <= end and status == 200]


def upload(
    base: str, cookies: dict[str, str], token: str, name: str, body: object, length: int | None
) -> tuple[int | str, float]:
    headers = {"X-Vagus-CSRF": token}
    boundary = "vagusbench"
    headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    if length is not None:
        headers["Content-Length"] = str(length)
    start = time.monotonic()
    try:
        with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
            response = client.post("/api/upload", headers=headers, content=body)  # type: ignore[arg-type]
            status: int | str = response.status_code
            print(f"  {name}: {status} {response.json().get('error', '')[:110]}", flush=True)
    except httpx.HTTPError as error:
        # The server may answer and close before the client has sent everything: the answer
        # came, the rest of the body was refused.
        status = f"closed ({type(error).__name__})"
    return status, time.monotonic() - start


def attacks(bombs: dict[str, bytes]) -> list[tuple[str, float, object, int | None]]:
    """(name, MB sent, body, Content-Length or None) for each attack, bodies made fresh."""
    boundary = "vagusbench"
    out: list[tuple[str, float, object, int | None]] = []
    for name, data in bombs.items():
        payload = b"".join(multipart_stream("export.zip", 0, boundary))
        head, _, _ = payload.partition(b"\r\n--" + boundary.encode() + b"--")
        body = head + data + b"\r\n--" + boundary.encode() + b"--\r\n"
        out.append((name, len(data) / MB, body, len(body)))
    out.append(
        (
            "600 MB upload, Content-Length",
            UPLOAD_BYTES / MB,
            multipart_stream("big.txt", UPLOAD_BYTES, boundary),
            multipart_length("big.txt", UPLOAD_BYTES, boundary),
        )
    )
    out.append(
        (
            "600 MB upload, chunked",
            UPLOAD_BYTES / MB,
            multipart_stream("big.txt", UPLOAD_BYTES, boundary),
            None,
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    load_start = os.getloadavg()
    print("building the bombs ...", flush=True)
    bombs = {
        "zip bomb: 200 MB of whitespace": zip_bomb(whitespace_body(200), padding_bytes=1_800_000),
        "zip bomb: one Record of 3 million beats": zip_bomb(beats_body(3_000_000)),
    }
    with tempfile.TemporaryDirectory(prefix="vagus-attacks-") as folder:
        home, port = Path(folder), free_port()
        base = f"http://{HOST}:{port}"
        with running_server(home, port, []) as proc:
            csrf = httpx.get(base + "/api/csrf", timeout=10)
            token, cookies = csrf.json()["token"], dict(csrf.cookies)
            with Sampler(base, proc.pid) as sampler:
                time.sleep(3)  # the idle baseline (a benchmark, not a test)
                idle_end = time.monotonic()
                baseline = statistics.median(mb for _, mb in sampler.rss)
                answers: list[Answer] = []
                for name, sent, body, length in attacks(bombs):
                    start = time.monotonic()
                    status, seconds = upload(base, cookies, token, name, body, length)
                    time.sleep(0.3)  # memory freed late still counts
                    growth = sampler.rss_peak(start, time.monotonic()) - baseline
                    answers.append(Answer(name, sent, status, seconds, growth))
                start = time.monotonic()
                with ThreadPoolExecutor(4) as pool:
                    futures = [
                        pool.submit(upload, base, cookies, token, n, b, ln)
                        for n, _, b, ln in attacks(bombs)
                    ]
                    together = [f.result() for f in futures]
                time.sleep(0.3)
                answers.append(
                    Answer(
                        "all four at once",
                        sum(a.sent_mb for a in answers),
                        ", ".join(str(s) for s, _ in together),
                        max(s for _, s in together),
                        sampler.rss_peak(start, time.monotonic()) - baseline,
                    )
                )
                attack_end = time.monotonic()
            idle = sampler.latencies(0, idle_end)
            busy = sampler.latencies(idle_end, attack_end)
            failed = sum(1 for t, _, s in sampler.probes if t > idle_end and s != 200)
    load_end = os.getloadavg()

    print(
        f"\nserver RSS idle: {baseline:.0f} MB; load average {load_start[0]:.2f} at the start, "
        f"{load_end[0]:.2f} at the end (2 cores)\n"
    )
    print("| attack | sent | answer | time to answer | RSS growth | target |")
    print("|---|---:|---|---:|---:|---|")
    for a in answers:
        ok = a.seconds <= TARGET_ANSWER_S and a.rss_growth_mb < TARGET_RSS_MB
        print(
            f"| {a.name} | {a.sent_mb:.1f} MB | {a.status} | {a.seconds:.2f} s | "
            f"{a.rss_growth_mb:+.1f} MB | {'PASS' if ok else 'FAIL'} |"
        )
    print("\n| `GET /` | requests | p50 ms | p99 ms | max ms | failed | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, data, bad in (("idle", idle, 0), ("during the attacks", busy, failed)):
        p99 = nearest_rank(data, 99)
        ok = p99 < TARGET_P99_MS and bad == 0
        print(
            f"| {label} | {len(data)} | {nearest_rank(data, 50):.1f} | {p99:.1f} | "
            f"{max(data):.1f} | {bad} | {'PASS' if ok else 'FAIL'} |"
        )


if __name__ == "__main__":
    main()
