"""Guided sessions get a ``pid`` column: the process that runs a session, stored with it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Until now the app kept ``{session id: process id}`` in the ``live_sessions`` setting, written in
a second transaction after the session's own. Another process opening the journal between the
two (a check while ``vagus do`` starts, the web server beside a terminal) saw a running session
with no live process and closed it, and two sessions started at once could overwrite each
other's entry (issue 10, found by the SIGKILL test under load). With the process id in the
session's own row, both are written in one transaction. The upgrade moves the setting's entries
into the column and deletes the setting; the downgrade writes them back.

Process ids are this machine's business: the export leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The setting that held the process ids before this revision.
LIVE_SESSIONS: Final = "live_sessions"


def _setting() -> sa.TableClause:
    return sa.table(
        "setting",
        sa.column("key", sa.String()),
        sa.column("value", sa.JSON()),
        sa.column("updated_at", sa.DateTime()),
    )


def _session() -> sa.TableClause:
    return sa.table(
        "guided_session",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("pid", sa.Integer()),
    )


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # a JSON column read as text by a bare table clause
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def upgrade() -> None:
    op.add_column("guided_session", sa.Column("pid", sa.Integer(), nullable=True))
    bind = op.get_bind()
    setting, session = _setting(), _session()
    value = bind.execute(
        sa.select(setting.c.value).where(setting.c.key == LIVE_SESSIONS)
    ).scalar_one_or_none()
    for key, pid in _as_mapping(value).items():
        if str(key).isdigit() and isinstance(pid, int):
            bind.execute(
                sa.update(session)
                .where(session.c.id == int(key), session.c.status == "running")
                .values(pid=pid)
            )
    bind.execute(sa.delete(setting).where(setting.c.key == LIVE_SESSIONS))


def downgrade() -> None:
    bind = op.get_bind()
    session, setting = _session(), _setting()
    rows = bind.execute(
        sa.select(session.c.id, session.c.pid).where(
            session.c.status == "running", session.c.pid.is_not(None)
        )
    ).all()
    if rows:
        bind.execute(
            sa.insert(setting).values(
                key=LIVE_SESSIONS,
                value={str(row_id): pid for row_id, pid in rows},
                updated_at=datetime.now(UTC),
            )
        )
    op.drop_column("guided_session", "pid")
