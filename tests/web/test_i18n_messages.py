"""Norwegian pages say warnings and user errors in Norwegian (issue 10)."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from vagus.app import App
from vagus.app.measurements import analysis_to_store
from vagus.hrv import analyze


def csrf(client: TestClient) -> str:
    return client.headers.get("X-Vagus-CSRF") or ""


def short_rr_text(n: int = 40) -> bytes:
    rng = np.random.default_rng(7)
    return "\n".join(f"{x:.1f}" for x in 800 + 30 * rng.standard_normal(n)).encode()


def test_upload_of_a_binary_file_in_nb_is_refused_in_norwegian(client: TestClient) -> None:
    bad = {"file": ("bad.bin", b"\x00\x01\x02garbage", "application/octet-stream")}
    page = client.post("/upload?lang=nb", data={"csrf_token": csrf(client)}, files=bad)
    assert page.status_code == 400
    assert "vagus kjenner ikke denne filtypen" in page.text
    assert "binary file of a kind" not in page.text


def test_upload_of_a_file_without_a_key_shows_a_norwegian_lead(client: TestClient) -> None:
    bad = {"file": ("bad.txt", b"abc\n", "text/plain")}
    page = client.post("/upload?lang=nb", data={"csrf_token": csrf(client)}, files=bad)
    assert page.status_code == 400
    assert "Det du sendte inn, ble ikke godtatt:" in page.text
    assert '<span lang="en">' in page.text
    assert "bad.txt" in page.text


def test_upload_api_keeps_the_english_error_and_adds_the_message(client: TestClient) -> None:
    empty = {"file": ("empty.txt", b"", "text/plain")}
    body = client.post("/api/upload?lang=nb", files=empty).json()
    assert body["error"] == "file: the file is empty"
    assert body["field"] == "file"
    assert body["message"] == "Filen er tom."
    assert client.post("/api/upload?lang=en", files=empty).json()["message"] == (
        "The file is empty."
    )


def test_uploaded_measurement_shows_its_warnings_and_units_in_nb(client: TestClient) -> None:
    files = {"file": ("short.txt", short_rr_text(), "text/plain")}
    page = client.post("/upload?lang=nb", data={"csrf_token": csrf(client)}, files=files)
    assert page.status_code == 200, page.text
    assert "ikke beregnet, trenger minst" in page.text
    assert "not computed" not in page.text
    assert "slag/min" in page.text
    assert "bpm" not in page.text
    body = client.post("/api/upload?lang=nb", files=files).json()
    assert body["warnings"]
    assert all(isinstance(w, str) for w in body["warnings"])
    assert any("ikke beregnet" in n["message"] for n in body["notices"])


def test_stored_measurement_shows_its_warnings_in_nb(client: TestClient, vagus_app: App) -> None:
    from datetime import UTC, datetime

    rng = np.random.default_rng(11)
    rr = [float(x) for x in 800 + 30 * rng.standard_normal(40)]
    journal = vagus_app.journal
    rid = journal.start_recording("replay", datetime(2024, 5, 1, 7, tzinfo=UTC), [])
    journal.append_beats(rid, rr)
    journal.finish_recording(rid, analysis=analysis_to_store(analyze(rr)))
    page = client.get(f"/measurements/{rid}?lang=nb")
    assert page.status_code == 200
    assert "ikke beregnet, trenger minst" in page.text
    english = client.get(f"/measurements/{rid}?lang=en")
    assert "not computed, needs at least" in english.text


def test_import_of_a_file_that_is_not_an_export_in_nb(client: TestClient) -> None:
    files = {"file": ("notes.json", b'{"hello": 1}', "application/json")}
    page = client.post("/settings/import?lang=nb", data={"csrf_token": csrf(client)}, files=files)
    assert page.status_code == 400
    assert "Filen er ikke en eksport fra vagus." in page.text
    body = client.post("/api/import?lang=nb", json={"hello": 1}).json()
    assert body["message"] == "Filen er ikke en eksport fra vagus."
    assert body["error"].startswith("format")
