"""Issue 11, finding 6 ("No authentication when exposed"), written as the attacks: a machine on
the network, without a login, reads the export or deletes everything; guesses the password;
forges, replays an expired or an old password's cookie; or is sent elsewhere after the login.
Each is refused and the journal is unchanged; the real login works in both languages.

The server's clocks are injected (``LoginGuard.wall`` for the cookie's age, the limiter's
monotonic clock for the failure window), so nothing here waits or depends on the time of day.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from vagus.app import App, build_app
from vagus.web import create_app
from vagus.web._auth import (
    FAILURE_WINDOW_S,
    LOGIN_COOKIE,
    LOGIN_FILE_NAME,
    LOGIN_MAX_AGE_S,
    MAX_FAILURES,
    MAX_LOGIN_BODY_BYTES,
    FailureLimiter,
    LoginGuard,
    cookie_value,
    load_credential,
    new_token,
    save_credential,
)
from vagus.web._csrf import CSRF_HEADER
from web.web_helpers import counts, csrf_handshake

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
#: The laptop's address on the home network, where ``vagus serve --host 0.0.0.0`` is reached.
SERVER = "http://192.168.1.20:8000"
#: Another machine on that network.
ATTACKER = ("192.168.1.66", 50000)
CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}
#: Fixed clock values (seconds): the wall clock the cookie is issued on, a monotonic clock.
WALL_T0 = 1_900_000_000.0
#: The host name Starlette's TestClient sends by default (allowed in tests/web/conftest.py).
TEST_HOST = "testserver"


class Clocks:
    """The login's two clocks, moved by hand."""

    def __init__(self) -> None:
        self.wall = WALL_T0
        self.monotonic = 1000.0


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def _with_clocks(server: FastAPI, clocks: Clocks) -> FastAPI:
    guard: LoginGuard = server.state.login
    guard.wall = lambda: clocks.wall
    guard.limiter = FailureLimiter(clock=lambda: clocks.monotonic)
    return server


@pytest.fixture
def server(vagus_app: App, clocks: Clocks) -> FastAPI:
    return _with_clocks(create_app(vagus_app), clocks)


@pytest.fixture
def password(vagus_app: App) -> str:
    save_credential(vagus_app.settings.home, "password", PASSWORD)
    return PASSWORD


def remote_client(server: FastAPI, *, base_url: str = SERVER) -> TestClient:
    """A browser on another machine: the connection arrives on the laptop's network address
    (``scope["server"]``) from another address (``scope["client"]``)."""
    return TestClient(server, base_url=base_url, client=ATTACKER, follow_redirects=False)


@pytest.fixture
def remote(server: FastAPI) -> Iterator[TestClient]:
    with remote_client(server) as test_client:
        test_client.headers[CSRF_HEADER] = csrf_handshake(test_client)
        yield test_client


@pytest.fixture
def journal_with_data(client: TestClient, vagus_app: App) -> dict[str, int]:
    """Data stored by the person on the laptop itself (loopback needs no login)."""
    assert client.post("/api/checkins", json=CHECKIN).status_code in (200, 201)
    before = counts(vagus_app)
    assert sum(before.values()) > 0
    return before


def log_in(test_client: TestClient, secret: str = PASSWORD) -> None:
    answer = test_client.post("/api/login", json={"secret": secret})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"required": True, "logged_in": True}


def _refused_api(answer: object) -> None:
    assert getattr(answer, "status_code", None) == 401
    body = answer.json()  # type: ignore[attr-defined]
    assert body["field"] == "login"
    assert "checkins" not in answer.text  # type: ignore[attr-defined]
    assert answer.headers["www-authenticate"].startswith("Cookie")  # type: ignore[attr-defined]
    assert answer.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]


# --- the attacks -------------------------------------------------------------------------------


def test_another_machine_without_login_cannot_read_anything(
    remote: TestClient, vagus_app: App, password: str, journal_with_data: dict[str, int]
) -> None:
    for path in ("/api/export", "/api/checkins", "/api/settings", "/api/openapi.json"):
        _refused_api(remote.get(path))
    # Pages send the browser to the login page, remembering where it was going.
    page = remote.get("/history?page=2")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fhistory%3Fpage%3D2"
    assert remote.get("/settings").headers["location"] == "/login?next=%2Fsettings"
    # The language asked for goes to the login page too.
    nb = remote.get("/settings?lang=nb").headers["location"]
    assert nb == "/login?lang=nb&next=%2Fsettings%3Flang%3Dnb"
    assert "Logg inn" in remote.get(nb).text
    assert counts(vagus_app) == journal_with_data


