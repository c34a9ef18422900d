"""The journal's tables as typed SQLAlchemy 2 models.

The schema itself is created and changed only by the Alembic migrations in ``migrations/``; a
test (autogenerate against a migrated database) keeps these models and the migrations equal.

Timestamps are stored in UTC. PostgreSQL keeps them as ``timestamptz``; SQLite has no time-zone
type, so :class:`UtcDateTime` stores the UTC wall time and attaches UTC again on the way out.
JSON is ``jsonb`` on PostgreSQL (binary, indexable) and JSON text on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Session states. ``running`` until finished; ``interrupted`` is what the app records for a
#: session that was still running when the program stopped (a crash or a closed laptop).
SESSION_STATUSES: Final[tuple[str, ...]] = (
    "running",
    "completed",
    "aborted",
    "stopped",
    "interrupted",
)
#: When a calm rating is given, relative to its session.
RATING_MOMENTS: Final[tuple[str, ...]] = ("before", "after")
#: The 0-10 scale of calm ratings and check-ins (an 11-point numeric rating scale).
MIN_SCALE: Final[int] = 0
MAX_SCALE: Final[int] = 10
#: The check-in's 0-10 questions, in the order forms show them.
CHECKIN_FIELDS: Final[tuple[str, ...]] = (
    "sleep",
    "headache",
    "digestion",
    "anxiety",
    "pain",
    "fatigue",
)
#: Lengths of short identifiers (exercise, step, kind, questionnaire names) and setting keys.
NAME_CHARS: Final[int] = 100
KEY_CHARS: Final[int] = 200

# Deterministic constraint names, so that later migrations can address them on both databases
# (https://alembic.sqlalchemy.org/en/latest/naming.html).
NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC; naive datetimes are refused.

    >>> from sqlalchemy.dialects import sqlite
    >>> UtcDateTime().process_bind_param(
    ...     datetime(2024, 1, 1, 12, tzinfo=UTC), sqlite.dialect()
    ... )
    datetime.datetime(2024, 1, 1, 12, 0)
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        # SQLite's DATETIME text has no offset: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: JSON document (never SQL NULL).
JSON_VALUE: Final = JSON().with_variant(JSONB(), "postgresql")
#: JSON document or SQL NULL (Python None means "absent", not JSON null).
JSON_OR_NULL: Final = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _scale_check(column: str, *, nullable: bool = False) -> CheckConstraint:
    rule = f"{column} BETWEEN {MIN_SCALE} AND {MAX_SCALE}"
    return CheckConstraint(f"{column} IS NULL OR {rule}" if nullable else rule, name=column)


def _in_check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class Base(DeclarativeBase):
    """Declarative base with the naming convention and UTC timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012 - SQLAlchemy's API


class Setting(Base):
    """Profile and settings: one JSON value per key (the profile is under ``"profile"``)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON_VALUE)
    updated_at: Mapped[datetime]


class Screening(Base):
    """The answers of one intake screening."""

    __tablename__ = "screening"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    answers: Mapped[Any] = mapped_column(JSON_VALUE)


class Plan(Base):
    """One version of the person's plan; each change is a new row with its reason."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    plan: Mapped[Any] = mapped_column(JSON_VALUE)
    reason: Mapped[str] = mapped_column(Text)


class GuidedSession(Base):
    """One guided exercise session."""

    __tablename__ = "guided_session"
    __table_args__ = (_in_check("status", SESSION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[str] = mapped_column(String(NAME_CHARS))
    params: Mapped[Any] = mapped_column(JSON_VALUE)
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    #: The process running the session while it runs (revision 0003); not exported.
    pid: Mapped[int | None]

    steps: Mapped[list[Step]] = relationship(order_by="Step.id", viewonly=True)
    ratings: Mapped[list[CalmRating]] = relationship(order_by="CalmRating.id", viewonly=True)
    feedback: Mapped[list[Feedback]] = relationship(order_by="Feedback.id", viewonly=True)
    gratitude: Mapped[list[Gratitude]] = relationship(order_by="Gratitude.id", viewonly=True)


class Step(Base):
    """One step of a session as it was done."""

    __tablename__ = "session_step"
    __table_args__ = (CheckConstraint("active_s >= 0", name="active_s"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("guided_session.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[str] = mapped_column(String(NAME_CHARS))
    kind: Mapped[str] = mapped_column(String(NAME_CHARS))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    active_s: Mapped[float] = mapped_column(Double)
    outcome: Mapped[str] = mapped_column(String(NAME_CHARS))


class CalmRating(Base):
    """How calm the person felt before or after a session, 0-10."""

    __tablename__ = "calm_rating"
    __table_args__ = (
        UniqueConstraint("session_id", "moment"),
        _in_check("moment", RATING_MOMENTS),
        _scale_check("calm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("guided_session.id", ondelete="CASCADE"))
    moment: Mapped[str] = mapped_column(String(10))
    calm: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class Feedback(Base):
    """What the person noticed after a session: free text and symptom ids."""

    __tablename__ = "session_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("guided_session.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    symptoms: Mapped[Any] = mapped_column(JSON_VALUE)


class Gratitude(Base):
    """One thing the person was grateful for, written during a session."""

    __tablename__ = "gratitude"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("guided_session.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class Checkin(Base):
    """A daily check-in: six 0-10 ratings (each may be skipped), a note and warning signs.

    ``symptoms`` holds the ids of the warning signs reported with it (the ids of
    :mod:`vagus.program.safety`), a JSON list; before revision 0002 they ended the note as
    ``[symptoms: a, b]``.
    """

    __tablename__ = "checkin"
    __table_args__ = tuple(_scale_check(name, nullable=True) for name in CHECKIN_FIELDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    sleep: Mapped[int | None]
    headache: Mapped[int | None]
    digestion: Mapped[int | None]
    anxiety: Mapped[int | None]
    pain: Mapped[int | None]
    fatigue: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # The server default fills the rows that existed before the column (and any insert that
    # leaves it out); the journal's own inserts always give it.
    symptoms: Mapped[Any] = mapped_column(JSON_VALUE, server_default=text("'[]'"))


class Questionnaire(Base):
    """A scored questionnaire (PHQ-8, GAD-7, ...)."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(NAME_CHARS))
    answers: Mapped[Any] = mapped_column(JSON_VALUE)
    score: Mapped[float] = mapped_column(Double)
    severity: Mapped[str | None] = mapped_column(String(NAME_CHARS))


class Recording(Base):
    """An RR recording; its beats are in :class:`Beat`, its analysis here when finished."""

    __tablename__ = "rr_recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(KEY_CHARS))
    tags: Mapped[Any] = mapped_column(JSON_VALUE)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("guided_session.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    analysis: Mapped[Any] = mapped_column(JSON_OR_NULL, nullable=True)


class Beat(Base):
    """One RR interval of a recording, in arrival order (``seq`` counts from 0)."""

    __tablename__ = "rr_beat"
    __table_args__ = (CheckConstraint("rr_ms > 0", name="rr_ms"),)

    recording_id: Mapped[int] = mapped_column(
        ForeignKey("rr_recording.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rr_ms: Mapped[float] = mapped_column(Double)


#: Every table, parents before children (insert order; delete in reverse).
TABLES: Final = (
    Setting,
    Screening,
    Plan,
    GuidedSession,
    Step,
    CalmRating,
    Feedback,
    Gratitude,
    Checkin,
    Questionnaire,
    Recording,
    Beat,
)
