"""The export format: every table of the journal as JSON, and its strict reader.

One JSON object with ``format`` (``"vagus-journal"``), ``version`` (2), ``exported_at`` and one
list per table; each row has exactly the fields declared in :data:`SECTIONS`. The declarations
also generate ``docs/export-schema.md`` (a test keeps it current), and the reader checks each
field with the same checks as the journal's API, naming the bad field by its path
(``sessions[2].status``).

Version 2 gave check-ins their ``symptoms`` (issue 10): in version 1 the warning signs ended
the note as ``[symptoms: a, b]``. Version 1 files still import: their check-ins are read
without ``symptoms`` and the ids are moved out of the note, as journal revision 0002 does.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from vagus.journal import _validate as check
from vagus.journal._engine import PRIVATE_FILE_MODE
from vagus.journal._errors import JournalError, bad, quoted
from vagus.journal._models import (
    CHECKIN_FIELDS,
    RATING_MOMENTS,
    SESSION_STATUSES,
    Base,
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

FORMAT_NAME: Final = "vagus-journal"
FORMAT_VERSION: Final[int] = 2
#: The versions this vagus imports (it writes :data:`FORMAT_VERSION`).
READ_VERSIONS: Final[tuple[int, ...]] = (1, 2)
#: Fields version 1 did not have, by section (its rows must not carry them).
NEW_IN_VERSION_2: Final[dict[str, tuple[str, ...]]] = {"checkins": ("symptoms",)}
#: How check-ins kept their warning signs before version 2 (and journal revision 0002): at
#: the end of the note, ``"stiff neck [symptoms: chest-pain, dizziness]"``.
LEGACY_SYMPTOMS: Final = re.compile(r"\s*\[symptoms: ([^\]]*)\]\s*\Z")
#: The recording field that carries its beats (stored in the ``rr_beat`` table).
BEATS_FIELD: Final = "rr_ms"

Check = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Field:
    """One field of an exported row: its check, its JSON type and what it means."""

    name: str
    check: Check
    kind: str
    meaning: str


@dataclass(frozen=True)
class Section:
    """One list in the export: a table, its fields and what a row is."""

    name: str
    model: type[Base]
    meaning: str
    fields: tuple[Field, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The fields stored as columns of the table (all but the recording's beats)."""
        return tuple(field.name for field in self.fields if field.name != BEATS_FIELD)


def _scale_field(name: str, meaning: str) -> Field:
    return Field(name, check.optional_scale, "integer 0-10 or null", meaning)


ID: Final = Field("id", check.row_id, "integer", "The row's id, unique within its list.")
SESSION_ID: Final = Field(
    "session_id", check.row_id, "integer", "The id of the session in `sessions` it belongs to."
)
AT: Final = Field("at", check.timestamp, "time", "When it was recorded.")
TIME_NOTE: Final = (
    "A *time* is ISO 8601 text with a UTC offset, as vagus writes it: "
    "`2024-05-01T07:30:00+00:00` (microseconds when there are any)."
)

#: Every list of the export, parents before children (the order rows are imported in).
#: Columns that belong to this machine, not to the person's data: left out of the export (the
#: process that runs a session, revision 0003).
LOCAL_COLUMNS: Final[Mapping[str, frozenset[str]]] = {"guided_session": frozenset({"pid"})}

