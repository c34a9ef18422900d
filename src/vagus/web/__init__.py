"""The web app: FastAPI, server-rendered Jinja2 pages and their JSON twins under ``/api``,
one router per resource (:mod:`vagus.web.routes`).

:func:`create_app` builds the server around one :class:`vagus.app.App` (built the same way as
the CLI's, or handed in by tests), so the pages, the API and the CLI share every service.
``vagus serve`` runs it with uvicorn.

>>> import tempfile
>>> from vagus.app import build_app
>>> with tempfile.TemporaryDirectory() as home:
...     server = create_app(build_app(env={"VAGUS_HOME": home, "VAGUS_LANG": "en"}))
...     "/api/checkins" in server.openapi()["paths"]
True
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vagus import __version__
from vagus.app import App, UserError, build_app
from vagus.program import Lang
from vagus.web import _auth, _live
from vagus.web._csrf import (
    CSRF_COOKIE,
    CsrfError,
    allowed_host_names,
    cross_origin_reason,
    host_allowed,
    load_secret,
    request_token,
    session_id,
)
from vagus.web._deps import LANG_COOKIE, LANG_COOKIE_MAX_AGE_S, choose_lang, render
from vagus.web._errors import error_body, error_headers, error_html, status_of
from vagus.web._i18n import tr
from vagus.web.routes import ROUTERS

__all__ = ["API_PREFIX", "create_app"]

_log = logging.getLogger(__name__)

#: Where the JSON API lives; errors there are JSON, elsewhere HTML pages.
API_PREFIX: Final = "/api"
#: Security headers on every response. The policy allows only this server's own scripts,
#: styles and images (no CDN; OWASP Secure Headers Project).
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on their
    # own forms' POSTs (Fetch standard, "serialize a request origin"), and the Origin check
    # (vagus.web._csrf.cross_origin_reason) needs the real origin. Other origins still get no
    # Referer.
    "Referrer-Policy": "same-origin",
}


def _cookie_headers(
    session: str | None, lang: str | None, *, secure: bool
) -> list[tuple[bytes, bytes]]:
    """The ``Set-Cookie`` headers for a new CSRF session and a chosen language, written by
    Starlette's ``Response.set_cookie`` as the route's own response would: ``SameSite=Strict``,
    and ``Secure`` when the request came over HTTPS."""
    response = Response()
    if session is not None:
        response.set_cookie(
            CSRF_COOKIE, session, httponly=True, samesite="strict", secure=secure, path="/"
        )
    if lang is not None:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_MAX_AGE_S,
            samesite="strict",
            secure=secure,
            path="/",
        )
    return [(k, v) for k, v in response.raw_headers if k == b"set-cookie"]


def _is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _refusal(path: str, status: int, message: str, field: str) -> Response:
    """A short refusal written before any route ran: JSON under ``/api``, a small page else."""
    if _is_api_path(path):
        return JSONResponse({"error": message, "field": field}, status_code=status)
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>vagus: refused</title>'
        f"<h1>{status}</h1><p>{html.escape(message)}</p></html>"
    )
    return HTMLResponse(page, status_code=status)


class CookiesAndHeaders:
    """Pure ASGI middleware: the Host and Origin checks, the CSRF cookie, the remembered
    language and the security headers.

    On the way in it

    - refuses (400) a ``Host`` that is not allowed (:func:`vagus.web._csrf.host_allowed`: DNS
      rebinding), before any route runs and without setting a cookie;
    - refuses (403) an unsafe request from another origin
      (:func:`vagus.web._csrf.cross_origin_reason`);
    - gives the request its CSRF session (:func:`vagus.web._csrf.session_id`: the cookie's, or
      a new one);

    on the way out it adds to the response's headers

    - ``Set-Cookie: vagus_csrf=...`` (``HttpOnly``, ``SameSite=Strict``, ``Secure`` under HTTPS)
      when the request came without that session;
    - ``Set-Cookie: vagus_lang=...`` when a route chose a language from ``?lang=``;
    - :data:`SECURITY_HEADERS`, unless the response set its own.

    It was a ``@app.middleware("http")`` function, which Starlette runs through
    ``BaseHTTPMiddleware``: a task, a memory stream and a streaming response per request, about
    a third of the server's time per request under load. This edits the response-start message
    in passing instead, with the same headers in the same order.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        server = scope.get("server")
        bound = str(server[0]) if server else None
        host = request.headers.get("host")
        if not host_allowed(host, allowed_host_names(self.allowed_hosts, bound)):
            _log.warning("refused a request for host %r", host)
            message = (
                f"Host {host!r} is not served here; open vagus at http://127.0.0.1 or "
                "http://localhost, or add the name to the allowed_hosts setting"
            )
            await _refusal(request.url.path, 400, message, "host")(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"
        static = request.url.path.startswith("/static/")
        session = session_id(request)
        needs_cookie = request.cookies.get(CSRF_COOKIE) != session

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # Routes set new_lang on request.state, which lives in the shared scope.
                new_lang = getattr(request.state, "new_lang", None)
                if needs_cookie or new_lang is not None:
                    cookies = _cookie_headers(
                        session if needs_cookie else None, new_lang, secure=secure
                    )
                    headers.raw.extend(cookies)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    # Every page and answer but the static files may hold health data: kept
                    # out of the browser's and any proxy's cache (RFC 9111, 5.2.2.5).
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        reason = cross_origin_reason(
            request.method,
            str(scope.get("scheme", "http")),
            host or "",
            request.headers.get("origin"),
            request.headers.get("sec-fetch-site"),
        )
        if reason is not None:
            refused = _refusal(request.url.path, 403, f"csrf: refused: {reason}", "csrf")
            await refused(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return _is_api_path(request.url.path)


def _error(
    request: Request, status: int, message: str, field: str | None, **extra: object
) -> Response:
    if _is_api(request):
        body: dict[str, object] = {"error": message}
        if field is not None:
            body["field"] = field
        return JSONResponse(body | extra, status_code=status)
    return render(request, "error.html", {"message": message}, status=status)


class CsrfToken(BaseModel):
    """The answer of ``GET /api/csrf``."""

    token: str = Field(description="Send it in the X-Vagus-CSRF header of unsafe requests.")


def _lang_or_default(request: Request) -> Lang:
    """The page language for an error page; English when even that cannot be resolved."""
    try:
        return choose_lang(request)
    except UserError:
        return "en"


def _validation_message(error: RequestValidationError) -> tuple[str, str]:
    """The first problem as ``"<field>: <message>"``, and the field's dotted name."""
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    return f"{field}: {first.get('msg', 'invalid value')}", field


def create_app(app: App | None = None) -> FastAPI:
    """The FastAPI application around one vagus app (built from settings when not given).

    The journal is opened (and migrated) here, once, before the first request, so the worker
    threads never race to open it; opening it marks the sessions a stopped server left
    running as interrupted (the app does, on first use of the journal).
    """
    vagus = app if app is not None else build_app()
    vagus.sessions.close_interrupted()  # opens and migrates the journal now

    @asynccontextmanager
    async def lifespan(server: FastAPI) -> AsyncIterator[None]:
        yield
        # Recordings from straps connected in a browser are finished with their analysis when
        # the server stops (their beats are stored already).
        await asyncio.to_thread(_live.finish_all, server.state)

    server = FastAPI(
        lifespan=lifespan,
        title="vagus",
        version=__version__,
        description=(
            "Guided vagus-nerve exercises, HRV and a journal kept on your own machine. "
            "Unsafe requests need the header X-Vagus-CSRF with the token of GET /api/csrf, "
            "sent with the vagus_csrf cookie that answer sets. "
            "A server reachable from other machines needs a login first: POST /api/login "
            "with the password or token, then send the vagus_login cookie it sets. "
            "vagus does not replace a doctor."
        ),
        # /api/docs is served from the package's own files (vagus.web.routes.docs): FastAPI's
        # default loads Swagger UI from a CDN, which the app's CSP blocks.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    server.state.vagus = vagus
    # The per-install secret that signs CSRF tokens (vagus.web._csrf), owner-only in the home.
    server.state.csrf_secret = load_secret(vagus.settings.home)
    # The login beyond localhost (vagus.web._auth): its cookies are signed with the same
    # secret under their own context string.
    server.state.login = _auth.LoginGuard(
        home=vagus.settings.home, key=server.state.csrf_secret, mode=vagus.settings.login
    )

    @server.get("/api/csrf", response_model=CsrfToken, tags=["security"])
    async def csrf_token(request: Request, response: Response) -> CsrfToken:
        """The CSRF token for scripts: send it in the X-Vagus-CSRF header of every POST, PUT,
        PATCH or DELETE, together with the vagus_csrf cookie this answer sets."""
        response.headers["Cache-Control"] = "no-store"
        return CsrfToken(token=request_token(request))

    # The login page and its JSON twin (open without a login), then one router per resource
    # (vagus.web.routes): its HTML pages and their /api twins.
    server.include_router(_auth.router)
    for router in ROUTERS:
        server.include_router(router)
    server.mount(
        "/static", StaticFiles(directory=str(files("vagus.web") / "static")), name="static"
    )

    # The login check runs inside CookiesAndHeaders (added last, so outermost): the Host and
    # Origin checks come first, and a refusal for want of a login gets the security headers.
    server.add_middleware(_auth.LoginRequired, guard=server.state.login)
    # Where @server.middleware("http") put it: inside the server-error handler, outside the
    # exception handlers below (so their error pages get the cookies and headers too).
    server.add_middleware(CookiesAndHeaders, allowed_hosts=vagus.settings.allowed_hosts)

    @server.exception_handler(UserError)
    async def on_user_error(request: Request, error: UserError) -> Response:
        # The one mapping (vagus.web._errors): 404, 409, 413 or 400; a refused rule carries
        # its code and its reason in the page's language.
        lang = _lang_or_default(request)
        status = status_of(error)
        headers = error_headers(error)
        if _is_api(request):
            return JSONResponse(error_body(error, lang), status_code=status, headers=headers)
        message: str = error_html(error, lang)
        if status == 404 and error.key is None:
            message = tr("error.not_found", lang)
        page = render(request, "error.html", {"message": message}, status=status)
        page.headers.update(headers)
        return page

    @server.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> Response:
        # Anything but a UserError is a bug: said so, and logged with its traceback.
        _log.exception("%s %s failed", request.method, request.url.path, exc_info=error)
        if _is_api(request):
            return JSONResponse(
                {"error": "internal error: this is a bug in vagus"}, status_code=500
            )
        message = tr("error.bug", _lang_or_default(request))
        return render(request, "error.html", {"message": message}, status=500)

    @server.exception_handler(CsrfError)
    async def on_csrf_error(request: Request, error: CsrfError) -> Response:
        if _is_api(request):
            return _error(request, 403, str(error), "csrf")
        return _error(request, 403, tr("error.csrf", _lang_or_default(request)), "csrf")

    @server.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> Response:
        message, field = _validation_message(error)
        return _error(request, 422, message, field)

    @server.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and not _is_api(request):
            return _error(request, 404, tr("error.not_found", _lang_or_default(request)), None)
        return _error(request, error.status_code, str(error.detail), None)

    return server
