"""Protection against cross-site request forgery: a double-submit token.

Design (OWASP Cross-Site Request Forgery Prevention Cheat Sheet, "Signed Double-Submit
Cookie" without the signing, since the server keeps no sessions):

- Every response to a browser that has no token gets a random one (256 bits from
  :func:`secrets.token_urlsafe`) in the cookie :data:`CSRF_COOKIE` (``HttpOnly``,
  ``SameSite=Strict``, path ``/``).
- Every page renders the same token into a hidden form field :data:`CSRF_FIELD` and into
  ``<meta name="csrf-token">`` for the browser player's script.
- Every unsafe request (POST, PUT, PATCH, DELETE) must send the token back: an HTML form in the
  field :data:`CSRF_FIELD`, a script (the JSON API) in the header :data:`CSRF_HEADER`. The two
  copies are compared in constant time. Another site can make a browser send the cookie, but it
  cannot read it, so it cannot put it in the form or the header; a header also forces a CORS
  preflight, which this server never grants.

A refused request changes nothing: the check runs before the route's code.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from starlette.requests import Request

#: Cookie that holds the token.
CSRF_COOKIE: Final = "vagus_csrf"
#: Hidden form field that echoes it.
CSRF_FIELD: Final = "csrf_token"
#: Header that echoes it on JSON API requests.
CSRF_HEADER: Final = "X-Vagus-CSRF"
#: Random bytes in a token (256 bits; OWASP asks for at least 128).
CSRF_TOKEN_BYTES: Final = 32
#: Methods that change state and so must carry the token (RFC 9110 section 9.2.1: the others are
#: "safe" and never change anything here).
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Form encodings whose body may hold the hidden field.
FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfError(Exception):
    """The request did not carry the token of its cookie."""


def new_token() -> str:
    """A fresh random token.

    >>> len(new_token()) >= 43
    True
    """
    return secrets.token_urlsafe(CSRF_TOKEN_BYTES)


def request_token(request: Request) -> str:
    """The token this request's page should use: its cookie's, or a new one (set on the way out).

    A new token is kept on ``request.state`` so the response can set the cookie (see
    :func:`vagus.web.create_app`'s middleware).
    """
    existing = getattr(request.state, "csrf_token", None)
    if isinstance(existing, str):
        return existing
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    request.state.csrf_token = token
    return token


def tokens_match(cookie: str | None, sent: str | None) -> bool:
    """Constant-time comparison of the cookie's token with the one sent back.

    >>> tokens_match("abc", "abc"), tokens_match("abc", "abd"), tokens_match(None, None)
    (True, False, False)
    """
    if not cookie or not sent:
        return False
    return hmac.compare_digest(cookie.encode(), sent.encode())


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form field or header does not echo its cookie.

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
    if not tokens_match(cookie, sent):
        raise CsrfError(
            f"{CSRF_FIELD}: the CSRF token is missing or wrong (send the cookie's token in the "
            f"{CSRF_HEADER} header or the {CSRF_FIELD} form field)"
        )
