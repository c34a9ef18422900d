"""The web app: FastAPI, server-rendered Jinja2 pages and their JSON twins under ``/api``.

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

from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from vagus import __version__
from vagus.app import App, build_app
from vagus.web import _live, api, pages
from vagus.web._csrf import CSRF_COOKIE, CsrfError, request_token
from vagus.web._deps import LANG_COOKIE, LANG_COOKIE_MAX_AGE_S, choose_lang, render
from vagus.web._i18n import tr
from vagus.web._services import WebError

__all__ = ["API_PREFIX", "create_app"]

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
    "Referrer-Policy": "no-referrer",
}


def _is_api(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


def _error(request: Request, status: int, message: str, field: str | None) -> Response:
    if _is_api(request):
        body: dict[str, str] = {"error": message}
        if field is not None:
            body["field"] = field
        return JSONResponse(body, status_code=status)
    return render(request, "error.html", {"message": message}, status=status)


def _validation_message(error: RequestValidationError) -> tuple[str, str]:
    """The first problem as ``"<field>: <message>"``, and the field's dotted name."""
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    return f"{field}: {first.get('msg', 'invalid value')}", field


def create_app(app: App | None = None) -> FastAPI:
    """The FastAPI application around one vagus app (built from settings when not given).

    The journal is opened (and migrated) here, once, before the first request, so the worker
    threads never race to open it.
    """
    vagus = app if app is not None else build_app()
    vagus.journal  # noqa: B018  (opens and migrates the journal now)
    server = FastAPI(
        title="vagus",
        version=__version__,
        description=(
            "Guided vagus-nerve exercises, HRV and a journal kept on your own machine. "
            "Unsafe requests need the header X-Vagus-CSRF with the vagus_csrf cookie's token. "
            "vagus does not replace a doctor."
        ),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    server.state.vagus = vagus
    server.include_router(api.router)
    server.include_router(_live.router)
    server.include_router(pages.router)
    server.mount(
        "/static", StaticFiles(directory=str(files("vagus.web") / "static")), name="static"
    )

    @server.middleware("http")
    async def cookies_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = request_token(request)
        response = await call_next(request)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        new_lang = getattr(request.state, "new_lang", None)
        if new_lang is not None:
            response.set_cookie(
                LANG_COOKIE, new_lang, max_age=LANG_COOKIE_MAX_AGE_S, samesite="lax", path="/"
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @server.exception_handler(WebError)
    async def on_web_error(request: Request, error: WebError) -> Response:
        return _error(request, error.status, error.message, error.field)

    @server.exception_handler(CsrfError)
    async def on_csrf_error(request: Request, error: CsrfError) -> Response:
        if _is_api(request):
            return _error(request, 403, str(error), "csrf")
        return _error(request, 403, tr("error.csrf", choose_lang(request)), "csrf")

    @server.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> Response:
        message, field = _validation_message(error)
        return _error(request, 422, message, field)

    @server.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and not _is_api(request):
            return _error(request, 404, tr("error.not_found", choose_lang(request)), None)
        return _error(request, error.status_code, str(error.detail), None)

    return server
