"""Protection against cross-site request forgery and DNS rebinding (issue 11, findings 1 and 5).

Three layers, each enough against a different attacker (OWASP Cross-Site Request Forgery
Prevention Cheat Sheet):

1. **Host allow-list.** A page on a name that re-resolves to 127.0.0.1 (DNS rebinding) sends its
   own name in ``Host``; only the localhost names, the address the connection arrived on and
   the ``allowed_hosts`` setting are answered (:func:`host_allowed`). The check runs before any
   route (:class:`vagus.web.CookiesAndHeaders`).
2. **Origin and Sec-Fetch-Site.** An unsafe request (POST, PUT, PATCH, DELETE) whose ``Origin``
   is not this server's own, or whose ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site``
   (another localhost port is the same *site*: cookies are not port-scoped), is refused
   (:func:`cross_origin_reason`).
3. **A signed token bound to the session cookie** ("Signed Double-Submit Cookie"). The cookie
   :data:`CSRF_COOKIE` (``HttpOnly``, ``SameSite=Strict``, ``Secure`` under HTTPS) holds a random
   session id; the token is HMAC-SHA256 of that id under a per-install secret kept in the vagus
   home (:func:`load_secret`, mode 0600). Pages render it into the hidden form field
   :data:`CSRF_FIELD` and ``<meta name="csrf-token">``; scripts get it from ``GET /api/csrf`` and
   send it in :data:`CSRF_HEADER`. A page on another port can set the cookie, but it cannot
   compute the token of a value it chose, and it cannot read the server's pages.

A refused request changes nothing: every check runs before the route's code.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from starlette.requests import Request

#: Cookie that holds the session id the token is bound to.
CSRF_COOKIE: Final = "vagus_csrf"
#: Hidden form field that carries the token.
CSRF_FIELD: Final = "csrf_token"
#: Header that carries the token on JSON API requests.
CSRF_HEADER: Final = "X-Vagus-CSRF"
#: Random bytes in a session id and in the secret (256 bits; OWASP asks for at least 128).
CSRF_TOKEN_BYTES: Final = 32
#: The per-install signing secret's file in the vagus home.
SECRET_FILE_NAME: Final = "csrf-secret"
#: What a session id looks like (:func:`secrets.token_urlsafe` of 32 bytes: 43 characters).
_SESSION_ID: Final = re.compile(r"[A-Za-z0-9_-]{43}")
#: Separates the token's purpose from the session id in the signed message.
_TOKEN_CONTEXT: Final = b"vagus-csrf-v1:"
#: Methods that change state and so must carry the token (RFC 9110 section 9.2.1: the others are
#: "safe" and never change anything here).
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Form encodings whose body may hold the hidden field.
FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Host names always answered (with any port): this machine's loopback names.
LOCAL_HOST_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
#: ``Sec-Fetch-Site`` values that mean another site, or another origin of the same site
#: (Fetch Metadata Request Headers, W3C): both are refused on unsafe requests.
FOREIGN_FETCH_SITES: Final = frozenset({"cross-site", "same-site"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class CsrfError(Exception):
    """The request did not carry the token of its session cookie."""


def new_session_id() -> str:
    """A fresh random session id for the cookie.

    >>> len(new_session_id())
    43
    """
    return secrets.token_urlsafe(CSRF_TOKEN_BYTES)


def is_session_id(value: str | None) -> bool:
    """True when ``value`` looks like a session id this server hands out.

    >>> is_session_id(new_session_id()), is_session_id("abc"), is_session_id(None)
    (True, False, False)
    """
    return value is not None and _SESSION_ID.fullmatch(value) is not None


def load_secret(home: Path) -> bytes:
    """The per-install signing secret in ``home``, created on first use.

    The folder is created owner-only (0700) and the file is written owner-only (0600) under a
    temporary name and linked into place, so two processes starting at once agree on one secret.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = load_secret(Path(folder) / "home")
    ...     (Path(folder) / "home" / SECRET_FILE_NAME).stat().st_mode & 0o777 == 0o600
    ...     load_secret(Path(folder) / "home") == first, len(first)
    True
    (True, 32)
    """
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / SECRET_FILE_NAME
    if not path.exists():
        temporary = home / f".{SECRET_FILE_NAME}.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(CSRF_TOKEN_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use its
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    secret = path.read_bytes()
    if len(secret) < CSRF_TOKEN_BYTES // 2:
        raise RuntimeError(f"{path}: the CSRF secret is too short; delete the file to renew it")
    return secret


def token_for(secret: bytes, session_id: str) -> str:
    """The token of a session id: HMAC-SHA256 under the install's secret, base64url.

    >>> token_for(b"k" * 32, "a" * 43) == token_for(b"k" * 32, "a" * 43)
    True
    >>> token_for(b"k" * 32, "a" * 43) == token_for(b"j" * 32, "a" * 43)
    False
    """
    digest = hmac.new(secret, _TOKEN_CONTEXT + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_matches(secret: bytes, session_id: str | None, sent: str | None) -> bool:
    """Constant-time check that ``sent`` is the token of ``session_id``.

    >>> key, sid = b"k" * 32, "a" * 43
    >>> token_matches(key, sid, token_for(key, sid)), token_matches(key, sid, sid)
    (True, False)
    >>> token_matches(key, None, None)
    False
    """
    if not session_id or not sent:
        return False
    return hmac.compare_digest(token_for(secret, session_id).encode(), sent.encode())


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.csrf_secret
    return secret


def session_id(request: Request) -> str:
    """This request's session id: its cookie's when well formed, else a new one (set on the way
    out by :class:`vagus.web.CookiesAndHeaders`, which reads ``request.state.csrf_session``)."""
    existing = getattr(request.state, "csrf_session", None)
    if isinstance(existing, str):
        return existing
    cookie = request.cookies.get(CSRF_COOKIE)
    session = cookie if is_session_id(cookie) and cookie is not None else new_session_id()
    request.state.csrf_session = session
    return session


def request_token(request: Request) -> str:
    """The token this request's page (or ``GET /api/csrf``) hands out: its session's."""
    return token_for(_secret(request), session_id(request))


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form field or header is not its session cookie's token.

    Raises
    ------
    CsrfError
        With a message that names what was missing.
    """
    if request.method not in UNSAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(FORM_TYPES):
        # Starlette caches the parsed form on the request, so the route reads it again for free.
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie:
        raise CsrfError(f"{CSRF_COOKIE}: the CSRF cookie is missing; load a page first")
    if not is_session_id(cookie) or not token_matches(_secret(request), cookie, sent):
        raise CsrfError(
            f"{CSRF_FIELD}: the CSRF token is missing or wrong (send the token of the page or "
            f"of GET /api/csrf in the {CSRF_HEADER} header or the {CSRF_FIELD} form field)"
        )


