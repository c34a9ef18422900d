"""A property-based fuzz of the JSON API from its own OpenAPI schema (issue 11): for every
operation, schemathesis generates requests, valid and invalid by the schema, and the server
answers none of them with a 5xx, except a documented 503 (a busy server: ``BusyError`` with
``Retry-After``). A 2xx answer must also match the schema's response model and content type.

Each operation runs as its own test around a fresh app (tests/web/conftest.py) that already holds
a screening, a check-in, a session, a measurement and an open browser recording, so generated
ids sometimes name stored rows and the requests reach the services, not only the 404s; where the
schema only says "a string" (an exercise id, a step id, a questionnaire name), a known good value
is drawn instead now and then, for the same reason. Every request carries the CSRF token and its
cookie, as a script would; the test checks that unsafe requests got past that check.

The run is reproducible (``derandomize=True``: the same examples on every run, no example
database). ``make test`` runs :data:`FUZZ_EXAMPLES` examples per operation; for a longer fuzz
on your machine raise it, and vary the examples with a seed::

    VAGUS_FUZZ_EXAMPLES=2000 .venv/bin/pytest -q -n 2 tests/web/test_api_fuzz.py
    VAGUS_FUZZ_EXAMPLES=2000 VAGUS_FUZZ_SEED=7 .venv/bin/pytest -q -n 2 tests/web/test_api_fuzz.py

A 500 found here is fixed where it arises, with a regression test in
tests/web/test_fuzz_regressions.py.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from vagus.app import App, build_app
from vagus.program import EXERCISE_IDS, QUESTIONNAIRES, questions
from vagus.web import create_app
from vagus.web._csrf import CSRF_COOKIE, CSRF_HEADER, UNSAFE_METHODS

#: Generated examples per operation in ``make test`` (35 operations: about 26 s of CPU in all,
#: measured); ``VAGUS_FUZZ_EXAMPLES`` raises it for a longer run by hand.
FUZZ_EXAMPLES: Final = int(os.environ.get("VAGUS_FUZZ_EXAMPLES", "100"))
#: ``VAGUS_FUZZ_SEED`` picks other examples than the fixed ones ``make test`` runs.
FUZZ_SEED: Final = os.environ.get("VAGUS_FUZZ_SEED")

#: Operations not fuzzed, and why.
EXCLUDED: Final[dict[str, str]] = {
    # An endless server-sent-events stream: a request never ends by itself, and its bounds
    # (limit, speed, preview slots) have their own tests in tests/web/test_live*.py.
    "GET /api/live/stream": "endless server-sent-events stream",
}


def _openapi_document() -> dict[str, Any]:
    """The server's OpenAPI document, from an app in a throwaway home (the document does not
    depend on the journal; each test then fuzzes its own app)."""
    with tempfile.TemporaryDirectory() as home:
        vagus = build_app(env={"VAGUS_HOME": home, "VAGUS_LANG": "en"})
        try:
            return create_app(vagus).openapi()
        finally:
            vagus.close()


SCHEMA: Final = schemathesis.openapi.from_dict(_openapi_document())
# A failing request is printed whole (schemathesis hides values under names such as session_id).
SCHEMA.config.output.sanitization.update(enabled=False)
OPERATIONS: Final = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
#: ``POST /api/delete-all`` empties the journal; it is fuzzed like the others, around its own
#: app, so it cannot make the other operations' tests vacuous.
FUZZED: Final = [label for label in OPERATIONS if label not in EXCLUDED]


@dataclass
class Seeds:
    """What the app holds before the fuzz starts: ids a generated request may name."""

    session_ids: list[int]
    recording_ids: list[int]
    step_ids: list[str]
    step_kinds: list[str]


@dataclass
class Target:
    """The server under fuzz, the CSRF token and cookie a script would send, what it holds."""

    server: Any
    token: str
    cookie: str
    seeds: Seeds
    statuses: Counter[int] = field(default_factory=Counter)
    unsafe: int = 0
    csrf_refused: int = 0


def _seed(app: App, client: asgi.ASGIClient, headers: dict[str, str]) -> Seeds:
    """A session, a check-in and an open browser recording, made through the API as a person
    would (the screening is answered before), and a stored measurement."""

    def post(path: str, **kwargs: Any) -> Any:
        response = client.post(path, headers=headers, **kwargs)
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()

    session = post("/api/sessions", json={"exercise_id": "breathing"})
    post("/api/checkins", json=dict.fromkeys(CHECKIN_FIELDS, 3))
    browser = post("/api/live/browser", json={"name": "strap"})
    # An upload is analysed, not stored: the measurement goes into the journal directly.
    measured = app.journal.start_recording("replay", MEASURED_AT, ["morning"])
    app.journal.append_beats(measured, [800.0 + (i % 7) * 10 for i in range(300)])
    app.journal.finish_recording(measured, analysis={"n_beats": 300, "indices": {"rmssd": 42.0}})
    return Seeds(
        session_ids=[session["id"]],
        recording_ids=[measured, browser["recording_id"]],
        step_ids=[step["id"] for step in session["steps"]],
        step_kinds=sorted({step["kind"] for step in session["steps"]}),
    )


CHECKIN_FIELDS: Final = ("sleep", "headache", "digestion", "anxiety", "pain", "fatigue")
#: When the seeded measurement was taken.
MEASURED_AT: Final = datetime(2026, 3, 1, 7, tzinfo=UTC)


@pytest.fixture
def target(screened: App) -> Iterator[Target]:
    server = create_app(screened)
    with asgi.get_client(server) as client:
        answer = client.get("/api/csrf")
        token = answer.json()["token"]
        cookie = answer.cookies[CSRF_COOKIE]
        seeds = _seed(screened, client, {CSRF_HEADER: token})
    yield Target(server, token, cookie, seeds)
    # Ends the app's lifespan (schemathesis keeps it running for the process otherwise): the
    # server finishes the browser recordings still open, as when it stops.
    asgi.shutdown_lifespans()


def _known(seeds: Seeds) -> dict[str, st.SearchStrategy[Any]]:
    """Good values for parameters and body fields the schema types only as a string or an
    integer, by name: drawn now and then in place of the generated value."""
    return {
        "session_id": st.sampled_from(seeds.session_ids),
        "recording_id": st.sampled_from(seeds.recording_ids),
        "exercise_id": st.sampled_from(EXERCISE_IDS),
        "name": st.sampled_from(sorted(QUESTIONNAIRES)),
        "lang": st.sampled_from(["nb", "en"]),
        "step_id": st.sampled_from(seeds.step_ids),
        "kind": st.sampled_from(seeds.step_kinds),
        "confirm": st.sampled_from(["DELETE", "SLETT"]),
    }


@st.composite
def _screening_answers(draw: st.DrawFn) -> dict[str, bool]:
    """Every screening question answered (the generated dicts name no real question)."""
    return {q.id: draw(st.booleans()) for q in questions("en")}


def _use_known(draw: st.DrawFn, case: Case, known: dict[str, st.SearchStrategy[Any]]) -> None:
    """Replace, each with probability one half, the values named in ``known``."""
    for params in (case.path_parameters, case.query):
        for name in list(params or {}):
            if name in known and draw(st.booleans()):
                params[name] = draw(known[name])  # type: ignore[index]
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in known and draw(st.booleans()):
                case.body[name] = draw(known[name])
        if case.path == "/api/screening" and "answers" in case.body and draw(st.booleans()):
            case.body["answers"] = draw(_screening_answers())


def _check(target: Target, case: Case) -> None:
    """Send ``case`` with the CSRF token and cookie; no 5xx but a documented 503, a 2xx that
    matches the schema, an error that is JSON with an ``error``."""
    response = case.call(
        app=target.server,
        headers={CSRF_HEADER: target.token},
        cookies={CSRF_COOKIE: target.cookie},
    )
    status = response.status_code
    target.statuses[status] += 1
    request = case.as_curl_command()
    if status == 503:
        # BusyError: the server's state, not the request (vagus.web._errors.error_headers).
        assert response.headers.get("retry-after"), (request, response.text)
    else:
        assert status < 500, (request, response.text)
    if case.method.upper() in UNSAFE_METHODS:
        target.unsafe += 1
        if status == 403 and response.json().get("field") == "csrf":
            target.csrf_refused += 1
    if 200 <= status < 300:
        case.validate_response(
            response, checks=[response_schema_conformance, content_type_conformance]
        )
    else:
        body = response.json()
        assert isinstance(body, dict), (request, response.text)
        assert isinstance(body.get("error"), str), (request, response.text)


@pytest.mark.parametrize("label", FUZZED)
def test_fuzz_operation(label: str, target: Target, caplog: pytest.LogCaptureFixture) -> None:
    operation = OPERATIONS[label]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    known = _known(target.seeds)

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=FUZZ_SEED is None,
        database=None,
        # One app for all the examples of an operation, on purpose (it fills up as they run);
        # some operations have few distinct inputs (no parameters at all).
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )
    @given(case=cases, data=st.data())
    def fuzz(case: Case, data: st.DataObject) -> None:
        _use_known(data.draw, case, known)
        _check(target, case)

    if FUZZ_SEED is not None:
        fuzz = seed(int(FUZZ_SEED))(fuzz)
    # The server logs a bug's traceback: shown with the failure, kept out of the output else.
    with caplog.at_level(logging.CRITICAL, logger="vagus"):
        fuzz()
    assert target.csrf_refused == 0, target.statuses
    if operation.method.upper() in UNSAFE_METHODS:
        # Not vacuous: the generated requests reached the route behind the CSRF check.
        assert target.unsafe > 0
        assert target.statuses[403] < target.unsafe / 2, target.statuses
