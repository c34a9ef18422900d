"""One table of rules, run through both faces: the CLI and HTTP must reach the same outcome
(issue 10; DESIGN.md habit 15). Each case starts from the same state, set up through the app, on
a fresh journal per face; the outcome compared is: accepted or refused (and how), and what the
journal holds afterwards."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vagus.app import App, build_app
from vagus.cli import _base
from vagus.program import questions
from vagus.web import create_app
from vagus.web._csrf import CSRF_HEADER

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RATINGS = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}
CLI_RATINGS = [x for k, v in RATINGS.items() for x in (f"--{k}", str(v))]
#: A guided session run by the CLI without questions, its clock 1000x faster.
CLI_SESSION = ["--speed", "1000", "--calm-before", "5", "--calm-after", "6", "--felt", "ok"]
CLI_SESSION += ["--no-rest"]


def answers(**yes: bool) -> dict[str, bool]:
    out = {q.id: False for q in questions("en")}
    out.update({k.replace("_", "-"): v for k, v in yes.items()})
    return out


@dataclass(frozen=True)
class Outcome:
    """What a face did: ``accepted``, ``refused`` (a rule said no: exit 2 / 409), ``bad`` (a
    bad value: exit 2 / 400 or 422), ``missing`` (an unknown id: exit 2 / 404); and the words
    the person must see."""

    kind: str
    shows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[App], None]
    cli: list[str]
    http: tuple[str, str, dict[str, Any]]
    expect: Outcome
    #: What the journal holds afterwards, read through the app (the same on both faces).
    stored: Callable[[App], object] = field(default=lambda app: None)
    #: When given, what ``stored`` must read on both faces.
    stored_is: object = None


def _sessions(app: App) -> list[tuple[str, dict[str, Any]]]:
    return [(s["exercise_id"], s["params"]) for s in app.transfer.history(["session"])]


def _checkin_symptoms(app: App) -> list[list[str]]:
    return [c["symptoms"] for c in app.transfer.history(["checkin"])]


CASES = [
    Case(
        "excluded exercise",
        lambda app: app.screening.save(answers(cold_urticaria=True)),
        ["do", "cold-water", *CLI_SESSION],
        ("POST", "/api/sessions", {"exercise_id": "cold-water"}),
        Outcome("refused", ("not in the plan",)),
        _sessions,
    ),
    Case(
        "needs the clinician's clearance",
        lambda app: app.screening.save(answers(whiplash=True)),
        ["do", "neck", *CLI_SESSION],
        ("POST", "/api/sessions", {"exercise_id": "neck"}),
        Outcome("refused", ("clinician",)),
        _sessions,
    ),
    Case(
        "clearance confirmed",
        lambda app: app.screening.save(answers(whiplash=True)),
        ["do", "neck", "--cleared", *CLI_SESSION],
        ("POST", "/api/sessions", {"exercise_id": "neck", "confirm_cleared": True}),
        Outcome("accepted"),
        lambda app: (
            [ex for ex, _ in _sessions(app)],
            app.screening.latest().exercises["neck"].allowed,  # type: ignore[union-attr]
        ),
    ),
    Case(
        "today's dose",
        lambda app: app.screening.save(answers()),
        ["do", "breathing", *CLI_SESSION],
        ("POST", "/api/sessions", {"exercise_id": "breathing"}),
        Outcome("accepted"),
        lambda app: [(ex, p.get("minutes")) for ex, p in _sessions(app)],
        # A new person's plan starts breathing at 2 minutes (plan_rules.toml).
        stored_is=[("breathing", 2.0)],
    ),
    Case(
        "warning sign in a check-in",
        lambda app: None,
        ["checkin", *CLI_RATINGS, "--symptom", "chest-pain"],
        ("POST", "/api/checkins", {**RATINGS, "symptoms": ["chest-pain"]}),
        Outcome("accepted", ("116 117", "113")),
        _checkin_symptoms,
        stored_is=[["chest-pain"]],
    ),
    Case(
        "thoughts of self-harm",
        lambda app: None,
        ["checkin", *CLI_RATINGS, "--symptom", "self-harm-thoughts"],
        ("POST", "/api/checkins", {**RATINGS, "symptoms": ["self-harm-thoughts"]}),
        Outcome("accepted", ("116 123", "113")),
        _checkin_symptoms,
    ),
    Case(
        "unknown warning sign",
        lambda app: None,
        ["checkin", *CLI_RATINGS, "--symptom", "sore-toe"],
        ("POST", "/api/checkins", {**RATINGS, "symptoms": ["sore-toe"]}),
        Outcome("bad", ("symptoms",)),
        _checkin_symptoms,
    ),
    Case(
        "bad rating",
        lambda app: None,
        ["checkin", *CLI_RATINGS[:-1], "11"],
        ("POST", "/api/checkins", {**RATINGS, "fatigue": 11}),
        Outcome("bad", ("fatigue",)),
        _checkin_symptoms,
    ),
    Case(
        "unknown exercise",
        lambda app: app.screening.save(answers()),
        ["do", "swimming", *CLI_SESSION],
        ("POST", "/api/sessions", {"exercise_id": "swimming"}),
        Outcome("missing", ("swimming",)),
        _sessions,
    ),
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}


def _prepared(env: dict[str, str], case: Case) -> None:
    app = build_app(env=env)
    try:
        case.setup(app)
    finally:
        app.close()


def _counts(env: dict[str, str]) -> dict[str, int]:
    app = build_app(env=env)
    try:
        return app.transfer.counts()
    finally:
        app.close()


def _stored(env: dict[str, str], case: Case) -> object:
    app = build_app(env=env)
    try:
        return case.stored(app)
    finally:
        app.close()


def run_cli(env: dict[str, str], case: Case) -> tuple[Outcome, object]:
    _prepared(env, case)
    result = CliRunner().invoke(_base.app, case.cli, env=env)
    text = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        kind = "accepted"
    else:
        assert result.exit_code == 2, text
        lowered = text.lower()
        kind = (
            "missing"
            if "unknown exercise" in lowered
            else "refused"
            if ("not in the plan" in lowered or "clinician" in lowered)
            else "bad"
        )
    return Outcome(kind, tuple(s for s in case.expect.shows if s in text)), _stored(env, case)


def _http_client(app: App) -> Iterator[TestClient]:
    # localhost: a name the server answers (its Host allow-list); the token from /api/csrf.
    with TestClient(create_app(app), base_url="http://localhost") as client:
        client.headers[CSRF_HEADER] = str(client.get("/api/csrf").json()["token"])
        yield client


def run_http(env: dict[str, str], case: Case) -> tuple[Outcome, object]:
    _prepared(env, case)
    app = build_app(env=env)
    try:
        for client in _http_client(app):
            method, url, body = case.http
            response = client.request(method, url, json=body)
    finally:
        app.close()
    text = response.text
    kind = {200: "accepted", 201: "accepted", 404: "missing", 409: "refused"}.get(
        response.status_code, "bad" if response.status_code in (400, 422) else "other"
    )
    return Outcome(kind, tuple(s for s in case.expect.shows if s in text)), _stored(env, case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_both_faces_agree(case: Case, tmp_path: Path) -> None:
    cli_env = {"VAGUS_HOME": str(tmp_path / "cli"), "VAGUS_LANG": "en"}
    web_env = {"VAGUS_HOME": str(tmp_path / "web"), "VAGUS_LANG": "en"}
    cli_outcome, cli_stored = run_cli(cli_env, case)
    web_outcome, web_stored = run_http(web_env, case)
    if case.expect.kind != "accepted":
        # A refused request or a bad value changes nothing stored, on either face.
        _prepared(cli_env | {"VAGUS_HOME": str(tmp_path / "fresh")}, case)
        untouched = _counts(cli_env | {"VAGUS_HOME": str(tmp_path / "fresh")})
        assert _counts(cli_env) == untouched, "CLI"
        assert _counts(web_env) == untouched, "HTTP"
    assert cli_outcome == case.expect, "CLI"
    assert web_outcome == case.expect, "HTTP"
    assert cli_stored == web_stored
    if case.stored_is is not None:
        assert cli_stored == case.stored_is
