"""Export and import: the round trip is exact, a bad file changes nothing, the doc is current."""

from __future__ import annotations

import copy
import json
import math
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from journal_helpers import (
    BACKENDS,
    FakeClock,
    Populated,
    populate,
    postgres_problem,
    postgres_schema,
    snapshot,
)

from vagus.journal import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SECTIONS,
    Journal,
    JournalError,
    export_schema_markdown,
    read_export,
    write_export,
)
from vagus.journal._export import LOCAL_COLUMNS
from vagus.journal._models import TABLES, Beat

DOCS = Path(__file__).resolve().parents[2] / "docs" / "export-schema.md"


def test_export_forget_import_export_gives_the_same_data(
    journal: Journal, populated: Populated, tmp_path: Path
) -> None:
    first = journal.export()
    assert first["format"] == FORMAT_NAME
    assert first["version"] == FORMAT_VERSION
    # Through a file, as a person would move it.
    path = write_export(first, tmp_path / "backup.json")
    journal.forget()
    counts = journal.import_(read_export(path))
    assert counts == {
        "settings": 1,
        "screenings": 1,
        "plans": 1,
        "sessions": 2,
        "steps": 1,
        "ratings": 2,
        "feedback": 1,
        "gratitude": 1,
        "checkins": 1,
        "questionnaires": 1,
        "recordings": 2,
        "beats": 4,
    }
    second = journal.export()
    first.pop("exported_at")
    second.pop("exported_at")
    assert second == first
    # The journal goes on after an import: new ids do not collide with imported ones.
    new_session = journal.start_session("walk")
    assert new_session > max(row["id"] for row in first["sessions"])
    assert journal.recording_rr(populated.finished_recording) == [812.0, 798.5, 805.25]


def test_import_refuses_a_journal_that_holds_records(
    journal: Journal, populated: Populated
) -> None:
    data = journal.export()
    before = snapshot(journal)
    with pytest.raises(JournalError, match=r"^import: expected a journal without records"):
        journal.import_(data)
    assert snapshot(journal) == before


def test_import_merges_settings(journal: Journal, populated: Populated, clock: FakeClock) -> None:
    data = journal.export()
    journal.forget()
    journal.set_setting("lang", "en")
    journal.set_setting("theme", "dark")
    journal.import_(data)
    assert journal.get_setting("lang") == "nb"  # the file's value wins
    assert journal.get_setting("theme") == "dark"  # the journal's own is kept


def test_the_export_covers_every_column_of_every_table() -> None:
    # A column added to a model but not to the export would be lost by export -> import.
    by_model = {section.model: set(section.columns) for section in SECTIONS}
    for model in TABLES:
        if model is Beat:
            continue  # exported as each recording's rr_ms list
        local = LOCAL_COLUMNS.get(model.__tablename__, frozenset())
        assert by_model[model] == set(model.__table__.columns.keys()) - local, model.__tablename__


def test_docs_export_schema_is_generated_from_the_declarations() -> None:
    assert DOCS.read_text(encoding="utf-8") == export_schema_markdown(), (
        "docs/export-schema.md is out of date: run "
        "`python -m vagus.journal > docs/export-schema.md`"
    )


def test_write_export_is_private_and_read_export_names_the_line(tmp_path: Path) -> None:
    path = write_export({"format": FORMAT_NAME}, tmp_path / "export.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "vagus-journal",\n "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(JournalError, match=r"broken\.json, line 2, column 15: expected JSON"):
        read_export(broken)
    with pytest.raises(JournalError, match=r"missing\.json: cannot read the file"):
        read_export(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"note": "bl\xe5"}')
    with pytest.raises(JournalError, match=r"latin\.json: expected a UTF-8 JSON file"):
        read_export(latin)


# -- corrupt files: every one refused by name, nothing changed ------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def export_and_empty_journal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Any], Journal]]:
    """A good export (one of everything) and an empty journal (but for one setting)."""

    def run(url: str) -> Iterator[tuple[dict[str, Any], Journal]]:
        clock = FakeClock()
        with Journal.open(url, clock=clock) as journal:
            populate(journal, clock)
            data = journal.export()
            journal.forget()
            journal.set_setting("lang", "en")
            yield data, journal

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path_factory.mktemp('export') / 'journal.sqlite3'}")
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    with postgres_schema() as url:
        yield from run(url)


