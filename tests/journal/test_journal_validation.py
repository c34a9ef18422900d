"""Every refused call names the field and what was expected, and changes nothing.

Each case runs on a journal holding one of everything (both backends); the whole journal (its
export and row counts) is compared before and after the refused call. Since a refused call
changes nothing, the cases share one journal per backend (a case that did change it fails).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from journal_helpers import (
    BACKENDS,
    T0,
    FakeClock,
    Populated,
    populate,
    postgres_problem,
    postgres_schema,
    snapshot,
)

from vagus.journal import Journal, JournalError

NAIVE = datetime(2024, 5, 1, 7, 30)
Call = Callable[[Journal, Populated], Any]

# Each case: the call, and the start of the message it must raise.
CASES = [
    pytest.param(
        lambda j, p: j.add_rating(p.running, "before", 11),
        "calm: expected an integer from 0 to 10, got 11",
        id="rating 11",
    ),
    pytest.param(
        lambda j, p: j.add_rating(p.running, "before", -1),
        "calm: expected an integer from 0 to 10, got -1",
        id="rating -1",
    ),
    pytest.param(
        lambda j, p: j.add_rating(p.running, "before", 5.5),
        "calm: expected an integer from 0 to 10, got 5.5",
        id="rating 5.5",
    ),
    pytest.param(
        lambda j, p: j.add_rating(p.running, "before", True),
        "calm: expected an integer from 0 to 10, got True",
        id="rating True",
    ),
    pytest.param(
        lambda j, p: j.add_rating(p.running, "during", 5),
        "moment: expected one of 'before', 'after', got 'during'",
        id="rating moment",
    ),
    pytest.param(
        lambda j, p: j.add_rating(9999, "before", 5),
        "session_id: expected the id of a stored session, got 9999",
        id="rating unknown session",
    ),
    pytest.param(
        lambda j, p: j.add_rating(p.finished, "after", 5),
        "moment: expected a moment not yet rated for session",
        id="rating twice",
    ),
    pytest.param(
        lambda j, p: j.add_rating("1", "before", 5),
        "session_id: expected a positive integer id, got '1'",
        id="rating session id text",
    ),
    pytest.param(
        lambda j, p: j.record_step(9999, "s", "k", T0, T0, 0.0, "done"),
        "session_id: expected the id of a stored session",
        id="step unknown session",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.finished, "s", "k", T0, T0, 0.0, "done"),
        "session_id: expected a running session, got 'session",
        id="step on finished session",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, "s", "k", T0, T0 - timedelta(seconds=1), 0.0, "done"),
        "ended_at: expected a time at or after started_at",
        id="step ends before start",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, "s", "k", T0, T0, -0.5, "done"),
        "active_s: expected a finite number >= 0, got -0.5",
        id="step negative active",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, "s", "k", T0, T0, math.nan, "done"),
        "active_s: expected a finite number >= 0, got nan",
        id="step NaN active",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, "s", "k", NAIVE, T0, 1.0, "done"),
        "started_at: expected a timezone-aware datetime",
        id="step naive time",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, " ", "k", T0, T0, 1.0, "done"),
        "step_id: expected a non-empty text of at most 100 characters",
        id="step empty id",
    ),
    pytest.param(
        lambda j, p: j.record_step(p.running, "s", "k" * 101, T0, T0, 1.0, "done"),
        "kind: expected a non-empty text of at most 100 characters",
        id="step long kind",
    ),
    pytest.param(
        lambda j, p: j.finish_session(p.running, "running"),
        "status: expected one of 'completed', 'aborted', 'stopped', 'interrupted', got 'running'",
        id="finish with running",
    ),
    pytest.param(
        lambda j, p: j.finish_session(p.running, "done"),
        "status: expected one of 'completed'",
        id="finish with unknown status",
    ),
    pytest.param(
        lambda j, p: j.finish_session(p.finished, "completed"),
        "session_id: expected a running session, got 'session",
        id="finish twice",
    ),
    pytest.param(
        lambda j, p: j.finish_session(p.running, "completed", T0),
        "at: expected a time at or after the session's start",
        id="finish before start",
    ),
    pytest.param(
        lambda j, p: j.finish_session(p.running, "completed", NAIVE),
        "at: expected a timezone-aware datetime",
        id="finish naive",
    ),
    pytest.param(
        lambda j, p: j.start_session("walk", {"pace": math.nan}),
        "params: expected a JSON document",
        id="session params NaN",
    ),
    pytest.param(
        lambda j, p: j.start_session("walk", [1, 2]),
        "params: expected a JSON object (a dict), got [1, 2]",
        id="session params list",
    ),
    pytest.param(
        lambda j, p: j.start_session(""),
        "exercise_id: expected a non-empty text",
        id="session empty exercise",
    ),
    pytest.param(
        lambda j, p: j.add_feedback(p.finished, "ok", "dizzy"),
        "symptoms: expected a list of at most 100 short texts, got 'dizzy'",
        id="feedback symptoms text",
    ),
    pytest.param(
        lambda j, p: j.add_feedback(p.finished, "ok", ["dizzy", 3]),
        "symptoms[1]: expected a non-empty text",
        id="feedback symptom number",
    ),
    pytest.param(
        lambda j, p: j.add_feedback(9999, "ok", []),
        "session_id: expected the id of a stored session",
        id="feedback unknown session",
    ),
    pytest.param(
        lambda j, p: j.add_gratitude(p.running, "  "),
        "text: expected a non-empty text",
        id="gratitude empty",
    ),
    pytest.param(
        lambda j, p: j.add_gratitude(9999, "sun"),
        "session_id: expected the id of a stored session",
        id="gratitude unknown session",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0),
        "checkin: expected at least one of sleep, headache, digestion, anxiety, pain, fatigue, "
        "a note or a symptom",
        id="checkin empty",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, note="  ", symptoms=[]),
        "checkin: expected at least one of sleep",
        id="checkin blank note, no symptoms",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, pain=3, symptoms=["chest-pain", "chest-ache"]),
        "symptoms: expected ids of the symptoms vagus knows (vagus.program.safety), "
        "got 'chest-ache'",
        id="checkin unknown symptom",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, symptoms=["thoughts-of-self-harm"]),
        "symptoms: expected ids of the symptoms vagus knows",
        id="checkin unknown symptom alone",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, pain=3, symptoms="dizziness"),
        "symptoms: expected a list of at most 100 short texts, got 'dizziness'",
        id="checkin symptoms text",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, pain=3, symptoms=["Dizziness"]),
        "symptoms[0]: expected a symptom id (lower-case words joined by '-'",
        id="checkin symptom not an id",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, pain=3, symptoms=["panic", "panic"]),
        "symptoms: expected each symptom id once, got 'panic'",
        id="checkin symptom twice",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, pain=11, symptoms=["panic"]),
        "pain: expected an integer from 0 to 10, got 11",
        id="checkin symptoms with a bad rating",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, sleep=11),
        "sleep: expected an integer from 0 to 10, got 11",
        id="checkin sleep 11",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(T0, fatigue="7"),
        "fatigue: expected an integer from 0 to 10, got '7'",
        id="checkin fatigue text",
    ),
    pytest.param(
        lambda j, p: j.add_checkin(NAIVE, pain=3),
        "at: expected a timezone-aware datetime",
        id="checkin naive",
    ),
    pytest.param(
        lambda j, p: j.add_questionnaire(T0, "PHQ-8", [], math.nan),
        "score: expected a finite number, got nan",
        id="questionnaire score NaN",
    ),
    pytest.param(
        lambda j, p: j.add_questionnaire(T0, "", [], 3),
        "name: expected a non-empty text",
        id="questionnaire no name",
    ),
    pytest.param(
        lambda j, p: j.add_questionnaire(T0, "PHQ-8", {1, 2}, 3),
        "answers: expected a JSON document",
        id="questionnaire answers set",
    ),
    pytest.param(
        lambda j, p: j.save_screening(["yes"]),
        "answers: expected a JSON object (a dict)",
        id="screening not a dict",
    ),
    pytest.param(
        lambda j, p: j.save_screening({"a": {1: "x"}}),
        "answers: expected a JSON document whose keys are texts",
        id="screening int keys",
    ),
    pytest.param(
        lambda j, p: j.save_plan("easy", "why"),
        "plan: expected a JSON object (a dict), got 'easy'",
        id="plan not a dict",
    ),
    pytest.param(
        lambda j, p: j.save_plan({}, None),
        "reason: expected a text of at most 20000 characters, got None",
        id="plan reason missing",
    ),
    pytest.param(
        lambda j, p: j.set_setting("", 1),
        "key: expected a non-empty text of at most 200 characters",
        id="setting empty key",
    ),
    pytest.param(
        lambda j, p: j.set_setting("x", object()),
        "value: expected a JSON document",
        id="setting not JSON",
    ),
    pytest.param(
        lambda j, p: j.set_profile("Kari"),
        "profile: expected a JSON object (a dict), got 'Kari'",
        id="profile not a dict",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, [800.0, math.nan]),
        "rr_ms[1]: expected an RR interval above 0 and at most 63999.02 ms, got nan",
        id="beats NaN",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, [0.0]),
        "rr_ms[0]: expected an RR interval above 0",
        id="beats zero",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, [800, -5]),
        "rr_ms[1]: expected an RR interval above 0",
        id="beats negative",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, [64_000.0]),
        "rr_ms[0]: expected an RR interval above 0 and at most 63999.02 ms",
        id="beats above 64 s",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, ["800"]),
        "rr_ms[0]: expected an RR interval in ms (a number), got '800'",
        id="beats text",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.open_recording, "800"),
        "rr_ms: expected a sequence of RR intervals in ms",
        id="beats a string",
    ),
    pytest.param(
        lambda j, p: j.append_beats(9999, [800.0]),
        "recording_id: expected the id of a stored recording, got 9999",
        id="beats unknown recording",
    ),
    pytest.param(
        lambda j, p: j.append_beats(p.finished_recording, [800.0]),
        "recording_id: expected an open recording, got 'recording",
        id="beats on finished recording",
    ),
    pytest.param(
        lambda j, p: j.finish_recording(p.finished_recording),
        "recording_id: expected an open recording",
        id="finish recording twice",
    ),
    pytest.param(
        lambda j, p: j.finish_recording(p.open_recording, None, [1]),
        "analysis: expected a JSON object (a dict), got [1]",
        id="finish recording analysis list",
    ),
    pytest.param(
        lambda j, p: j.finish_recording(p.open_recording, T0),
        "at: expected a time at or after the recording's start",
        id="finish recording before start",
    ),
    pytest.param(
        lambda j, p: j.start_recording("replay", T0, [], 9999),
        "session_id: expected the id of a stored session, got 9999",
        id="recording unknown session",
    ),
    pytest.param(
        lambda j, p: j.start_recording("replay", T0, "morning"),
        "tags: expected a list of at most 100 short texts, got 'morning'",
        id="recording tags text",
    ),
    pytest.param(
        lambda j, p: j.discard_session(p.finished),
        "session_id: expected a session without recorded steps, got 'session 1 has 1 step'",
        id="discard a session with steps",
    ),
    pytest.param(
        lambda j, p: j.discard_session(9999),
        "session_id: expected the id of a stored session, got 9999",
        id="discard unknown session",
    ),
    pytest.param(
        lambda j, p: j.discard_session(None),
        "session_id: expected a positive integer id, got None",
        id="discard no session",
    ),
    pytest.param(
        lambda j, p: j.delete_recording(9999),
        "recording_id: expected the id of a stored recording, got 9999",
        id="delete unknown recording",
    ),
    pytest.param(
        lambda j, p: j.set_recording_tags(p.finished_recording, "rest"),
        "tags: expected a list of at most 100 short texts, got 'rest'",
        id="recording tags a text",
    ),
    pytest.param(
        lambda j, p: j.set_recording_tags(p.finished_recording, ["rest", ""]),
        "tags[1]: expected a non-empty text",
        id="recording tag empty",
    ),
    pytest.param(
        lambda j, p: j.set_recording_tags(9999, ["rest"]),
        "recording_id: expected the id of a stored recording, got 9999",
        id="tags of unknown recording",
    ),
    pytest.param(
        lambda j, p: j.start_recording("", T0),
        "source: expected a non-empty text of at most 200 characters",
        id="recording no source",
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Journal, Populated]]:
    """One populated journal per backend, for the cases that must not change it."""
    clock = FakeClock()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('validation') / 'journal.sqlite3'}"
        with Journal.open(url, clock=clock) as journal:
            yield journal, populate(journal, clock)
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    with postgres_schema() as url, Journal.open(url, clock=clock) as journal:
        yield journal, populate(journal, clock)


@pytest.mark.parametrize(("call", "message"), CASES)
def test_refused_calls_name_the_field_and_change_nothing(
    shared: tuple[Journal, Populated], call: Call, message: str
) -> None:
    journal, populated = shared
    before = snapshot(journal)
    with pytest.raises(JournalError) as error:
        call(journal, populated)
    assert str(error.value).startswith(message), str(error.value)
    assert error.value.field == message.split(":")[0]
    assert snapshot(journal) == before


def test_refused_reads_name_the_field(journal: Journal, populated: Populated) -> None:
    with pytest.raises(JournalError, match=r"^recording_id: expected the id of a stored recording"):
        journal.recording_rr(9999)
    with pytest.raises(JournalError, match=r"^session_id: expected the id of a stored session"):
        journal.session(9999)
    with pytest.raises(JournalError, match=r"^key: expected a non-empty text"):
        journal.get_setting("")


def test_a_journal_error_is_a_value_error() -> None:
    assert issubclass(JournalError, ValueError)


def test_the_database_itself_refuses_what_the_checks_would(
    journal: Journal, populated: Populated
) -> None:
    # The CHECK constraints are a second line of defence: bypass the API and write a rating of
    # 11 straight into the table; the database must refuse it.
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from vagus.journal._models import CalmRating

    engine = journal._engine
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(CalmRating).values(session_id=populated.running, moment="before", calm=11, at=T0)
        )