def test_another_machine_without_login_cannot_delete_all(
    remote: TestClient, vagus_app: App, password: str, journal_with_data: dict[str, int]
) -> None:
    # It even holds a real CSRF token (GET /api/csrf is open, as a script needs it to log in).
    _refused_api(remote.post("/api/delete-all", json={"confirm": "DELETE"}))
    form = {"confirm": "DELETE", "csrf_token": remote.headers[CSRF_HEADER]}
    refused = remote.post("/settings/delete-all", data=form)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login"
    _refused_api(remote.post("/api/checkins", json=CHECKIN))
    _refused_api(remote.post("/api/import", files={"file": ("x.json", b"{}", "application/json")}))
    assert counts(vagus_app) == journal_with_data


def test_no_secret_set_means_no_way_in(
    remote: TestClient, vagus_app: App, journal_with_data: dict[str, int]
) -> None:
    """A server started beyond localhost some other way than ``vagus serve`` (which makes a
    token) is closed, not open: nothing to log in with until a password is set."""
    assert load_credential(vagus_app.settings.home) is None
    _refused_api(remote.get("/api/export"))
    answer = remote.post("/api/login", json={"secret": "anything at all"})
    assert answer.status_code == 401
    assert "--set-password" in answer.json()["error"]
    page = remote.get("/login")
    assert page.status_code == 200
    assert "vagus serve --set-password" in page.text
    assert remote.cookies.get(LOGIN_COOKIE) is None
    assert counts(vagus_app) == journal_with_data


def test_a_wrong_password_is_refused_and_counted_then_429(
    remote: TestClient, server: FastAPI, clocks: Clocks, password: str
) -> None:
    limiter: FailureLimiter = server.state.login.limiter
    for attempt in range(1, MAX_FAILURES + 1):
        answer = remote.post("/api/login", json={"secret": f"guess {attempt}"})
        assert answer.status_code == 401
        assert answer.json()["field"] == "secret"
        assert limiter.count(ATTACKER[0]) == attempt
    assert remote.cookies.get(LOGIN_COOKIE) is None
    # The 6th within the window is not even checked: 429, and the right password is no key.
    clocks.monotonic += FAILURE_WINDOW_S - 10
    limited = remote.post("/api/login", json={"secret": password})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "10"
    assert remote.cookies.get(LOGIN_COOKIE) is None
    # The form says so too, in the page's language.
    page = remote.post(
        "/login?lang=en", data={"secret": password, "csrf_token": remote.headers[CSRF_HEADER]}
    )
    assert page.status_code == 429
    assert "Wait 10 seconds" in page.text
    # Another address is not held back by this one's failures; after the window, this one
    # may try again.
    assert limiter.retry_after("192.168.1.67") is None
    clocks.monotonic += 10
    log_in(remote)
    assert remote.get("/api/export").status_code == 200
    assert limiter.count(ATTACKER[0]) == 0  # a good login clears the count


def test_the_login_form_counts_failures_as_the_api_does(
    remote: TestClient, server: FastAPI, password: str
) -> None:
    form = {"secret": "wrong", "csrf_token": remote.headers[CSRF_HEADER]}
    page = remote.post("/login?lang=en", data=form)
    assert page.status_code == 401
    assert "Wrong password or access token" in page.text
    assert server.state.login.limiter.count(ATTACKER[0]) == 1
    assert remote.cookies.get(LOGIN_COOKIE) is None


def test_a_forged_cookie_is_refused(remote: TestClient, password: str) -> None:
    for forged in (
        f"{int(WALL_T0)}.{'A' * 43}",
        "1.2",
        "not-a-cookie",
        f"{int(WALL_T0)}.",
        "",
    ):
        remote.cookies.set(LOGIN_COOKIE, forged)
        _refused_api(remote.get("/api/export"))


def test_a_cookie_signed_with_another_installs_key_is_refused(
    remote: TestClient, vagus_app: App, password: str
) -> None:
    credential = load_credential(vagus_app.settings.home)
    assert credential is not None
    remote.cookies.set(LOGIN_COOKIE, cookie_value(b"k" * 32, credential, int(WALL_T0)))
    _refused_api(remote.get("/api/export"))


def test_an_expired_cookie_is_refused(remote: TestClient, clocks: Clocks, password: str) -> None:
    log_in(remote)
    clocks.wall += LOGIN_MAX_AGE_S - 1
    assert remote.get("/api/export").status_code == 200
    clocks.wall += 2
    _refused_api(remote.get("/api/export"))


