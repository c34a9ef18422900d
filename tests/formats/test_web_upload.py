"""The web upload takes every format vagus reads (issue 6), not only RR text."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from format_writers import AppleSeries, synthetic_rr, write_edf, write_fit
from test_apple import MORNING, bomb_zip, many_beats, ten_ms, whitespace

from vagus.app import build_app
from vagus.hrv import analyze
from vagus.web import create_app
from vagus.web._csrf import CSRF_HEADER


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The web app in process, holding its CSRF token (as tests/web/conftest.py builds it)."""
    app = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"})
    try:
        # localhost: a name the server answers (its Host allow-list); the token from /api/csrf.
        with TestClient(create_app(app), base_url="http://localhost") as test_client:
            test_client.headers[CSRF_HEADER] = test_client.get("/api/csrf").json()["token"]
            yield test_client
    finally:
        app.close()


def test_upload_fit_gives_the_same_analysis_as_the_rr(client: TestClient, tmp_path: Path) -> None:
    rr = synthetic_rr(400)
    fit = write_fit(tmp_path / "ride.fit", rr)
    body = client.post(
        "/api/upload", files={"file": ("ride.fit", fit.read_bytes(), "application/octet-stream")}
    )
    assert body.status_code == 200, body.text
    data = body.json()
    expected = analyze(rr).indices
    # FIT stores beat intervals in 1/1000 s: the analysis is that of the same series.
    assert data["indices"]["rmssd"] == pytest.approx(expected["rmssd"], rel=1e-6)
    assert data["n_intervals"] == len(rr)
    assert data["n_beats"] == len(rr) + 1  # beats: the intervals lie between them


def test_upload_edf_ecg_is_turned_into_beats(
    client: TestClient, tmp_path: Path, mitdb_100_dir: Path
) -> None:
    import wfdb

    # The first 5 minutes of MIT-BIH record 100 (MLII, 360 Hz) written as EDF.
    record = wfdb.rdrecord(str(mitdb_100_dir / "100"), sampto=300 * 360, channels=[0])
    ecg = np.asarray(record.p_signal[:, 0], dtype=np.float64)
    edf = write_edf(tmp_path / "holter.edf", {"ECG MLII": ecg}, 360.0)
    body = client.post(
        "/api/upload", files={"file": ("holter.edf", edf.read_bytes(), "application/octet-stream")}
    )
    assert body.status_code == 200, body.text
    data = body.json()
    annotation = wfdb.rdann(str(mitdb_100_dir / "100"), "atr", sampto=300 * 360)
    beats = [s for s, sym in zip(annotation.sample, annotation.symbol, strict=True) if sym in "NAV"]
    reference_rr = np.diff(beats) / 360 * 1000
    # Beats found in the waveform: the cardiologists' count within 1 %, mean RR within 0.5 %.
    assert abs(data["n_intervals"] - reference_rr.size) <= 0.01 * reference_rr.size
    assert data["indices"]["mean_nn"] == pytest.approx(float(np.mean(reference_rr)), rel=0.005)


@pytest.mark.parametrize("bomb", ["whitespace", "beats"])
def test_zip_bombs_are_refused_naming_the_upload(
    client: TestClient, tmp_path: Path, bomb: str
) -> None:
    """Issue 11's two bombs, uploaded: a ~2 MB export.zip holding 200 MB of whitespace, and a
    ~0.5 MB one whose one Record lists 3 million beats. Each is a 400 naming the uploaded file
    (not the server's temporary copy), and the server answers the next request."""
    if bomb == "whitespace":
        body = whitespace(AppleSeries(MORNING, ten_ms(synthetic_rr(60))), 200)
        path = bomb_zip(tmp_path / "export.zip", body, padding_bytes=1_800_000)
    else:
        path = bomb_zip(tmp_path / "export.zip", many_beats(3_000_000))
    with path.open("rb") as file:
        response = client.post(
            "/api/upload", files={"file": ("helse.zip", file, "application/zip")}
        )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith("helse.zip: ")
    assert "vagus-upload" not in error
    assert tempfile.gettempdir() not in error
    assert client.get("/api/settings").status_code == 200
