"""Check-ins get a ``symptoms`` column: warning signs as data, not as text in the note.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Until now the CLI kept the warning signs of a check-in at the end of its note:
``f"{note} [symptoms: {', '.join(ids)}]".strip()`` (issue 10). The upgrade adds the column
(a JSON list of symptom ids, ``[]`` by default, never null) and moves each stored marker into
it: the note keeps the rest, stripped, and becomes NULL when nothing is left (as the journal
stores a check-in without a note). A marker holding anything but symptom ids is not ours and
stays in the note. The downgrade writes the ids back to the end of the note, as the CLI did,
and drops the column.

The parsing is spelled out here rather than imported, so that this revision keeps doing what
it did when vagus changes (a test keeps it equal to the export reader's version 1 parsing).
Plain ``ALTER TABLE ... ADD/DROP COLUMN`` on both databases (SQLite has had DROP COLUMN since
3.35); the server default fills the rows that exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The marker at the end of a note, and one symptom id (lower-case words joined by hyphens).
MARKER: Final = re.compile(r"\s*\[symptoms: ([^\]]*)\]\s*\Z")
SYMPTOM_ID: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
#: Rows read and written per round trip.
BATCH: Final = 500


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _checkin() -> sa.TableClause:
    """The columns of ``checkin`` this revision reads and writes (not the models')."""
    return sa.table(
        "checkin",
        sa.column("id", sa.Integer()),
        sa.column("note", sa.Text()),
        sa.column("symptoms", _json()),
    )


def split_note(note: str | None) -> tuple[str | None, list[str]]:
    """The note without its trailing ``[symptoms: a, b]``, and those ids (each once).

    >>> split_note("stiff neck [symptoms: chest-pain, dizziness, chest-pain]")
    ('stiff neck', ['chest-pain', 'dizziness'])
    >>> split_note(" [symptoms: dizziness] ")
    (None, ['dizziness'])
    >>> split_note("a [symptoms: list] in the middle")
    ('a [symptoms: list] in the middle', [])
    """
    if note is None:
        return None, []
    found = MARKER.search(note)
    if found is None:
        return note, []
    ids = [part.strip() for part in found.group(1).split(",")]
    if not all(SYMPTOM_ID.fullmatch(item) for item in ids):
        return note, []
    rest = note[: found.start()].strip()
    return rest or None, list(dict.fromkeys(ids))


def join_note(note: str | None, ids: Sequence[str]) -> str | None:
    """The note as the CLI wrote it before this revision.

    >>> join_note(None, ["dizziness"]), join_note("stiff", []), join_note("stiff", ["panic"])
    ('[symptoms: dizziness]', 'stiff', 'stiff [symptoms: panic]')
    """
    if not ids:
        return note
    return f"{note or ''} [symptoms: {', '.join(ids)}]".strip()


def upgrade() -> None:
    """Add ``checkin.symptoms`` and move the ids out of the notes."""
    op.add_column(
        "checkin",
        sa.Column("symptoms", _json(), server_default=sa.text("'[]'"), nullable=False),
    )
    checkin = _checkin()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(checkin.c.id, checkin.c.note)
        .where(checkin.c.note.like("%[symptoms:%"))
        .order_by(checkin.c.id)
    ).all()
    changes = []
    for row_id, note in rows:
        rest, ids = split_note(note)
        if ids:
            changes.append({"row_id": row_id, "new_note": rest, "new_symptoms": ids})
    _update(connection, changes)


def downgrade() -> None:
    """Write the ids back to the end of the notes and drop ``checkin.symptoms``."""
    checkin = _checkin()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(checkin.c.id, checkin.c.note, checkin.c.symptoms).order_by(checkin.c.id)
    ).all()
    changes = []
    for row_id, note, symptoms in rows:
        ids = [str(item) for item in symptoms or []]
        if ids:
            changes.append({"row_id": row_id, "new_note": join_note(note, ids), "new_symptoms": []})
    _update(connection, changes)
    op.drop_column("checkin", "symptoms")


def _update(connection: sa.Connection, changes: list[dict[str, Any]]) -> None:
    checkin = _checkin()
    statement = (
        sa.update(checkin)
        .where(checkin.c.id == sa.bindparam("row_id"))
        .values(note=sa.bindparam("new_note"), symptoms=sa.bindparam("new_symptoms"))
    )
    for start in range(0, len(changes), BATCH):
        connection.execute(statement, changes[start : start + BATCH])
