"""Issue 11, findings 1 and 5, written as the attacks: DNS rebinding (a foreign ``Host``), a
cross-origin form from another local port, and a cookie and token the attacker made up. Each
is refused before any route runs, and the journal is unchanged; the real flow still works."""

from __future__ import annotations

import re
import stat
import warnings
from pathlib import Path

import pytest

from vagus.app import App, build_app
from vagus.web import create_app
from vagus.web._csrf import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SECRET_FILE_NAME,
    load_secret,
    new_session_id,
)
from web.web_helpers import counts, csrf_handshake

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}
CHECKIN_FORM = {name: str(value) for name, value in CHECKIN.items()}
#: A name that re-resolves to 127.0.0.1 (DNS rebinding): the browser sends it as Host.
EVIL_HOST = "evil.example"
#: A page on another local port: the same *site* as the server, another origin.
OTHER_PORT_ORIGIN = "http://127.0.0.1:9999"


@pytest.fixture
def journal_with_data(client: TestClient, vagus_app: App) -> dict[str, int]:
    assert client.post("/api/checkins", json=CHECKIN).status_code in (200, 201)
    before = counts(vagus_app)
    assert sum(before.values()) > 0
    return before


def _host_refused(response: object, *, api: bool) -> None:
    assert getattr(response, "status_code", None) == 400
    headers = getattr(response, "headers", {})
    assert "set-cookie" not in headers  # no session handed to the rebinding page
    if api:
        body = response.json()  # type: ignore[attr-defined]
        assert body["field"] == "host"
        assert EVIL_HOST in body["error"]
    else:
        assert headers["content-type"].startswith("text/html")
        assert "allowed_hosts" in response.text  # type: ignore[attr-defined]


def test_a_foreign_host_cannot_read_the_export(
    client: TestClient, vagus_app: App, journal_with_data: dict[str, int]
) -> None:
    refused = client.get("/api/export", headers={"Host": EVIL_HOST})
    _host_refused(refused, api=True)
    assert "checkins" not in refused.text
    _host_refused(client.get("/api/export", headers={"Host": f"{EVIL_HOST}:8000"}), api=True)
    _host_refused(client.get("/settings", headers={"Host": EVIL_HOST}), api=False)
    assert counts(vagus_app) == journal_with_data


def test_a_foreign_host_cannot_delete_all_even_with_a_real_token(
    client: TestClient, vagus_app: App, journal_with_data: dict[str, int]
) -> None:
    # The rebinding page could not even read a token; here it has one, and is still refused.
    refused = client.post(
        "/api/delete-all", json={"confirm": "DELETE"}, headers={"Host": EVIL_HOST}
    )
    _host_refused(refused, api=True)
    form = client.post(
        "/settings/delete-all", data={"confirm": "DELETE"}, headers={"Host": EVIL_HOST}
    )
    _host_refused(form, api=False)
    assert counts(vagus_app) == journal_with_data


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "::1", "testserver"]
)
def test_local_names_and_allowed_hosts_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/settings", headers={"Host": host}).status_code == 200


def test_the_allowed_hosts_setting_is_what_lets_the_test_host_in(tmp_path: Path) -> None:
    app = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"})
    try:
        with TestClient(create_app(app)) as default_client:  # Host: testserver
            assert default_client.get("/api/settings").status_code == 400
        with TestClient(create_app(app), base_url="http://localhost:8000") as local:
            assert local.get("/api/settings").status_code == 200
    finally:
        app.close()