Corruption = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Corruption:
    """Set one value, addressed like ``sessions.0.status``."""

    def corrupt(data: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return data

    return corrupt


def _delete(path: str) -> Corruption:
    def corrupt(data: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]
        return data

    return corrupt


def _duplicate_first(section: str) -> Corruption:
    def corrupt(data: dict[str, Any]) -> Any:
        data[section].append(copy.deepcopy(data[section][0]))
        return data

    return corrupt


_EMPTY_CHECKIN: dict[str, Any] = {
    "sleep": None,
    "headache": None,
    "digestion": None,
    "anxiety": None,
    "pain": None,
    "fatigue": None,
    "note": "  ",
    "symptoms": [],
}

CORRUPTIONS = [
    pytest.param(lambda data: [data], "export: expected a JSON object", id="a list"),
    pytest.param(lambda data: "vagus", "export: expected a JSON object", id="a text"),
    pytest.param(
        _set("format", "kubios"), "format: expected 'vagus-journal', got 'kubios'", id="format"
    ),
    pytest.param(_delete("format"), "format: expected 'vagus-journal', got None", id="no format"),
    pytest.param(
        _set("version", 3),
        "version: expected 1 or 2 (the export versions this vagus reads), got 3",
        id="version 3",
    ),
    pytest.param(_set("version", "2"), "version: expected 1 or 2", id="version text"),
    pytest.param(_set("version", True), "version: expected 1 or 2", id="version true"),
    pytest.param(
        _set("version", 1),
        "checkins[0]: expected only the fields id, at, sleep, headache, digestion, anxiety, "
        "pain, fatigue, note, got 'symptoms'",
        id="version 1 with symptoms",
    ),
    pytest.param(
        _set("exported_at", "yesterday"),
        "exported_at: expected an ISO 8601 time with a time zone",
        id="exported_at",
    ),
    pytest.param(_set("extra", []), "export: expected only the fields", id="unknown list"),
    pytest.param(
        _delete("sessions"), "sessions: expected a list of rows, got None", id="no sessions"
    ),
    pytest.param(
        _set("steps", {}), "steps: expected a list of rows, got {}", id="steps not a list"
    ),
    pytest.param(
        _set("sessions.0", "row"),
        "sessions[0]: expected an object with the fields",
        id="row not an object",
    ),
    pytest.param(
        _set("sessions.0.colour", "red"),
        "sessions[0]: expected only the fields",
        id="unknown field",
    ),
    pytest.param(
        _delete("sessions.0.status"),
        "sessions[0].status: expected a field 'status'",
        id="missing field",
    ),
    pytest.param(
        _set("sessions.0.status", "paused"),
        "sessions[0].status: expected one of 'running'",
        id="bad status",
    ),
    pytest.param(
        _set("sessions.0.started_at", "2024-05-01T07:30:00"),
        "sessions[0].started_at: expected an ISO 8601 time with a time zone",
        id="naive time",
    ),
    pytest.param(
        _set("sessions.0.ended_at", None),
        "sessions[0].ended_at: expected null while the status is 'running'",
        id="finished without end",
    ),
    pytest.param(
        _set("sessions.1.ended_at", "2024-05-01T11:00:00+00:00"),
        "sessions[1].ended_at: expected null while the status is 'running'",
        id="running with end",
    ),
    pytest.param(
        _set("sessions.0.ended_at", "2024-05-01T07:00:00+00:00"),
        "sessions[0].ended_at: expected a time at or after started_at",
        id="ends before start",
    ),
    pytest.param(
        _set("sessions.0.params", [4, 8]),
        "sessions[0].params: expected a JSON object",
        id="params list",
    ),
    pytest.param(
        _set("ratings.0.calm", 11),
        "ratings[0].calm: expected an integer from 0 to 10, got 11",
        id="rating 11",
    ),
    pytest.param(
        _set("ratings.1.moment", "before"),
        "ratings[].moment: expected one 'before' rating per session",
        id="two before ratings",
    ),
    pytest.param(
        _set("steps.0.session_id", 99),
        "steps[0].session_id: expected the id of a session in this file, got 99",
        id="dangling step",
    ),
    pytest.param(
        _set("recordings.0.session_id", 99),
        "recordings[0].session_id: expected the id of a session in this file",
        id="dangling recording",
    ),
    pytest.param(
        _set("steps.0.active_s", -1),
        "steps[0].active_s: expected a finite number >= 0, got -1",
        id="negative active",
    ),
    pytest.param(
        _set("recordings.0.rr_ms.1", math.nan),
        "recordings[0].rr_ms[1]: expected an RR interval above 0",
        id="NaN beat",
    ),
    pytest.param(
        _set("recordings.0.rr_ms.0", "812"),
        "recordings[0].rr_ms[0]: expected an RR interval in ms (a number)",
        id="text beat",
    ),
    pytest.param(
        _set("recordings.0.tags", "morning"), "recordings[0].tags: expected a list", id="tags text"
    ),
    pytest.param(
        _set("checkins.0.sleep", 12),
        "checkins[0].sleep: expected an integer from 0 to 10, got 12",
        id="sleep 12",
    ),
    pytest.param(
        _delete("checkins.0.symptoms"),
        "checkins[0].symptoms: expected a field 'symptoms' (list of text), got 'nothing'",
        id="checkin without symptoms",
    ),
    pytest.param(
        _set("checkins.0.symptoms", "dizziness"),
        "checkins[0].symptoms: expected a list of at most 100 short texts",
        id="checkin symptoms text",
    ),
    pytest.param(
        _set("checkins.0.symptoms", ["Dizzy spell"]),
        "checkins[0].symptoms[0]: expected a symptom id (lower-case words joined by '-'",
        id="checkin symptom not an id",
    ),
    pytest.param(
        _set("checkins.0.symptoms", ["dizziness", "panic", "dizziness"]),
        "checkins[0].symptoms: expected each symptom id once, got 'dizziness'",
        id="checkin symptom twice",
    ),
    pytest.param(
        lambda data: _set("checkins.0", {**data["checkins"][0], **_EMPTY_CHECKIN})(data),
        "checkins[0]: expected at least one of sleep, headache, digestion, anxiety, pain, "
        "fatigue, a note or a symptom",
        id="empty checkin",
    ),
    pytest.param(
        _set("questionnaires.0.score", "five"),
        "questionnaires[0].score: expected a finite number, got 'five'",
        id="score text",
    ),
    pytest.param(
        _set("settings.0.key", ""), "settings[0].key: expected a non-empty text", id="empty key"
    ),
    pytest.param(
        _duplicate_first("sessions"),
        "sessions[].id: expected each id once, got 1",
        id="duplicate id",
    ),
    pytest.param(
        _duplicate_first("settings"),
        "settings[].key: expected each key once, got 'lang'",
        id="duplicate key",
    ),
]


@pytest.mark.parametrize(("corrupt", "message"), CORRUPTIONS)
def test_a_corrupt_export_is_refused_by_name_and_changes_nothing(
    export_and_empty_journal: tuple[dict[str, Any], Journal], corrupt: Corruption, message: str
) -> None:
    good, journal = export_and_empty_journal
    before = snapshot(journal)
    with pytest.raises(JournalError) as error:
        journal.import_(corrupt(copy.deepcopy(good)))
    assert str(error.value).startswith(message), str(error.value)
    assert snapshot(journal) == before


def test_a_failure_while_writing_rolls_the_whole_import_back(
    export_and_empty_journal: tuple[dict[str, Any], Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Let a checked export reach the database with one beat whose recording does not exist:
    # the foreign key refuses it after every other table was written, and all of it rolls back.
    from vagus.journal import _journal

    good, journal = export_and_empty_journal
    parse = _journal.parse_export

    def tampered(data: Any) -> Any:
        parsed = parse(data)
        parsed.beats[9999] = [800.0]
        return parsed

    monkeypatch.setattr(_journal, "parse_export", tampered)
    before = snapshot(journal)
    with pytest.raises(JournalError, match=r"^refused by the database"):
        journal.import_(copy.deepcopy(good))
    assert snapshot(journal) == before


def test_the_good_export_of_the_corruption_cases_imports(
    export_and_empty_journal: tuple[dict[str, Any], Journal],
) -> None:
    # The cases above fail because of their one change, not because the base file is bad.
    good, _ = export_and_empty_journal
    with Journal.open("sqlite://") as journal:
        assert journal.import_(json.loads(json.dumps(good)))["beats"] == 4


# -- version 1 files: check-ins without symptoms, the ids at the end of the note ------------


def _as_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as vagus wrote it before version 2: the symptom ids end the note."""
    old = copy.deepcopy(data)
    old["version"] = 1
    for row in old["checkins"]:
        ids = row.pop("symptoms")
        if ids:
            row["note"] = f"{row['note'] or ''} [symptoms: {', '.join(ids)}]".strip()
    return old


def test_a_version_1_export_imports_with_the_symptoms_moved_out_of_the_notes(
    journal: Journal, populated: Populated, clock: FakeClock
) -> None:
    # A check-in with nothing but warning signs was valid in version 1 (the note held them).
    journal.add_checkin(clock.advance(60), symptoms=["chest-pain", "self-harm-thoughts"])
    journal.add_checkin(clock.advance(60), anxiety=3, note="calm [evening]")
    current = journal.export()
    old = _as_version_1(current)
    assert [row["note"] for row in old["checkins"]] == [
        "stiff neck [symptoms: dizziness]",
        "[symptoms: chest-pain, self-harm-thoughts]",
        "calm [evening]",
    ]
    journal.forget()
    journal.import_(json.loads(json.dumps(old)))
    again = journal.export()
    current.pop("exported_at")
    again.pop("exported_at")
    assert again == current
    notes = [(e["note"], e["symptoms"]) for e in journal.history(types=["checkin"])]
    assert notes == [
        ("calm [evening]", []),
        (None, ["chest-pain", "self-harm-thoughts"]),
        ("stiff neck", ["dizziness"]),
    ]


def test_a_version_1_export_without_symptoms_imports_them_as_empty(journal: Journal) -> None:
    data = {
        "format": FORMAT_NAME,
        "version": 1,
        "exported_at": "2024-05-02T08:00:00+00:00",
        **{section.name: [] for section in SECTIONS},
    }
    data["checkins"] = [
        {
            "id": 4,
            "at": "2024-05-01T08:30:00+00:00",
            **dict.fromkeys(("sleep", "headache", "digestion", "anxiety", "fatigue")),
            "pain": 2,
            "note": "a [symptoms: list] in the middle",
        }
    ]
    assert journal.import_(data)["checkins"] == 1
    [row] = journal.export()["checkins"]
    assert row["note"] == "a [symptoms: list] in the middle"
    assert row["symptoms"] == []
    assert journal.history()[0]["symptoms"] == []


def test_an_import_keeps_symptom_ids_this_vagus_does_not_know(journal: Journal) -> None:
    # A backup must import even after a symptom was renamed or dropped from the catalog; only
    # new check-ins are held to the ids vagus knows now.
    data = journal.export()
    data["checkins"] = [
        {
            "id": 1,
            "at": "2024-05-01T08:30:00+00:00",
            **dict.fromkeys(("sleep", "headache", "digestion", "anxiety", "pain")),
            "fatigue": 5,
            "note": None,
            "symptoms": ["old-sign"],
        }
    ]
    journal.import_(data)
    assert journal.history()[0]["symptoms"] == ["old-sign"]
    with pytest.raises(JournalError, match=r"^symptoms: expected ids of the symptoms vagus"):
        journal.add_checkin(fatigue=5, symptoms=["old-sign"])


def test_the_export_reader_splits_notes_as_revision_0002_does() -> None:
    from vagus.journal._export import split_legacy_note
    from vagus.journal.migrations.versions.v0002_checkin_symptoms import split_note

    notes = [
        None,
        "",
        "stiff neck",
        "stiff neck [symptoms: chest-pain, self-harm-thoughts]",
        "[symptoms: dizziness]",
        "  padded  [symptoms: dizziness, dizziness]  ",
        "two lines\nof text [symptoms: panic]",
        "a [symptoms: list] in the middle",
        "odd [symptoms: Not an id]",
        "empty [symptoms: ]",
        "twice [symptoms: panic] [symptoms: dizziness]",
        "[symptoms:dizziness]",
    ]
    for note in notes:
        assert split_legacy_note(note) == split_note(note), note
    assert split_note("twice [symptoms: panic] [symptoms: dizziness]") == (
        "twice [symptoms: panic]",
        ["dizziness"],
    )
