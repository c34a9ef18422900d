"""The PostgreSQL test server of the developers' guide (127.0.0.1:5432, trust auth, user
postgres, database ``test``), shared by the journal tests and the app/CLI tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_postgres_problem: list[str | None] = []


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can (asked once per process)."""
    if not _postgres_problem:
        try:
            with psycopg.connect(POSTGRES_DSN) as connection:
                connection.execute("SELECT 1")
            _postgres_problem.append(None)
        except psycopg.OperationalError as error:
            lines = str(error).strip().splitlines()
            _postgres_problem.append(
                "PostgreSQL at 127.0.0.1:5432 (user postgres, database test) is unreachable "
                f"({lines[0] if lines else 'no answer'}); start it (.ci/run does) to run the "
                "PostgreSQL journal tests"
            )
    return _postgres_problem[0]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A journal URL whose tables live in a fresh PostgreSQL schema, dropped afterwards.

    The schema has a random name and is selected through libpq's ``options=-csearch_path=``,
    so parallel pytest-xdist workers (and parallel runs) never see each other's tables.
    """
    schema = f"vagus_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