SECTIONS: Final[tuple[Section, ...]] = (
    Section(
        "settings",
        Setting,
        "Profile and settings: one JSON value per key. The profile is under the key `profile`.",
        (
            Field("key", check.key, "text (1-200)", "The setting's name."),
            Field("value", check.document, "any JSON", "The setting's value."),
            Field("updated_at", check.timestamp, "time", "When the value was last set."),
        ),
    ),
    Section(
        "screenings",
        Screening,
        "Intake screenings: the safety questions answered before the exercises.",
        (
            ID,
            AT,
            Field("answers", check.mapping, "object", "The answers, by question id."),
        ),
    ),
    Section(
        "plans",
        Plan,
        "Every version of the person's plan; a change is a new row with its reason.",
        (
            ID,
            AT,
            Field("plan", check.mapping, "object", "The plan as the program wrote it."),
            Field("reason", check.text, "text", "Why the plan was made or changed."),
        ),
    ),
    Section(
        "sessions",
        GuidedSession,
        "Guided exercise sessions.",
        (
            ID,
            Field("exercise_id", check.name, "text (1-100)", "Which exercise was guided."),
            Field(
                "params",
                check.mapping,
                "object",
                "The exercise's parameters (for example pacer seconds).",
            ),
            Field("started_at", check.timestamp, "time", "When the session started."),
            Field(
                "ended_at",
                check.optional_timestamp,
                "time or null",
                "When it ended; null while it is running.",
            ),
            Field(
                "status",
                lambda field, value: check.choice(field, value, SESSION_STATUSES),
                "text",
                "One of " + ", ".join(f"`{s}`" for s in SESSION_STATUSES) + ". `interrupted`: "
                "it was still running when vagus stopped.",
            ),
        ),
    ),
    Section(
        "steps",
        Step,
        "Every step of a session as it was done.",
        (
            ID,
            SESSION_ID,
            Field("step_id", check.name, "text (1-100)", "The step's id within the exercise."),
            Field(
                "kind",
                check.name,
                "text (1-100)",
                "The kind of step (for example breathing, rest).",
            ),
            Field("started_at", check.timestamp, "time", "When the step started."),
            Field("ended_at", check.timestamp, "time", "When it ended (not before `started_at`)."),
            Field(
                "active_s",
                lambda field, value: check.number(field, value, minimum=0.0),
                "number >= 0",
                "Seconds the person was doing the step, pauses excluded.",
            ),
            Field(
                "outcome",
                check.name,
                "text (1-100)",
                "How the step ended (for example done, skipped, stopped).",
            ),
        ),
    ),
    Section(
        "ratings",
        CalmRating,
        "How calm the person felt before and after a session; at most one of each per session.",
        (
            ID,
            SESSION_ID,
            Field(
                "moment",
                lambda field, value: check.choice(field, value, RATING_MOMENTS),
                "text",
                "`before` or `after` the session.",
            ),
            Field("calm", check.scale, "integer 0-10", "0 not calm at all, 10 completely calm."),
            AT,
        ),
    ),
    Section(
        "feedback",
        Feedback,
        "What the person noticed after a session.",
        (
            ID,
            SESSION_ID,
            AT,
            Field("text", check.text, "text", "Their own words (may be empty)."),
            Field("symptoms", check.names, "list of text", "Ids of the symptoms they ticked."),
        ),
    ),
    Section(
        "gratitude",
        Gratitude,
        "Things the person was grateful for, written during a session.",
        (
            ID,
            SESSION_ID,
            AT,
            Field(
                "text",
                lambda field, value: check.text(field, value, empty=False),
                "text",
                "The entry.",
            ),
        ),
    ),
    Section(
        "checkins",
        Checkin,
        "Check-ins: 0-10 answers (null when skipped), a note and warning signs; at least one "
        "of them is given.",
        (
            ID,
            AT,
            _scale_field("sleep", "How well the person slept: 0 very badly, 10 very well."),
            _scale_field("headache", "Headache: 0 none, 10 the worst imaginable."),
            _scale_field("digestion", "Digestive complaints: 0 none, 10 the worst imaginable."),
            _scale_field("anxiety", "Anxiety: 0 none, 10 the worst imaginable."),
            _scale_field("pain", "Pain: 0 none, 10 the worst imaginable."),
            _scale_field("fatigue", "Fatigue: 0 none, 10 the worst imaginable."),
            Field("note", check.optional_text, "text or null", "A free note."),
            Field(
                "symptoms",
                check.symptom_ids,
                "list of text",
                "Ids of the warning signs reported with the check-in (the symptoms of "
                "`vagus.program.safety`, such as `chest-pain`), each once; `[]` when none. "
                "An import takes any well-formed id (lower-case words joined by `-`), also one "
                "a later vagus no longer lists. New in version 2: a version 1 file has no such "
                "field, and the `[symptoms: a, b]` that ended its notes is moved here on import.",
            ),
        ),
    ),
    Section(
        "questionnaires",
        Questionnaire,
        "Scored questionnaires (PHQ-8, GAD-7, ...).",
        (
            ID,
            AT,
            Field("name", check.name, "text (1-100)", "The questionnaire, for example `PHQ-8`."),
            Field(
                "answers",
                check.document,
                "any JSON",
                "The answers as given, usually a list of item scores.",
            ),
            Field("score", check.number, "number", "The total score."),
            Field(
                "severity",
                check.optional_name,
                "text or null",
                "The severity band of the score, when the scale has one.",
            ),
        ),
    ),
    Section(
        "recordings",
        Recording,
        "RR recordings, each with its beats.",
        (
            ID,
            Field(
                "source",
                lambda field, value: check.name(field, value, max_chars=200),
                "text (1-200)",
                "Where the beats came from: a sensor, `replay`, a file.",
            ),
            Field("tags", check.names, "list of text", "Labels such as `morning` or `rest`."),
            Field(
                "session_id",
                check.optional_row_id,
                "integer or null",
                "The session the recording belongs to, if any.",
            ),
            Field("started_at", check.timestamp, "time", "When the recording started."),
            Field(
                "ended_at",
                check.optional_timestamp,
                "time or null",
                "When it was finished; null if never finished.",
            ),
            Field(
                "analysis",
                check.optional_mapping,
                "object or null",
                "The HRV analysis stored when it was finished (as `vagus hrv --json` gives it).",
            ),
            Field(
                BEATS_FIELD,
                check.rr_intervals,
                "list of number",
                "The RR intervals in ms, in the order they arrived (table `rr_beat`).",
            ),
        ),
    ),
)
BY_SECTION: Final[dict[str, Section]] = {section.name: section for section in SECTIONS}
HEADER_FIELDS: Final[tuple[str, ...]] = ("format", "version", "exported_at")


