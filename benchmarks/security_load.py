"""Issue 11's attacks against a real server: its RSS and the latency of ``GET /`` meanwhile.

Run by hand, never in tests: ``.venv/bin/python benchmarks/security_load.py`` (about a
minute; ``--help`` for the knobs, ``--json PATH`` for the numbers as JSON too).

What it does:

1. Builds the issue's two Apple Health zip bombs in memory, as ``tests/formats/test_apple.py``
   does: a 2 MB ``export.zip`` whose ``export.xml`` holds one HRV record and then 200 MB of
   whitespace inside ``<HealthData>`` (1.8 MB of stored random bytes in a second member make
   the archive as large as the issue's), and a 0.5 MB one with one ``Record`` listing 3 million
   beats.
2. Starts ``vagus serve --sensor replay`` on 127.0.0.1 (a free port) with a temporary
   ``VAGUS_HOME`` (the SQLite journal), with ``web_load.py``'s helpers, and gets a CSRF cookie
   and token from ``GET /api/csrf``.
3. Samples the server's resident memory every 50 ms (psutil when installed, else ``VmRSS`` of
   ``/proc/PID/status``; the process and its children) and, from a separate process (so that
   the uploads' client threads cannot delay it), sends ``GET /`` 20 times a second on one
   keep-alive connection, recording each latency. The first ``--idle-s`` seconds are the idle
   baseline of both.
4. Sends to ``POST /api/upload``, as a script would (the ``vagus_csrf`` cookie, the token in
   ``X-Vagus-CSRF``, ``Origin: http://127.0.0.1:PORT``, which ``cross_origin_reason`` accepts
   as the server's own), one after another, ``--rounds`` times:

   - the whitespace bomb (before the fixes: 196 MB -> 2.3 GB RSS, server frozen 5-7 s);
   - the 3-million-beat bomb (before: +1.5 GB, unresponsive 33 s);
   - 600 MiB with an honest ``Content-Length`` (before: 413 after 3.7 s and +563 MB; the limit
     is 512 MiB);
   - 600 MiB sent chunked, with no ``Content-Length``;

   then all four at once. The uploads are generated as they are sent (1 MiB at a time), so the
   client never holds them. The client is a plain socket: one thread sends the body, another
   waits for the answer, so "time to answer" is when the status line arrived, however much of
   the body had been sent by then. Like an attacker, the sender goes on sending the whole body
   after the answer unless the server closes the connection (``--stop-at-answer`` stops it).
5. Reports per attack the status, the time to the answer, the body the server took before it
   answered, the RSS growth over the idle baseline (peak from the start of the attack to
   ``--settle-s`` after its body was done) and the slowest ``GET /`` meanwhile; the ``GET /``
   latency (p50/p95/p99/max) idle, during the attacks (probes sent while an attack was in
   flight or settling) and after; the server's CPU and the rest of the machine's; the load
   average at the start and the end. Each is judged against the issue's targets: every attack
   answered (refused) within 1 s, RSS growth under 100 MB, ``GET /`` p99 under 100 ms during
   the attacks, no failed ``GET /``.

The "before" column holds the numbers the issue measured on the code before the fixes (not
rerun here).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import os
import random
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, Final

from web_load import (
    CSRF_COOKIE,
    CSRF_HEADER,
    HOST,
    csrf_token,
    free_port,
    machine_busy_seconds,
    nearest_rank,
    running_server,
    tree_cpu_seconds,
)

MB: Final = 1_000_000
MIB: Final = 1 << 20
#: The issue's upload: larger than the server's 512 MiB limit.
UPLOAD_BYTES: Final = 600 * MIB
CHUNK_BYTES: Final = MIB
BOUNDARY: Final = "vagus-security-load"
EXPORT_MEMBER: Final = "apple_health_export/export.xml"
XML_HEAD: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    ' <ExportDate value="2026-05-01 09:00:00 +0200"/>\n <Me/>\n'
)
RECORD_HEAD: Final = (
    ' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Apple Watch" '
    'unit="ms" creationDate="2026-05-01 08:34:40 +0200" startDate="2026-05-01 08:33:39 +0200" '
    'endDate="2026-05-01 08:34:40 +0200" value="42.5">\n  <HeartRateVariabilityMetadataList>\n'
)
RECORD_TAIL: Final = "  </HeartRateVariabilityMetadataList>\n </Record>\n"
#: Four RR intervals, repeated: every template matches a quarter of all others, the worst case
#: of sample entropy's pair count.
RR_LINES: Final = b"800\n812\n790\n805\n"
BEAT: Final = '   <InstantaneousBeatsPerMinute bpm="75" time="08:33:44,67"/>\n'
#: Targets (issue 11).
TARGET_ANSWER_S: Final = 1.0
TARGET_RSS_MB: Final = 100.0
TARGET_P99_MS: Final = 100.0
#: How long a request may take before the client gives up (the server's analysis limit is 60 s).
CLIENT_TIMEOUT_S: Final = 90.0
#: What the issue measured on the code before the fixes (not rerun here).
BEFORE: Final = {
    "whitespace": "196 MB -> 2.3 GB RSS (+2.1 GB), frozen 5-7 s",
    "beats": "+1.5 GB RSS, unresponsive 33 s",
    "length": "413 after 3.7 s, +563 MB RSS",
    "chunked": "not measured",
    "all": "not measured",
    "xml": "not measured",
    "under": "not measured",
    "rr": "not measured",
}


# --- the attacks ------------------------------------------------------------------------------


def zip_bomb(body: Iterator[str], padding_bytes: int = 0) -> bytes:
    """An Apple Health export.zip: the XML head, ``body`` written a piece at a time (never held
    whole), the end tag; ``padding_bytes`` of stored random bytes in a second member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(EXPORT_MEMBER, "w", force_zip64=True) as member:
            member.write(XML_HEAD.encode())
            for piece in body:
                member.write(piece.encode())
            member.write(b"</HealthData>\n")
        if padding_bytes:
            noise = random.Random(11).randbytes(padding_bytes)
            archive.writestr("apple_health_export/workout-routes/route.gpx", noise)
    return buffer.getvalue()


