"""The journal as a whole: history, export, import and delete-all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vagus.journal import JournalError, read_export, write_export

if TYPE_CHECKING:
    from vagus.app._core import App


def _with_key(error: JournalError, source: str | None = None) -> JournalError:
    """``error`` as it is when it has a message key; else the same English message under the
    generic "not a valid export" key, with the message as its English ``detail``."""
    if error.key is not None:
        return error
    if source is None:
        return JournalError(
            str(error), field=error.field, key="errors.invalid_export", detail=str(error)
        )
    return JournalError(
        str(error),
        field=error.field,
        key="errors.invalid_export_file",
        source=source,
        detail=str(error),
    )


class TransferService:
    def __init__(self, app: App) -> None:
        self._app = app

    def history(
        self,
        types: Sequence[str] | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> list[Any]:
        """Everything, newest first (optionally of some types, since a time, at most N)."""
        return self._app.journal.history(types=types, limit=limit, since=since)  # type: ignore[arg-type]

    def export(self, path: Path) -> dict[str, int]:
        """Everything, as one JSON file (docs/export-schema.md)."""
        data = self._app.journal.export()
        write_export(data, path)
        return self._app.journal.counts()

    def export_data(self) -> dict[str, Any]:
        """Everything, as the export's JSON object."""
        return dict(self._app.journal.export())

    def import_file(self, path: Path) -> dict[str, int]:
        """Read an export (refused whole if anything in it is wrong)."""
        try:
            return self._app.journal.import_(read_export(path))
        except JournalError as error:
            raise _with_key(error, source=str(path)) from None

    def import_data(self, data: Any) -> dict[str, int]:
        """Import an export already parsed from JSON (refused whole if anything is wrong)."""
        try:
            return self._app.journal.import_(data)
        except JournalError as error:
            raise _with_key(error) from None

    def forget(self) -> None:
        """Delete every stored entry."""
        self._app.journal.forget()

    def counts(self) -> dict[str, int]:
        return self._app.journal.counts()
