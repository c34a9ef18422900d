"""Database engines: SQLite tuned not to lose committed data, or PostgreSQL by URL.

SQLite (the default) is opened with

- ``journal_mode=WAL``: a commit appends to the write-ahead log, readers never block the writer,
  and a crash (even SIGKILL mid-write) leaves every committed transaction readable
  (https://www.sqlite.org/wal.html);
- ``synchronous=FULL``: in WAL mode the log is synced to disk at every commit. With ``NORMAL``
  a commit "might roll back following a power loss or system crash"
  (https://www.sqlite.org/pragma.html#pragma_synchronous); a journal that must never lose data
  pays the one fsync per commit (a step, or a second's beats) instead;
- ``foreign_keys=ON`` (off by default in SQLite) and a 5 s ``busy_timeout``, so the web app and
  the command line can share the file;
- SQLAlchemy emitting ``BEGIN`` itself (Python's sqlite3 module would start transactions late
  and commit DDL on its own), ``BEGIN IMMEDIATE`` for writes: a write transaction takes the
  write lock before it reads, so it cannot fail half-way with SQLITE_BUSY, and migrations run
  in one transaction (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlite-transactions).

The file is created readable by its owner only: it holds health data.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from vagus.journal._errors import JournalError

SQLITE_BUSY_TIMEOUT_MS: Final[int] = 5000
#: Pause between attempts to switch a new file to WAL while another process holds it.
WAL_RETRY_S: Final[float] = 0.01
#: Owner-only permissions for the journal file and a folder vagus creates for it.
PRIVATE_FILE_MODE: Final[int] = 0o600
PRIVATE_DIR_MODE: Final[int] = 0o700
#: The execution option that marks a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE_OPTION: Final = "vagus_write"
POSTGRES_DRIVER: Final = "postgresql+psycopg"
SUPPORTED_URLS: Final = "sqlite:///path/to/journal.sqlite3 or postgresql+psycopg://user@host/db"


def normalise_url(url: str | URL) -> URL:
    """Parse a journal URL; bare ``postgresql://`` / ``postgres://`` get the psycopg 3 driver.

    >>> normalise_url("postgres://me@localhost/vagus").drivername
    'postgresql+psycopg'
    >>> normalise_url("mysql://x/y")
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: database_url: expected sqlite:///path/to/journal.sqlite3 or postgresql+psycopg://user@host/db, got 'mysql://x/y'
    """  # noqa: E501
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise JournalError(
            f"database_url: expected {SUPPORTED_URLS}, got {str(url)!r}", field="database_url"
        ) from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    if parsed.drivername not in {"sqlite", "sqlite+pysqlite", POSTGRES_DRIVER}:
        shown = parsed.render_as_string(hide_password=True)
        raise JournalError(
            f"database_url: expected {SUPPORTED_URLS}, got {shown!r}", field="database_url"
        )
    return parsed


def shown_url(url: URL) -> str:
    """The URL for messages, with any password hidden."""
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL, or None for PostgreSQL and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def _create_private_file(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only."""
    # exist_ok: another process may create the folder at the same moment; the mode only
    # applies to folders made here.
    path.parent.mkdir(parents=True, mode=PRIVATE_DIR_MODE, exist_ok=True)
    if not path.exists():
        # O_EXCL: never touch a file someone else just created.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (see the module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten, not just unlinked (https://www.sqlite.org/pragma.html
        # #pragma_secure_delete): forget() must not leave health data in free pages. vagus
        # deletes only in forget(), so this costs nothing in ordinary use.
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (a lasting property of the file, so usually already done).

    Changing the journal mode needs an exclusive lock and does not wait for SQLite's busy
    handler, so two processes creating the same new journal at once retry here.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] in {"wal", "memory"}:
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1e3
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


def _on_sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    # Straight to the sqlite3 connection: the same statement as exec_driver_sql, without
    # SQLAlchemy's execution machinery, which cost more than the BEGIN itself (about 40 us of
    # every transaction, reads included; tests/journal check the transactions still hold).
    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
        "BEGIN IMMEDIATE" if write else "BEGIN"
    )


def make_engine(url: URL) -> Engine:
    """An engine for the journal at ``url`` (see the module docstring for SQLite's settings).

    Raises
    ------
    JournalError
        When the SQLite file's folder cannot be created.
    """
    path = sqlite_path(url)
    if path is not None:
        try:
            _create_private_file(path)
        except OSError as error:
            raise JournalError(
                f"{path}: cannot create the journal file ({error.strerror})",
                field="database_url",
            ) from None
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    # pool_pre_ping: a server restart between two beats must not lose the next write.
    return create_engine(url, pool_pre_ping=True)


def write_engine(engine: Engine) -> Engine:
    """The same engine, marked so that its transactions start as writes."""
    return engine.execution_options(**{WRITE_OPTION: True})


def vacuum_sqlite(path: Path) -> None:
    """Rebuild an SQLite file and empty its write-ahead log, so deleted rows leave the file.

    Runs on its own connection, outside SQLAlchemy's transaction handling (VACUUM cannot run
    inside a transaction). Best effort: when another process keeps the file busy beyond the
    busy timeout, the rebuild is skipped (the rows are deleted and overwritten already).
    """
    connection = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1e3)
    try:
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
    finally:
        connection.close()


def backup_sqlite(path: Path, target: Path) -> Path:
    """Copy a live SQLite journal to ``target`` with SQLite's online backup API.

    Used before a migration changes an existing journal. The copy is consistent even while
    another process writes (https://www.sqlite.org/backup.html).
    """
    source = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1e3)
    try:
        _create_private_file(target)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target