# -- export ---------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    return check.iso(value) if isinstance(value, datetime) else value


def export_tables(session: Session, *, exported_at: datetime) -> dict[str, Any]:
    """Every table as export rows, in one read transaction (a consistent snapshot)."""
    result: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": check.iso(exported_at),
    }
    beats: dict[int, list[float]] = {}
    for recording_id, rr_ms in session.execute(
        select(Beat.recording_id, Beat.rr_ms).order_by(Beat.recording_id, Beat.seq)
    ):
        beats.setdefault(recording_id, []).append(rr_ms)
    for section in SECTIONS:
        mapper = inspect(section.model)
        columns = [mapper.columns[name] for name in section.columns]
        rows = []
        for row in session.execute(select(*columns).order_by(*mapper.primary_key)):
            item = {name: _json_value(value) for name, value in row._mapping.items()}
            if section.model is Recording:
                item[BEATS_FIELD] = beats.get(item["id"], [])
            rows.append(item)
        result[section.name] = rows
    return result


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedExport:
    """A checked export: rows with Python values, ready to insert."""

    rows: dict[str, list[dict[str, Any]]]
    beats: dict[int, list[float]]


def split_legacy_note(note: str | None) -> tuple[str | None, list[str]]:
    """A version-1 check-in note, split into the note and the symptom ids that ended it.

    The note keeps the rest, stripped (None when nothing is left). A note without the marker,
    or whose marker holds anything but symptom ids, is kept as it is. Journal revision 0002
    moves stored notes the same way (a test keeps the two equal).

    >>> split_legacy_note("stiff neck [symptoms: chest-pain, dizziness]")
    ('stiff neck', ['chest-pain', 'dizziness'])
    >>> split_legacy_note("[symptoms: dizziness]")
    (None, ['dizziness'])
    >>> split_legacy_note("ok [symptoms: Not An Id]")
    ('ok [symptoms: Not An Id]', [])
    """
    if note is None:
        return None, []
    found = LEGACY_SYMPTOMS.search(note)
    if found is None:
        return note, []
    ids = [part.strip() for part in found.group(1).split(",")]
    if not all(check.SYMPTOM_ID.fullmatch(item) for item in ids):
        return note, []
    rest = note[: found.start()].strip()
    return rest or None, list(dict.fromkeys(ids))