def whitespace_body(megabytes: int) -> Iterator[str]:
    """One HRV record of 60 beats, then ``megabytes`` MiB of whitespace inside <HealthData>."""
    yield RECORD_HEAD + BEAT * 60 + RECORD_TAIL
    block = (" " * 1023 + "\n") * 1024
    for _ in range(megabytes):
        yield block


def beats_body(n_beats: int) -> Iterator[str]:
    """One Record listing ``n_beats`` beats."""
    yield RECORD_HEAD
    for _ in range(n_beats // 10_000):
        yield BEAT * 10_000
    yield RECORD_TAIL


def form_head(filename: str, content_type: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


FORM_TAIL: Final = f"\r\n--{BOUNDARY}--\r\n".encode()


def zeros(size: int) -> Iterator[bytes]:
    """``size`` bytes of the digit 0, 1 MiB at a time, made as they are sent."""
    block = b"0" * CHUNK_BYTES
    left = size
    while left > 0:
        piece = block if left >= CHUNK_BYTES else block[:left]
        left -= len(piece)
        yield piece


def beats_xml(n_beats: int) -> Iterator[bytes]:
    """An unpacked export.xml with one Record listing ``n_beats`` beats, made as it is sent."""
    yield XML_HEAD.encode()
    for piece in beats_body(n_beats):
        yield piece.encode()
    yield b"</HealthData>\n"


@dataclass(frozen=True)
class Attack:
    key: str
    name: str
    sent_bytes: int
    #: The zip's bytes (sent whole), or None: a file made as it is sent (``kind``).
    payload: bytes | None = None
    #: "zeros" (``sent_bytes`` of them), "xml" (the 3-million-beat export.xml, unpacked) or
    #: "rr" (RR intervals as text, four values repeating).
    kind: str = "zeros"
    chunked: bool = False
    #: Judged against the 1 s answer target (the extra, large uploads under the size limit are
    #: read whole before they are analysed: their time is reported, not judged).
    timed: bool = True

    def _file(self) -> Iterator[bytes]:
        if self.payload is not None:
            return iter([self.payload])
        if self.kind == "xml":
            return beats_xml(3_000_000)
        if self.kind == "rr":
            return iter([RR_LINES * (self.sent_bytes // len(RR_LINES))])
        return zeros(self.sent_bytes)

    def body(self) -> tuple[Iterator[bytes], int | None]:
        """A fresh multipart body and its Content-Length (None: sent chunked)."""
        name, kind = (
            ("export.zip", "application/zip") if self.payload else ("big.txt", "text/plain")
        )
        if self.kind == "xml":
            name, kind = "export.xml", "text/xml"
        elif self.kind == "rr":
            name, kind = "rr.txt", "text/plain"
        head = form_head(name, kind)
        length = None
        if not self.chunked:
            length = len(head) + sum(len(piece) for piece in self._file()) + len(FORM_TAIL)

        def stream() -> Iterator[bytes]:
            yield head
            yield from self._file()
            yield FORM_TAIL

        return stream(), length


def make_attacks(extra: bool) -> list[Attack]:
    whitespace = zip_bomb(whitespace_body(200), padding_bytes=1_800_000)
    beats = zip_bomb(beats_body(3_000_000))
    attacks = [
        Attack(
            "whitespace",
            f"zip bomb: 200 MiB of whitespace in <HealthData> ({len(whitespace) / MB:.1f} MB zip)",
            len(whitespace),
            whitespace,
        ),
        Attack(
            "beats",
            f"zip bomb: one Record of 3 million beats ({len(beats) / MB:.2f} MB zip)",
            len(beats),
            beats,
        ),
        Attack("length", "600 MiB upload, honest Content-Length", UPLOAD_BYTES),
        Attack(
            "chunked", "600 MiB upload, chunked (no Content-Length)", UPLOAD_BYTES, chunked=True
        ),
    ]
    if extra:
        xml_bytes = sum(len(piece) for piece in beats_xml(3_000_000))
        attacks += [
            Attack(
                "xml",
                f"extra: the 3-million-beat export.xml unpacked ({xml_bytes / MB:.0f} MB)",
                xml_bytes,
                kind="xml",
                timed=False,
            ),
            Attack(
                "rr",
                "extra: 4 MiB of RR text (1 million beats, 4 values repeating)",
                4 * MIB,
                kind="rr",
                timed=False,
            ),
            Attack(
                "under",
                "extra: 500 MiB upload under the limit, honest Content-Length",
                500 * MIB,
                timed=False,
            ),
        ]
    return attacks


# --- the client -------------------------------------------------------------------------------


@dataclass
class Answer:
    key: str
    status: int | None
    #: Seconds from the first byte sent to the response's status line (None: no answer).
    answer_s: float | None
    #: Seconds until the body was all sent or the server closed the connection.
    done_s: float
    #: Body bytes sent when the answer came (all of them may still sit in socket buffers).
    sent_at_answer: int
    sent_total: int
    message: str
    start: float = 0.0
    end: float = 0.0
    note: str = ""


def _read_answer(sock: socket.socket) -> tuple[int | None, str, float | None]:
    """The response's status, the start of its JSON error message, and when its status line
    came (monotonic)."""
    data = b""
    answered_at: float | None = None
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return None, "connection closed without an answer", None
        if answered_at is None:
            answered_at = time.monotonic()
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    with contextlib.suppress(OSError):
        while len(rest) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            rest += piece
    message = rest[:length].decode("utf-8", "replace")
    with contextlib.suppress(ValueError, AttributeError):
        parsed = json.loads(message)
        if "n_beats" in parsed:
            message = f"analysed: {parsed['n_beats']} beats, {len(rest) / MB:.1f} MB of JSON"
        else:
            message = str(parsed.get("error") or parsed.get("detail") or parsed)
    return status, message[:100].replace("|", "/").replace("\n", " "), answered_at


def post_upload(
    port: int, csrf: tuple[str, str], attack: Attack, *, stop_at_answer: bool
) -> Answer:
    """``POST /api/upload`` over a plain socket: one thread sends the body, this one waits for
    the answer."""
    body, length = attack.body()
    head = [
        "POST /api/upload HTTP/1.1",
        f"Host: {HOST}:{port}",
        f"Origin: http://{HOST}:{port}",
        f"Cookie: {CSRF_COOKIE}={csrf[0]}",
        f"{CSRF_HEADER}: {csrf[1]}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        "Accept: application/json",
        "User-Agent: vagus-security-load",
        "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}",
    ]
    sock = socket.create_connection((HOST, port), timeout=CLIENT_TIMEOUT_S)
    sent = [0]
    send_error: list[str] = []
    stop = threading.Event()

    def send() -> None:
        try:
            for piece in body:
                if stop.is_set():
                    return
                framed = (
                    f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if length is None else piece
                )
                sock.sendall(framed)
                sent[0] += len(piece)
            if length is None:
                sock.sendall(b"0\r\n\r\n")
        except OSError as error:  # the server closed the connection: it refused the rest
            if not stop.is_set():
                send_error.append(type(error).__name__)

    start = time.monotonic()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        status, message, answered_at = _read_answer(sock)
    except OSError as error:
        status, message, answered_at = None, f"{type(error).__name__}: {error}", None
    sent_at_answer = sent[0]
    if stop_at_answer:
        stop.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    sender.join(CLIENT_TIMEOUT_S)
    if sender.is_alive():  # the server neither reads nor closes: give up
        stop.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sender.join()
    done = time.monotonic()
    sock.close()
    notes = []
    if send_error:
        notes.append(f"server closed the connection after {sent[0] / MIB:.0f} MiB")
    return Answer(
        key=attack.key,
        status=status,
        answer_s=None if answered_at is None else answered_at - start,
        done_s=done - start,
        sent_at_answer=sent_at_answer,
        sent_total=sent[0],
        message=message,
        start=start,
        end=done,
        note="; ".join(notes),
    )


def send_all_at_once(
    port: int, csrf: tuple[str, str], attacks: list[Attack], stop_at_answer: bool
) -> Answer:
    """Every attack at once, each from its own thread; one Answer for them all (the slowest
    answer, the statuses in the attacks' order)."""
    together: list[Answer] = []

    def send_one(attack: Attack) -> None:
        together.append(post_upload(port, csrf, attack, stop_at_answer=stop_at_answer))

    threads = [threading.Thread(target=send_one, args=(a,)) for a in attacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order = [a.key for a in attacks]
    together.sort(key=lambda a: order.index(a.key))
    answered = [a.answer_s for a in together]
    return Answer(
        key="all",
        status=None,
        answer_s=None if None in answered else max(a for a in answered if a is not None),
        done_s=max(a.end for a in together) - min(a.start for a in together),
        sent_at_answer=sum(a.sent_at_answer for a in together),
        sent_total=sum(a.sent_total for a in together),
        message=", ".join(str(a.status) for a in together),
        start=min(a.start for a in together),
        end=max(a.end for a in together),
        note="; ".join(f"{a.key}: {a.note}" for a in together if a.note),
    )


# --- measuring --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out


def rss_mb_proc(pid: int) -> float:
    """Resident memory of a process and its descendants in MB (``/proc/PID/status``)."""
    total_kb = 0
    frontier = [pid]
    while frontier:
        member = frontier.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        frontier += _children(member)
    return total_kb * 1024 / MB


def rss_reader(pid: int) -> tuple[str, Any]:
    """The RSS function (MB) for ``pid`` and its children: psutil's when installed."""
    try:
        import psutil  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return "/proc/PID/status VmRSS", lambda: rss_mb_proc(pid)
    process = psutil.Process(pid)

    def rss() -> float:
        members = [process, *process.children(recursive=True)]
        total = 0
        for member in members:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
        return total / MB

    return f"psutil {psutil.__version__}", rss


class RssSampler:
    """The server's RSS every ``every_s`` seconds, with its monotonic time, in a thread."""

    def __init__(self, pid: int, every_s: float) -> None:
        self.source, self._rss = rss_reader(pid)
        self.every_s = every_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), float(self._rss())))
            if self._stop.wait(self.every_s):
                return

    def between(self, start: float, end: float) -> list[float]:
        return [mb for t, mb in self.samples if start <= t <= end]


def probe(port: int, cookie: str, every_s: float, stop: EventType, out: Connection) -> None:
    """``GET /`` every ``every_s`` seconds on one keep-alive connection until ``stop``; sends
    back [(monotonic send time, latency ms, status or 0)] and this process's CPU seconds. A
    slot that passed while a request was pending is skipped, not made up for."""
    import http.client

    results: list[tuple[float, float, int]] = []
    headers = {"Cookie": f"{CSRF_COOKIE}={cookie}", "Accept": "text/html"}
    conn = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT_S)
    cpu0 = time.process_time()
    next_at = time.monotonic()
    while not stop.is_set():
        start = time.monotonic()
        try:
            conn.request("GET", "/", headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT_S)
        results.append((start, (time.monotonic() - start) * 1000.0, status))
        next_at += every_s
        now = time.monotonic()
        if next_at < now:
            next_at = now
        stop.wait(next_at - now)
    conn.close()
    out.send((results, time.process_time() - cpu0))
    out.close()


@dataclass
class Latency:
    label: str
    requests: int
    failed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, label: str, probes: list[tuple[float, float, int]]) -> Latency:
        ok = [ms for _, ms, status in probes if status == 200]
        return cls(
            label,
            len(probes),
            sum(1 for *_, status in probes if status != 200),
            nearest_rank(ok, 50),
            nearest_rank(ok, 95),
            nearest_rank(ok, 99),
            max(ok, default=float("nan")),
        )

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.p99_ms < TARGET_P99_MS


@dataclass
class Row:
    """One attack over all rounds (the worst round counts)."""

    key: str
    timed: bool
    name: str
    sent_mb: float
    statuses: list[str]
    answer_s: list[float | None]
    done_s: list[float]
    taken_mb: list[float]
    rss_growth_mb: list[float]
    probe_max_ms: float
    probe_failed: int
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def worst_answer_s(self) -> float | None:
        return None if None in self.answer_s else max(a for a in self.answer_s if a is not None)

    @property
    def answered_in_time(self) -> bool:
        worst = self.worst_answer_s
        return worst is not None and (worst <= TARGET_ANSWER_S or not self.timed)

    @property
    def rss_ok(self) -> bool:
        return max(self.rss_growth_mb) < TARGET_RSS_MB

    @property
    def passed(self) -> bool:
        return self.answered_in_time and self.rss_ok and self.probe_failed == 0


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = os.getloadavg()
    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print("- building the bombs ...", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    attacks = make_attacks(args.extra)
    main_four = [a for a in attacks if a.timed]
    print(f"  {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
    ctx = mp.get_context("spawn")
    answers: dict[str, list[Answer]] = {a.key: [] for a in attacks if a.timed}
    answers["all"] = []
    answers |= {a.key: [] for a in attacks if not a.timed}
    windows: dict[str, list[tuple[float, float]]] = {k: [] for k in answers}
    serve_args = ["--sensor", "replay"]
    with tempfile.TemporaryDirectory(prefix="vagus-security-") as folder:
        home, port = Path(folder), args.port or free_port()
        base = f"http://{HOST}:{port}"
        with running_server(home, port, serve_args) as server:
            csrf = csrf_token(base)
            stop = ctx.Event()
            receiver, sender = ctx.Pipe(duplex=False)
            prober = ctx.Process(
                target=probe, args=(port, csrf[0], args.probe_every_s, stop, sender), daemon=True
            )
            prober.start()
            sender.close()
            with RssSampler(server.pid, args.rss_every_s) as sampler:
                time.sleep(args.idle_s)
                idle_end = time.monotonic()
                baseline = statistics.median(sampler.between(0, idle_end))
                server_cpu0, machine_cpu0 = tree_cpu_seconds(server.pid), machine_busy_seconds()
                self_cpu0 = resource.getrusage(resource.RUSAGE_SELF)

                def send(attack: Attack, label: str) -> None:
                    answer = post_upload(port, csrf, attack, stop_at_answer=args.stop_at_answer)
                    answers[attack.key].append(answer)
                    print(
                        f"- {label}: {attack.key}: {answer.status} after "
                        f"{_fmt_s(answer.answer_s)}, done {answer.done_s:.2f} s: "
                        f"{answer.message[:80]}",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(args.settle_s)
                    windows[attack.key].append((answer.start, answer.end + args.settle_s))

                for round_no in range(1, args.rounds + 1):
                    for attack in main_four:
                        send(attack, f"round {round_no}")
                    combined = send_all_at_once(port, csrf, main_four, args.stop_at_answer)
                    answers["all"].append(combined)
                    print(
                        f"- round {round_no}: all at once: {combined.message} within "
                        f"{_fmt_s(combined.answer_s)}",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(args.settle_s)
                    windows["all"].append((combined.start, combined.end + args.settle_s))
                # the extras once, last: they take seconds each and the memory they leave
                # behind would count against the attacks after them
                for attack in attacks:
                    if not attack.timed:
                        send(attack, "extra")
                attacks_end = time.monotonic()
                server_cpu = tree_cpu_seconds(server.pid) - server_cpu0
                machine_cpu = machine_busy_seconds() - machine_cpu0
                self_cpu1 = resource.getrusage(resource.RUSAGE_SELF)
                time.sleep(args.after_s)
                rss_end = statistics.median(sampler.between(time.monotonic() - 1.0, 1e18))
                stop.set()
                probes, probe_cpu = receiver.recv()
                prober.join()
            rss_source = sampler.source
            rss_samples = sampler.samples
    load_end = os.getloadavg()

    def probes_in(spans: list[tuple[float, float]]) -> list[tuple[float, float, int]]:
        # a probe counts when its request overlapped the span
        return [p for p in probes if any(s <= p[0] + p[1] / 1000 and p[0] <= e for s, e in spans)]

    def rss_in(spans: list[tuple[float, float]]) -> list[float]:
        return [mb for t, mb in rss_samples if any(s <= t <= e for s, e in spans)]

    def rss_growth(span: tuple[float, float]) -> float:
        """Peak RSS during the span over the RSS just before it (the median of the last
        0.5 s): what this attack cost, not what earlier ones left behind."""
        before = rss_in([(span[0] - 0.5, span[0])]) or [baseline]
        return max(rss_in([span]), default=baseline) - statistics.median(before)

    rows = []
    names = {a.key: (a.name, a.sent_bytes) for a in attacks}
    names["all"] = ("all four at once", sum(a.sent_bytes for a in main_four))
    timed = {a.key: a.timed for a in attacks} | {"all": True}
    for key, got in answers.items():
        spans = windows[key]
        during = probes_in(spans)
        rows.append(
            Row(
                key=key,
                timed=timed[key],
                name=names[key][0],
                sent_mb=names[key][1] / MB,
                statuses=[str(a.status) if key != "all" else a.message for a in got],
                answer_s=[a.answer_s for a in got],
                done_s=[a.done_s for a in got],
                taken_mb=[a.sent_at_answer / MB for a in got],
                rss_growth_mb=[rss_growth(span) for span in spans],
                probe_max_ms=max((ms for _, ms, s in during if s == 200), default=float("nan")),
                probe_failed=sum(1 for *_, s in during if s != 200),
                messages=sorted({a.message for a in got if key != "all"}),
                notes=sorted({a.note for a in got if a.note}),
            )
        )
    main_spans = [span for key, spans in windows.items() if timed[key] for span in spans]
    extra_spans = [span for key, spans in windows.items() if not timed[key] for span in spans]
    latency = [
        Latency.of("idle, before the attacks", [p for p in probes if p[0] < idle_end]),
        Latency.of("during the attacks", probes_in(main_spans)),
        Latency.of("after the attacks", [p for p in probes if p[0] > attacks_end]),
    ]
    if extra_spans:
        latency.append(Latency.of("during the extra uploads (not judged)", probes_in(extra_spans)))
    wall = attacks_end - idle_end
    # the probe's CPU is known for its whole life only: its share of the attack phase
    probe_share = wall / (args.idle_s + wall + args.after_s)
    client_cpu = (
        self_cpu1.ru_utime + self_cpu1.ru_stime - self_cpu0.ru_utime - self_cpu0.ru_stime
    ) + probe_cpu * probe_share
    return {
        "started_at": started_at,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "server": "vagus serve " + " ".join(serve_args),
        "rounds": args.rounds,
        "settle_s": args.settle_s,
        "stop_at_answer": args.stop_at_answer,
        "rss_source": rss_source,
        "rss_baseline_mb": baseline,
        "rss_peak_mb": max(mb for _, mb in rss_samples),
        "rss_end_mb": rss_end,
        "attack_phase_s": wall,
        "server_cpu_pct": 100 * server_cpu / wall,
        "client_cpu_pct": 100 * client_cpu / wall,
        "other_cpu_pct": 100 * max(0.0, machine_cpu - server_cpu - client_cpu) / wall,
        "attacks": [asdict(r) | {"passed": r.passed, "before": BEFORE[r.key]} for r in rows],
        "get_root": [asdict(lat) | {"passed": lat.passed} for lat in latency],
        "_rows": rows,
        "_latency": latency,
    }


# --- report -----------------------------------------------------------------------------------


def _fmt_s(value: float | None) -> str:
    return "no answer" if value is None else f"{value:.2f} s"


def report(result: dict[str, Any]) -> str:
    rows: list[Row] = result["_rows"]
    latency: list[Latency] = result["_latency"]
    la0, la1 = result["loadavg_start"], result["loadavg_end"]
    out = [
        "# vagus under issue 11's attacks",
        "",
        (
            f"{result['started_at']}; `{result['server']}` on 127.0.0.1, SQLite in a temporary "
            f"VAGUS_HOME; Python {result['python']}, {result['cpus']} CPUs (the client shares "
            f"them). Load average {la0[0]:.2f} / {la0[1]:.2f} / {la0[2]:.2f} at the start, "
            f"{la1[0]:.2f} / {la1[1]:.2f} / {la1[2]:.2f} at the end. During the attacks "
            f"({result['attack_phase_s']:.0f} s): server CPU {result['server_cpu_pct']:.0f} %, "
            f"this client {result['client_cpu_pct']:.0f} %, the rest of the machine "
            f"{result['other_cpu_pct']:.0f} % (100 % is one core). Server RSS "
            f"({result['rss_source']}): {result['rss_baseline_mb']:.0f} MB idle, peak "
            f"{result['rss_peak_mb']:.0f} MB, {result['rss_end_mb']:.0f} MB at the end. "
            f"{result['rounds']} round(s); each row's numbers are the worst round's; the peak RSS "
            f"is taken from the start of an attack to {result['settle_s']:g} s after its body "
            "was done."
        ),
        "",
        (
            "| attack | sent | status | time to answer | body sent before the answer "
            "| body done | RSS growth over the RSS before it | slowest `GET /` meanwhile "
            "| before the fixes (issue 11) "
            "| target |"
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        statuses = sorted(set(r.statuses))
        out.append(
            f"| {r.name} | {r.sent_mb:.1f} MB | {' / '.join(statuses)} "
            f"| {_fmt_s(r.worst_answer_s)} | {max(r.taken_mb):.0f} MB "
            f"| {max(r.done_s):.2f} s | {max(r.rss_growth_mb):+.1f} MB "
            f"| {r.probe_max_ms:.1f} ms | {BEFORE[r.key]} "
            f"| {'PASS' if r.passed else 'FAIL'}{'' if r.timed else ' (time not judged)'} |"
        )
    out += [
        "",
        (
            "| `GET /` (20 a second, one keep-alive client) | requests | failed | p50 ms | p95 ms "
            "| p99 ms | max ms | target |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for lat in latency:
        verdict = ("PASS" if lat.passed else "FAIL") if lat.label == "during the attacks" else "-"
        out.append(
            f"| {lat.label} | {lat.requests} | {lat.failed} | {lat.p50_ms:.1f} "
            f"| {lat.p95_ms:.1f} | {lat.p99_ms:.1f} | {lat.max_ms:.1f} | {verdict} |"
        )
    out += ["", "Answers:"]
    for r in rows:
        if r.key != "all":
            out.append(f"- {r.name}: {'; '.join(r.messages)}")
        for note in r.notes:
            out.append(f"  - {note}")
    main = [r for r in rows if r.timed]
    failed = [r.name for r in main if not r.passed]
    during = latency[1]
    out += [
        "",
        f"Targets (issue 11), the issue's attacks: every attack answered within "
        f"{TARGET_ANSWER_S:.0f} s: "
        f"{'PASS' if all(r.answered_in_time for r in main) else 'FAIL'}; RSS growth under "
        f"{TARGET_RSS_MB:.0f} MB: {'PASS' if all(r.rss_ok for r in main) else 'FAIL'}; "
        f"`GET /` p99 under {TARGET_P99_MS:.0f} ms during the attacks with none failed: "
        f"{'PASS' if during.passed else 'FAIL'}."
        + (f" Failed: {', '.join(failed)}." if failed else ""),
    ]
    extras = [r for r in rows if not r.timed]
    if extras:
        out.append(
            "Extra uploads under the size limit (time not judged): "
            + "; ".join(
                f"{r.name}: {'PASS' if r.passed else 'FAIL'} ({_fmt_s(r.worst_answer_s)}, "
                f"RSS {max(r.rss_growth_mb):+.0f} MB, slowest `GET /` {r.probe_max_ms:.0f} ms)"
                for r in extras
            )
            + "."
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each attack is sent")
    parser.add_argument("--idle-s", type=float, default=10.0, help="idle baseline before")
    parser.add_argument("--after-s", type=float, default=5.0, help="idle time after")
    parser.add_argument(
        "--settle-s", type=float, default=1.0, help="pause after each attack (counted in it)"
    )
    parser.add_argument("--probe-every-s", type=float, default=0.05, help="GET / interval")
    parser.add_argument("--rss-every-s", type=float, default=0.05, help="RSS sample interval")
    parser.add_argument(
        "--stop-at-answer",
        action="store_true",
        help="stop sending an upload's body once answered (default: send it all, as an "
        "attacker would, unless the server closes the connection)",
    )
    parser.add_argument(
        "--extra",
        action="store_true",
        help="also send three uploads under the size limit, which are read whole and analysed: "
        "the 3-million-beat export.xml unpacked (186 MB), 4 MiB of RR text (1 million beats) "
        "and 500 MiB of zeros (their time to answer is reported, not judged)",
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON here")
    args = parser.parse_args(argv)
    result = run(args)
    print(report(result))
    if args.json:
        public = {k: v for k, v in result.items() if not k.startswith("_")}
        Path(args.json).write_text(json.dumps(public, indent=2, default=str) + "\n")
    passed = all(r.passed for r in result["_rows"]) and result["_latency"][1].passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
