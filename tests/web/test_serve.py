"""``vagus serve``: the address, the warning for a non-local bind, one or several server
processes (uvicorn is not started)."""

from __future__ import annotations

import re
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


# --- the login beyond localhost (issue 11, finding 6) --------------------------------------------

TOKEN_LINK = re.compile(r"https?://\S+/login\?token=([A-Za-z0-9_-]{43})")


def test_set_password_stores_an_argon2id_hash_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    from vagus.web._auth import LOGIN_FILE_NAME, load_credential

    called: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda server, **kw: called.update(kw, server=server))
    monkeypatch.setenv("VAGUS_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--set-password"], input="a long secret\n")
    assert result.exit_code == 0, result.output
    assert not called  # sets the password and stops
    path = tmp_path / LOGIN_FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert text.startswith("password $argon2id$")
    assert "a long secret" not in text
    credential = load_credential(tmp_path)
    assert credential is not None
    assert credential.verify("a long secret")
    assert not credential.verify("a long secreT")


def test_set_password_refuses_a_short_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vagus.web._auth import LOGIN_FILE_NAME

    monkeypatch.setenv("VAGUS_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--set-password"], input="short\n")
    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
    assert not (tmp_path / LOGIN_FILE_NAME).exists()


def test_serve_public_turns_the_login_on_and_prints_a_token_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from vagus.web._auth import LOGIN_FILE_NAME, load_credential

    result, called = run_serve(monkeypatch, tmp_path, "--host", "0.0.0.0", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "login is" in result.output  # the warning says a login is now required
    assert "unencrypted" in result.output  # and that plain http is readable on the way
    match = TOKEN_LINK.search(result.output)
    assert match is not None, result.output
    token = match.group(1)
    assert ":8123/login?token=" in match.group(0)
    assert token not in (tmp_path / LOGIN_FILE_NAME).read_text()
    credential = load_credential(tmp_path)
    assert credential is not None
    assert credential.kind == "token"
    assert credential.verify(token)
    assert called["server"].state.login.mode == "always"
    called["server"].state.vagus.close()
    # The next start keeps the token (browsers stay logged in) and does not show it again.
    again, called = run_serve(monkeypatch, tmp_path, "--host", "0.0.0.0")
    assert again.exit_code == 0, again.output
    assert TOKEN_LINK.search(again.output) is None
    assert "--new-token" in again.output
    assert load_credential(tmp_path) == credential
    called["server"].state.vagus.close()


def test_new_token_replaces_the_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vagus.web._auth import load_credential, save_credential

    save_credential(tmp_path, "password", "the old password")
    result, called = run_serve(monkeypatch, tmp_path, "--host", "192.168.1.20", "--new-token")
    assert result.exit_code == 0, result.output
    match = TOKEN_LINK.search(result.output)
    assert match is not None, result.output
    assert match.group(0).startswith("http://192.168.1.20:8000/login?token=")
    credential = load_credential(tmp_path)
    assert credential is not None
    assert credential.verify(match.group(1))
    assert not credential.verify("the old password")
    called["server"].state.vagus.close()


def test_serve_public_with_a_password_does_not_make_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from vagus.web._auth import load_credential, save_credential

    stored = save_credential(tmp_path, "password", "the password")
    result, called = run_serve(monkeypatch, tmp_path, "--host", "0.0.0.0")
    assert result.exit_code == 0, result.output
    assert TOKEN_LINK.search(result.output) is None
    assert "password" in result.output
    assert load_credential(tmp_path) == stored
    called["server"].state.vagus.close()


def test_serve_local_needs_no_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vagus.web._auth import LOGIN_FILE_NAME

    result, called = run_serve(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert "login" not in result.output
    assert not (tmp_path / LOGIN_FILE_NAME).exists()
    assert called["server"].state.login.mode == "auto"
    called["server"].state.vagus.close()


def test_workers_get_the_login_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(web.WORKER_SETTINGS_VAR, "")
    result, _ = run_serve(monkeypatch, tmp_path, "--host", "0.0.0.0", "--workers", "2")
    assert result.exit_code == 0, result.output
    worker = web.worker_app()
    assert worker.state.login.mode == "always"
    worker.state.vagus.close()


def test_serve_https(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("certificate")
    key.write_text("key")
    result, called = run_serve(
        monkeypatch,
        tmp_path,
        "--host",
        "192.168.1.20",
        "--ssl-certfile",
        str(cert),
        "--ssl-keyfile",
        str(key),
    )
    assert result.exit_code == 0, result.output
    assert called["ssl_certfile"] == str(cert)
    assert called["ssl_keyfile"] == str(key)
    assert "https://192.168.1.20:8000/" in result.output
    assert "unencrypted" not in result.output
    match = TOKEN_LINK.search(result.output)
    assert match is not None
    assert match.group(0).startswith("https://")
    called["server"].state.vagus.close()


def test_serve_https_needs_both_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("certificate")
    result, called = run_serve(monkeypatch, tmp_path, "--ssl-certfile", str(cert))
    assert result.exit_code == 2
    assert "--ssl-keyfile" in result.output
    assert not called
