"""Journal fixtures: every test runs against SQLite (a temporary file) and PostgreSQL.

Each PostgreSQL test gets its own schema (see :func:`journal_helpers.postgres_schema`). When the
server is unreachable the PostgreSQL variants are skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from journal_helpers import (
    BACKENDS,
    FakeClock,
    Populated,
    populate,
    postgres_problem,
    postgres_schema,
)

from vagus.journal import Journal


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty journal URL on PostgreSQL, in a schema of its own."""
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def journal_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty journal URL on the backend under test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def journal(journal_url: str, clock: FakeClock) -> Iterator[Journal]:
    with Journal.open(journal_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def populated(journal: Journal, clock: FakeClock) -> Populated:
    """The journal under test, holding one of everything."""
    return populate(journal, clock)
