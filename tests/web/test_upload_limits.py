"""Uploads as an attacker sends them (issue 11): refused by Content-Length before a byte is read,
counted while they stream to disk, odd names refused cleanly, errors that never show the
server's temporary folder, and analysis in a worker thread with a time limit, so the server
answers other requests meanwhile."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vagus.app import MAX_UPLOAD_BYTES, App
from vagus.app import measurements as app_measurements
from vagus.app.measurements import MAX_CONCURRENT_UPLOADS, MeasurementService
from vagus.hrv import HrvReport
from vagus.web import create_app
from vagus.web.routes import measurements as web_measurements

SIX_HUNDRED_MB = 600 * 1024 * 1024
BOUNDARY = "vagus-test-boundary"
RR_TEXT = "\n".join(str(800 + (i % 7) * 10) for i in range(300)).encode()


def multipart(filename: bytes, content: bytes, *, token: str | None = None) -> bytes:
    """A multipart body written by hand, so that the name reaches the server byte for byte
    (httpx would percent-encode a NUL)."""
    parts = []
    if token is not None:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode()
        )
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


FORM_TYPE = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def asgi_post(app: App, path: str, headers: dict[str, str]) -> tuple[int, bytes, int]:
    """POST to the ASGI app directly, the body offered without end: (status, body, bytes of
    the request body the server took before it started its answer)."""
    server = create_app(app)
    taken = 0
    status = 0
    answer: list[bytes] = []
    started = False

    async def receive() -> dict[str, Any]:
        nonlocal taken
        if started:
            return {"type": "http.disconnect"}
        taken += 64 * 1024
        return {"type": "http.request", "body": b"x" * (64 * 1024), "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, started
        if message["type"] == "http.response.start":
            status = message["status"]
            started = True
        elif message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(server(scope, receive, send))  # type: ignore[arg-type]
    return status, b"".join(answer), taken


@pytest.mark.parametrize("path", ["/api/upload", "/upload"])
def test_a_600_mb_upload_is_refused_before_its_body_is_read(vagus_app: App, path: str) -> None:
    headers = FORM_TYPE | {"Content-Length": str(SIX_HUNDRED_MB)}
    status, body, taken = asgi_post(vagus_app, path, headers)
    assert status == 413
    assert taken == 0, f"{taken} bytes read before the refusal"
    assert f"{MAX_UPLOAD_BYTES // 2**20} MB".encode() in body


def test_a_600_mb_content_length_is_refused_as_json(client: TestClient) -> None:
    response = client.post(
        "/api/upload",
        content=multipart(b"rr.txt", RR_TEXT),
        headers=FORM_TYPE | {"Content-Length": str(SIX_HUNDRED_MB)},
    )
    assert response.status_code == 413
    assert response.json()["field"] == "file"
    assert "larger than 512 MB" in response.json()["error"]


def test_an_upload_of_unknown_length_is_refused(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        yield multipart(b"rr.txt", RR_TEXT)

    response = client.post("/api/upload", content=body(), headers=FORM_TYPE)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]


def test_the_file_is_counted_as_it_streams(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form whose length passes the header check but whose file is over the app's limit
    (here lowered to 1 kB) is stopped by the count while it is written."""
    monkeypatch.setattr(app_measurements, "MAX_UPLOAD_BYTES", 1000)
    response = client.post("/api/upload", files={"file": ("rr.txt", RR_TEXT, "text/plain")})
    assert response.status_code == 413
    assert response.json()["field"] == "file"
    fits = client.post("/api/upload", files={"file": ("rr.txt", RR_TEXT[:900], "text/plain")})
    assert fits.status_code == 200, fits.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (b"rr\x00.txt", "control character"),
        (b"..", "is not a file name"),
        (b"../..", "is not a file name"),
        (b"r" * 300 + b".txt", "longer than 255 bytes"),
        ("æ".encode() * 130, "longer than 255 bytes"),
    ],
)
def test_bad_upload_names_are_a_400_naming_the_field(
    client: TestClient, name: bytes, expected: str
) -> None:
    response = client.post("/api/upload", content=multipart(name, RR_TEXT), headers=FORM_TYPE)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["field"] == "file"
    assert body["error"].startswith("file: the file name")
    assert expected in body["error"]
    page = client.post(
        "/upload",
        content=multipart(name, RR_TEXT, token=client.headers["X-Vagus-CSRF"]),
        headers=FORM_TYPE,
    )
    assert page.status_code == 400, page.text
    assert expected in page.text


def test_a_path_as_the_name_keeps_its_last_part(client: TestClient) -> None:
    response = client.post(
        "/api/upload", content=multipart(b"../../etc/rr.txt", RR_TEXT), headers=FORM_TYPE
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content", "lang"),
    [(b"800\n810\nabc\n", "en"), (b"\x00\x01\x02garbage", "en"), (b"\x00\x01\x02garbage", "nb")],
)
def test_an_error_names_the_upload_never_the_temporary_folder(
    client: TestClient, content: bytes, lang: str
) -> None:
    files = {"file": ("opptak.txt", content, "application/octet-stream")}
    response = client.post(f"/api/upload?lang={lang}", files=files)
    assert response.status_code == 400
    page = client.post(
        f"/upload?lang={lang}", data={"csrf_token": client.headers["X-Vagus-CSRF"]}, files=files
    )
    assert page.status_code == 400
    for text in (response.json()["error"], response.json()["message"], page.text):
        assert "vagus-upload" not in text
        assert tempfile.gettempdir() not in text
    assert response.json()["error"].startswith("opptak.txt")
    assert "opptak.txt" in page.text


class Gate:
    """Holds analyses in the worker thread until released: tests wait on events, not time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        original = MeasurementService.analyze_file

        def held(service: MeasurementService, *args: Any, **kwargs: Any) -> HrvReport:
            self.entered.release()
            assert self.release.wait(30)
            return original(service, *args, **kwargs)

        monkeypatch.setattr(MeasurementService, "analyze_file", held)


def test_the_server_answers_while_uploads_are_analysed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    results: list[int] = []

    def upload() -> None:
        files = {"file": ("rr.txt", RR_TEXT, "text/plain")}
        results.append(client.post("/api/upload", files=files).status_code)

    workers = [threading.Thread(target=upload) for _ in range(MAX_CONCURRENT_UPLOADS)]
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            assert gate.entered.acquire(timeout=30)
        # Both analyses are running in worker threads: the server still answers.
        assert client.get("/api/settings").status_code == 200
        busy = client.post("/api/upload", files={"file": ("rr.txt", RR_TEXT, "text/plain")})
        assert busy.status_code == 503
        assert busy.json()["field"] == "file"
        assert "other uploads" in busy.json()["error"]
        assert busy.headers["Retry-After"]
    finally:
        gate.release.set()
        for worker in workers:
            worker.join(30)
    assert results == [200] * MAX_CONCURRENT_UPLOADS


@pytest.mark.parametrize("path", ["/api/upload", "/upload"])
def test_an_analysis_past_the_time_limit_is_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    gate = Gate(monkeypatch)
    monkeypatch.setattr(web_measurements, "UPLOAD_TIME_LIMIT_S", 0.01)
    try:
        response = client.post(
            path,
            data={"csrf_token": client.headers["X-Vagus-CSRF"]},
            files={"file": ("slow.txt", RR_TEXT, "text/plain")},
        )
    finally:
        gate.release.set()
    assert response.status_code == 503
    assert "took longer than" in response.text
    assert "slow.txt" in response.text
