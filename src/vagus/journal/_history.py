"""The journal's history, read with SQLAlchemy Core: one query picks the entries, then one query
per kind of entry found (and per child table of the sessions found) fetches them.

Why not the ORM: it built a query per entry type on every call, loaded up to ``limit`` mapped
objects of *each* type and threw most of them away after sorting, 6 ms for
``history(limit=50)`` on a journal of 2,000 check-ins, most of it SQLAlchemy building
statements and instances (cProfile). Here

- the statements are built once, with bound parameters (SQLAlchemy then reuses their
  compiled form);
- the newest entries across all tables are picked by the database in one query,
  ``UNION ALL ... ORDER BY time DESC, kind, id DESC LIMIT n``, which SQLite answers by merging
  the tables' time indexes (``EXPLAIN QUERY PLAN``: ``MERGE (UNION ALL)`` over one
  ``SCAN ... USING COVERING INDEX`` per table), so it reads about ``n`` index entries;
- each kind's rows are then fetched by time: every entry of a kind newer than the oldest one
  picked is itself picked, so ``time >= oldest picked`` fetches the picked rows plus at most a
  few that share that oldest instant (dropped again), without an ``IN`` list of ids;
- rows become dicts directly, without ORM instances, and on SQLite those two queries run on
  the ``sqlite3`` connection itself, converted by the columns' own SQLAlchemy types
  (:func:`_fetch`).

The output is the ORM version's, key for key and in the same order (``tests/journal`` checks
the ordering rules, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, get_args

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Dialect,
    FromClause,
    Integer,
    Select,
    bindparam,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.sql.selectable import CompoundSelect
from sqlalchemy.types import NullType

from vagus.journal._models import (
    CHECKIN_FIELDS,
    RATING_MOMENTS,
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
    Step,
    UtcDateTime,
)
from vagus.journal._validate import iso

EntryType = Literal["session", "checkin", "measurement", "questionnaire", "screening", "plan"]
#: The kinds of entry :meth:`Journal.history` returns, in the order that breaks ties of time.
ENTRY_TYPES: Final[tuple[EntryType, ...]] = get_args(EntryType)
#: Most ids in one ``IN (...)`` list: far below SQLite's 32,766 bound parameters, and the
#: batch size SQLAlchemy's ``selectinload`` uses.
IDS_PER_QUERY: Final[int] = 500

Entry = dict[str, Any]
#: (kind, id) of an entry.
EntryKey = tuple[EntryType, int]
#: Turns one kind's rows into entries by id (some kinds read their child rows too).
Builder = Callable[[Connection, Sequence[Sequence[Any]]], dict[int, Entry]]

_SESSION: Final[FromClause] = GuidedSession.__table__
_STEP: Final[FromClause] = Step.__table__
_RATING: Final[FromClause] = CalmRating.__table__
_FEEDBACK: Final[FromClause] = Feedback.__table__
_GRATITUDE: Final[FromClause] = Gratitude.__table__
_CHECKIN: Final[FromClause] = Checkin.__table__
_RECORDING: Final[FromClause] = Recording.__table__
_BEAT: Final[FromClause] = Beat.__table__
_QUESTIONNAIRE: Final[FromClause] = Questionnaire.__table__
_SCREENING: Final[FromClause] = Screening.__table__
_PLAN: Final[FromClause] = Plan.__table__

#: Each kind's table and the column that says when the entry started.
_TIMED: Final[dict[EntryType, tuple[FromClause, ColumnElement[Any]]]] = {
    "session": (_SESSION, _SESSION.c.started_at),
    "checkin": (_CHECKIN, _CHECKIN.c.at),
    "measurement": (_RECORDING, _RECORDING.c.started_at),
    "questionnaire": (_QUESTIONNAIRE, _QUESTIONNAIRE.c.at),
    "screening": (_SCREENING, _SCREENING.c.at),
    "plan": (_PLAN, _PLAN.c.at),
}

#: The columns each kind's entry is built from, in the order the builders unpack them.
_COLUMNS: Final[dict[EntryType, tuple[ColumnElement[Any], ...]]] = {
    "session": (
        _SESSION.c.id,
        _SESSION.c.started_at,
        _SESSION.c.ended_at,
        _SESSION.c.exercise_id,
        _SESSION.c.params,
        _SESSION.c.status,
    ),
    "checkin": (
        _CHECKIN.c.id,
        _CHECKIN.c.at,
        *(_CHECKIN.c[name] for name in CHECKIN_FIELDS),
        _CHECKIN.c.note,
        _CHECKIN.c.symptoms,
    ),
    "measurement": (
        _RECORDING.c.id,
        _RECORDING.c.started_at,
        _RECORDING.c.ended_at,
        _RECORDING.c.source,
        _RECORDING.c.tags,
        _RECORDING.c.session_id,
        _RECORDING.c.analysis,
    ),
    "questionnaire": (
        _QUESTIONNAIRE.c.id,
        _QUESTIONNAIRE.c.at,
        _QUESTIONNAIRE.c.name,
        _QUESTIONNAIRE.c.answers,
        _QUESTIONNAIRE.c.score,
        _QUESTIONNAIRE.c.severity,
    ),
    "screening": (_SCREENING.c.id, _SCREENING.c.at, _SCREENING.c.answers),
    "plan": (_PLAN.c.id, _PLAN.c.at, _PLAN.c.plan, _PLAN.c.reason),
}


def _ids_param() -> BindParameter[Any]:
    return bindparam("ids", expanding=True)


#: One kind's rows by id (``ids``, expanding).
_BY_IDS: Final[dict[EntryType, Select[Any]]] = {
    kind: select(*columns).where(_TIMED[kind][0].c.id.in_(_ids_param()))
    for kind, columns in _COLUMNS.items()
}
#: One kind's rows that started at or after ``since``.
_SINCE: Final[dict[EntryType, Select[Any]]] = {
    kind: select(*columns).where(_TIMED[kind][1] >= bindparam("since", type_=UtcDateTime()))
    for kind, columns in _COLUMNS.items()
}


def _children(table: FromClause, *columns: ColumnElement[Any]) -> Select[Any]:
    return (
        select(table.c.session_id, *columns)
        .where(table.c.session_id.in_(_ids_param()))
        .order_by(table.c.id)
    )


_STEPS: Final = _children(
    _STEP,
    _STEP.c.id,
    _STEP.c.step_id,
    _STEP.c.kind,
    _STEP.c.started_at,
    _STEP.c.ended_at,
    _STEP.c.active_s,
    _STEP.c.outcome,
)
_RATINGS: Final = _children(_RATING, _RATING.c.moment, _RATING.c.calm)
_FEEDBACKS: Final = _children(
    _FEEDBACK, _FEEDBACK.c.id, _FEEDBACK.c.at, _FEEDBACK.c.text, _FEEDBACK.c.symptoms
)
_GRATITUDES: Final = _children(_GRATITUDE, _GRATITUDE.c.id, _GRATITUDE.c.at, _GRATITUDE.c.text)
_SESSION_RECORDINGS: Final = _children(_RECORDING, _RECORDING.c.id)
_BEAT_COUNTS: Final = (
    select(_BEAT.c.recording_id, func.count())
    .where(_BEAT.c.recording_id.in_(_ids_param()))
    .group_by(_BEAT.c.recording_id)
)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield list(ids[start : start + IDS_PER_QUERY])


@functools.cache
def key_query(
    kinds: tuple[EntryType, ...], with_since: bool, with_limit: bool
) -> Select[Any] | CompoundSelect[Any]:
    """The query that picks the entries: ``(rank, id, t)``, newest first.

    ``rank`` is the kind's place in :data:`ENTRY_TYPES` (ties of time go to the earlier kind,
    then to the newer id). Bound parameters: ``since`` (entries that started at or after it)
    and ``limit``. Built once per combination and cached, so a call only binds values.
    """
    since = bindparam("since", type_=UtcDateTime())
    arms = []
    for kind in kinds:
        table, started = _TIMED[kind]
        # The rank is our own small integer, written into the SQL as a constant.
        rank = literal_column(str(ENTRY_TYPES.index(kind)), Integer)
        # The time as the driver returns it: history() turns only the oldest of each kind
        # into a datetime, not all of them.
        moment = type_coerce(started, _RAW).label("t")
        arm = select(rank.label("rank"), table.c.id.label("id"), moment)
        if with_since:
            arm = arm.where(started >= since)
        arms.append(arm)
    query: Select[Any] | CompoundSelect[Any] = union_all(*arms) if len(arms) > 1 else arms[0]
    columns = query.selected_columns
    query = query.order_by(columns.t.desc(), columns.rank, columns.id.desc())
    if with_limit:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


@dataclass(frozen=True)
class _Compiled:
    """One statement compiled for SQLite, with SQLAlchemy's own processing of its values."""

    sql: str
    #: The bound parameters' names, in the order of the ``?`` they fill.
    order: tuple[str, ...]
    #: Values SQLAlchemy supplies itself (the ``OFFSET 0`` after a ``LIMIT``).
    defaults: dict[str, Any]
    #: Each parameter's conversion to what SQLite stores (times: UTC text), or None.
    binds: dict[str, Callable[[Any], Any] | None]
    #: (column index, conversion) for the result columns that are converted (times, JSON).
    results: tuple[tuple[int, Callable[[Any], Any]], ...]


