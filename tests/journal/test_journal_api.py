"""The repository API on SQLite and PostgreSQL: what goes in comes out, in UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from journal_helpers import T0, FakeClock, Populated

from vagus.journal import ENTRY_TYPES, Journal, JournalError

OSLO_SUMMER = timezone(timedelta(hours=2))


def test_settings_and_profile_round_trip(journal: Journal) -> None:
    assert journal.get_setting("lang") is None
    assert journal.get_setting("lang", "en") == "en"
    journal.set_setting("lang", "nb")
    journal.set_setting("pacer", {"inhale_s": 4, "exhale_s": 8.5, "sound": True, "tags": [1, None]})
    journal.set_setting("lang", "en")  # replaces
    journal.set_setting("reminder", None)  # JSON null is a value, not "absent"
    journal.set_profile({"name": "Kari", "conditions": ["fibromyalgia"]})
    assert journal.get_setting("lang") == "en"
    assert journal.get_setting("pacer") == {
        "inhale_s": 4,
        "exhale_s": 8.5,
        "sound": True,
        "tags": [1, None],
    }
    assert journal.profile() == {"name": "Kari", "conditions": ["fibromyalgia"]}
    assert journal.get_setting("reminder", "unset") is None
    assert set(journal.settings()) == {"lang", "pacer", "profile", "reminder"}


def test_latest_screening_and_plan_are_the_newest(journal: Journal) -> None:
    assert journal.latest_screening() is None
    assert journal.latest_plan() is None
    journal.save_screening({"pacemaker": False}, at=T0)
    newest = journal.save_screening({"pacemaker": True}, at=T0 + timedelta(days=1))
    journal.save_screening({"pacemaker": False}, at=T0 - timedelta(days=1))  # entered late
    first = journal.save_plan({"level": 1}, "start gently", at=T0)
    second = journal.save_plan({"level": 2}, "tolerated a week well", at=T0 + timedelta(days=7))
    screening = journal.latest_screening()
    plan = journal.latest_plan()
    assert screening is not None
    assert plan is not None
    assert (screening.id, screening.answers) == (newest, {"pacemaker": True})
    assert screening.at == T0 + timedelta(days=1)
    assert (plan.id, plan.plan, plan.reason) == (second, {"level": 2}, "tolerated a week well")
    assert [(p.id, p.reason) for p in journal.plans()] == [
        (first, "start gently"),
        (second, "tolerated a week well"),
    ]


def test_times_come_back_as_the_same_instant_in_utc(journal: Journal) -> None:
    local = datetime(2024, 6, 1, 9, 15, 30, 123456, tzinfo=OSLO_SUMMER)
    screening_id = journal.save_screening({}, at=local)
    screening = journal.latest_screening()
    assert screening is not None
    assert screening.id == screening_id
    assert screening.at == local  # the same instant, to the microsecond
    assert screening.at.tzinfo is UTC
    assert screening.at.hour == 7  # 09:15 at UTC+2
    entry = journal.history(types=["screening"])[0]
    assert entry["started_at"] == "2024-06-01T07:15:30.123456+00:00"


def test_a_guided_session_with_every_part(journal: Journal, clock: FakeClock) -> None:
    session_id = journal.start_session("cold_water", {"seconds": 10, "rounds": 2})
    journal.add_rating(session_id, "before", 4)
    steps = []
    for index in range(2):
        start = clock.advance(5)
        end = clock.advance(10)
        steps.append(
            journal.record_step(session_id, f"round-{index}", "cold", start, end, 9.5, "done")
        )
    journal.add_gratitude(session_id, "a friend called")
    journal.finish_session(session_id, "completed", at=clock.advance(5))
    journal.add_rating(session_id, "after", 6)
    journal.add_feedback(session_id, "", ["dizziness", "cold_hands"])
    recording = journal.start_recording("ble:Polar H10", T0, ["session"], session_id=session_id)

    entry = journal.session(session_id)
    assert entry["type"] == "session"
    assert entry["status"] == "completed"
    assert entry["exercise_id"] == "cold_water"
    assert entry["params"] == {"seconds": 10, "rounds": 2}
    assert entry["started_at"] == "2024-05-01T07:30:00+00:00"
    assert entry["ended_at"] == "2024-05-01T07:30:35+00:00"
    assert [step["id"] for step in entry["steps"]] == steps
    assert entry["steps"][1] == {
        "id": steps[1],
        "step_id": "round-1",
        "kind": "cold",
        "started_at": "2024-05-01T07:30:20+00:00",
        "ended_at": "2024-05-01T07:30:30+00:00",
        "active_s": 9.5,
        "outcome": "done",
    }
    assert entry["ratings"] == {"before": 4, "after": 6}
    assert [item["symptoms"] for item in entry["feedback"]] == [["dizziness", "cold_hands"]]
    assert [item["text"] for item in entry["gratitude"]] == ["a friend called"]
    assert entry["recording_ids"] == [recording]
    assert journal.running_sessions() == {}


def test_running_sessions_are_listed_until_finished(journal: Journal) -> None:
    first = journal.start_session("humming", pid=4242)
    second = journal.start_session("laughter")
    # Each with the process that runs it, written with the session itself (None: unknown).
    assert journal.running_sessions() == {first: 4242, second: None}
    journal.finish_session(first, "interrupted")
    assert journal.running_sessions() == {second: None}
    assert journal.session(first)["status"] == "interrupted"


def test_beats_are_appended_in_order(journal: Journal, clock: FakeClock) -> None:
    recording = journal.start_recording("replay", tags=("morning", "rest"))
    assert journal.append_beats(recording, []) == 0
    assert journal.append_beats(recording, [812.0, 798.5]) == 2
    assert journal.append_beats(recording, (805.25,)) == 3
    assert journal.recording_rr(recording) == [812.0, 798.5, 805.25]
    assert journal.unfinished_recordings() == [recording]
    analysis = {"rmssd": 26.42, "warnings": [], "artifacts": {"percent": 0.0}}
    journal.finish_recording(recording, clock.advance(60), analysis)
    entry = journal.recording(recording)
    assert entry["n_beats"] == 3
    assert entry["tags"] == ["morning", "rest"]
    assert entry["analysis"] == analysis
    assert entry["session_id"] is None
    assert entry["ended_at"] == "2024-05-01T07:31:00+00:00"
    assert journal.unfinished_recordings() == []


def test_float64_rr_values_round_trip_exactly(journal: Journal) -> None:
    # Doubles on both backends: 17 significant digits survive.
    values = [812.3456789012345, 0.1 + 0.2, 1000.0 / 3.0, 65535 / 1024 * 1000]
    recording = journal.start_recording("replay")
    journal.append_beats(recording, values)
    assert journal.recording_rr(recording) == values


def test_checkins_and_questionnaires(journal: Journal) -> None:
    checkin = journal.add_checkin(T0, sleep=0, headache=10, note=None)
    journal.add_checkin(T0 + timedelta(hours=1), note="slept badly, better after walk")
    questionnaire = journal.add_questionnaire(
        T0 - timedelta(minutes=1), "GAD-7", {"items": [1, 1, 0, 2, 1, 0, 1]}, 6.0
    )
    entries = journal.history(types=["checkin", "questionnaire"])
    assert [entry["type"] for entry in entries] == ["checkin", "checkin", "questionnaire"]
    oldest = entries[1]
    assert oldest["id"] == checkin
    assert oldest["sleep"] == 0
    assert oldest["headache"] == 10
    assert oldest["digestion"] is None
    assert oldest["note"] is None
    assert entries[2] == {
        "type": "questionnaire",
        "id": questionnaire,
        "started_at": "2024-05-01T07:29:00+00:00",
        "name": "GAD-7",
        "answers": {"items": [1, 1, 0, 2, 1, 0, 1]},
        "score": 6.0,
        "severity": None,
    }


def test_history_is_newest_first_and_filters(journal: Journal, populated: Populated) -> None:
    entries = journal.history()
    assert {entry["type"] for entry in entries} == set(ENTRY_TYPES)
    times = [datetime.fromisoformat(entry["started_at"]) for entry in entries]
    assert times == sorted(times, reverse=True)
    assert all(entry["started_at"].endswith("+00:00") for entry in entries)
    # The running session and its recording started at the same instant: sessions come first.
    assert entries[0]["type"] == "session"
    assert entries[0]["id"] == populated.running
    assert entries[0]["status"] == "running"
    measurements = journal.history(types=["measurement"])
    assert [(m["id"], m["n_beats"]) for m in measurements] == [
        (populated.open_recording, 1),
        (populated.finished_recording, 3),
    ]
    recent = journal.history(since=T0 + timedelta(minutes=30))
    assert [entry["type"] for entry in recent] == [
        "session",
        "measurement",
        "questionnaire",
        "checkin",
    ]
    assert [entry["type"] for entry in journal.history(limit=2)] == ["session", "measurement"]
    assert journal.history(limit=0) == []
    # JSON-ready: nothing but JSON types.
    assert json.loads(json.dumps(entries)) == entries


def test_history_refuses_bad_arguments(journal: Journal) -> None:
    with pytest.raises(JournalError, match=r"^types: expected one of 'session'"):
        journal.history(types=["sessions"])
    with pytest.raises(JournalError, match=r"^since: expected a timezone-aware datetime"):
        journal.history(since=datetime(2024, 1, 1))
    with pytest.raises(JournalError, match=r"^limit: expected a whole number >= 0, got -1"):
        journal.history(limit=-1)


def test_data_survives_closing_and_reopening(journal_url: str) -> None:
    with Journal.open(journal_url) as first:
        session_id = first.start_session("neck_mobility", {"side": "both"})
        recording = first.start_recording("replay")
        first.append_beats(recording, [800.0, 820.0])
    with Journal.open(journal_url) as second:
        assert second.running_sessions() == {session_id: None}
        assert second.recording_rr(recording) == [800.0, 820.0]


def test_forget_deletes_everything(journal: Journal, populated: Populated) -> None:
    assert sum(journal.counts().values()) > 0
    journal.forget()
    assert set(journal.counts().values()) == {0}
    assert journal.history() == []
    assert journal.get_setting("lang") is None
    # The journal still works afterwards.
    assert journal.start_session("walk") > 0


def test_in_memory_sqlite_works_for_quick_use() -> None:
    with Journal.open("sqlite://") as journal:
        session_id = journal.start_session("meditation")
        assert journal.running_sessions() == {session_id: None}


def test_default_clock_is_utc_now(journal_url: str) -> None:
    before = datetime.now(UTC)
    with Journal.open(journal_url) as journal:
        journal.start_session("walk")
        started = datetime.fromisoformat(journal.history()[0]["started_at"])
    assert before - timedelta(seconds=1) <= started <= datetime.now(UTC) + timedelta(seconds=1)


def test_url_hides_the_password() -> None:
    with pytest.raises(JournalError) as error:
        Journal.open("mysql://kari:secret@localhost/vagus")
    assert "secret" not in str(error.value)
    assert str(error.value).startswith("database_url: expected sqlite:///")


# -- check-in symptoms (issue 10) --------------------------------------------------------------


def test_checkins_keep_their_warning_signs_as_a_list(journal: Journal, clock: FakeClock) -> None:
    with_signs = journal.add_checkin(
        T0, pain=6, note="tight chest", symptoms=("chest-pain", "self-harm-thoughts")
    )
    # Warning signs alone make a check-in, as a rating or a note does.
    signs_only = journal.add_checkin(clock.advance(60), symptoms=["thunderclap-headache"])
    # The call other code makes, without symptoms: none stored.
    values = {"sleep": 7, "fatigue": 2}
    plain = journal.add_checkin(clock.advance(60), note="fine", **values)
    entries = {entry["id"]: entry for entry in journal.history(types=["checkin"])}
    assert entries[with_signs]["note"] == "tight chest"
    assert entries[with_signs]["symptoms"] == ["chest-pain", "self-harm-thoughts"]
    assert entries[with_signs]["pain"] == 6
    assert entries[signs_only]["note"] is None
    assert entries[signs_only]["symptoms"] == ["thunderclap-headache"]
    assert all(entries[signs_only][name] is None for name in ("sleep", "pain", "fatigue"))
    assert entries[plain]["symptoms"] == []
    assert list(entries[plain]) == [
        "type",
        "id",
        "started_at",
        "sleep",
        "headache",
        "digestion",
        "anxiety",
        "pain",
        "fatigue",
        "note",
        "symptoms",
    ]
    exported = {row["id"]: row["symptoms"] for row in journal.export()["checkins"]}
    assert exported == {
        with_signs: ["chest-pain", "self-harm-thoughts"],
        signs_only: ["thunderclap-headache"],
        plain: [],
    }


# -- journal hygiene: discarding sessions and recordings ---------------------------------------


def test_discard_session_deletes_a_session_without_steps_and_its_parts(
    journal: Journal, populated: Populated, clock: FakeClock
) -> None:
    session_id = journal.start_session("humming", {"minutes": 2})
    journal.add_rating(session_id, "before", 4)
    journal.add_feedback(session_id, "ears buzzing", ["dizziness"])
    journal.add_gratitude(session_id, "quiet house")
    recording = journal.start_recording("replay", clock.now, ["session"], session_id=session_id)
    journal.append_beats(recording, [800.0, 810.0])
    assert journal.session(session_id)["recording_ids"] == [recording]
    before = journal.counts()

    journal.discard_session(session_id)

    with pytest.raises(JournalError, match=r"^session_id: expected the id of a stored session"):
        journal.session(session_id)
    after = journal.counts()
    assert {name: before[name] - after[name] for name in before if before[name] != after[name]} == {
        "guided_session": 1,
        "calm_rating": 1,
        "session_feedback": 1,
        "gratitude": 1,
    }
    # The recording stays, unlinked; its beats too.
    assert journal.recording(recording)["session_id"] is None
    assert journal.recording_rr(recording) == [800.0, 810.0]
    assert session_id not in [entry["id"] for entry in journal.history(types=["session"])]
    # The other sessions are untouched; a running one without steps can be discarded too.
    assert journal.session(populated.finished)["ratings"] == {"before": 3, "after": 7}
    journal.discard_session(populated.running)
    assert journal.running_sessions() == {}


def test_discard_session_refuses_a_session_with_steps(journal: Journal, clock: FakeClock) -> None:
    session_id = journal.start_session("walk")
    start = clock.now
    journal.record_step(session_id, "walk", "activity", start, clock.advance(60), 60.0, "done")
    journal.add_rating(session_id, "before", 5)
    with pytest.raises(JournalError) as error:
        journal.discard_session(session_id)
    assert str(error.value) == (
        f"session_id: expected a session without recorded steps, got 'session {session_id} has "
        "1 step'"
    )
    assert error.value.field == "session_id"
    assert isinstance(error.value, ValueError)
    entry = journal.session(session_id)
    assert len(entry["steps"]) == 1
    assert entry["ratings"]["before"] == 5


def test_delete_recording_deletes_it_and_its_beats(journal: Journal, populated: Populated) -> None:
    short = journal.start_recording("ble:Polar H10", T0, ["morning"], session_id=populated.finished)
    journal.append_beats(short, [800.0, 805.0, 790.0])
    journal.finish_recording(short, T0 + timedelta(seconds=3))
    before = journal.counts()

    journal.delete_recording(short)

    assert journal.counts()["rr_recording"] == before["rr_recording"] - 1
    assert journal.counts()["rr_beat"] == before["rr_beat"] - 3
    with pytest.raises(JournalError, match=r"^recording_id: expected the id of a stored"):
        journal.recording(short)
    with pytest.raises(JournalError, match=r"^recording_id: expected the id of a stored"):
        journal.recording_rr(short)
    assert journal.session(populated.finished)["recording_ids"] == [populated.finished_recording]
    assert journal.recording_rr(populated.finished_recording) == [812.0, 798.5, 805.25]
    # An open recording can be deleted as well; appending to it afterwards is refused.
    journal.delete_recording(populated.open_recording)
    assert journal.unfinished_recordings() == []
    with pytest.raises(JournalError, match=r"^recording_id: expected the id of a stored"):
        journal.append_beats(populated.open_recording, [900.0])


def test_set_recording_tags_replaces_them(journal: Journal, populated: Populated) -> None:
    journal.set_recording_tags(populated.finished_recording, ("rest", "evening"))
    assert journal.recording(populated.finished_recording)["tags"] == ["rest", "evening"]
    journal.set_recording_tags(populated.finished_recording, [])
    assert journal.recording(populated.finished_recording)["tags"] == []
    # Tags can change on an open recording too, and nothing else about it changes.
    journal.set_recording_tags(populated.open_recording, ["morning"])
    entry = journal.recording(populated.open_recording)
    assert entry["tags"] == ["morning"]
    assert entry["ended_at"] is None
    assert entry["n_beats"] == 1
