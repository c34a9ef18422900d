"""Initial schema: every table of the journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written from autogenerate's output, with the types spelled in plain SQLAlchemy (a migration
must not change when the models do) and parents before children.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _json_or_null() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _session_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"],
        ["guided_session.id"],
        name=op.f(f"fk_{table}_session_id_guided_session"),
        ondelete=ondelete,
    )


def _scale(table: str, column: str, *, nullable: bool) -> sa.CheckConstraint:
    rule = f"{column} BETWEEN 0 AND 10"
    return sa.CheckConstraint(
        f"{column} IS NULL OR {rule}" if nullable else rule, name=op.f(f"ck_{table}_{column}")
    )


CHECKIN_FIELDS = ("sleep", "headache", "digestion", "anxiety", "pain", "fatigue")


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "screening",
        _id(),
        sa.Column("at", _time(), nullable=False),
        sa.Column("answers", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    op.create_index(op.f("ix_screening_at"), "screening", ["at"])
    op.create_table(
        "plan",
        _id(),
        sa.Column("at", _time(), nullable=False),
        sa.Column("plan", _json(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_index(op.f("ix_plan_at"), "plan", ["at"])
    op.create_table(
        "guided_session",
        _id(),
        sa.Column("exercise_id", sa.String(length=100), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'aborted', 'stopped', 'interrupted')",
            name=op.f("ck_guided_session_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guided_session")),
    )
    op.create_index(op.f("ix_guided_session_started_at"), "guided_session", ["started_at"])
    op.create_table(
        "session_step",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=False),
        sa.Column("active_s", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(length=100), nullable=False),
        sa.CheckConstraint("active_s >= 0", name=op.f("ck_session_step_active_s")),
        _session_fk("session_step"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_step")),
    )
    op.create_index(op.f("ix_session_step_session_id"), "session_step", ["session_id"])
    op.create_table(
        "calm_rating",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("moment", sa.String(length=10), nullable=False),
        sa.Column("calm", sa.Integer(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.CheckConstraint("moment IN ('before', 'after')", name=op.f("ck_calm_rating_moment")),
        _scale("calm_rating", "calm", nullable=False),
        _session_fk("calm_rating"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calm_rating")),
        sa.UniqueConstraint("session_id", "moment", name=op.f("uq_calm_rating_session_id")),
    )
    op.create_table(
        "session_feedback",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("symptoms", _json(), nullable=False),
        _session_fk("session_feedback"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_feedback")),
    )
    op.create_index(op.f("ix_session_feedback_session_id"), "session_feedback", ["session_id"])
    op.create_table(
        "gratitude",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _session_fk("gratitude"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gratitude")),
    )
    op.create_index(op.f("ix_gratitude_session_id"), "gratitude", ["session_id"])
    op.create_table(
        "checkin",
        _id(),
        sa.Column("at", _time(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in CHECKIN_FIELDS),
        sa.Column("note", sa.Text(), nullable=True),
        *(_scale("checkin", name, nullable=True) for name in CHECKIN_FIELDS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
    )
    op.create_index(op.f("ix_checkin_at"), "checkin", ["at"])
    op.create_table(
        "questionnaire",
        _id(),
        sa.Column("at", _time(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("answers", _json(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("severity", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire")),
    )
    op.create_index(op.f("ix_questionnaire_at"), "questionnaire", ["at"])
    op.create_table(
        "rr_recording",
        _id(),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=True),
        sa.Column("analysis", _json_or_null(), nullable=True),
        _session_fk("rr_recording", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rr_recording")),
    )
    op.create_index(op.f("ix_rr_recording_session_id"), "rr_recording", ["session_id"])
    op.create_index(op.f("ix_rr_recording_started_at"), "rr_recording", ["started_at"])
    op.create_table(
        "rr_beat",
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rr_ms", sa.Double(), nullable=False),
        sa.CheckConstraint("rr_ms > 0", name=op.f("ck_rr_beat_rr_ms")),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["rr_recording.id"],
            name=op.f("fk_rr_beat_recording_id_rr_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", "seq", name=op.f("pk_rr_beat")),
    )


def downgrade() -> None:
    """Drop every table (children first); their indexes go with them."""
    for table in (
        "rr_beat",
        "rr_recording",
        "questionnaire",
        "checkin",
        "gratitude",
        "session_feedback",
        "calm_rating",
        "session_step",
        "guided_session",
        "plan",
        "screening",
        "setting",
    ):
        op.drop_table(table)
