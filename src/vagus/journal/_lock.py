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

Nothing else changes: SQLite still locks the file (``BEGIN IMMEDIATE``), so a program that
does not take this lock (the ``sqlite3`` shell) is still kept out by SQLite, and a wait that
outlasts SQLite's busy timeout goes ahead and lets SQLite decide ("database is locked"), as
without the lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

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


class WriterLock:
    """Queues the writers of one SQLite journal file (see the module docstring).

    Parameters
    ----------
    database : pathlib.Path or None
        The journal file; None (an in-memory journal) queues the threads of this process only.
    timeout_s : float
        Longest wait; past it the write goes ahead and SQLite's own locking decides.
    """

    def __init__(self, database: Path | None, timeout_s: float) -> None:
        self._threads = threading.RLock()
        self._timeout_s = timeout_s
        self._path = None if database is None or fcntl is None else lock_path(database)
        self._fd: int | None = None
        self._depth = 0  # how deep the holding thread has nested: it takes the file lock once

    def _file(self) -> int:
        if self._fd is None:
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, LOCK_FILE_MODE)
        return self._fd

    def _lock_file(self, deadline: float) -> bool:
        """Take the file lock, polling until ``deadline``; False when it timed out."""
        fd = self._file()
        pause = FIRST_POLL_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(2 * pause, POLL_S)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for the other writers (at most ``timeout_s``), then write."""
        deadline = time.monotonic() + self._timeout_s
        if not self._threads.acquire(timeout=self._timeout_s):
            yield  # timed out: SQLite's own locking decides
            return
        have_file = False
        if self._depth == 0 and self._path is not None:
            try:
                have_file = self._lock_file(deadline)
            except OSError:  # no lock file can be made there: only threads are queued
                have_file = False
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if have_file:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
            self._threads.release()

    @contextlib.contextmanager
    def hold_if_free(self) -> Iterator[bool]:
        """Hold the lock if no other writer has it right now (True); never wait (False).

        While it is held, this thread's writes take it again without waiting (it is
        reentrant), so a caller on an event loop can write without waiting for other writers,
        and hand the write to a worker thread when this says False.
        """
        if not self._threads.acquire(blocking=False):
            yield False
            return
        have_file, free = False, True
        if self._depth == 0 and self._path is not None:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                have_file = True
            except BlockingIOError:  # another process is writing
                free = False
            except OSError:  # no lock file can be made there: only threads are queued
                have_file = False
        if not free:
            self._threads.release()
            yield False
            return
        self._depth += 1
        try:
            yield True
        finally:
            self._depth -= 1
            if have_file:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
            self._threads.release()

    def close(self) -> None:
        """Close the lock file (a held lock is released by the system as well)."""
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
