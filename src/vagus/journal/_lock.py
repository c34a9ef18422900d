"""One SQLite writer at a time, queued by vagus itself instead of by SQLite's busy handler.

SQLite lets one transaction write at a time. A second writer that finds the file locked is
put to sleep by the busy handler and retries after 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50
and then every 100 ms (``sqliteDefaultBusyCallback`` in SQLite's ``main.c``), so under
concurrent writes some wait far longer than the writes ahead of them took (the web app's
check-ins, written from 40 worker threads, had a p99 of 0.6-1.4 s for commits of 0.3 ms;
``benchmarks/web_load.py``). The journal's writers therefore queue here first:

- the threads of one process on a :class:`threading.RLock` (reentrant, so a nested write
  still fails on SQLite's busy timeout as before instead of deadlocking);
- the processes that share the file (the command line, several ``vagus serve`` workers) on
  an exclusive ``flock`` of a lock file beside it (``<journal>-writer.lock``, owner-only like
  the journal), polled every :data:`POLL_S` at most.

:meth:`WriterLock.hold_if_free` lets a caller on an event loop write only when no one else
is writing, and otherwise wait elsewhere (``vagus.web.routes``).

The writers queue in order of arrival, through a gate (a lock of its own, taken before the
writer lock and let go as soon as that is held): a writer that must wait holds the gate while
it waits, so a long writer that commits in batches (an import) and goes back through the gate
between two batches lets it in first, instead of taking the free lock back at once (a thread
lock, or a polled ``flock``, would otherwise be taken again by the writer that just let it
go: others starved until the whole import was done). The gate is a second lock file,
``<journal>-writer.gate``.

A wait that outlasts the timeout (SQLite's busy timeout) raises
:class:`vagus.errors.BusyError`: another vagus writer has held the journal that long, so
SQLite would refuse the write as well ("database is locked", https://www.sqlite.org/
lockingv3.html). SQLite still locks the file (``BEGIN IMMEDIATE``), so a program that does not
take these locks (the ``sqlite3`` shell) is kept out by SQLite, and a write that finds it there
waits SQLite's busy timeout, then is refused as busy as well (``_engine``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from vagus.journal._engine import busy_error

try:  # POSIX; elsewhere only the threads of one process are queued
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Longest pause between two tries of the lock file, in seconds (the first pauses are shorter).
POLL_S: Final[float] = 0.001
#: The first pause, doubled up to :data:`POLL_S`.
FIRST_POLL_S: Final[float] = 0.0001
#: Owner-only, like the journal file.
LOCK_FILE_MODE: Final[int] = 0o600


def lock_path(database: Path) -> Path:
    """The lock file of a journal file."""
    return database.with_name(database.name + "-writer.lock")


def gate_path(database: Path) -> Path:
    """The gate file of a journal file: held by the next writer while it waits."""
    return database.with_name(database.name + "-writer.gate")


class _FileLock:
    """An exclusive ``flock`` of one file, opened on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, LOCK_FILE_MODE)
        return self._fd

    def take(self, deadline: float | None) -> bool:
        """Take the lock, polling until ``deadline`` (None: try once); False when it did not.

        Raises OSError when no lock file can be made there.
        """
        fd = self._file()
        pause = FIRST_POLL_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if deadline is None or time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(2 * pause, POLL_S)

    def release(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class WriterLock:
    """Queues the writers of one SQLite journal file (see the module docstring).

    Parameters
    ----------
    database : pathlib.Path or None
        The journal file; None (an in-memory journal) queues the threads of this process only.
    timeout_s : float
        Longest wait; past it :class:`vagus.errors.BusyError` is raised.
    """

    def __init__(self, database: Path | None, timeout_s: float) -> None:
        self._threads = threading.RLock()
        self._thread_gate = threading.Lock()
        self._timeout_s = timeout_s
        with_files = database is not None and fcntl is not None
        self._file = _FileLock(lock_path(database)) if with_files and database else None
        self._gate = _FileLock(gate_path(database)) if with_files and database else None
        self._owner: int | None = None  # the thread that holds the lock
        self._depth = 0  # how deep the holding thread has nested: it takes the locks once
        self._have_file = False

    def _take(self, deadline: float | None) -> bool:
        """Pass the gate and take the writer lock, waiting until ``deadline`` (None: never
        wait); False when it did not get them (nothing is held then)."""

        def acquire(lock: threading.Lock | threading.RLock) -> bool:
            if deadline is None:
                return lock.acquire(blocking=False)
            return lock.acquire(timeout=max(0.0, deadline - time.monotonic()))

        if not acquire(self._thread_gate):
            return False
        try:
            have_gate = False
            if self._gate is not None:
                try:
                    if not self._gate.take(deadline):
                        return False
                    have_gate = True
                except OSError:  # no lock file can be made there: only threads are queued
                    pass
            try:
                if not acquire(self._threads):
                    return False
                have_file = False
                if self._file is not None and have_gate:
                    if not self._file.take(deadline):
                        self._threads.release()
                        return False
                    have_file = True
                self._owner, self._have_file = threading.get_ident(), have_file
                return True
            finally:
                if have_gate:
                    assert self._gate is not None
                    self._gate.release()
        finally:
            self._thread_gate.release()

    def _release(self) -> None:
        if self._have_file:
            assert self._file is not None
            self._file.release()
        self._owner, self._have_file = None, False
        self._threads.release()

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._release()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for the other writers (at most ``timeout_s``), then write.

        Raises
        ------
        vagus.errors.BusyError
            When another writer held the journal for longer than ``timeout_s``.
        """
        if self._owner == threading.get_ident():  # a nested write of the holding thread
            with self._held():
                yield
            return
        if not self._take(time.monotonic() + self._timeout_s):
            raise busy_error()
        with self._held():
            yield

    @contextlib.contextmanager
    def hold_if_free(self) -> Iterator[bool]:
        """Hold the lock if no other writer has it, or waits for it, right now (True); never
        wait (False).

        While it is held, this thread's writes take it again without waiting (it is
        reentrant), so a caller on an event loop can write without waiting for other writers,
        and hand the write to a worker thread when this says False.
        """
        if self._owner == threading.get_ident():
            with self._held():
                yield True
            return
        if not self._take(None):
            yield False
            return
        with self._held():
            yield True

    def close(self) -> None:
        """Close the lock files (a held lock is released by the system as well)."""
        with self._threads:
            for lock in (self._file, self._gate):
                if lock is not None:
                    lock.close()