def parse_export(data: Any) -> ParsedExport:
    """Check an export completely, before anything is written.

    Raises
    ------
    JournalError
        Naming the first bad field by its path and what was expected.
    """
    if not isinstance(data, Mapping):
        error = bad(
            "export", f"a JSON object written by vagus export ({FORMAT_NAME})", type(data).__name__
        )
        raise JournalError(str(error), field=error.field, key="errors.not_an_export")
    if data.get("format") != FORMAT_NAME:
        error = bad("format", repr(FORMAT_NAME), data.get("format"))
        raise JournalError(str(error), field=error.field, key="errors.not_an_export")
    version = data.get("version")
    if isinstance(version, bool) or version not in READ_VERSIONS:
        readable = " or ".join(str(item) for item in READ_VERSIONS)
        error = bad("version", f"{readable} (the export versions this vagus reads)", version)
        raise JournalError(
            str(error),
            field=error.field,
            key="errors.export_version",
            got=quoted(version),
            readable=readable,
        )
    check.timestamp("exported_at", data.get("exported_at"))
    expected = {*HEADER_FIELDS, *BY_SECTION}
    for name in data:
        if name not in expected:
            raise bad("export", f"only the fields {', '.join(sorted(expected))}", name)
    rows: dict[str, list[dict[str, Any]]] = {}
    beats: dict[int, list[float]] = {}
    for section in SECTIONS:
        items = data.get(section.name)
        if not isinstance(items, list):
            raise bad(section.name, "a list of rows", items)
        fields = section.fields
        if version == 1:
            absent = NEW_IN_VERSION_2.get(section.name, ())
            fields = tuple(field for field in fields if field.name not in absent)
        rows[section.name] = [
            _parse_row(section.name, fields, index, item, beats) for index, item in enumerate(items)
        ]
    if version == 1:
        for row in rows["checkins"]:
            row["note"], row["symptoms"] = split_legacy_note(row["note"])
    _check_relations(rows)
    return ParsedExport(rows=rows, beats=beats)


def _parse_row(
    section: str,
    fields: tuple[Field, ...],
    index: int,
    item: Any,
    beats: dict[int, list[float]],
) -> dict[str, Any]:
    path = f"{section}[{index}]"
    names = [field.name for field in fields]
    if not isinstance(item, Mapping):
        raise bad(path, "an object with the fields " + ", ".join(names), item)
    for name in item:
        if name not in names:
            raise bad(path, "only the fields " + ", ".join(names), name)
    row: dict[str, Any] = {}
    for field in fields:
        if field.name not in item:
            raise bad(f"{path}.{field.name}", f"a field {field.name!r} ({field.kind})", "nothing")
        row[field.name] = field.check(f"{path}.{field.name}", item[field.name])
    if BEATS_FIELD in row:
        beats[row["id"]] = row.pop(BEATS_FIELD)
    return row


