"""App/CLI fixtures: each test gets its own home and journal, on SQLite and on PostgreSQL, and
a wall clock fixed at 07:30 local time, so no test depends on the hour (or the day) it runs."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_clock import FakeNow
from pg_helpers import postgres_problem, postgres_schema
from vagus.app import build_app
from vagus.cli import _base

#: The local time the CLI's clock starts at: a morning, so a test shows that a rest around a
#: session is not tagged "morning" even when it is one (issue 10).
LOCAL_START = datetime(2026, 3, 2, 7, 30)


@pytest.fixture
def now() -> FakeNow:
    clock = FakeNow(LOCAL_START.astimezone(UTC))
    clock.set_local(LOCAL_START)
    return clock


@pytest.fixture(autouse=True)
def _cli_clock(monkeypatch: pytest.MonkeyPatch, now: FakeNow) -> None:
    """Every command a test runs in-process builds its app on the test's clock."""
    monkeypatch.setattr(_base, "build_app", functools.partial(build_app, now=now))


@pytest.fixture(params=["sqlite", "postgresql"])
def vagus_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """VAGUS_* variables for an empty journal on the backend under test."""
    env = {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}
    if request.param == "sqlite":
        yield env
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    with postgres_schema() as url:
        yield env | {"VAGUS_DATABASE_URL": url}


@pytest.fixture
def screened_env(vagus_env: dict[str, str]) -> dict[str, str]:
    """A journal whose person answered "no" to every health question."""
    result = CliRunner().invoke(_base.app, ["screen", "--none"], env=vagus_env)
    assert result.exit_code == 0, result.output
    return vagus_env
