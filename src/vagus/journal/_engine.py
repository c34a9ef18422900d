"""Database engines: SQLite tuned not to lose committed data, or PostgreSQL by URL.

SQLite (the default) is opened with

- ``journal_mode=WAL``: a commit appends to the write-ahead log, readers never block the writer,
  and a crash (even SIGKILL mid-write) leaves every committed transaction readable
  (https://www.sqlite.org/wal.html);
- ``synchronous=FULL``: in WAL mode the log is synced to disk at every commit. With ``NORMAL``
  a commit "might roll back following a power loss or system crash"
  (https://www.sqlite.org/pragma.html#pragma_synchronous); a journal that must never lose data
  pays the one fsync per commit (a step, or a second's beats) instead;
- ``foreign_keys=ON`` (off by default in SQLite) and a 10 s ``busy_timeout``
  (:data:`SQLITE_BUSY_TIMEOUT_MS`), so the web app and the command line can share the file: a
  write waits that long for another writer, then is refused with
  :class:`vagus.errors.BusyError` (see :func:`busy_error`). vagus's own long writes (imports)
  commit in short batches, so it never waits that long for them
  (https://www.sqlite.org/lockingv3.html, https://www.sqlite.org/c3ref/busy_timeout.html);
- SQLAlchemy emitting ``BEGIN`` itself (Python's sqlite3 module would start transactions late
  and commit DDL on its own), ``BEGIN IMMEDIATE`` for writes: a write transaction takes the
  write lock before it reads, so it cannot fail half-way with SQLITE_BUSY, and migrations run
  in one transaction (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlite-transactions).

The file is created readable by its owner only: it holds health data. So is the folder of a
journal in vagus's home layout (see :func:`private_folder`).

Both engines are created with ``hide_parameters=True``: SQLAlchemy otherwise puts the bound
values of a failing statement (a check-in's note, a recording's beats) into the exception's
text and its log lines (https://docs.sqlalchemy.org/en/20/core/engines.html
#sqlalchemy.create_engine.params.hide_parameters). PostgreSQL adds the failing row itself to
some errors (``DETAIL: Failing row contains (...)``); :func:`_on_error` cuts such details.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError

from vagus.errors import BusyError
from vagus.journal._errors import JournalError

#: How long a write waits for another writer before it is refused as busy. Longer than any
#: of vagus's own write transactions (an import commits in batches of about 0.1 s, see
#: ``_export.BATCH_ROWS``), short enough that a person (or the web's request) is not left
#: hanging: past it they get "busy, try again" (a 503 with Retry-After on the web).
SQLITE_BUSY_TIMEOUT_MS: Final[int] = 10_000
#: The Retry-After of a busy answer, in seconds.
BUSY_RETRY_AFTER_S: Final[int] = 5
#: The journal file's name in vagus's home (``vagus.config.DATABASE_FILE_NAME``; a test keeps
#: them equal): a journal of that name has the home as its folder.
HOME_FILE_NAME: Final = "journal.sqlite3"
#: PostgreSQL's SQLSTATEs of a write that lost to another (lock_not_available,
#: serialization_failure, deadlock_detected): busy, try again
#: (https://www.postgresql.org/docs/current/errcodes-appendix.html).
POSTGRES_BUSY_STATES: Final = frozenset({"55P03", "40001", "40P01"})
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
    private_folder(path)
    if not path.exists():
        # O_EXCL: never touch a file someone else just created.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def private_folder(path: Path) -> bool:
    """Make the folder of the journal file ``path`` owner-only (0700) when it is vagus's home.

    A folder that already existed keeps its mode otherwise (``mkdir`` applies a mode only to
    folders it makes), so a home made by hand, or by an older vagus, with 0755 would show every
    other user of the machine which files it holds, and hold any file a later vagus or the
    person puts there readable. The folder is tightened only when it is the one vagus uses for
    its own files: the journal has the home layout's name (:data:`HOME_FILE_NAME`; a journal
    the person placed elsewhere by ``database_url`` is their folder, not vagus's), the folder
    is the person's own (owned by this user) and it is not their home directory (``~`` holds
    far more than vagus's files, and its mode is the person's or their system's choice; a
    ``VAGUS_HOME`` of ``~`` keeps it, the journal file itself is still 0600).

    Returns True when the folder is owner-only now (or was already).
    """
    folder = path.parent
    if path.name != HOME_FILE_NAME:
        return False
    try:
        info = folder.stat()
        if info.st_uid != os.getuid() or folder.resolve() == Path.home().resolve():
            return False
        if stat.S_IMODE(info.st_mode) & 0o077:
            folder.chmod(PRIVATE_DIR_MODE)
    except (OSError, RuntimeError):  # no such folder yet, or no home directory known
        return False
    return True


def busy_error(what: str = "journal") -> BusyError:
    """The journal's one "busy" answer: another write held the database past the wait."""
    return BusyError(
        f"{what}: busy with another write (such as an import); nothing was changed, "
        f"try again in {BUSY_RETRY_AFTER_S} s",
        "journal",
        retry_after_s=BUSY_RETRY_AFTER_S,
        key="errors.journal_busy",
    )