def test_a_cookie_from_the_future_is_refused(
    remote: TestClient, server: FastAPI, clocks: Clocks, password: str
) -> None:
    guard: LoginGuard = server.state.login
    credential = guard.credential()
    assert credential is not None
    remote.cookies.set(LOGIN_COOKIE, cookie_value(guard.key, credential, int(WALL_T0) + 3600))
    _refused_api(remote.get("/api/export"))


def test_a_new_password_logs_everyone_out(
    remote: TestClient, vagus_app: App, password: str
) -> None:
    log_in(remote)
    assert remote.get("/api/export").status_code == 200
    save_credential(vagus_app.settings.home, "password", "a different password")
    _refused_api(remote.get("/api/export"))
    assert remote.post("/api/login", json={"secret": PASSWORD}).status_code == 401
    log_in(remote, "a different password")


def test_a_new_server_process_accepts_the_cookie(
    remote: TestClient, vagus_app: App, clocks: Clocks, password: str
) -> None:
    """Stateless: another ``--workers`` process (its own app, the same home) takes the login."""
    log_in(remote)
    cookie = remote.cookies.get(LOGIN_COOKIE)
    assert cookie
    other = _with_clocks(create_app(vagus_app), clocks)
    with remote_client(other) as second:
        second.cookies.set(LOGIN_COOKIE, cookie)
        assert second.get("/api/export").status_code == 200


