"""The login beyond localhost (issue 11, finding 6: "No authentication when exposed").

A server that only this machine can reach needs no login: the Host, Origin and CSRF checks
(:mod:`vagus.web._csrf`) protect it from the pages the person visits. A server other machines
can reach (``vagus serve --host 0.0.0.0``, for a phone with a Web Bluetooth strap) must not
answer them with the journal, so there every request but the login page, its POST and the
static files needs a login.

**When.** The ``login`` setting: ``"always"`` asks for it on every request (``vagus serve``
sets it when it listens beyond loopback, and it suits a reverse proxy on the same machine);
``"auto"`` (the default) asks for it on every connection that arrives on, or comes from, an
address that is not loopback (:meth:`LoginGuard.required`), so even a server started some
other way than ``vagus serve`` is not open to the network.

**The secret.** One per install: a password the person sets (``vagus serve --set-password``)
or a random token vagus makes and prints once (like Jupyter's). Only its argon2id hash is
stored (RFC 9106, section 4: argon2id with the "second recommended option", the low-memory
profile: t=3, m=64 MiB, p=4), owner-only in the vagus home (:data:`LOGIN_FILE_NAME`). The check
runs in a worker thread (it takes a fraction of a second and 64 MiB by design), at most
:data:`MAX_PARALLEL_CHECKS` at once.

**Guessing.** Failed logins are counted per client address: after :data:`MAX_FAILURES` within
:data:`FAILURE_WINDOW_S` the login answers 429 with ``Retry-After`` (OWASP Authentication
Cheat Sheet, "Protect Against Automated Attacks"; ASVS 4.0.3 V2.2.1). An attempt is counted
before its hash is checked, so parallel guesses cannot slip past the limit. The counts live in
the server process (with ``--workers N`` an attacker gets N times as many; docs/security.md).

**The session.** Stateless, so it works across ``--workers`` processes: the cookie
:data:`LOGIN_COOKIE` holds its issue time and an HMAC-SHA256 of that time and a fingerprint of
the stored hash, under the per-install secret (:func:`vagus.web._csrf.load_secret`, with its
own context string). It expires after :data:`LOGIN_MAX_AGE_S` (ASVS 4.0.3 V3.3.2: re-login at
least every 12 hours), and a new password or token changes the fingerprint, which logs every
browser out. It is ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` under HTTPS (OWASP Session
Management Cheat Sheet, "Cookies"). Logging out deletes the cookie in that browser.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from vagus.web._csrf import FOREIGN_FETCH_SITES
from vagus.web._deps import choose_lang, csrf_protect, form_text, render
from vagus.web._i18n import parse_lang, tr

__all__ = [
    "LOGIN_COOKIE",
    "LOGIN_FILE_NAME",
    "Credential",
    "FailureLimiter",
    "LoginGuard",
    "LoginRequired",
    "load_credential",
    "new_token",
    "router",
    "safe_next",
    "save_credential",
]

_log = logging.getLogger(__name__)

#: The file in the vagus home that holds the kind of secret and its argon2id hash.
LOGIN_FILE_NAME: Final = "login-secret"
#: Cookie that carries the signed login.
LOGIN_COOKIE: Final = "vagus_login"
#: How long a login lasts, in seconds (ASVS 4.0.3 V3.3.2, level 2: 12 hours).
LOGIN_MAX_AGE_S: Final = 12 * 3600
#: A cookie issued this far in the future still counts (clocks of worker processes agree; a
#: small allowance for a wall-clock step), in seconds.
CLOCK_SKEW_S: Final = 60
#: Failed logins per client address within :data:`FAILURE_WINDOW_S` before 429.
MAX_FAILURES: Final = 5
#: The window of the failure count, in seconds.
FAILURE_WINDOW_S: Final = 60.0
#: Client addresses whose failures are remembered at most (the oldest are forgotten first), so
#: a flood from many addresses cannot fill the memory.
MAX_TRACKED_ADDRESSES: Final = 10_000
#: Argon2 checks running at once (each takes 64 MiB for a fraction of a second).
MAX_PARALLEL_CHECKS: Final = 2
#: Random bytes in a token (256 bits, as the CSRF secret).
TOKEN_BYTES: Final = 32
#: Shortest password ``--set-password`` accepts (NIST SP 800-63B, 5.1.1.2: at least 8).
MIN_PASSWORD_LENGTH: Final = 8
#: Longest secret accepted, in characters: far beyond any password, short enough that nobody
#: makes the server hash megabytes.
MAX_SECRET_LENGTH: Final = 1024
#: Paths answered without a login: the login page and its POST, its JSON twin, the CSRF token
#: a script needs to log in, and the static files (styles, scripts, icon: no data).
OPEN_PATHS: Final = frozenset({"/login", "/api/login", "/api/csrf"})
OPEN_PREFIXES: Final = ("/static/",)
#: Separates the login's signature from the CSRF token's under the same secret.
_COOKIE_CONTEXT: Final = b"vagus-login-v1:"
#: Kinds of stored secret.
SecretKind = Literal["password", "token"]
_KINDS: Final[tuple[SecretKind, ...]] = ("password", "token")
#: The ``login`` setting's values.
LoginMode = Literal["auto", "always"]

#: RFC 9106, section 4, second recommended option (argon2-cffi's default profile).
_HASHER: Final = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
_CHECKS: Final = threading.BoundedSemaphore(MAX_PARALLEL_CHECKS)


# --- the stored secret -------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """The stored secret: its kind and its argon2id hash (PHC string, salt included)."""

    kind: SecretKind
    hash: str

    @property
    def fingerprint(self) -> bytes:
        """What a login cookie is bound to: a new password or token (a new salt) changes it."""
        return hashlib.sha256(self.hash.encode()).digest()

    def verify(self, secret: str) -> bool:
        """Whether ``secret`` is the stored one (argon2's own constant-time comparison).

        Blocking and slow by design: call it through :func:`check_secret`.
        """
        if not secret or len(secret) > MAX_SECRET_LENGTH:
            return False
        try:
            return _HASHER.verify(self.hash, secret)
        except (VerificationError, InvalidHashError):
            return False


def hash_secret(secret: str) -> str:
    """The argon2id hash of ``secret`` (RFC 9106 low-memory profile), as a PHC string.

    >>> hash_secret("correct horse").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    True
    """
    return _HASHER.hash(secret)


def save_credential(home: Path, kind: SecretKind, secret: str) -> Credential:
    """Hash ``secret`` and store it as the install's login secret, replacing any other.

    The file is written owner-only (0600) under a temporary name and moved into place, so a
    running server never reads half a file; its folder is made owner-only (0700).
    """
    credential = Credential(kind, hash_secret(secret))
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / LOGIN_FILE_NAME
    temporary = home / f".{LOGIN_FILE_NAME}.{secrets.token_hex(8)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"{credential.kind} {credential.hash}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return credential


def new_token(home: Path) -> str:
    """Make a random token, store its hash as the login secret and return it (shown once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    save_credential(home, "token", token)
    return token


def _parse(text: str) -> Credential | None:
    kind, _, hashed = text.strip().partition(" ")
    if kind not in _KINDS or not hashed.startswith("$argon2id$"):
        return None
    return Credential("token" if kind == "token" else "password", hashed.strip())


def load_credential(home: Path) -> Credential | None:
    """The stored login secret, or None when none is set (or the file is unreadable)."""
    path = home / LOGIN_FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        _log.warning("cannot read the login secret %s: %s", path, error)
        return None
    credential = _parse(text)
    if credential is None:
        _log.warning(
            "%s is not a vagus login secret; set one with vagus serve --set-password", path
        )
    return credential


# --- the signed cookie -------------------------------------------------------------------------


def _signature(key: bytes, credential: Credential, issued: int) -> str:
    message = _COOKIE_CONTEXT + str(issued).encode() + b":" + credential.fingerprint
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def cookie_value(key: bytes, credential: Credential, issued: int) -> str:
    """The login cookie issued at ``issued`` (Unix seconds) for the stored secret.

    >>> c = Credential("token", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
    >>> cookie_value(b"k" * 32, c, 1000).startswith("1000.")
    True
    """
    return f"{issued}.{_signature(key, credential, issued)}"


def cookie_valid(key: bytes, credential: Credential | None, value: str | None, now: float) -> bool:
    """Whether ``value`` is a login cookie of this install, for the current secret, not expired.

    >>> c = Credential("token", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
    >>> good = cookie_value(b"k" * 32, c, 1000)
    >>> cookie_valid(b"k" * 32, c, good, 1000 + 60), cookie_valid(b"j" * 32, c, good, 1060)
    (True, False)
    >>> cookie_valid(b"k" * 32, c, good, 1000 + LOGIN_MAX_AGE_S + 1)
    False
    """
    if credential is None or not value or len(value) > 200:
        return False
    issued_text, dot, sent = value.partition(".")
    # isascii too: str.isdigit() is True for "²", which int() refuses.
    if not dot or not (issued_text.isascii() and issued_text.isdigit()):
        return False
    issued = int(issued_text)
    if not -CLOCK_SKEW_S <= now - issued <= LOGIN_MAX_AGE_S:
        return False
    return hmac.compare_digest(_signature(key, credential, issued).encode(), sent.encode())


# --- failed logins -----------------------------------------------------------------------------


@dataclass
class FailureLimiter:
    """Failed logins per client address in a sliding window, on an injected monotonic clock.

    >>> now = [0.0]
    >>> limiter = FailureLimiter(clock=lambda: now[0])
    >>> for _ in range(MAX_FAILURES):
    ...     limiter.record("192.0.2.7")
    >>> limiter.retry_after("192.0.2.7"), limiter.retry_after("192.0.2.8")
    (60, None)
    >>> now[0] = FAILURE_WINDOW_S
    >>> limiter.retry_after("192.0.2.7") is None
    True
    """

    clock: Callable[[], float] = time.monotonic
    max_failures: int = MAX_FAILURES
    window_s: float = FAILURE_WINDOW_S
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.get(address, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            self._failures.pop(address, None)
        return times

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may try now."""
        with self._lock:
            now = self.clock()
            times = self._recent(address, now)
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window_s - now))

    def record(self, address: str) -> None:
        """Count one attempt of ``address`` (before its secret is checked)."""
        with self._lock:
            now = self.clock()
            times = self._recent(address, now)
            times.append(now)
            self._failures[address] = times
            self._failures.move_to_end(address)
            while len(self._failures) > MAX_TRACKED_ADDRESSES:
                self._failures.popitem(last=False)

    def forget(self, address: str) -> None:
        """After a good login: the address starts afresh."""
        with self._lock:
            self._failures.pop(address, None)

    def count(self, address: str) -> int:
        """Attempts of ``address`` within the window (for tests and logs)."""
        with self._lock:
            return len(self._recent(address, self.clock()))


# --- who needs to log in -----------------------------------------------------------------------


def _not_loopback(address: Any) -> bool:
    """True for an IP address that is not loopback; False for loopback, names and nothing
    (a Unix socket, or a test client's made-up name)."""
    if not isinstance(address, str):
        return False
    text = address.strip("[]").split("%")[0]
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        try:
            ip = kind(text)
        except ipaddress.AddressValueError:
            continue  # not an address of this kind: a name, or the other kind
        mapped = getattr(ip, "ipv4_mapped", None)
        return not (mapped or ip).is_loopback
    return False


def client_address(scope: Scope) -> str:
    """The address failed logins are counted under."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class LoginGuard:
    """The server's login state: the mode, the secret's file, the cookie key, the clocks and
    the failure counts (``server.state.login``; tests replace the clocks)."""

    home: Path
    key: bytes
    mode: LoginMode = "auto"
    wall: Callable[[], float] = time.time
    limiter: FailureLimiter = field(default_factory=FailureLimiter)
    _cached: tuple[tuple[int, int, int] | None, Credential | None] = (None, None)

    def credential(self) -> Credential | None:
        """The stored secret, read again whenever its file changed (so a new password logs
        everyone out at once, in every worker process)."""
        try:
            info = (self.home / LOGIN_FILE_NAME).stat()
        except OSError:
            self._cached = (None, None)
            return None
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if self._cached[0] != stamp:
            self._cached = (stamp, load_credential(self.home))
        return self._cached[1]

    def required(self, scope: Scope) -> bool:
        """Whether this connection needs a login: always in ``"always"`` mode; in ``"auto"``
        when it arrived on, or came from, an IP address that is not loopback."""
        return self.mode == "always" or self.remote(scope)

    @staticmethod
    def remote(scope: Scope) -> bool:
        """Whether the connection arrived on, or came from, an IP address that is not
        loopback."""
        server = scope.get("server")
        client = scope.get("client")
        return _not_loopback(server[0] if server else None) or _not_loopback(
            client[0] if client else None
        )

    def logged_in(self, cookie: str | None) -> bool:
        """Whether ``cookie`` is a valid login cookie now."""
        return cookie_valid(self.key, self.credential(), cookie, self.wall())

    def issue(self) -> str | None:
        """A new login cookie for the current secret (None when none is set)."""
        credential = self.credential()
        if credential is None:
            return None
        return cookie_value(self.key, credential, int(self.wall()))


@dataclass(frozen=True)
class Outcome:
    """What a login attempt came to; ``retry_after_s`` when ``limited``."""

    status: Literal["ok", "wrong", "limited", "no_secret"]
    retry_after_s: int = 0


def _verify(credential: Credential, secret: str) -> bool:
    with _CHECKS:
        return credential.verify(secret)


async def check_secret(guard: LoginGuard, scope: Scope, secret: str) -> Outcome:
    """One login attempt: rate-limited, counted before the slow check, the check off the event
    loop; a good one clears the address's count."""
    address = client_address(scope)
    wait = guard.limiter.retry_after(address)
    if wait is not None:
        _log.warning("login from %s refused: too many failed attempts", address)
        return Outcome("limited", wait)
    credential = guard.credential()
    if credential is None:
        return Outcome("no_secret")
    guard.limiter.record(address)
    if await asyncio.to_thread(_verify, credential, secret):
        guard.limiter.forget(address)
        return Outcome("ok")
    _log.warning("failed login from %s", address)
    return Outcome("wrong")


# --- the middleware ----------------------------------------------------------------------------


def is_open_path(path: str) -> bool:
    """Paths answered without a login.

    >>> is_open_path("/login"), is_open_path("/static/style.css"), is_open_path("/api/export")
    (True, True, False)
    """
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this server, else ``/`` (no open redirect:
    OWASP Unvalidated Redirects and Forwards Cheat Sheet).

    >>> safe_next("/history?page=2"), safe_next("//evil.example"), safe_next("https://x.y/")
    ('/history?page=2', '/', '/')
    >>> safe_next("/\\\\evil.example"), safe_next(None), safe_next("/login?next=/x")
    ('/', '/', '/')
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"  # browsers read "\" as "/", and drop tabs and newlines: "/\t/evil.example"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value


def _is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    response = Response()
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response.headers["set-cookie"]


def _refusal(scope: Scope) -> Response:
    path: str = scope.get("path", "/")
    if _is_api_path(path):
        return JSONResponse(
            {
                "error": "login: this server needs a login; POST the password or token to "
                "/api/login (with the token of GET /api/csrf) and send the cookie it sets",
                "field": "login",
            },
            status_code=401,
            # RFC 9110, 11.6.1: a 401 names its scheme; here a login form that sets a cookie.
            headers={"WWW-Authenticate": 'Cookie realm="vagus", form-action="/login"'},
        )
    request = Request(scope)
    asked: list[str] = []
    # The language the link asked for (?lang=) applies to the login page too.
    lang = parse_lang(request.query_params.get("lang"))
    if lang is not None:
        asked.append(f"lang={lang}")
    if scope.get("method") in ("GET", "HEAD"):
        query = scope.get("query_string", b"").decode("latin-1")
        here = quote(path) + (f"?{query}" if query else "")
        if safe_next(here) != "/":
            asked.append("next=" + quote(here, safe=""))
    target = "/login" + ("?" + "&".join(asked) if asked else "")
    return RedirectResponse(target, status_code=303)


#: The largest request body read before a login (a secret of at most MAX_SECRET_LENGTH
#: characters, a CSRF token, the next path and the form's framing).
MAX_LOGIN_BODY_BYTES: Final = 16 * 1024


def _body_refusal(request: HTTPConnection) -> Response | None:
    """A 413 for a body over :data:`MAX_LOGIN_BODY_BYTES`, a 411 for one without a length
    (chunked), else None."""
    if request.scope.get("type") != "http":
        return None
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding") is None:
            return None  # no body
        status, message = 411, "send the login with a Content-Length header"
    elif length.isascii() and length.isdigit() and int(length) <= MAX_LOGIN_BODY_BYTES:
        return None
    else:
        status, message = 413, f"a login is at most {MAX_LOGIN_BODY_BYTES} bytes"
    return JSONResponse({"error": f"body: {message}", "field": "body"}, status_code=status)


class LoginRequired:
    """Pure ASGI middleware: where :meth:`LoginGuard.required` says so, nothing but
    :func:`is_open_path` answers without a valid login cookie; pages are sent to the login
    page (303), the API answers 401 JSON, a WebSocket is closed (policy violation, 1008).

    It runs inside :class:`vagus.web.CookiesAndHeaders`, after its Host and Origin checks, so a
    refusal here carries the security headers and ``Cache-Control: no-store`` too.
    """

    def __init__(self, app: ASGIApp, guard: LoginGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = HTTPConnection(scope)  # a Request would refuse a WebSocket's scope
        required = self.guard.required(scope)
        logged_in = required and self.guard.logged_in(request.cookies.get(LOGIN_COOKIE))
        # Read by the pages (the logout button) and the login routes.
        request.state.login_required = required
        request.state.logged_in = logged_in
        if not required or logged_in:
            await self.app(scope, receive, send)
            return
        if is_open_path(scope.get("path", "/")):
            # Before a login, a body is a password and a CSRF token: anything larger is refused
            # before it is read, so nobody on the network can fill the disk through the login
            # form's multipart parser (or memory through its JSON twin).
            too_big = _body_refusal(request)
            if too_big is not None:
                await too_big(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _refusal(scope)(scope, receive, send)


# --- the login page and its JSON twin ----------------------------------------------------------

router = APIRouter(dependencies=[Depends(csrf_protect)])


def _guard(request: Request) -> LoginGuard:
    guard: LoginGuard = request.app.state.login
    return guard


class LoginIn(BaseModel):
    """``POST /api/login``: the password or the token."""

    secret: str = Field(
        min_length=1,
        max_length=MAX_SECRET_LENGTH,
        description="The password set with `vagus serve --set-password`, or the token it printed.",
    )


class LoginOut(BaseModel):
    """Whether this server needs a login from this client, and whether it has one."""

    required: bool = Field(description="True when this connection must log in.")
    logged_in: bool = Field(description="True when the request carried a valid login cookie.")


def _with_login_cookie(response: Response, guard: LoginGuard, request: Request) -> Response:
    value = guard.issue()
    if value is not None:
        secure = request.url.scheme == "https"
        header = _cookie_header(LOGIN_COOKIE, value, max_age=LOGIN_MAX_AGE_S, secure=secure)
        response.headers.append("set-cookie", header)
    return response


def _without_login_cookie(response: Response, request: Request) -> Response:
    secure = request.url.scheme == "https"
    response.headers.append(
        "set-cookie", _cookie_header(LOGIN_COOKIE, "", max_age=0, secure=secure)
    )
    return response


def _login_page(
    request: Request, next_path: str, *, error: str | None = None, status: int = 200
) -> Response:
    guard = _guard(request)
    lang_next = quote(next_path, safe="") if next_path != "/" else ""
    context = {
        "next_path": next_path,
        "next_query": f"&next={lang_next}" if lang_next else "",
        "error": error,
        "no_secret": guard.credential() is None,
        # Said only where it is true: over plain http from or to another machine.
        "plain_http": request.url.scheme != "https" and guard.remote(request.scope),
    }
    return render(request, "login.html", context, status=status)


def _error_text(request: Request, outcome: Outcome) -> str:
    lang = choose_lang(request)
    if outcome.status == "limited":
        return tr("login.too_many", lang, seconds=outcome.retry_after_s)
    if outcome.status == "no_secret":
        return tr("login.no_secret", lang)
    return tr("login.wrong", lang)


_STATUS: Final = {"ok": 303, "wrong": 401, "no_secret": 401, "limited": 429}


async def _page_attempt(request: Request, secret: str, next_path: str) -> Response:
    guard = _guard(request)
    outcome = await check_secret(guard, request.scope, secret)
    if outcome.status == "ok":
        return _with_login_cookie(RedirectResponse(next_path, status_code=303), guard, request)
    page = _login_page(
        request, next_path, error=_error_text(request, outcome), status=_STATUS[outcome.status]
    )
    if outcome.status == "limited":
        page.headers["Retry-After"] = str(outcome.retry_after_s)
    return page


@router.get("/login", include_in_schema=False)
async def login_page(
    request: Request,
    next_path: Annotated[str | None, Query(alias="next")] = None,
    token: Annotated[str | None, Query()] = None,
) -> Response:
    """The login page; ``?token=`` logs in at once (the link ``vagus serve`` prints)."""
    next_path = safe_next(next_path)
    if not request.state.login_required or request.state.logged_in:
        return RedirectResponse(next_path, status_code=303)
    fetch_site = (request.headers.get("sec-fetch-site") or "").strip().lower()
    if token is not None and fetch_site not in FOREIGN_FETCH_SITES:
        # The link from the terminal: after it, go on without the token in the address bar.
        # Not from another site's page: its <img src="/login?token=x"> would count failures
        # against the person's own address and lock them out (then 429).
        return await _page_attempt(request, token, next_path)
    return _login_page(request, next_path)


@router.post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Response:
    """The login form: the secret, checked; then on to ``next``."""
    form = await request.form()
    next_path = safe_next(form_text(form, "next"))
    if not request.state.login_required:
        return RedirectResponse(next_path, status_code=303)
    secret = form.get("secret")
    return await _page_attempt(request, secret if isinstance(secret, str) else "", next_path)


@router.get("/api/login", response_model=LoginOut, tags=["security"])
async def login_status(request: Request) -> LoginOut:
    """Whether this connection needs a login, and whether it has one."""
    return LoginOut(required=request.state.login_required, logged_in=request.state.logged_in)


@router.post("/api/login", response_model=LoginOut, tags=["security"])
async def login_api(request: Request, body: LoginIn) -> Response:
    """Log in with the password or token: sets the login cookie. Failed attempts are limited
    per address (then 429 with Retry-After)."""
    guard = _guard(request)
    if not request.state.login_required:
        return JSONResponse(LoginOut(required=False, logged_in=False).model_dump())
    outcome = await check_secret(guard, request.scope, body.secret)
    if outcome.status == "ok":
        answer = JSONResponse(LoginOut(required=True, logged_in=True).model_dump())
        return _with_login_cookie(answer, guard, request)
    if outcome.status == "limited":
        return JSONResponse(
            {
                "error": f"login: too many failed attempts; try again in {outcome.retry_after_s} s",
                "field": "login",
            },
            status_code=429,
            headers={"Retry-After": str(outcome.retry_after_s)},
        )
    message = (
        "secret: no password or token is set; run vagus serve --set-password"
        if outcome.status == "no_secret"
        else "secret: wrong password or token"
    )
    return JSONResponse({"error": message, "field": "secret"}, status_code=401)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """Log this browser out (the cookie is deleted; other browsers stay logged in until their
    cookie expires or the password changes)."""
    return _without_login_cookie(RedirectResponse("/login", status_code=303), request)


@router.post("/api/logout", response_model=LoginOut, tags=["security"])
async def logout_api(request: Request) -> Response:
    """Delete this client's login cookie."""
    answer = JSONResponse(
        LoginOut(required=request.state.login_required, logged_in=False).model_dump()
    )
    return _without_login_cookie(answer, request)
