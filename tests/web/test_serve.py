"""``vagus serve``: the address, the warning for a non-local bind, one or several server
processes (uvicorn is not started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vagus.cli import web  # (also registers `serve` until cli/__init__ imports it)
from vagus.cli._base import app as cli


def run_serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str
) -> tuple[Any, dict[str, Any]]:
    import uvicorn

    called: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda server, **kw: called.update(kw, server=server))
    monkeypatch.setenv("VAGUS_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", *args])
    return result, called


def test_serve_local_prints_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result, called = run_serve(monkeypatch, tmp_path, "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert "warning" not in result.output
    assert called["host"] == "127.0.0.1"
    assert called["port"] == 8123


def test_serve_public_warns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result, called = run_serve(monkeypatch, tmp_path, "--host", "0.0.0.0")
    assert result.exit_code == 0
    assert "warning" in result.output
    assert "health data" in result.output
    assert called["host"] == "0.0.0.0"


def test_serve_bad_sensor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result, called = run_serve(monkeypatch, tmp_path, "--sensor", "carrier-pigeon")
    assert result.exit_code == 2
    assert "sensor" in result.output
    assert not called


def test_serve_one_process_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fastapi import FastAPI

    result, called = run_serve(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert isinstance(called["server"], FastAPI)  # the app built here, journal already open
    assert "workers" not in called
    assert called["timeout_graceful_shutdown"] == web.GRACEFUL_SHUTDOWN_S


def test_serve_workers_build_their_own_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(web.WORKER_SETTINGS_VAR, "")  # so the one serve sets is removed after
    monkeypatch.setenv("VAGUS_SENSOR", "replay")
    result, called = run_serve(monkeypatch, tmp_path, "--workers", "2", "--sensor", "simulated")
    assert result.exit_code == 0, result.output
    assert called["server"] == web.APP_FACTORY == "vagus.cli.web:worker_app"
    assert called["factory"] is True
    assert called["workers"] == 2
    assert called["timeout_graceful_shutdown"] == web.GRACEFUL_SHUTDOWN_S
    assert "--workers 1" in result.output  # the live view needs one process
    # A worker builds its app from the settings the command resolved (--sensor included), not
    # from its own reading of VAGUS_SENSOR, which still says replay.
    worker = web.worker_app()
    assert worker.state.vagus.settings.sensor == "simulated"
    assert worker.state.vagus.settings.home == tmp_path
    worker.state.vagus.close()


def test_serve_refuses_zero_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result, called = run_serve(monkeypatch, tmp_path, "--workers", "0")
    assert result.exit_code == 2
    assert not called
