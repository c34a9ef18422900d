"""Migrations: they build exactly the models' schema, run on open, and never go backwards."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from journal_helpers import T0
from sqlalchemy import CheckConstraint, Column, Engine, Integer, MetaData, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from vagus.journal import Journal, JournalError, head_revision, schema_differences
from vagus.journal._engine import backup_sqlite, make_engine, normalise_url, write_engine
from vagus.journal._migrate import alembic_config
from vagus.journal._models import TABLES, Base, Checkin

TABLE_NAMES = {model.__tablename__ for model in TABLES}


def test_the_migrations_ship_inside_the_package() -> None:
    migrations = resources.files("vagus.journal") / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "versions" / "v0001_initial.py").is_file()
    assert (migrations / "versions" / "v0002_checkin_symptoms.py").is_file()
    assert (migrations / "versions" / "v0003_session_pid.py").is_file()
    assert head_revision() == "0003"


def test_open_upgrades_an_empty_database_without_an_ini_file(
    journal_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini anywhere near
    with Journal.open(journal_url) as journal:
        engine = journal._engine
        names = set(inspect(engine).get_table_names())
        assert names == TABLE_NAMES | {"alembic_version"}
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert version == [(head_revision(),)]
    assert not (tmp_path / "alembic.ini").exists()


def test_the_models_match_the_migrations(journal: Journal) -> None:
    # `alembic check`: autogenerate against the migrated database finds nothing to do.
    assert schema_differences(journal._engine) == []
    # And the command itself, through the packaged env.py (raises when it finds a difference).
    with write_engine(journal._engine).begin() as connection:
        command.check(alembic_config(connection))


def test_the_comparison_would_see_a_difference(journal: Journal) -> None:
    # The check above can fail: a model column the migrations never created is found.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        copy = table.to_metadata(changed)
        if table.name == "checkin":
            copy.append_column(Column("mood", Integer, nullable=True))
    differences = schema_differences(journal._engine, changed)
    # Each difference is (kind, schema, table name, column).
    assert [(kind, name, column.name) for kind, _, name, column in differences] == [
        ("add_column", "checkin", "mood")
    ]


def test_check_constraints_match_the_models(journal: Journal, backend: str) -> None:
    # Alembic's autogenerate does not compare CHECK constraints, so compare them here.
    inspector = inspect(journal._engine)
    for table in Base.metadata.sorted_tables:
        expected = {
            str(constraint.name): str(constraint.sqltext)
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)
        }
        found = {
            item["name"]: item["sqltext"] for item in inspector.get_check_constraints(table.name)
        }
        assert set(found) == set(expected), table.name
        if backend == "sqlite":  # PostgreSQL rewrites the expression; SQLite keeps our text
            assert found == expected, table.name


def test_downgrade_to_nothing_and_upgrade_again(journal_url: str) -> None:
    engine = make_engine(normalise_url(journal_url))
    try:
        with Journal.open(journal_url):
            pass
        with write_engine(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with Journal.open(journal_url) as journal:
            journal.start_session("walk")
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_journal_from_a_newer_vagus_is_refused_untouched(journal_url: str) -> None:
    with Journal.open(journal_url) as journal:
        session_id = journal.start_session("walk")
        with journal._engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(JournalError, match=r"schema revision '9999', written by a newer vagus"):
        Journal.open(journal_url)
    engine = make_engine(normalise_url(journal_url))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM guided_session")).all() == [
                (session_id,)
            ]
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("9999",)
            ]
    finally:
        engine.dispose()


def test_two_processes_opening_an_empty_journal_at_once(journal_url: str) -> None:
    # Both create-or-migrate at the same moment: one waits for the other (SQLite's write lock,
    # PostgreSQL's advisory lock), neither fails.
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def open_it() -> None:
        try:
            barrier.wait()
            with Journal.open(journal_url) as journal:
                journal.start_session("walk")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Journal.open(journal_url) as journal:
        assert len(journal.running_sessions()) == 2


# -- revision 0002: check-in symptoms out of the notes ----------------------------------------

#: Notes as vagus stored them before revision 0002, and what the upgrade makes of them.
NOTES_BEFORE_0002 = [
    (
        "stiff neck [symptoms: chest-pain, self-harm-thoughts]",
        "stiff neck",
        ["chest-pain", "self-harm-thoughts"],
    ),
    ("[symptoms: dizziness]", None, ["dizziness"]),
    ("two lines\nof text [symptoms: panic]", "two lines\nof text", ["panic"]),
    ("  padded  [symptoms: dizziness, dizziness]", "padded", ["dizziness"]),
    ("no signs today", "no signs today", []),
    (None, None, []),
    ("", "", []),
    ("a [symptoms: list] in the middle", "a [symptoms: list] in the middle", []),
    ("odd [symptoms: Not an id]", "odd [symptoms: Not an id]", []),
]


def _checkin_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        columns = [column["name"] for column in inspect(connection).get_columns("checkin")]
        wanted = "id, note, symptoms" if "symptoms" in columns else "id, note"
        return [tuple(row) for row in connection.execute(text(f"SELECT {wanted} FROM checkin"))]


def test_revision_0002_moves_the_symptoms_out_of_the_notes_and_back(journal_url: str) -> None:
    engine = make_engine(normalise_url(journal_url))
    try:
        # A journal created by the vagus of revision 0001, with its check-ins.
        with write_engine(engine).begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            connection.execute(
                insert(Checkin),
                [
                    {"at": T0 + timedelta(minutes=index), "pain": index % 11, "note": note}
                    for index, (note, _, _) in enumerate(NOTES_BEFORE_0002)
                ],
            )
        with engine.connect() as connection:
            ids = [row[0] for row in connection.execute(text("SELECT id FROM checkin ORDER BY id"))]

        with Journal.open(journal_url) as journal:
            entries = {entry["id"]: entry for entry in journal.history(types=["checkin"])}
            # New check-ins after the upgrade carry their own symptoms.
            journal.add_checkin(T0 + timedelta(days=1), sleep=5, symptoms=["palpitations"])
        assert [(entries[i]["note"], entries[i]["symptoms"]) for i in ids] == [
            (note, symptoms) for _, note, symptoms in NOTES_BEFORE_0002
        ]
        assert schema_differences(engine) == []

        # The downgrade writes them back as the CLI did (duplicates and padding are gone).
        with write_engine(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
        restored = dict(_checkin_rows(engine))
        assert [restored[i] for i in ids] == [
            "stiff neck [symptoms: chest-pain, self-harm-thoughts]",
            "[symptoms: dizziness]",
            "two lines\nof text [symptoms: panic]",
            "padded [symptoms: dizziness]",
            "no signs today",
            None,
            "",
            "a [symptoms: list] in the middle",
            "odd [symptoms: Not an id]",
        ]
        assert restored[max(restored)] == "[symptoms: palpitations]"
        columns = {column["name"] for column in inspect(engine).get_columns("checkin")}
        assert "symptoms" not in columns
    finally:
        engine.dispose()


def test_revision_0002_keeps_the_checkin_constraints(journal_url: str) -> None:
    # The column is added and dropped in place: the table's CHECK constraints and index stay.
    engine = make_engine(normalise_url(journal_url))
    try:
        with write_engine(engine).begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
        before = inspect(engine).get_check_constraints("checkin")
        with Journal.open(journal_url):
            pass
        assert inspect(engine).get_check_constraints("checkin") == before
        with write_engine(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
        assert inspect(engine).get_check_constraints("checkin") == before
        assert [index["name"] for index in inspect(engine).get_indexes("checkin")] == [
            "ix_checkin_at"
        ]
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert(Checkin.__table__).values(at=T0, pain=11))
    finally:
        engine.dispose()


# -- SQLite specifics -----------------------------------------------------------------------


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    with (
        Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal,
        journal._engine.connect() as connection,
    ):

        def pragma(name: str) -> object:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10_000
        assert pragma("secure_delete") == 1


def test_sqlite_file_and_folder_are_private(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    with Journal.open(f"sqlite:///{home / 'journal.sqlite3'}"):
        pass
    assert stat.S_IMODE((home / "journal.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_forget_leaves_no_trace_in_the_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    marker = "private-marker-7f3a9c"
    with Journal.open(f"sqlite:///{path}") as journal:
        session_id = journal.start_session("meditation")
        journal.add_gratitude(session_id, marker * 20)
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert marker.encode() in raw  # it was written (to the file or its log)
        journal.forget()
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert marker.encode() not in raw
        journal.start_session("walk")  # still usable


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is a shopping list, not a journal\n" * 200)
    with pytest.raises(JournalError, match=r"journal\.sqlite3: cannot open the journal"):
        Journal.open(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"this is a shopping list")


def test_an_unreachable_server_is_a_clear_error() -> None:
    # Port 1 on the loopback interface refuses at once.
    with pytest.raises(JournalError, match=r"^postgresql\+psycopg://vagus:\*\*\*@127\.0\.0\.1:1/x"):
        Journal.open("postgresql://vagus:secret@127.0.0.1:1/x?connect_timeout=2")


def test_backup_copies_a_live_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(f"sqlite:///{path}") as journal:
        recording = journal.start_recording("replay")
        journal.append_beats(recording, [800.0, 810.0])
        copy = backup_sqlite(path, tmp_path / "copy.sqlite3")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    connection = sqlite3.connect(copy)
    try:
        assert connection.execute("SELECT rr_ms FROM rr_beat ORDER BY seq").fetchall() == [
            (800.0,),
            (810.0,),
        ]
    finally:
        connection.close()


# -- revision 0003: the process that runs a session, in its own row ---------------------------


def test_revision_0003_moves_the_live_sessions_setting_into_the_rows(journal_url: str) -> None:
    import sqlalchemy as sa

    sessions = sa.table(
        "guided_session",
        sa.column("exercise_id", sa.String()),
        sa.column("params", sa.JSON()),
        sa.column("started_at", sa.DateTime()),
        sa.column("status", sa.String()),
    )
    settings = sa.table(
        "setting",
        sa.column("key", sa.String()),
        sa.column("value", sa.JSON()),
        sa.column("updated_at", sa.DateTime()),
    )
    engine = make_engine(normalise_url(journal_url))
    try:
        # A journal of revision 0002: two running sessions, one with its process in the setting.
        with write_engine(engine).begin() as connection:
            command.upgrade(alembic_config(connection), "0002")
            for exercise in ("humming", "laughter"):
                connection.execute(
                    insert(sessions).values(
                        exercise_id=exercise, params={}, started_at=T0, status="running"
                    )
                )
            connection.execute(
                insert(settings).values(key="live_sessions", value={"1": 4242}, updated_at=T0)
            )
        with Journal.open(journal_url) as journal:
            assert journal.running_sessions() == {1: 4242, 2: None}
            assert journal.get_setting("live_sessions") is None
        assert schema_differences(engine) == []
        # The downgrade writes the known process back into the setting.
        with write_engine(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
        with engine.connect() as connection:
            value = connection.execute(
                sa.select(settings.c.value).where(settings.c.key == "live_sessions")
            ).scalar_one()
        assert value == {"1": 4242}
    finally:
        engine.dispose()
