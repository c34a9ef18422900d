"""Alembic, driven from code: the migrations ship inside the package and run on open.

No ``alembic.ini`` is needed: :func:`alembic_config` builds the ``Config`` in code, pointing at
``vagus/journal/migrations``. Developers add a revision with :func:`make_revision` (autogenerate
against a database migrated to head), then read and edit what it wrote.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.engine import Connection

from vagus.journal._engine import backup_sqlite, shown_url, sqlite_path, write_engine
from vagus.journal._errors import JournalError
from vagus.journal._models import Base

MIGRATIONS_DIR: Final[Path] = Path(__file__).resolve().with_name("migrations")
#: Key of the PostgreSQL advisory lock that serialises migrations of concurrent first opens
#: (an arbitrary constant: "vagus" in ASCII).
MIGRATION_LOCK_KEY: Final[int] = 0x7661677573


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations, optionally bound to a connection.

    >>> alembic_config().get_main_option("script_location").endswith("migrations")
    True
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    # The packaged revisions never change while vagus runs; read them once per process.
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this version of vagus knows.

    >>> head_revision()
    '0003'
    """
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The schema revision of the database behind ``connection`` (None when empty)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the journal's schema to the newest revision, in one transaction.

    An existing SQLite journal at an older revision is first copied next to itself
    (``journal.sqlite3.before-<revision>``), so a faulty migration can never cost data.

    Raises
    ------
    JournalError
        When the database was written by a newer vagus (an unknown revision) or is not a
        database at all.
    """
    head = head_revision()
    # Usually the schema is current: a read says so without taking the write lock, so opening
    # the journal (every `vagus` command) does not wait for, or fail on, a long write of
    # another process (issue 11, finding 8); SQLite's readers never wait for its writer in WAL
    # mode (https://www.sqlite.org/wal.html).
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    writer = write_engine(engine)
    with writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes opening an empty database at once must not both create the tables.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        current = current_revision(connection)
        if current == head:
            return
        known = {script.revision for script in _scripts().walk_revisions()}
        if current is not None and current not in known:
            raise JournalError(
                f"{shown_url(engine.url)}: the journal has schema revision {current!r}, written by "
                f"a newer vagus; expected revision {head!r} or older. Update vagus to open it.",
                field="database_url",
            )
        path = sqlite_path(engine.url)
        if current is not None and path is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            backup_sqlite(path, path.with_name(f"{path.name}.before-{head}-{stamp}"))
        try:
            command.upgrade(alembic_config(connection), "head")
        except CommandError as error:  # pragma: no cover - a broken installation
            raise JournalError(
                f"{shown_url(engine.url)}: cannot migrate the journal: {error}"
            ) from None


def schema_differences(engine: Engine, metadata: MetaData = Base.metadata) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty = equal).

    The check behind ``alembic check``: run on a database migrated to head, it proves that the
    migrations build exactly the tables the models describe (columns, types, nullability,
    indexes, unique and foreign keys; Alembic does not compare CHECK constraints).
    """
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def make_revision(engine: Engine, message: str) -> None:  # pragma: no cover - developer tool
    """Write a new revision file by autogenerate (developers only; review what it writes).

    ``engine`` must point at a scratch database; it is first migrated to head.
    """
    upgrade(engine)
    with write_engine(engine).begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
