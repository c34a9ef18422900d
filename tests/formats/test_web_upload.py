"""The web upload takes every format vagus reads (issue 6), not only RR text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from format_writers import synthetic_rr, write_edf, write_fit

from vagus.app import build_app
from vagus.hrv import analyze
from vagus.web import create_app
from vagus.web._csrf import CSRF_COOKIE, CSRF_HEADER


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The web app in process, holding its CSRF token (as tests/web/conftest.py builds it)."""
    app = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"})
    try:
        with TestClient(create_app(app)) as test_client:
            test_client.get("/api/settings")
            test_client.headers[CSRF_HEADER] = test_client.cookies.get(CSRF_COOKIE) or ""
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
    assert data["n_beats"] == len(rr)


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
    assert abs(data["n_beats"] - reference_rr.size) <= 0.01 * reference_rr.size
    assert data["indices"]["mean_nn"] == pytest.approx(float(np.mean(reference_rr)), rel=0.005)
