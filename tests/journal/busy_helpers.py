"""A long import to write against (issue 11, finding 8), and a hook inside its batches.

The import writes its beats in batches (``_export.BATCH_ROWS``). :class:`DuringBatch` runs a
callback inside the import's transaction of one batch (on SQLAlchemy's
``before_cursor_execute``, so the journal's write lock is held), and records, when the next
batch starts, what the journal held then. The tests so wait on events, never on the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from vagus.journal import Journal
from vagus.journal._export import BATCH_ROWS

T0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
#: Enough beats for several batches (the import takes about a second on SQLite).
LONG_IMPORT_BEATS = 6 * BATCH_ROWS + 123


def export_with_beats(n_beats: int = LONG_IMPORT_BEATS) -> dict[str, Any]:
    """An export holding one recording of ``n_beats`` beats and one check-in."""
    with Journal.open("sqlite://") as source:
        recording = source.start_recording("replay", T0, ["morning"])
        source.append_beats(recording, [600.0 + (index % 400) for index in range(n_beats)])
        source.finish_recording(recording, at=T0 + timedelta(hours=1))
        source.add_checkin(T0, sleep=7, note="imported")
        return source.export()


class DuringBatch:
    """Calls ``action`` inside the transaction of beat batch ``at`` of an import on
    ``journal`` (0 is the first), and, as batch ``at + 1`` starts, ``probe()``'s value."""

    def __init__(
        self, journal: Journal, action: Callable[[], None], probe: Callable[[], Any], at: int = 1
    ) -> None:
        self.journal, self.action, self.probe, self.at = journal, action, probe, at
        self.batches = 0
        self.seen_at_next: Any = None
        self.error: BaseException | None = None
        self._engine = journal._engine

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("INSERT INTO RR_BEAT"):
            return
        if threading.current_thread() is not self.thread:
            return  # only the import's batches
        if self.batches == self.at:
            self.action()
        elif self.batches == self.at + 1:
            self.seen_at_next = self.probe()
        self.batches += 1

    def __enter__(self) -> DuringBatch:
        self.thread = threading.current_thread()
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)
