"""``vagus serve``: the address and the warning for a non-local bind (uvicorn is not started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vagus.cli import web  # noqa: F401  (registers `serve` until cli/__init__ imports it)
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