#: Statements compiled and kept (each engine has its own dialect object, so a process that
#: opens many journals, such as the test suite, must not keep them all).
COMPILED_KEPT: Final[int] = 256


@functools.lru_cache(maxsize=COMPILED_KEPT)
def _compiled(statement: Select[Any] | CompoundSelect[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ())
    binds = {name: compiled.binds[name] for name in order}
    results = []
    for index, column in enumerate(statement.selected_columns):
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None:
            results.append((index, convert))
    return _Compiled(
        sql=str(compiled),
        order=order,
        defaults={name: bind.effective_value for name, bind in binds.items() if not bind.required},
        binds={
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in binds.items()
        },
        results=tuple(results),
    )


def _fetch(
    connection: Connection, statement: Select[Any] | CompoundSelect[Any], params: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """All rows of ``statement`` (no expanding parameters), converted as SQLAlchemy would.

    On SQLite the statement's compiled SQL runs straight on the ``sqlite3`` connection, in
    the connection's transaction, and the values go through the columns' own SQLAlchemy
    conversions: the rows are those ``connection.execute(statement, params).all()`` returns,
    without SQLAlchemy's execution machinery around each statement, which cost more than
    the queries themselves: one server process answered GET /api/history?limit=50 320-340
    times a second with ``connection.execute``, 520-560 times this way (16 connections,
    benchmarks/web_load.py's wrk load). Statements with an expanding ``IN`` go through
    SQLAlchemy.
    """
    dialect = connection.dialect
    if dialect.name != "sqlite" or dialect.driver != "pysqlite":
        return connection.execute(statement, params).all()
    compiled = _compiled(statement, dialect)
    values = compiled.defaults | params
    arguments = []
    for name in compiled.order:
        convert = compiled.binds[name]
        arguments.append(values[name] if convert is None else convert(values[name]))
    if not connection.in_transaction():
        connection.begin()  # BEGIN: the statements of one history() see one snapshot
    driver = connection.connection.driver_connection
    rows: list[Any] = driver.execute(compiled.sql, arguments).fetchall()  # type: ignore[union-attr]
    if compiled.results:
        for position, row in enumerate(rows):
            converted = list(row)
            for index, convert in compiled.results:
                converted[index] = convert(converted[index])
            rows[position] = converted
    return rows


#: The time columns' type, for reading one raw value the way the columns themselves would.
_TIME_TYPE: Final = UtcDateTime()
#: "No processing": the key query's times come back as the driver gives them.
_RAW: Final = NullType()


@functools.lru_cache(maxsize=COMPILED_KEPT)
def _time_processor(dialect: Dialect) -> Callable[[Any], Any] | None:
    """What turns a raw time from ``dialect``'s driver into the journal's UTC datetime."""
    return _TIME_TYPE.dialect_impl(dialect).result_processor(dialect, None)


def history(
    connection: Connection,
    kinds: tuple[EntryType, ...],
    since: datetime | None,
    limit: int | None,
) -> list[Entry]:
    """The entries of ``kinds`` (newest first), as :meth:`Journal.history` returns them."""
    if not kinds or limit == 0:
        return []
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = since
    if limit is not None:
        params["limit"] = limit
    picked = _fetch(connection, key_query(kinds, since is not None, limit is not None), params)
    keys: list[EntryKey] = []
    oldest: dict[EntryType, Any] = {}
    ids: dict[EntryType, set[int]] = {}
    for rank, entry_id, started in picked:
        kind = ENTRY_TYPES[rank]
        keys.append((kind, entry_id))
        oldest[kind] = started  # newest first, so the last one seen is the oldest
        ids.setdefault(kind, set()).add(entry_id)
    to_datetime = _time_processor(connection.dialect)
    found: dict[EntryKey, Entry] = {}
    for kind, raw in oldest.items():
        wanted = ids[kind]
        start = raw if to_datetime is None else to_datetime(raw)
        rows = [
            row for row in _fetch(connection, _SINCE[kind], {"since": start}) if row[0] in wanted
        ]
        for entry_id, entry in BUILDERS[kind](connection, rows).items():
            found[kind, entry_id] = entry
    # An entry deleted between the two queries (they are separate statements; on PostgreSQL's
    # READ COMMITTED they see separate snapshots) is left out.
    return [found[key] for key in keys if key in found]


@functools.cache
def count_query(kinds: tuple[EntryType, ...]) -> Select[Any]:
    """``SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) ...``: how many entries of
    ``kinds`` there are, in one statement. Built once per combination and cached (building
    and compiling it cost more than running it: 2 ms a request under load)."""
    counts = [select(func.count()).select_from(_TIMED[kind][0]).scalar_subquery() for kind in kinds]
    total: ColumnElement[Any] = counts[0]
    for more in counts[1:]:
        total = total + more
    return select(total)


def count(connection: Connection, kinds: tuple[EntryType, ...]) -> int:
    """How many entries of ``kinds`` there are (the History page and ``GET /api/history``
    ask on every request, for "Showing 1-50 of N" and ``X-Total-Count``)."""
    rows = _fetch(connection, count_query(kinds), {})
    return int(rows[0][0] or 0)


def entries_by_id(connection: Connection, kind: EntryType, ids: Sequence[int]) -> dict[int, Entry]:
    """Entries of one kind by id (those that exist)."""
    rows: list[Sequence[Any]] = []
    for chunk in _chunks(ids):
        rows.extend(connection.execute(_BY_IDS[kind], {"ids": chunk}).all())
    return BUILDERS[kind](connection, rows)


def _session_entries(connection: Connection, rows: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    """Sessions with their steps, ratings, feedback, gratitude and recording ids, by id."""
    steps: dict[int, list[Entry]] = {}
    ratings: dict[int, dict[str, int | None]] = {}
    feedback: dict[int, list[Entry]] = {}
    gratitude: dict[int, list[Entry]] = {}
    recordings: dict[int, list[int]] = {}
    for chunk in _chunks([row[0] for row in rows]):
        params = {"ids": chunk}
        for parent, step_id, step, kind, started, ended, active_s, outcome in connection.execute(
            _STEPS, params
        ).all():
            steps.setdefault(parent, []).append(
                {
                    "id": step_id,
                    "step_id": step,
                    "kind": kind,
                    "started_at": iso(started),
                    "ended_at": iso(ended),
                    "active_s": active_s,
                    "outcome": outcome,
                }
            )
        for parent, moment, calm in connection.execute(_RATINGS, params).all():
            ratings.setdefault(parent, dict.fromkeys(RATING_MOMENTS))[moment] = calm
        for parent, item_id, at, text, symptoms in connection.execute(_FEEDBACKS, params).all():
            feedback.setdefault(parent, []).append(
                {"id": item_id, "at": iso(at), "text": text, "symptoms": symptoms}
            )
        for parent, item_id, at, text in connection.execute(_GRATITUDES, params).all():
            gratitude.setdefault(parent, []).append({"id": item_id, "at": iso(at), "text": text})
        for parent, recording_id in connection.execute(_SESSION_RECORDINGS, params).all():
            recordings.setdefault(parent, []).append(recording_id)
    return {
        row_id: {
            "type": "session",
            "id": row_id,
            "started_at": iso(started),
            "ended_at": iso(ended),
            "exercise_id": exercise_id,
            "params": params_,
            "status": status,
            "steps": steps.get(row_id, []),
            "ratings": ratings.get(row_id) or dict.fromkeys(RATING_MOMENTS),
            "feedback": feedback.get(row_id, []),
            "gratitude": gratitude.get(row_id, []),
            "recording_ids": recordings.get(row_id, []),
        }
        for row_id, started, ended, exercise_id, params_, status in rows
    }


def _measurement_entries(connection: Connection, rows: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    """Recordings (without their beats) with ``n_beats``, by id."""
    counts: dict[int, int] = {}
    for chunk in _chunks([row[0] for row in rows]):
        counts.update(
            (parent, int(n)) for parent, n in connection.execute(_BEAT_COUNTS, {"ids": chunk})
        )
    return {
        row_id: {
            "type": "measurement",
            "id": row_id,
            "started_at": iso(started),
            "ended_at": iso(ended),
            "source": source,
            "tags": tags,
            "session_id": session_id,
            "n_beats": counts.get(row_id, 0),
            "analysis": analysis,
        }
        for row_id, started, ended, source, tags, session_id, analysis in rows
    }


def _checkin_entries(_connection: Connection, rows: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    """Check-ins by id: the ratings, ``note`` and ``symptoms`` (warning-sign ids)."""
    entries: dict[int, Entry] = {}
    for row_id, at, *values in rows:
        *ratings, note, symptoms = values
        entry: Entry = {"type": "checkin", "id": row_id, "started_at": iso(at)}
        entry.update(zip(CHECKIN_FIELDS, ratings, strict=True))
        entry["note"] = note
        entry["symptoms"] = symptoms
        entries[row_id] = entry
    return entries


def _questionnaire_entries(
    _connection: Connection, rows: Sequence[Sequence[Any]]
) -> dict[int, Entry]:
    """Scored questionnaires by id."""
    return {
        row_id: {
            "type": "questionnaire",
            "id": row_id,
            "started_at": iso(at),
            "name": name,
            "answers": answers,
            "score": score,
            "severity": severity,
        }
        for row_id, at, name, answers, score, severity in rows
    }


def _screening_entries(_connection: Connection, rows: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    """Screenings by id."""
    return {
        row_id: {"type": "screening", "id": row_id, "started_at": iso(at), "answers": answers}
        for row_id, at, answers in rows
    }


def _plan_entries(_connection: Connection, rows: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    """Plan versions by id."""
    return {
        row_id: {
            "type": "plan",
            "id": row_id,
            "started_at": iso(at),
            "plan": plan,
            "reason": reason,
        }
        for row_id, at, plan, reason in rows
    }


#: How each kind's rows become entries.
BUILDERS: Final[dict[EntryType, Builder]] = {
    "session": _session_entries,
    "checkin": _checkin_entries,
    "measurement": _measurement_entries,
    "questionnaire": _questionnaire_entries,
    "screening": _screening_entries,
    "plan": _plan_entries,
}