def test_the_host_and_origin_checks_still_come_first(remote: TestClient, password: str) -> None:
    refused = remote.get("/api/export", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "host"
    cross = remote.post(
        "/api/login", json={"secret": PASSWORD}, headers={"Origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    assert remote.cookies.get(LOGIN_COOKIE) is None


def test_logging_in_needs_the_csrf_token(server: FastAPI, password: str) -> None:
    with remote_client(server) as test_client:
        assert test_client.post("/api/login", json={"secret": PASSWORD}).status_code == 403
        assert test_client.cookies.get(LOGIN_COOKIE) is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_no_open_redirect_after_login(remote: TestClient, password: str, target: str) -> None:
    form = {"secret": PASSWORD, "next": target, "csrf_token": remote.headers[CSRF_HEADER]}
    answer = remote.post("/login", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    # The page does not carry it either.
    remote.cookies.delete(LOGIN_COOKIE)
    page = remote.get("/login", params={"next": target})
    assert 'name="next" value="/"' in page.text


def test_the_login_goes_on_to_the_page_asked_for(remote: TestClient, password: str) -> None:
    first = remote.get("/history?page=2")
    login_page = remote.get(first.headers["location"])
    assert login_page.status_code == 200
    assert 'name="next" value="/history?page=2"' in login_page.text
    token = remote.headers[CSRF_HEADER]
    form = {"secret": PASSWORD, "next": "/history?page=2", "csrf_token": token}
    answer = remote.post("/login", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/history?page=2"
    assert remote.get("/history").status_code == 200
    # Logged in, the login page sends the browser on.
    assert remote.get("/login").headers["location"] == "/"


def test_the_login_cookie_is_httponly_strict_and_expires(remote: TestClient, password: str) -> None:
    answer = remote.post("/api/login", json={"secret": PASSWORD})
    cookie = next(h for h in answer.headers.get_list("set-cookie") if LOGIN_COOKIE in h)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert f"Max-Age={LOGIN_MAX_AGE_S}" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back


def test_under_https_the_login_cookie_is_secure(server: FastAPI, password: str) -> None:
    with remote_client(server, base_url="https://192.168.1.20:8443") as test_client:
        token = csrf_handshake(test_client)
        answer = test_client.post(
            "/api/login", json={"secret": PASSWORD}, headers={CSRF_HEADER: token}
        )
        assert answer.status_code == 200
        cookie = next(h for h in answer.headers.get_list("set-cookie") if LOGIN_COOKIE in h)
        assert "Secure" in cookie
        assert test_client.get("/api/export").status_code == 200
        # Over https the page does not warn about plain http.
        test_client.cookies.delete(LOGIN_COOKIE)
        assert "not encrypted" not in test_client.get("/login?lang=en").text


def test_logout_ends_the_login_in_this_browser(remote: TestClient, password: str) -> None:
    log_in(remote)
    page = remote.get("/?lang=en")
    assert page.status_code == 200
    assert 'action="/logout"' in page.text
    out = remote.post("/logout", data={"csrf_token": remote.headers[CSRF_HEADER]})
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert remote.cookies.get(LOGIN_COOKIE) is None
    _refused_api(remote.get("/api/export"))


def test_logout_needs_the_csrf_token(remote: TestClient, password: str) -> None:
    log_in(remote)
    del remote.headers[CSRF_HEADER]
    assert remote.post("/logout", data={}).status_code == 403
    assert remote.get("/api/export").status_code == 200


def test_the_token_link_logs_in_once_and_wrong_tokens_count(
    remote: TestClient, server: FastAPI, vagus_app: App
) -> None:
    token = new_token(vagus_app.settings.home)
    stored = (vagus_app.settings.home / LOGIN_FILE_NAME).read_text()
    assert token not in stored  # only the hash is kept
    assert stored.startswith("token $argon2id$")
    # One character changed (never the same one: a token starting with "x" was a 1-in-64 flake).
    forged = ("y" if token[0] == "x" else "x") + token[1:]
    wrong = remote.get("/login", params={"token": forged, "next": "/history"})
    assert wrong.status_code == 401
    assert server.state.login.limiter.count(ATTACKER[0]) == 1
    right = remote.get("/login", params={"token": token, "next": "/history"})
    assert right.status_code == 303
    assert right.headers["location"] == "/history"  # the token leaves the address bar
    assert remote.get("/api/export").status_code == 200


def test_what_is_open_without_a_login(remote: TestClient, password: str) -> None:
    assert remote.get("/static/style.css").status_code == 200
    assert remote.get("/api/csrf").status_code == 200
    assert remote.get("/api/login").json() == {"required": True, "logged_in": False}
    assert remote.get("/login").status_code == 200
    _refused_api(remote.get("/api/docs"))


# --- the login page in both languages ----------------------------------------------------------


def test_the_login_page_in_norwegian(remote: TestClient, password: str) -> None:
    page = remote.get("/login?lang=nb")
    assert page.status_code == 200
    text = page.text
    assert '<html lang="nb">' in text
    assert "<h1>Logg inn</h1>" in text
    assert '<label for="f-secret">Passord eller tilgangsnøkkel</label>' in text
    assert 'type="password"' in text
    assert 'autocomplete="current-password"' in text
    assert "ikke kryptert" in text  # plain http from another machine: said plainly
    for english in ("Log in", "Password", "Wrong", "network"):
        assert english not in text
    # Only the language switch in the menu: the other pages need the login.
    assert 'href="/settings"' not in text
    wrong = remote.post(
        "/login", data={"secret": "nope", "csrf_token": remote.headers[CSRF_HEADER]}
    )
    assert wrong.status_code == 401
    assert "Feil passord eller tilgangsnøkkel" in wrong.text
    assert 'aria-invalid="true"' in wrong.text


def test_the_login_page_in_english(remote: TestClient, password: str) -> None:
    page = remote.get("/login?lang=en&next=%2Fhistory")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<h1>Log in</h1>" in page.text
    assert '<label for="f-secret">Password or access token</label>' in page.text
    # The switch to Norwegian keeps where the login goes on to.
    assert 'href="/login?lang=nb&amp;next=%2Fhistory"' in page.text
    wrong = remote.post(
        "/login", data={"secret": "nope", "csrf_token": remote.headers[CSRF_HEADER]}
    )
    assert "Wrong password or access token" in wrong.text


# --- who needs to log in -----------------------------------------------------------------------


def test_loopback_needs_no_login(server: FastAPI, password: str) -> None:
    """The single-person local case: the Host, Origin and CSRF checks protect it."""
    for base_url, address in (
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("http://[::1]:8000", "::1"),
        ("http://localhost:8000", "127.0.0.1"),
    ):
        with TestClient(server, base_url=base_url, client=(address, 50000)) as local:
            assert local.get("/api/export").status_code == 200
            assert local.get("/api/login").json() == {"required": False, "logged_in": False}
            login = local.get("/login?next=/history", follow_redirects=False)
            assert login.headers["location"] == "/history"
            assert 'action="/logout"' not in local.get("/").text


def test_a_local_bind_reached_from_another_address_needs_the_login(
    server: FastAPI, password: str
) -> None:
    """Loopback on one side is not enough: a client from the network needs the login."""
    with TestClient(
        server, base_url="http://127.0.0.1:8000", client=ATTACKER, follow_redirects=False
    ) as test_client:
        _refused_api(test_client.get("/api/export"))


def test_login_always_asks_on_loopback_too(tmp_path: Path, clocks: Clocks, vagus_app: App) -> None:
    """What ``vagus serve --host 0.0.0.0`` sets (and a reverse proxy on the same machine
    needs): the login on every request."""
    vagus_now = vagus_app.now()
    vagus = build_app(
        env={
            "VAGUS_HOME": str(tmp_path / "home"),
            "VAGUS_LANG": "en",
            "VAGUS_ALLOWED_HOSTS": TEST_HOST,
            "VAGUS_LOGIN": "always",
        },
        now=lambda: vagus_now,
    )
    try:
        save_credential(vagus.settings.home, "password", PASSWORD)
        server = _with_clocks(create_app(vagus), clocks)
        with TestClient(server, follow_redirects=False) as local:
            _refused_api(local.get("/api/export"))
            assert "not encrypted" not in local.get("/login?lang=en").text  # not on loopback
            local.headers[CSRF_HEADER] = csrf_handshake(local)
            log_in(local)
            assert local.get("/api/export").status_code == 200
    finally:
        vagus.close()


def test_the_secret_file_is_owner_only_and_holds_only_a_hash(vagus_app: App) -> None:
    save_credential(vagus_app.settings.home, "password", PASSWORD)
    path = vagus_app.settings.home / LOGIN_FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert PASSWORD not in text
    assert re.fullmatch(r"password \$argon2id\$v=19\$m=65536,t=3,p=4\$\S+\n", text)


# --- the docs ----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_show_no_bare_uvicorn_command() -> None:
    """A server started with uvicorn directly gets no token and no HTTPS options from
    ``vagus serve``; the docs show only ``vagus serve``."""
    bare = re.compile(r"^\s*uvicorn\s", re.MULTILINE)
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.exists():
            assert not bare.search(path.read_text(encoding="utf-8")), path.name


def test_the_https_guide_has_the_certificate_recipe() -> None:
    text = (ROOT / "docs" / "https.md").read_text(encoding="utf-8")
    assert "vagus serve --set-password" in text
    assert "--ssl-certfile" in text
    assert "--ssl-keyfile" in text
    assert "openssl req -x509" in text
    assert "subjectAltName=IP:$IP" in text
    assert "CA certificate" in text  # how the phone trusts it


def test_a_websocket_from_another_machine_without_login_is_closed(
    server: FastAPI, password: str
) -> None:
    from starlette.websockets import WebSocketDisconnect

    with (
        remote_client(server) as test_client,
        pytest.raises(WebSocketDisconnect) as closed,
        test_client.websocket_connect("/api/live/stream"),
    ):
        pass
    assert closed.value.code == 1008  # policy violation (RFC 6455, 7.4.1)


# --- found in review: bodies before a login, a lock-out from another site, a bad cookie ------


def test_a_large_body_before_the_login_is_refused_unread(remote: TestClient, password: str) -> None:
    # 64 MB of "form" to /login from the network: refused by its length (413), before the
    # multipart parser writes it to a temporary file; chunked (no length) is a 411.
    junk = {"secret": "x", "junk": "y" * (MAX_LOGIN_BODY_BYTES + 1)}
    answer = remote.post("/login", data=junk)
    assert answer.status_code == 413, answer.text
    assert answer.json()["field"] == "body"
    answer = remote.post("/api/login", json={"secret": "y" * (MAX_LOGIN_BODY_BYTES + 1)})
    assert answer.status_code == 413
    chunked = remote.post("/login", content=iter([b"secret=x"]))
    assert chunked.status_code == 411
    assert remote.post("/login", data={"secret": PASSWORD}).status_code == 303  # a real one


def test_another_sites_image_cannot_lock_the_person_out(
    remote: TestClient, server: FastAPI, vagus_app: App, password: str
) -> None:
    # <img src="http://laptop:8000/login?token=x"> on any site, loaded six times: no failure is
    # counted (the browser says Sec-Fetch-Site: cross-site), so the real password still works.
    for _ in range(6):
        answer = remote.get(
            "/login", params={"token": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert answer.status_code == 200  # just the login page
    assert server.state.login.limiter.count(ATTACKER[0]) == 0
    log_in(remote)


def test_a_cookie_with_a_non_ascii_digit_is_refused_not_a_500(
    remote: TestClient, password: str
) -> None:
    # The header's bytes as latin-1 (Starlette's decoding): "²" is a digit to str.isdigit().
    raw = f"{LOGIN_COOKIE}=".encode() + b"\xb2.abc"
    _refused_api(remote.get("/api/export", headers=[(b"cookie", raw)]))