def is_sqlite_busy(error: BaseException) -> bool:
    """SQLite's SQLITE_BUSY or SQLITE_LOCKED ("database is locked", "database table is locked",
    "database is busy"): another connection held the lock past the busy timeout."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        # Extended codes carry the primary code in their low byte.
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text_ = str(error)
    return "locked" in text_ or "busy" in text_


def _on_error(context: ExceptionContext) -> None:
    """Every database error of the journal passes here (SQLAlchemy's ``handle_error``).

    A write that waited past the busy timeout becomes :class:`BusyError` (nothing changed; the
    faces answer 503 + Retry-After, or one line on the terminal), so the translation is in one
    place. PostgreSQL's ``DETAIL`` and ``HINT`` lines, which may quote the failing row, are cut
    from the message of anything else that goes on to a log.
    """
    orig = context.original_exception
    if is_sqlite_busy(orig) or getattr(orig, "sqlstate", None) in POSTGRES_BUSY_STATES:
        raise busy_error() from None
    if getattr(orig, "sqlstate", None) is not None and "\n" in str(orig):
        first = str(orig).splitlines()[0]
        orig.args = (first,)
        wrapped = context.sqlalchemy_exception
        if wrapped is not None and wrapped.args:
            wrapped.args = (str(wrapped.args[0]).split("\n", 1)[0],)


def _on_postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    # A write that waits for another's row lock gives up after the same time as on SQLite
    # (otherwise it would wait for ever), and is refused as busy (SQLSTATE 55P03, see
    # _on_error; https://www.postgresql.org/docs/current/runtime-config-client.html
    # #GUC-LOCK-TIMEOUT). SET, not the URL's options, which may already name a search_path.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(SQLITE_BUSY_TIMEOUT_MS)}")
    dbapi_connection.commit()


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
    # Its errors therefore bypass handle_error: BEGIN IMMEDIATE is where a write waits for
    # the write lock, so its "database is locked" is translated here.
    try:
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if write else "BEGIN"
        )
    except sqlite3.OperationalError as error:
        if is_sqlite_busy(error):
            raise busy_error() from None
        raise


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
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    else:
        # pool_pre_ping: a server restart between two beats must not lose the next write.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
        event.listen(engine, "connect", _on_postgres_connect)
    event.listen(engine, "handle_error", _on_error)
    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine, marked so that its transactions start as writes."""
    return engine.execution_options(**{WRITE_OPTION: True})


def vacuum_sqlite(path: Path, timeout_s: float = SQLITE_BUSY_TIMEOUT_MS / 1e3) -> bool:
    """Rebuild an SQLite file and empty its write-ahead log, so deleted rows leave the file.

    Runs on its own connection, outside SQLAlchemy's transaction handling (VACUUM cannot run
    inside a transaction). With ``secure_delete`` the deleted rows were overwritten, but in WAL
    mode the overwriting pages sit in the log: the main file keeps the old pages until a
    checkpoint copies the new ones back, and a checkpoint cannot copy past a reader that still
    reads an older snapshot (https://www.sqlite.org/wal.html#checkpoint_starvation).
    ``wal_checkpoint(TRUNCATE)`` waits for such readers (the busy timeout) and answers whether
    it got through (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint).

    Returns
    -------
    bool
        True when the file was rebuilt and the whole log copied back and emptied: the deleted
        data is in neither file. False when another program kept the file busy past
        ``timeout_s`` (the rows are deleted all the same; SQLite copies the log back when the
        last connection closes, or at the next ``forget``).
    """
    connection = sqlite3.connect(path, isolation_level=None, timeout=timeout_s)
    try:
        connection.execute("VACUUM")
        busy, log_pages, copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as error:
        if not is_sqlite_busy(error):
            raise
        return False
    finally:
        connection.close()
    # busy: the checkpoint could not finish; log_pages == -1 when the file is not in WAL mode.
    return bool(busy == 0 and (log_pages == -1 or copied == log_pages))


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