def test_a_cross_origin_form_from_another_local_port_cannot_delete_all(
    client: TestClient, vagus_app: App, journal_with_data: dict[str, int]
) -> None:
    token = client.headers[CSRF_HEADER]
    del client.headers[CSRF_HEADER]  # a form sends no header, only the field
    attack = {"Origin": OTHER_PORT_ORIGIN, "Sec-Fetch-Site": "same-site"}
    form = {"confirm": "DELETE", "csrf_token": token}
    refused = client.post("/settings/delete-all", data=form, headers=attack)
    assert refused.status_code == 403
    assert "Sec-Fetch-Site" in refused.text
    only_origin = client.post(
        "/settings/delete-all", data=form, headers={"Origin": OTHER_PORT_ORIGIN}
    )
    assert only_origin.status_code == 403
    assert OTHER_PORT_ORIGIN in only_origin.text
    only_site = client.post(
        "/settings/delete-all", data=form, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert only_site.status_code == 403
    null_origin = client.post("/settings/delete-all", data=form, headers={"Origin": "null"})
    assert null_origin.status_code == 403
    api = client.post(
        "/api/delete-all", json={"confirm": "DELETE"}, headers=attack | {CSRF_HEADER: token}
    )
    assert api.status_code == 403
    assert api.json()["field"] == "csrf"
    assert counts(vagus_app) == journal_with_data


def test_a_cookie_and_token_the_attacker_made_up_are_refused(
    bare: TestClient, vagus_app: App
) -> None:
    # A page on another local port can set the cookie (cookies are not port-scoped) and send a
    # matching header: the old double-submit accepted that.
    made_up = new_session_id()
    before = counts(vagus_app)
    bare.cookies.set(CSRF_COOKIE, made_up)
    for sent in (made_up, "attacker-token"):
        api = bare.post("/api/checkins", json=CHECKIN, headers={CSRF_HEADER: sent})
        assert api.status_code == 403
        assert api.json()["field"] == "csrf"
        form = bare.post("/checkin", data=CHECKIN_FORM | {"csrf_token": sent})
        assert form.status_code == 403
    # A real token from one session does not verify with another session's cookie.
    other = create_app(vagus_app)
    with TestClient(other) as elsewhere:
        stolen = csrf_handshake(elsewhere)
    bare.cookies.set(CSRF_COOKIE, made_up)
    replayed = bare.post("/api/checkins", json=CHECKIN, headers={CSRF_HEADER: stolen})
    assert replayed.status_code == 403
    assert counts(vagus_app) == before


def test_the_real_flow_still_works(bare: TestClient, vagus_app: App) -> None:
    # A script: GET /api/csrf, then the token in the header and the cookie it got.
    answer = bare.get("/api/csrf")
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on localhost
    token = answer.json()["token"]
    assert token != bare.cookies.get(CSRF_COOKIE)  # the cookie is a session id, not the token
    same_origin = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    created = bare.post("/api/checkins", json=CHECKIN, headers={CSRF_HEADER: token} | same_origin)
    assert created.status_code in (200, 201), created.text
    # A page: the form's hidden field carries the same token the page rendered.
    page = bare.get("/checkin")
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert meta is not None
    assert meta.group(1) == token
    posted = bare.post(
        "/checkin",
        data=CHECKIN_FORM | {"csrf_token": meta.group(1)},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert posted.status_code in (200, 303), posted.text
    assert counts(vagus_app)["checkin"] == 2
    # Browsers send their real Origin on their own forms only when the referrer policy allows it.
    assert page.headers["referrer-policy"] == "same-origin"


def test_cookies_are_secure_under_https(vagus_app: App) -> None:
    with TestClient(create_app(vagus_app), base_url="https://localhost") as secure:
        cookie = secure.get("/api/csrf").headers["set-cookie"]
        assert "Secure" in cookie
        assert "SameSite=strict" in cookie
        token = secure.get("/api/csrf").json()["token"]
        ok = secure.post(
            "/api/checkins",
            json=CHECKIN,
            headers={CSRF_HEADER: token, "Origin": "https://localhost"},
        )
        assert ok.status_code in (200, 201), ok.text
        downgraded = secure.post(
            "/api/checkins",
            json=CHECKIN,
            headers={CSRF_HEADER: token, "Origin": "http://localhost"},
        )
        assert downgraded.status_code == 403


def test_the_secret_is_owner_only_in_the_home(client: TestClient, vagus_app: App) -> None:
    path = vagus_app.settings.home / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    create_app(vagus_app)  # a second server (or a restart) keeps the same secret
    assert path.read_bytes() == first


def test_the_secret_creates_an_owner_only_home(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    secret = load_secret(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / SECRET_FILE_NAME).stat().st_mode) == 0o600
    assert load_secret(home) == secret
    assert [p.name for p in home.iterdir()] == [SECRET_FILE_NAME]  # no temporary left behind


def test_the_csrf_route_is_documented(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    schema = paths["/api/csrf"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/CsrfToken")