def split_host(value: str) -> tuple[str, int | None] | None:
    """A ``Host`` header's name (lower case, IPv6 without brackets) and port, or None when
    malformed.

    >>> split_host("LocalHost:8000"), split_host("[::1]:80"), split_host("::1")
    (('localhost', 8000), ('::1', 80), ('::1', None))
    >>> split_host("evil.example"), split_host("a:b"), split_host("")
    (('evil.example', None), None, None)
    """
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
        port_text = rest.removeprefix(":") if rest.startswith(":") else (None if rest else "")
        if port_text is None:
            return None
    elif value.count(":") > 1:
        name, port_text = value, ""
    else:
        name, _, port_text = value.partition(":")
    if not name or any(c.isspace() or c in "/\\@?#" for c in name):
        return None
    if port_text == "":
        return name, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return name, int(port_text)


def _normal_name(name: str) -> str:
    return name.strip().lower().removeprefix("[").removesuffix("]")


def allowed_host_names(extra: Iterable[str], bound: str | None) -> frozenset[str]:
    """The names answered: localhost's, the ``allowed_hosts`` setting's, and the bound address
    (an IP address only: the address the connection arrived on).

    >>> sorted(allowed_host_names(["Clinic.Local"], "192.168.1.5"))
    ['127.0.0.1', '192.168.1.5', '::1', 'clinic.local', 'localhost']
    >>> "testserver" in allowed_host_names([], "testserver")
    False
    """
    names = set(LOCAL_HOST_NAMES) | {_normal_name(name) for name in extra if name.strip()}
    if bound:
        with contextlib.suppress(ValueError):
            names.add(str(ipaddress.ip_address(_normal_name(bound))))
    return frozenset(names)


def host_allowed(host: str | None, allowed: frozenset[str]) -> bool:
    """True when the ``Host`` header names one of ``allowed`` (any port).

    >>> names = allowed_host_names([], None)
    >>> host_allowed("localhost:8000", names), host_allowed("[::1]:9", names)
    (True, True)
    >>> host_allowed("evil.example", names), host_allowed(None, names)
    (False, False)
    """
    parts = split_host(host) if host else None
    return parts is not None and parts[0] in allowed


#: ``scheme://host[:port]``: a host name, an IPv4 address or a bracketed IPv6 address.
_ORIGIN: Final = re.compile(r"(https?)://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::([0-9]{1,5}))?")


def _origin_parts(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def cross_origin_reason(
    method: str, scheme: str, host: str, origin: str | None, fetch_site: str | None
) -> str | None:
    """Why an unsafe request comes from another origin, or None when it may go on.

    ``Origin``, when sent, must be this server's own (``scheme://host:port`` of the request's
    allowed ``Host``); ``Sec-Fetch-Site``, when sent, must not be ``cross-site`` or
    ``same-site``. Requests without either (scripts, old browsers) rely on the token.

    >>> cross_origin_reason("POST", "http", "127.0.0.1:8000", "http://127.0.0.1:8000", None)
    >>> cross_origin_reason("POST", "http", "localhost", "http://localhost:80", "same-origin")
    >>> cross_origin_reason("GET", "http", "127.0.0.1:8000", "http://evil.example", None)
    >>> cross_origin_reason("POST", "http", "127.0.0.1:8000", "http://127.0.0.1:9999", None)
    'Origin: http://127.0.0.1:9999 is not this server (http://127.0.0.1:8000)'
    >>> cross_origin_reason("POST", "http", "127.0.0.1:8000", None, "same-site")
    'Sec-Fetch-Site: same-site (the request came from another page)'
    """
    if method not in UNSAFE_METHODS:
        return None
    if fetch_site is not None and fetch_site.strip().lower() in FOREIGN_FETCH_SITES:
        return f"Sec-Fetch-Site: {fetch_site.strip()} (the request came from another page)"
    if origin is None:
        return None
    own_host = split_host(host)
    own = f"{scheme}://{host.strip().lower()}"
    if own_host is None:
        return f"Origin: {origin} is not this server ({own})"
    # An origin is scheme://host[:port] and nothing more (RFC 6454, 6.2); anything else,
    # "null" included, is not this server.
    match = _ORIGIN.fullmatch(origin.strip().lower())
    if match is None:
        return f"Origin: {origin} is not this server ({own})"
    their_scheme, their_host, their_port = match.groups()
    port = int(their_port) if their_port else None
    theirs = _origin_parts(their_scheme, their_host.strip("[]"), port)
    if theirs != _origin_parts(scheme, *own_host):
        return f"Origin: {origin} is not this server ({own})"
    return None
