"""App/CLI fixtures: each test gets its own home and journal, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_helpers import postgres_problem, postgres_schema


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
