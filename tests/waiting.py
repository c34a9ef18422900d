"""Waiting in tests on events, never on the clock (DESIGN.md habit 16).

A test that needs another process to get somewhere waits for a sign that it got there: a line
it printed, a row it wrote to the journal. The deadline is a guard against a hung child, so long
that no machine, however loaded, reaches it while the child works; it is never a measurement.
How fast anything runs is for benchmarks/.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

#: How long a sign may take before the child is taken for hung.
GUARD_S = 120.0
#: Between two looks at a condition no one can signal (a row in a database): short, to keep
#: the wait cheap; the wait itself ends on the condition, not on this.
POLL_S = 0.05

T = TypeVar("T")


def stop_child(child: subprocess.Popen[bytes]) -> str:
    """Kill ``child`` if it still runs, reap it, and return the end of what it wrote to
    stderr (a pipe, then closed; a second call returns "")."""
    if child.poll() is None:
        child.kill()
    child.wait()
    if child.stderr is None or child.stderr.closed:
        return ""
    with child.stderr:
        return child.stderr.read().decode(errors="replace")[-3000:]


def wait_until(
    condition: Callable[[], T],
    *,
    what: str,
    child: subprocess.Popen[bytes] | None = None,
    timeout_s: float = GUARD_S,
) -> T:
    """Look at ``condition`` until it returns something true, and return that.

    Fails at once (with its stderr) when ``child`` exits before the condition holds, and after
    ``timeout_s`` when it never does. ``what`` says what was waited for.
    """
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()  # never set: only waits POLL_S between looks
    while True:
        # The child's state first: a condition that holds when it has just exited still counts.
        exited = child is not None and child.poll() is not None
        value = condition()
        if value:
            return value
        if exited:
            assert child is not None
            pytest.fail(f"{what}: the child exited ({child.returncode}): {stop_child(child)}")
        if time.monotonic() > deadline:
            errors = f": {stop_child(child)}" if child is not None else ""
            pytest.fail(f"{what}: not within {timeout_s:g} s (a guard against a hang){errors}")
        pause.wait(POLL_S)


class ChildLines:
    """The complete lines a child prints on its stdout pipe, read as they come.

    A line cut short (by a kill) is not a line: only text up to a newline counts.
    """

    def __init__(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdout is not None, "start the child with stdout=subprocess.PIPE"
        self.child = child
        self.lines: list[str] = []
        self._stdout = child.stdout
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)

    def _take(self, chunk: bytes) -> None:
        *complete, self._buffer = (self._buffer + chunk).split(b"\n")
        self.lines += [line.decode() for line in complete]

    def wait_for(
        self,
        enough: Callable[[list[str]], bool],
        *,
        what: str,
        timeout_s: float = GUARD_S,
    ) -> list[str]:
        """Read until ``enough(lines)`` holds; fail (with the child's stderr) when the child
        closes its stdout first, or after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not enough(self.lines):
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(
                    f"{what}: not within {timeout_s:g} s (a guard against a hang), "
                    f"{len(self.lines)} lines: {stop_child(self.child)}"
                )
            if not self._selector.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(self._stdout.fileno(), 65536)
            if not chunk:  # end of file: the child is gone
                errors = stop_child(self.child)
                pytest.fail(
                    f"{what}: the child exited ({self.child.returncode}) after "
                    f"{len(self.lines)} lines: {errors}"
                )
            self._take(chunk)
        return self.lines

    def rest(self) -> list[str]:
        """Every complete line, once the child has exited (what it printed before it died)."""
        assert self.child.poll() is not None, "only after the child has exited"
        self._take(self._stdout.read())
        return self.lines

    def close(self) -> None:
        self._selector.close()
        self._stdout.close()
