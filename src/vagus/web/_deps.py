"""What every route needs: the app object, the language, the CSRF check and page rendering."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vagus.app import App
from vagus.program import Lang
from vagus.web._csrf import CSRF_FIELD, check_csrf, request_token
from vagus.web._i18n import parse_lang, tr
from vagus.web._services import get_prefs

#: Cookie that remembers the language chosen with ``?lang=`` (one year, in seconds).
LANG_COOKIE: Final = "vagus_lang"
LANG_COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600


def get_app(request: Request) -> App:
    """The one :class:`~vagus.app.App` the server was built with."""
    app: App = request.app.state.vagus
    return app


def choose_lang(request: Request) -> Lang:
    """``?lang=nb|en`` (then remembered in a cookie), else the cookie, else the saved
    preference, else the app's language (setting, then the system locale)."""
    asked = parse_lang(request.query_params.get("lang"))
    if asked is not None:
        request.state.new_lang = asked
        return asked
    remembered = parse_lang(request.cookies.get(LANG_COOKIE))
    if remembered is not None:
        return remembered
    app = get_app(request)
    saved = parse_lang(get_prefs(app)["lang"])
    if saved is not None:
        return saved
    try:
        return app.lang()
    except ValueError:  # a bad lang setting is the CLI's to report; the web still answers
        return "en"


async def csrf_protect(request: Request) -> None:
    """Router dependency: every unsafe request must echo its CSRF cookie (see ``_csrf``)."""
    await check_csrf(request)


@functools.cache
def templates() -> Jinja2Templates:
    """The Jinja2 templates (autoescaped HTML) beside this module."""
    folder = str(files("vagus.web") / "templates")
    return Jinja2Templates(directory=folder)


def render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a page with what every page uses: the language, ``tr``, the CSRF token."""
    lang = choose_lang(request)
    base = {
        "lang": lang,
        "other_lang": "en" if lang == "nb" else "nb",
        "tr": functools.partial(tr, lang=lang),
        "csrf_token": request_token(request),
        "csrf_field": CSRF_FIELD,
        "path": request.url.path,
    }
    return templates().TemplateResponse(request, name, base | context, status_code=status)
