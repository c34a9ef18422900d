"""The journal: everything a person does and measures, kept on their own machine.

SQLAlchemy 2 models, a small repository API (:class:`Journal`) and Alembic migrations that ship
inside the package and run when the journal is opened. SQLite by default (WAL, synchronous=FULL,
foreign keys on), PostgreSQL when the URL says ``postgresql+psycopg://``.

>>> from datetime import UTC, datetime
>>> with Journal.open("sqlite://") as journal:
...     start = datetime(2024, 5, 1, 7, tzinfo=UTC)
...     recording = journal.start_recording("replay", start, ["morning"])
...     journal.append_beats(recording, [812.0, 798.5, 805.25])
...     journal.recording_rr(recording)
3
[812.0, 798.5, 805.25]
"""

from vagus.journal._errors import JournalError
from vagus.journal._export import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SECTIONS,
    export_schema_markdown,
    read_export,
    write_export,
)
from vagus.journal._history import ENTRY_TYPES, EntryType
from vagus.journal._journal import (
    FINAL_STATUSES,
    Clock,
    FinalStatus,
    Journal,
    Moment,
    PlanRecord,
    ScreeningRecord,
    utc_now,
)
from vagus.journal._migrate import head_revision, schema_differences, upgrade
from vagus.journal._models import CHECKIN_FIELDS, RATING_MOMENTS, SESSION_STATUSES

__all__ = [
    "CHECKIN_FIELDS",
    "ENTRY_TYPES",
    "FINAL_STATUSES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "RATING_MOMENTS",
    "SECTIONS",
    "SESSION_STATUSES",
    "Clock",
    "EntryType",
    "FinalStatus",
    "Journal",
    "JournalError",
    "Moment",
    "PlanRecord",
    "ScreeningRecord",
    "export_schema_markdown",
    "head_revision",
    "read_export",
    "schema_differences",
    "upgrade",
    "utc_now",
    "write_export",
]