def _check_relations(rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """Ids unique, references resolved, times in order, states consistent."""
    for section in SECTIONS:
        key = "key" if section.model is Setting else "id"
        seen = Counter(row[key] for row in rows[section.name])
        twice = [value for value, n in seen.items() if n > 1]
        if twice:
            raise bad(f"{section.name}[].{key}", f"each {key} once", twice[0])
    sessions = {row["id"] for row in rows["sessions"]}
    for name in ("steps", "ratings", "feedback", "gratitude", "recordings"):
        for index, row in enumerate(rows[name]):
            if row["session_id"] is not None and row["session_id"] not in sessions:
                raise bad(
                    f"{name}[{index}].session_id",
                    "the id of a session in this file",
                    row["session_id"],
                )
    for index, row in enumerate(rows["sessions"]):
        path = f"sessions[{index}]"
        if (row["status"] == "running") != (row["ended_at"] is None):
            raise bad(
                f"{path}.ended_at",
                "null while the status is 'running', and a time once it ended",
                check.iso(row["ended_at"]),
            )
    for name, start, end in (
        ("sessions", "started_at", "ended_at"),
        ("steps", "started_at", "ended_at"),
        ("recordings", "started_at", "ended_at"),
    ):
        for index, row in enumerate(rows[name]):
            if row[end] is not None:
                check.after(f"{name}[{index}].{end}", row[end], row[start], start)
    pairs = Counter((row["session_id"], row["moment"]) for row in rows["ratings"])
    for (session_id, moment), n in pairs.items():
        if n > 1:
            raise bad(
                "ratings[].moment",
                f"one {moment!r} rating per session",
                f"{n} for session {session_id}",
            )
    for index, row in enumerate(rows["checkins"]):
        ratings = {name: row[name] for name in CHECKIN_FIELDS}
        if not check.checkin_has_content(ratings, row["note"], row["symptoms"]):
            raise bad(f"checkins[{index}]", check.CHECKIN_CONTENT, row)


def check_meaning(data: Any) -> ParsedExport:
    """Check an export as :func:`parse_export` does, and then what its records *mean*.

    The structure alone lets through a file that the program cannot read back: a plan without
    its ``day``, a screening answer to a question vagus does not ask, a questionnaire whose
    severity its scorer never gives, text where an HRV index is a number (issue 11). Such a
    file imported would break every page that reads it, so the application checks each record
    with the program's own rules before it imports (:meth:`Journal.import_
    <vagus.journal.Journal.import_>` itself keeps to the structure, which any journal holds).

    Raises
    ------
    JournalError
        Naming the first bad field by its export path (``plans[0].plan.day``).
    """
    parsed = parse_export(data)
    for index, row in enumerate(parsed.rows["screenings"]):
        _check_screening(f"screenings[{index}].answers", row["answers"])
    for index, row in enumerate(parsed.rows["plans"]):
        _check_plan(f"plans[{index}].plan", row["plan"])
    for index, row in enumerate(parsed.rows["questionnaires"]):
        _check_questionnaire(f"questionnaires[{index}]", row)
    for index, row in enumerate(parsed.rows["recordings"]):
        _check_analysis(f"recordings[{index}].analysis", row["analysis"])
    return parsed


def _check_screening(path: str, stored: Mapping[str, Any]) -> None:
    """A screening as the app stores it: ``{"answers": {question id: bool}, "cleared": [...]}``."""
    from vagus.program import EXERCISE_IDS, evaluate, questions

    known = {question.id for question in questions("en")}
    for name in stored:
        if name not in ("answers", "cleared"):
            raise bad(path, "only the fields answers, cleared", name)
    answers = stored.get("answers")
    if not isinstance(answers, Mapping):
        raise bad(f"{path}.answers", "an object of answers by question id", answers)
    for question, answer in answers.items():
        if question not in known:
            raise bad(
                f"{path}.answers.{question}", "the id of a screening question vagus asks", question
            )
        if not isinstance(answer, bool):
            raise bad(f"{path}.answers.{question}", "true or false", answer)
    cleared = stored.get("cleared", [])
    if not isinstance(cleared, list):
        raise bad(f"{path}.cleared", "a list of exercise ids", cleared)
    for index, exercise in enumerate(cleared):
        if exercise not in EXERCISE_IDS:
            raise bad(f"{path}.cleared[{index}]", "one of " + ", ".join(EXERCISE_IDS), exercise)
    try:
        evaluate(answers, frozenset(cleared))
    except ValueError as error:
        raise bad(
            f"{path}.answers", f"answers the screening can evaluate ({error})", answers
        ) from None


def _iso_date(path: str, value: Any) -> None:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad(path, "an ISO 8601 date, like '2024-05-01'", value) from None


def _plan_number(path: str, value: Any, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    check.number(path, value)


def _plan_objects(path: str, value: Any, what: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each object of a plan's list ``value`` with its path; a JournalError naming the path
    when ``value`` is not a list of objects."""
    if not isinstance(value, list):
        raise bad(path, f"a list of {what}s", value)
    for index, element in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(element, Mapping):
            raise bad(where, f"a {what} (an object)", element)
        yield where, element


def _check_plan(path: str, plan: Mapping[str, Any]) -> None:
    """A day's plan as the app stores it (``vagus.app.plan.plan_to_json``): its ``day``, the
    entries the next day's plan is built from, and the items the history shows."""
    from vagus.program import EXERCISE_IDS

    _iso_date(f"{path}.day", plan.get("day"))
    for part in ("based_on", "entries"):
        for where, entry in _plan_objects(f"{path}.{part}", plan.get(part, []), "plan entry"):
            check.choice(f"{where}.exercise_id", entry.get("exercise_id"), EXERCISE_IDS)
            _plan_number(f"{where}.dose", entry.get("dose"))
            _iso_date(f"{where}.started", entry.get("started"))
            _iso_date(f"{where}.since", entry.get("since"))
            _plan_number(f"{where}.previous_dose", entry.get("previous_dose"), optional=True)
            check.choice(f"{where}.last_change", entry.get("last_change", "new"), PLAN_CHANGES)
    for part in ("items", "pending", "excluded"):
        for where, item in _plan_objects(f"{path}.{part}", plan.get(part, []), "plan item"):
            check.choice(f"{where}.exercise_id", item.get("exercise_id"), EXERCISE_IDS)
            _plan_number(f"{where}.dose", item.get("dose"), optional=part != "items")
            unit = item.get("unit", "")
            if not isinstance(unit, str):
                raise bad(f"{where}.unit", "a text", unit)


#: What a plan entry's last change can be (``vagus.program.plan.Status``).
PLAN_CHANGES: Final[tuple[str, ...]] = (
    "new",
    "increase",
    "keep",
    "decrease",
    "fixed",
    "clinician",
    "excluded",
)


def _check_questionnaire(path: str, row: Mapping[str, Any]) -> None:
    """A known questionnaire whose answers score to the stored score and severity."""
    from vagus.program import QUESTIONNAIRES, score

    name = row["name"]
    if name.strip().lower().replace(" ", "") not in QUESTIONNAIRES:
        raise bad(f"{path}.name", "one of " + ", ".join(QUESTIONNAIRES), name)
    try:
        result = score(name, row["answers"])
    except ValueError as error:
        raise bad(
            f"{path}.answers", f"the questionnaire's answers ({error})", row["answers"]
        ) from None
    bands = [band.id for band in QUESTIONNAIRES[result.name].bands]
    if row["severity"] not in bands:
        raise bad(f"{path}.severity", "one of " + ", ".join(bands), row["severity"])
    if row["severity"] != result.severity:
        raise bad(f"{path}.severity", f"{result.severity!r}, as the answers score", row["severity"])
    if not math.isclose(row["score"], result.score, rel_tol=1e-9, abs_tol=1e-9):
        raise bad(f"{path}.score", f"{result.score:g}, the score of the answers", row["score"])


def _check_analysis(path: str, analysis: Mapping[str, Any] | None) -> None:
    """A stored HRV analysis: its indices numbers (or null where one could not be computed)."""
    if analysis is None or "indices" not in analysis:
        return
    indices = analysis["indices"]
    if not isinstance(indices, Mapping):
        raise bad(f"{path}.indices", "an object of HRV indices by name", indices)
    for name, value in indices.items():
        if value is not None:
            check.number(f"{path}.indices.{name}", value)


#: Beats written per transaction of an import (and of undoing one). A journal write holds
#: SQLite's one write lock for the whole transaction, and every other writer (a check-in from
#: the web, ``vagus checkin``) waits for it (https://www.sqlite.org/lockingv3.html): 3 million
#: beats in one transaction locked the journal for 22 s (issue 11, finding 8). A batch of
#: 20,000 beats takes 0.05-0.1 s here, so a writer that arrives meanwhile waits about that
#: long (the writer lock's gate lets it in before the next batch, see ``_lock``), far inside
#: the busy timeout; the extra commits cost under 10 % of the import's time.
BATCH_ROWS: Final[int] = 20_000


@dataclass(frozen=True)
class ImportedRecords:
    """What the first transaction of an import wrote: enough to take it back out."""

    counts: dict[str, int]
    #: The settings the import replaced (key -> (value, updated_at)); None: the key was new.
    replaced_settings: dict[str, tuple[Any, datetime] | None]


def import_records(session: Session, parsed: ParsedExport) -> ImportedRecords:
    """Insert a checked export's records (all but the beats) into an empty journal, keeping
    ids; settings are merged. The first transaction of an import (see ``Journal.import_``).

    Everything but the beats is a person's own entries (thousands of rows in years of daily
    use), written in this one transaction, which also checks that the journal holds no records:
    a write that arrives during the import's later batches finds the imported rows in place,
    so it takes ids after theirs and cannot collide with them.
    """
    held = {
        section.name: int(session.scalar(select(func.count()).select_from(section.model)) or 0)
        for section in SECTIONS
        if section.model is not Setting
    }
    held = {name: n for name, n in held.items() if n}
    if held:
        listed = ", ".join(f"{name}: {n}" for name, n in held.items())
        raise JournalError(
            f"import: expected a journal without records, this one holds ({listed}); "
            "export and forget it first, or import into a new home",
            field="import",
            key="errors.journal_not_empty",
        )
    counts: dict[str, int] = {}
    replaced: dict[str, tuple[Any, datetime] | None] = {}
    for section in SECTIONS:
        rows = parsed.rows[section.name]
        if section.model is Setting:
            for row in rows:
                old = session.get(Setting, row["key"])
                replaced[row["key"]] = None if old is None else (old.value, old.updated_at)
                session.merge(Setting(**row))
        elif rows:
            session.execute(insert(section.model), rows)
        counts[section.name] = len(rows)
    counts["beats"] = sum(len(values) for values in parsed.beats.values())
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids do not advance PostgreSQL's sequences; move them past the imported ids
        # now, so that a write during the beats' batches takes ids after them.
        for section in SECTIONS:
            if section.model is not Setting:
                table = section.model.__tablename__
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
    return ImportedRecords(counts, replaced)


def beat_batches(
    beats: Mapping[int, list[float]], size: int = BATCH_ROWS
) -> Iterator[list[dict[str, Any]]]:
    """The beats of an import as rows of ``rr_beat``, at most ``size`` to a batch."""
    batch: list[dict[str, Any]] = []
    for recording_id, values in beats.items():
        for seq, value in enumerate(values):
            batch.append({"recording_id": recording_id, "seq": seq, "rr_ms": value})
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def undo_beats(connection: Any, recording_id: int, first: int, size: int) -> int:
    """Delete beats ``first`` to ``first + size - 1`` of one imported recording; how many."""
    result = connection.execute(
        delete(Beat).where(
            Beat.recording_id == recording_id, Beat.seq >= first, Beat.seq < first + size
        )
    )
    return int(result.rowcount or 0)


def undo_records(session: Session, parsed: ParsedExport, imported: ImportedRecords) -> None:
    """Take an import's records back out (its beats are gone already): children first, by
    the ids it wrote; each replaced setting gets its old value back, unless it was changed
    again since the import wrote it."""
    for section in reversed(SECTIONS):
        rows = parsed.rows[section.name]
        if section.model is Setting:
            for row in rows:
                current = session.get(Setting, row["key"])
                if current is None or current.value != row["value"]:
                    continue  # changed (or removed) after the import: the newer value stays
                before = imported.replaced_settings.get(row["key"])
                if before is None:
                    session.delete(current)
                else:
                    current.value, current.updated_at = before
        elif rows:
            model: Any = section.model
            # Children were taken out first, by the ids the import wrote; a row still pointing
            # at an imported parent was written by someone else between the batches (a rating
            # of an imported session): that parent stays, or deleting it would cascade to it.
            ids = sorted({row["id"] for row in rows} - _still_referenced(session, model, rows))
            for start in range(0, len(ids), BATCH_ROWS):
                session.execute(delete(model).where(model.id.in_(ids[start : start + BATCH_ROWS])))


def _still_referenced(session: Session, model: Any, rows: list[dict[str, Any]]) -> set[int]:
    """The ids of ``rows`` that rows of other tables still point at (by foreign key)."""
    table = model.__table__
    ids = [row["id"] for row in rows]
    kept: set[int] = set()
    for other in table.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is not table:
                continue
            column = key.parent
            for start in range(0, len(ids), BATCH_ROWS):
                chunk = ids[start : start + BATCH_ROWS]
                found = session.execute(select(column).where(column.in_(chunk)).distinct())
                kept.update(int(value) for (value,) in found if value is not None)
    return kept


# -- files ----------------------------------------------------------------------------------


def write_export(data: Mapping[str, Any], path: str | Path) -> Path:
    """Write an export to ``path`` atomically, readable by the owner only.

    The JSON goes to a temporary file in the same folder, is synced to disk and then renamed
    over ``path``: a crash leaves either the old file or the complete new one, never half.
    """
    target = Path(path)
    encoded = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.fchmod(handle, PRIVATE_FILE_MODE)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(encoded)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def read_export(path: str | Path) -> Any:
    """Read an export file's JSON; a file that is not JSON is refused naming line and column.

    The content is checked by :meth:`Journal.import_ <vagus.journal.Journal.import_>`.
    """
    source = Path(path)
    try:
        raw = source.read_text(encoding="utf-8")
    except OSError as error:
        raise JournalError(
            f"{source}: cannot read the file ({error.strerror})",
            field="file",
            key="errors.export_unreadable",
            source=source,
        ) from None
    except UnicodeDecodeError:
        raise JournalError(
            f"{source}: expected a UTF-8 JSON file from vagus export",
            field="file",
            key="errors.not_an_export_file",
            source=source,
        ) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise JournalError(
            f"{source}, line {error.lineno}, column {error.colno}: expected JSON from vagus "
            f"export ({error.msg})",
            field="file",
            key="errors.not_an_export_file",
            source=source,
        ) from None


# -- documentation --------------------------------------------------------------------------


def export_schema_markdown() -> str:
    """``docs/export-schema.md``, generated from :data:`SECTIONS`.

    >>> "| `rr_ms` |" in export_schema_markdown()
    True
    """
    lines = [
        "# Journal export format",
        "",
        "Generated from the declarations in `src/vagus/journal/_export.py` by",
        "`python -m vagus.journal > docs/export-schema.md`; a test keeps it current.",
        "",
        "`Journal.export()` returns one JSON object and `write_export()` writes it to a file",
        "(atomically, readable by its owner only). It holds everything in the journal, which is",
        "health data: keep the file as private as the journal itself.",
        "",
        "`Journal.import_()` reads it back into a journal without records (settings are merged,",
        "the file's values win) and keeps every id, so export, forget and import give back the",
        "same export. The whole file is checked first: a file that is not this format, of",
        "another version, or with any field out of place is refused with a message naming the",
        "field (such as `sessions[2].status`), and nothing changes.",
        "",
        "`vagus import` and the web's import also check what the records mean, with the",
        "program's own rules: each screening answer is true or false to a question vagus asks;",
        "a plan has its `day` (an ISO date) and well-formed entries; a questionnaire is one",
        "vagus knows, its answers give its `score` and `severity`; an analysis's `indices` are",
        "numbers or null; and the settings vagus reads (`web_prefs` with `lang`, `pacer` and a",
        "`sensor` that never names a file, `plan_mode`, `plan_overrides`, `resonance`) hold",
        "what their forms accept. A refusal names the field, such as `plans[0].plan.day` or",
        "`settings.web_prefs.pacer.inhale_s`.",
        "",
        TIME_NOTE,
        "",
        "## Header",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        f'| `format` | text | Always `"{FORMAT_NAME}"`. |',
        (
            f"| `version` | integer | `{FORMAT_VERSION}`. A new version is made when a field "
            "is added, changes meaning or goes away; readers refuse versions they do not know. "
            "This vagus also imports version 1, whose check-ins had no `symptoms`: the warning "
            "signs ended the note as `[symptoms: a, b]` and are moved out of it on import. |"
        ),
        "| `exported_at` | time | When the export was made. |",
        "",
        "Then one list per table below, each always present (empty when there are no rows),",
        "ordered by id (settings by key).",
    ]
    for section in SECTIONS:
        lines += [
            "",
            f"## `{section.name}` (table `{section.model.__tablename__}`)",
            "",
            section.meaning,
            "",
            "| field | type | meaning |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{field.name}` | {field.kind} | {field.meaning} |" for field in section.fields
        ]
    lines.append("")
    return "\n".join(lines)
