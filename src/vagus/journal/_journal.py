"""The journal's repository API: one method, one transaction.

Every method checks its input first and raises :class:`JournalError` (naming the field and what
was expected) before anything is written; what it writes commits at once, so a crash keeps
everything a method had returned from. Time is UTC in and out and can be injected (``clock``).

>>> from datetime import UTC, datetime
>>> with Journal.open("sqlite://") as journal:
...     t0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
...     session_id = journal.start_session("belly_breathing", {"inhale_s": 4}, at=t0)
...     _ = journal.add_rating(session_id, "before", 3)
...     journal.finish_session(session_id, "completed", at=t0.replace(minute=35))
...     [entry["status"] for entry in journal.history(types=["session"])]
['completed']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self, cast

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vagus.journal import _history
from vagus.journal import _validate as check
from vagus.journal._engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    make_engine,
    normalise_url,
    shown_url,
    sqlite_path,
    vacuum_sqlite,
    write_engine,
)
from vagus.journal._errors import JournalError, bad
from vagus.journal._export import (
    BATCH_ROWS,
    ImportedRecords,
    ParsedExport,
    beat_batches,
    export_tables,
    import_records,
    parse_export,
    undo_beats,
    undo_records,
)
from vagus.journal._history import ENTRY_TYPES, EntryType
from vagus.journal._lock import WriterLock
from vagus.journal._migrate import upgrade
from vagus.journal._models import (
    RATING_MOMENTS,
    SESSION_STATUSES,
    TABLES,
    Beat,
    CalmRating,
    Checkin,
    Feedback,
    Gratitude,
    GuidedSession,
    Plan,
    Questionnaire,
    Recording,
    Screening,
    Setting,
    Step,
)

Clock = Callable[[], datetime]
Moment = Literal["before", "after"]
FinalStatus = Literal["completed", "aborted", "stopped", "interrupted"]
#: Statuses that end a session (every status but ``running``).
FINAL_STATUSES: Final[tuple[str, ...]] = tuple(s for s in SESSION_STATUSES if s != "running")
#: The setting key under which the profile is kept.
PROFILE_KEY: Final = "profile"
#: Longest wait for the other SQLite writers, in seconds: SQLite's busy timeout.
WRITE_LOCK_TIMEOUT_S: Final[float] = SQLITE_BUSY_TIMEOUT_MS / 1000
#: How long :meth:`Journal.forget` waits for readers of an older snapshot before it says the
#: old pages are still in the file: vagus's own readers hold one for a single request.
CHECKPOINT_WAIT_S: Final[float] = 2.0
#: One check-in, inserted with SQLAlchemy Core: the ORM's unit of work cost more than the
#: insert and its commit (add_checkin: 1.0-1.2 ms of CPU with the ORM, 0.4 ms with Core).
_INSERT_CHECKIN: Final = insert(Checkin)


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScreeningRecord:
    """A stored screening."""

    id: int
    at: datetime
    answers: dict[str, Any]


@dataclass(frozen=True)
class PlanRecord:
    """A stored version of the plan, with the reason it changed."""

    id: int
    at: datetime
    plan: dict[str, Any]
    reason: str


class Journal:
    """The journal: settings, screenings, plans, sessions, check-ins, questionnaires, RR data.

    Open it with :meth:`open` (migrates the schema first) and close it, or use it as a context
    manager. Methods are safe to call from several threads; each uses its own transaction.
    """

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._write_engine = write_engine(engine)
        self._clock = clock
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=self._write_engine, expire_on_commit=False)
        # SQLite's writers queue in vagus, not in SQLite's sleepy busy handler (see _lock).
        # PostgreSQL has row locks and needs none.
        self._write_lock: WriterLock | None = (
            WriterLock(sqlite_path(engine.url), timeout_s=WRITE_LOCK_TIMEOUT_S)
            if engine.dialect.name == "sqlite"
            else None
        )

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, url: str | URL, *, clock: Clock = utc_now) -> Self:
        """Open the journal at ``url``, creating or migrating its schema first.

        Parameters
        ----------
        url : str or sqlalchemy.engine.URL
            ``sqlite:///path/to/journal.sqlite3`` (the file and its folder are created,
            owner-only), ``sqlite://`` (in memory: one thread only, for examples and tests)
            or ``postgresql+psycopg://user@host/db`` (``postgresql://`` means the same).
        clock : callable, optional
            Returns the current time (timezone-aware); used where a method's ``at`` is omitted.

        Raises
        ------
        JournalError
            For an unsupported URL, a database that cannot be opened, or one written by a newer
            vagus.
        """
        parsed = normalise_url(url)
        engine = make_engine(parsed)
        try:
            upgrade(engine)
        except JournalError:
            engine.dispose()
            raise
        except (DBAPIError, SQLAlchemyError) as error:
            engine.dispose()
            reason = getattr(error, "orig", None) or error
            raise JournalError(
                f"{shown_url(parsed)}: cannot open the journal ({reason})", field="database_url"
            ) from None
        return cls(engine, clock=clock)

    @property
    def is_sqlite(self) -> bool:
        """The journal is an SQLite file (or in memory), not a PostgreSQL database."""
        return self._engine.dialect.name == "sqlite"

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return shown_url(self._engine.url)

    def close(self) -> None:
        """Release the database connections (everything is already committed)."""
        self._engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------

    def _one_writer(self) -> AbstractContextManager[None]:
        """Wait for the other SQLite writers, of this process and others (see ``_lock``).

        Waits at most SQLite's busy timeout; past it raises :class:`vagus.errors.BusyError`
        (nothing written), as SQLite itself would refuse the write then ("database is
        locked"). vagus's own long writes commit in batches, so it waits about one batch.
        """
        return nullcontext() if self._write_lock is None else self._write_lock.hold()

    @contextmanager
    def writer_if_free(self) -> Iterator[bool]:
        """True, and holding the writer lock, when a write now would not wait for another.

        For callers on an event loop (the web app): inside this block, when it says True, this
        thread's journal writes go ahead at once, so they can run on the loop itself; when it
        says False (another thread or process is writing, or the journal is not SQLite, whose
        writes go over the network), hand the write to a worker thread to wait there::

            with journal.writer_if_free() as free:
                row = journal.add_checkin(...) if free else None
            if row is None:
                row = await asyncio.to_thread(journal.add_checkin, ...)

        SQLite's own lock can still make the write wait (a program that does not take the
        writer lock, such as the ``sqlite3`` shell, holds the file), up to the busy timeout.
        """
        if self._write_lock is None:
            yield False
            return
        with self._write_lock.hold_if_free() as free:
            yield free

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction: commit on success, roll back on any error."""
        try:
            with self._one_writer(), self._writer.begin() as session:
                yield session
        except IntegrityError as error:
            # The checks run first, so this is a race (two writers) or a bug; either way the
            # transaction rolled back and nothing changed.
            raise JournalError(f"refused by the database: {error.orig}") from None

    @contextmanager
    def _write_core(self) -> Iterator[Connection]:
        """:meth:`_write` for SQLAlchemy Core statements: no ORM unit of work to flush."""
        try:
            with self._one_writer(), self._write_engine.begin() as connection:
                yield connection
        except IntegrityError as error:
            raise JournalError(f"refused by the database: {error.orig}") from None

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    def _connect(self) -> AbstractContextManager[Connection]:
        """A connection for Core reads; its statements share one transaction (a snapshot on
        SQLite), rolled back when it closes."""
        return self._engine.connect()

    def _at(self, field: str, value: datetime | None) -> datetime:
        return check.aware(field, self._clock() if value is None else value)

    @staticmethod
    def _session_row(session: Session, session_id: Any, *, lock: bool = False) -> GuidedSession:
        row = session.get(
            GuidedSession, check.row_id("session_id", session_id), with_for_update=lock
        )
        if row is None:
            raise bad("session_id", "the id of a stored session", session_id)
        return row

    @staticmethod
    def _recording_row(session: Session, recording_id: Any, *, lock: bool = False) -> Recording:
        row = session.get(
            Recording, check.row_id("recording_id", recording_id), with_for_update=lock
        )
        if row is None:
            raise bad("recording_id", "the id of a stored recording", recording_id)
        return row

    # -- settings and profile -------------------------------------------------------------

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (replacing any earlier value)."""
        key = check.key("key", key)
        value = check.document("value", value)
        with self._write() as session:
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=value, updated_at=self._at("at", None)))
            else:
                row.value = value
                row.updated_at = self._at("at", None)

    def get_setting(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        key = check.key("key", key)
        with self._read() as session:
            row = session.get(Setting, key)
            return default if row is None else row.value

    def settings(self) -> dict[str, Any]:
        """Every stored setting, by key."""
        with self._read() as session:
            return {
                row.key: row.value for row in session.scalars(select(Setting).order_by(Setting.key))
            }

    def set_profile(self, profile: Mapping[str, Any]) -> None:
        """Store the person's profile (a JSON object) under the ``profile`` setting."""
        self.set_setting(PROFILE_KEY, check.mapping("profile", profile))

    def profile(self) -> dict[str, Any]:
        """The stored profile, or an empty dict."""
        value = self.get_setting(PROFILE_KEY, {})
        return dict(value) if isinstance(value, dict) else {}

    # -- screening and plans --------------------------------------------------------------

    def save_screening(self, answers: Mapping[str, Any], at: datetime | None = None) -> int:
        """Store the answers of an intake screening; returns its id."""
        clean = check.mapping("answers", answers)
        when = self._at("at", at)
        with self._write() as session:
            row = Screening(at=when, answers=clean)
            session.add(row)
            session.flush()
            return row.id

    def latest_screening(self) -> ScreeningRecord | None:
        """The most recent screening (by time, then id), or None."""
        with self._read() as session:
            row = session.scalars(
                select(Screening).order_by(Screening.at.desc(), Screening.id.desc()).limit(1)
            ).first()
            return None if row is None else ScreeningRecord(row.id, row.at, dict(row.answers))

    def save_plan(self, plan: Mapping[str, Any], reason: str, at: datetime | None = None) -> int:
        """Store a new version of the plan and why it changed; returns its id."""
        clean = check.mapping("plan", plan)
        why = check.text("reason", reason)
        when = self._at("at", at)
        with self._write() as session:
            row = Plan(at=when, plan=clean, reason=why)
            session.add(row)
            session.flush()
            return row.id

    def latest_plan(self) -> PlanRecord | None:
        """The current plan (the newest version), or None."""
        with self._read() as session:
            row = session.scalars(
                select(Plan).order_by(Plan.at.desc(), Plan.id.desc()).limit(1)
            ).first()
            return None if row is None else PlanRecord(row.id, row.at, dict(row.plan), row.reason)

    def plans(self) -> list[PlanRecord]:
        """Every version of the plan, oldest first: how it changed and why."""
        with self._read() as session:
            rows = session.scalars(select(Plan).order_by(Plan.at, Plan.id))
            return [PlanRecord(row.id, row.at, dict(row.plan), row.reason) for row in rows]

    # -- guided sessions ------------------------------------------------------------------

    def start_session(
        self,
        exercise_id: str,
        params: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        pid: int | None = None,
    ) -> int:
        """Store the start of a guided session (status ``running``); returns its id.

        ``pid`` is the process that runs it, stored in the same transaction, so another
        process never sees the session without its owner (see :meth:`running_sessions`).
        """
        exercise = check.name("exercise_id", exercise_id)
        clean = check.mapping("params", {} if params is None else params)
        when = self._at("at", at)
        with self._write() as session:
            row = GuidedSession(
                exercise_id=exercise, params=clean, started_at=when, status="running", pid=pid
            )
            session.add(row)
            session.flush()
            return row.id

    def record_step(
        self,
        session_id: int,
        step_id: str,
        kind: str,
        started_at: datetime,
        ended_at: datetime,
        active_s: float,
        outcome: str,
    ) -> int:
        """Store one step of a running session, committed at once; returns the step's row id.

        Parameters
        ----------
        session_id : int
            A running session.
        step_id, kind : str
            The step's id in the exercise and its kind (as the program names them).
        started_at, ended_at : datetime
            When the step started and ended (``ended_at >= started_at``).
        active_s : float
            Seconds the person was actually doing the step (pauses excluded), >= 0.
        outcome : str
            How the step ended (for example ``done``, ``skipped``, ``stopped``).
        """
        step = check.name("step_id", step_id)
        step_kind = check.name("kind", kind)
        start = check.aware("started_at", started_at)
        end = check.after("ended_at", check.aware("ended_at", ended_at), start, "started_at")
        active = check.number("active_s", active_s, minimum=0.0)
        result = check.name("outcome", outcome)
        with self._write() as session:
            parent = self._session_row(session, session_id, lock=True)
            if parent.status != "running":
                raise bad(
                    "session_id", "a running session", f"session {parent.id} is {parent.status}"
                )
            row = Step(
                session_id=parent.id,
                step_id=step,
                kind=step_kind,
                started_at=start,
                ended_at=end,
                active_s=active,
                outcome=result,
            )
            session.add(row)
            session.flush()
            return row.id

    def finish_session(
        self, session_id: int, status: FinalStatus, at: datetime | None = None
    ) -> None:
        """End a running session with ``status`` (completed, aborted, stopped, interrupted)."""
        final = check.choice("status", status, FINAL_STATUSES)
        when = self._at("at", at)
        with self._write() as session:
            row = self._session_row(session, session_id, lock=True)
            if row.status != "running":
                raise bad("session_id", "a running session", f"session {row.id} is {row.status}")
            row.ended_at = check.after("at", when, row.started_at, "the session's start")
            row.status = final

    def running_sessions(self) -> dict[int, int | None]:
        """Sessions still marked running, with the process that runs each (None if unknown);
        after a crash the app marks those whose process is gone as interrupted."""
        with self._read() as session:
            query = select(GuidedSession.id, GuidedSession.pid).where(
                GuidedSession.status == "running"
            )
            rows = session.execute(query.order_by(GuidedSession.id))
            return {int(row_id): pid for row_id, pid in rows}

    def add_rating(
        self, session_id: int, moment: Moment, calm: int, at: datetime | None = None
    ) -> int:
        """Store how calm the person felt (0-10) before or after a session; one of each."""
        which = check.choice("moment", moment, RATING_MOMENTS)
        value = check.scale("calm", calm)
        when = self._at("at", at)
        with self._write() as session:
            parent = self._session_row(session, session_id, lock=True)
            existing = session.scalar(
                select(CalmRating.id).where(
                    CalmRating.session_id == parent.id, CalmRating.moment == which
                )
            )
            if existing is not None:
                raise bad("moment", f"a moment not yet rated for session {parent.id}", which)
            row = CalmRating(session_id=parent.id, moment=which, calm=value, at=when)
            session.add(row)
            session.flush()
            return row.id

    def add_feedback(
        self, session_id: int, text: str, symptoms: Sequence[str] = (), at: datetime | None = None
    ) -> int:
        """Store what the person noticed after a session: text and symptom ids."""
        note = check.text("text", text)
        ids = check.names("symptoms", symptoms)
        when = self._at("at", at)
        with self._write() as session:
            parent = self._session_row(session, session_id)
            row = Feedback(session_id=parent.id, at=when, text=note, symptoms=ids)
            session.add(row)
            session.flush()
            return row.id

    def add_gratitude(self, session_id: int, text: str, at: datetime | None = None) -> int:
        """Store one thing the person is grateful for, written during a session."""
        note = check.text("text", text, empty=False)
        when = self._at("at", at)
        with self._write() as session:
            parent = self._session_row(session, session_id)
            row = Gratitude(session_id=parent.id, at=when, text=note)
            session.add(row)
            session.flush()
            return row.id

    def session(self, session_id: int) -> dict[str, Any]:
        """One session with its steps, ratings, feedback, gratitude and recordings."""
        row_id = check.row_id("session_id", session_id)
        with self._connect() as connection:
            entry = _history.entries_by_id(connection, "session", [row_id]).get(row_id)
        if entry is None:
            raise bad("session_id", "the id of a stored session", session_id)
        return entry

    def discard_session(self, session_id: int) -> None:
        """Delete a session that has no recorded step, with its ratings, feedback and gratitude.

        For a session that was started but never got going (cancelled before its first step):
        it leaves no trace in the history. Recordings linked to it are kept, unlinked
        (``session_id`` null); delete them with :meth:`delete_recording` if they must go too.

        Raises
        ------
        JournalError
            Naming ``session_id``: an unknown session, or one with recorded steps (what was
            done stays in the journal).
        """
        with self._write() as session:
            # Locked, so that no step can be recorded between the count and the delete
            # (record_step locks the same row; on SQLite the writer lock does the same).
            row = self._session_row(session, session_id, lock=True)
            steps = int(
                session.scalar(
                    select(func.count()).select_from(Step).where(Step.session_id == row.id)
                )
                or 0
            )
            if steps:
                raise bad(
                    "session_id",
                    "a session without recorded steps",
                    f"session {row.id} has {steps} step{'s' if steps > 1 else ''}",
                )
            # Explicit deletes rather than the foreign keys' ON DELETE: the same on every
            # database, whatever its foreign-key setting.
            for model in (CalmRating, Feedback, Gratitude):
                session.execute(delete(model).where(model.session_id == row.id))
            session.execute(
                update(Recording).where(Recording.session_id == row.id).values(session_id=None)
            )
            session.execute(delete(GuidedSession).where(GuidedSession.id == row.id))

    # -- check-ins and questionnaires -----------------------------------------------------

    def add_checkin(
        self,
        at: datetime | None = None,
        *,
        sleep: int | None = None,
        headache: int | None = None,
        digestion: int | None = None,
        anxiety: int | None = None,
        pain: int | None = None,
        fatigue: int | None = None,
        note: str | None = None,
        symptoms: Sequence[str] = (),
    ) -> int:
        """Store a check-in: 0-10 ratings (any may be skipped), a note and warning signs.

        ``sleep`` is how well the person slept (0 very badly, 10 very well); the others are
        how much of each they have (0 none, 10 the worst they can imagine). ``symptoms`` are
        the ids of warning signs the person has now (:func:`vagus.program.safety.symptoms`),
        each once; an unknown id is refused. At least one rating, a note or a symptom is
        needed. Returns the check-in's id.
        """
        values = {
            "sleep": sleep,
            "headache": headache,
            "digestion": digestion,
            "anxiety": anxiety,
            "pain": pain,
            "fatigue": fatigue,
        }
        clean = {name: check.optional_scale(name, value) for name, value in values.items()}
        text_ = check.optional_text("note", note)
        signs = check.known_symptoms("symptoms", symptoms)
        if not check.checkin_has_content(clean, text_, signs):
            raise bad("checkin", check.CHECKIN_CONTENT, values)
        when = self._at("at", at)
        with self._write_core() as connection:
            result = connection.execute(
                _INSERT_CHECKIN, {"at": when, "note": text_, "symptoms": signs, **clean}
            )
            # A single-row INSERT always knows its key (SQLite: lastrowid).
            key = cast("Sequence[int]", result.inserted_primary_key)
            return int(key[0])

    def add_questionnaire(
        self,
        at: datetime | None,
        name: str,
        answers: Any,
        score: float,
        severity: str | None = None,
    ) -> int:
        """Store a scored questionnaire (such as ``PHQ-8``; answers as JSON); returns its id."""
        title = check.name("name", name)
        clean = check.document("answers", answers)
        points = check.number("score", score)
        level = check.optional_name("severity", severity)
        when = self._at("at", at)
        with self._write() as session:
            row = Questionnaire(at=when, name=title, answers=clean, score=points, severity=level)
            session.add(row)
            session.flush()
            return row.id

    # -- RR recordings --------------------------------------------------------------------

    def start_recording(
        self,
        source: str,
        at: datetime | None = None,
        tags: Sequence[str] = (),
        session_id: int | None = None,
    ) -> int:
        """Store the start of an RR recording; returns its id.

        Parameters
        ----------
        source : str
            Where the beats come from (a sensor name, ``replay``, a file name).
        tags : sequence of str
            Labels such as ``morning`` or ``rest``.
        session_id : int, optional
            The guided session the recording belongs to.
        """
        origin = check.name("source", source, max_chars=200)
        labels = check.names("tags", tags)
        when = self._at("at", at)
        with self._write() as session:
            parent = None if session_id is None else self._session_row(session, session_id).id
            row = Recording(source=origin, tags=labels, session_id=parent, started_at=when)
            session.add(row)
            session.flush()
            return row.id

    def append_beats(self, recording_id: int, rr_ms: Iterable[float]) -> int:
        """Append RR intervals (ms) to an open recording, committed at once.

        More than :data:`~vagus.journal._export.BATCH_ROWS` beats (a long file) are written in
        transactions of that many, so that other writers wait for one batch only; if a batch
        fails, the beats this call wrote are deleted again (all or nothing, as one call).

        Returns
        -------
        int
            How many beats the recording holds now.
        """
        values = check.rr_intervals("rr_ms", rr_ms)
        with self._write() as session:
            row = self._recording_row(session, recording_id, lock=True)
            if row.ended_at is not None:
                raise bad("recording_id", "an open recording", f"recording {row.id} is finished")
            start = session.scalar(
                select(func.coalesce(func.max(Beat.seq) + 1, 0)).where(Beat.recording_id == row.id)
            )
            first, key = int(start or 0), row.id
            if values:
                session.execute(insert(Beat), self._beat_rows(key, first, values[:BATCH_ROWS]))
        written = min(len(values), BATCH_ROWS)
        try:
            while written < len(values):
                chunk = values[written : written + BATCH_ROWS]
                with self._write_core() as connection:
                    connection.execute(insert(Beat), self._beat_rows(key, first + written, chunk))
                written += len(chunk)
        except BaseException:
            for done in range(0, written, BATCH_ROWS):
                with self._write_core() as connection:
                    undo_beats(connection, key, first + done, BATCH_ROWS)
            raise
        return first + len(values)

    @staticmethod
    def _beat_rows(recording_id: int, first: int, values: Sequence[float]) -> list[dict[str, Any]]:
        return [
            {"recording_id": recording_id, "seq": first + index, "rr_ms": value}
            for index, value in enumerate(values)
        ]

    def finish_recording(
        self,
        recording_id: int,
        at: datetime | None = None,
        analysis: Mapping[str, Any] | None = None,
    ) -> None:
        """Close a recording and store its analysis (a JSON object, for example the HRV report)."""
        result = check.optional_mapping("analysis", analysis)
        when = self._at("at", at)
        with self._write() as session:
            row = self._recording_row(session, recording_id, lock=True)
            if row.ended_at is not None:
                raise bad("recording_id", "an open recording", f"recording {row.id} is finished")
            row.ended_at = check.after("at", when, row.started_at, "the recording's start")
            row.analysis = result

    def recording_rr(self, recording_id: int) -> list[float]:
        """The recording's RR intervals in ms, in the order they arrived."""
        with self._read() as session:
            row = self._recording_row(session, recording_id)
            query = select(Beat.rr_ms).where(Beat.recording_id == row.id).order_by(Beat.seq)
            return list(session.scalars(query))

    def recording(self, recording_id: int) -> dict[str, Any]:
        """One recording as a history entry (without its beats; see :meth:`recording_rr`)."""
        row_id = check.row_id("recording_id", recording_id)
        with self._connect() as connection:
            entry = _history.entries_by_id(connection, "measurement", [row_id]).get(row_id)
        if entry is None:
            raise bad("recording_id", "the id of a stored recording", recording_id)
        return entry

    def set_recording_tags(self, recording_id: int, tags: Sequence[str]) -> None:
        """Replace a recording's tags (labels such as ``morning`` or ``rest``)."""
        labels = check.names("tags", tags)
        with self._write() as session:
            row = self._recording_row(session, recording_id, lock=True)
            row.tags = labels

    def delete_recording(self, recording_id: int) -> None:
        """Delete a recording and its beats, for good (for example a measurement too short to
        analyse). Open or finished alike; a later :meth:`append_beats` to it is refused."""
        with self._write() as session:
            row = self._recording_row(session, recording_id, lock=True)
            session.execute(delete(Beat).where(Beat.recording_id == row.id))
            session.execute(delete(Recording).where(Recording.id == row.id))

    def unfinished_recordings(self) -> list[int]:
        """Ids of recordings that were never finished (for example after a crash)."""
        with self._read() as session:
            query = select(Recording.id).where(Recording.ended_at.is_(None)).order_by(Recording.id)
            return list(session.scalars(query))

    # -- history ----------------------------------------------------------------------------

    def history(
        self,
        types: Iterable[EntryType] | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Everything that happened, newest first, as JSON-ready dicts.

        Parameters
        ----------
        types : iterable of str, optional
            Some of ``session``, ``checkin``, ``measurement``, ``questionnaire``,
            ``screening``, ``plan`` (all when omitted).
        since : datetime, optional
            Only entries that started at or after this time.
        limit : int, optional
            At most this many entries (the newest).

        Returns
        -------
        list of dict
            Each has ``type``, ``id``, ``started_at`` (ISO 8601 with offset) and its fields;
            sessions carry their steps, ratings, feedback, gratitude and recording ids
            (``recording_ids``), check-ins their ``symptoms`` (a list of symptom ids) and
            measurements their ``n_beats``. Entries that started at the same instant come in
            the order of ``ENTRY_TYPES`` (a session before its recording), then newest id first.
        """
        kinds = self._entry_types(types)
        start = None if since is None else check.aware("since", since)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise bad("limit", "a whole number >= 0", limit)
        with self._connect() as connection:
            return _history.history(connection, kinds, start, limit)

    @staticmethod
    def _entry_types(types: Iterable[EntryType] | None) -> tuple[EntryType, ...]:
        if types is None:
            return ENTRY_TYPES
        if isinstance(types, str):
            types = [types]  # type: ignore[list-item]  # a single type is a common slip
        chosen = list(types)
        for item in chosen:
            check.choice("types", item, ENTRY_TYPES)
        return tuple(kind for kind in ENTRY_TYPES if kind in chosen)

    # -- export, import, forget -------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """Everything in the journal as one JSON-ready dict (see docs/export-schema.md).

        Read in one transaction that sees a single moment (SQLite's read transactions do;
        PostgreSQL's need REPEATABLE READ), so beats appended meanwhile cannot half appear.
        """
        when = self._at("exported_at", None)
        with self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with Session(bind=connection) as session:
                return export_tables(session, exported_at=when)

    def import_(self, data: Mapping[str, Any]) -> dict[str, int]:
        """Load an export into this journal, which must hold no records yet.

        The whole file is checked before anything is written: a corrupt or wrong-version file
        changes nothing. Ids are kept, so an export, forget, import round trip gives back the
        same export. Settings are merged (the file's values win); every other table must be
        empty, so an import can never duplicate records.

        Written in short transactions, so that other writers (a check-in) wait for one batch
        of at most :data:`~vagus.journal._export.BATCH_ROWS` beats, not for the whole import
        (issue 11, finding 8): first every record but the beats (with the check that the
        journal holds none), then the beats in batches. If any batch fails (or the import is
        interrupted), what the import wrote is deleted again, so a failed import leaves the
        journal as it was. While the beats are written, a reader may see a recording with part
        of its beats.

        Returns
        -------
        dict of str to int
            How many rows of each kind were imported (``beats`` counts RR intervals).

        Raises
        ------
        JournalError
            For a file that is not a valid export, or a journal that holds records.
        vagus.errors.BusyError
            When another writer kept the journal past the busy timeout (nothing is imported).
        """
        parsed = parse_export(data)
        with self._write() as session:
            imported = import_records(session, parsed)
        try:
            for batch in beat_batches(parsed.beats):
                with self._write_core() as connection:
                    connection.execute(insert(Beat), batch)
        except BaseException:
            self._undo_import(parsed, imported)
            raise
        return imported.counts

    def _undo_import(self, parsed: ParsedExport, imported: ImportedRecords) -> None:
        """Delete what an import wrote, in batches like the import (see :meth:`import_`)."""
        for recording_id, values in parsed.beats.items():
            for first in range(0, len(values), BATCH_ROWS):
                with self._write_core() as connection:
                    undo_beats(connection, recording_id, first, BATCH_ROWS)
        with self._write() as session:
            undo_records(session, parsed, imported)

    def count_entries(self, types: Iterable[EntryType] | None = None) -> int:
        """How many entries :meth:`history` holds (of some types): one row each, counted in
        one statement over those tables only (never the beats)."""
        kinds = self._entry_types(types)
        if not kinds:
            return 0
        with self._connect() as connection:
            return _history.count(connection, kinds)

    def counts(self) -> dict[str, int]:
        """How many rows each table holds, by table name."""
        with self._read() as session:
            return {
                model.__tablename__: int(
                    session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in TABLES
            }

    def forget(self) -> bool:
        """Delete everything in the journal, for good.

        Rows are deleted in one transaction. On SQLite, ``secure_delete`` overwrites what they
        held, and the file is then rebuilt (VACUUM) and its write-ahead log copied back and
        emptied (``wal_checkpoint(TRUNCATE)``), so the health data does not linger in the
        files. The schema stays, ready for new entries.

        Returns
        -------
        bool
            True when the deleted data is gone from the database's files too. False when
            another program kept the SQLite file open (a reader of an older snapshot, which a
            checkpoint may not overwrite: https://www.sqlite.org/wal.html#checkpoint_starvation)
            beyond the busy timeout: the entries are deleted, but old copies stay in the main
            file until that program closes it (SQLite then copies the log back) or the next
            ``forget``. Always True on PostgreSQL, whose server reclaims deleted rows with its
            own VACUUM.
        """
        with self._one_writer():
            with self._write() as session:
                for model in reversed(TABLES):
                    session.execute(delete(model))
            path = sqlite_path(self._engine.url)
            if path is None:
                return True
            # Pooled connections must not hold the file while it is rebuilt.
            self._engine.dispose()
            return vacuum_sqlite(path, timeout_s=CHECKPOINT_WAIT_S)
