"""What every route needs: the app object, the language, the CSRF check and page rendering,
and the small helpers the route modules (:mod:`vagus.web.routes`) share."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Annotated, Any, Final

import jinja2
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from vagus.app import App
from vagus.program import Lang, format_number, format_significant
from vagus.web._csrf import CSRF_FIELD, check_csrf, request_token
from vagus.web._i18n import parse_lang, tr

#: Cookie that remembers the language chosen with ``?lang=`` (one year, in seconds).
LANG_COOKIE: Final = "vagus_lang"
LANG_COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600


def get_app(request: Request) -> App:
    """The one :class:`~vagus.app.App` the server was built with."""
    app: App = request.app.state.vagus
    return app


def choose_lang(request: Request) -> Lang:
    """The page's language, resolved once by the app (:meth:`vagus.app.App.prefs` ``.lang``):
    the explicit choice (``?lang=nb|en``, then remembered in a cookie; else the cookie) >
    the saved preference > the ``lang`` setting > the system locale."""
    asked = parse_lang(request.query_params.get("lang"))
    if asked is not None:
        request.state.new_lang = asked
    explicit = asked or parse_lang(request.cookies.get(LANG_COOKIE))
    return get_app(request).prefs.lang(explicit)


def api_lang(
    request: Request,
    lang: Annotated[Lang | None, Query(description="Language of the texts: nb or en.")] = None,
) -> Lang:
    """``?lang=`` when given, else the page language (cookie, preference, setting, system)."""
    return lang if lang is not None else choose_lang(request)


#: The app, as a route's parameter.
AppDep = Annotated[App, Depends(get_app)]
#: The language of an API answer's texts (``?lang=``, else the page language).
LangDep = Annotated[Lang, Depends(api_lang)]


async def csrf_protect(request: Request) -> None:
    """Router dependency: every unsafe request must echo its CSRF cookie (see ``_csrf``)."""
    await check_csrf(request)


@functools.cache
@jinja2.pass_context
def _num(context: Any, value: float | None, decimals: int | None = None) -> str:
    """``{{ x | num }}``, ``{{ x | num(1) }}``: a number as the page's language writes it
    (decimal comma in Norwegian; Babel)."""
    return format_number(value, context.get("lang", "en"), decimals)


@jinja2.pass_context
def _sig(context: Any, value: float | None, digits: int = 3) -> str:
    """``{{ x | sig }}``: ``digits`` significant digits, as the page's language writes them."""
    return format_significant(value, context.get("lang", "en"), digits)


@functools.cache
def templates() -> Jinja2Templates:
    """The Jinja2 templates (autoescaped HTML) beside this module, with the number filters."""
    folder = str(files("vagus.web") / "templates")
    found = Jinja2Templates(directory=folder)
    found.env.filters["num"] = _num
    found.env.filters["sig"] = _sig
    return found


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


def form_text(form: FormData, name: str) -> str:
    """A form field's text, stripped ("" when it is missing or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def field_errors(error: ValidationError) -> dict[str, str]:
    """The first problem of each top-level field, as ``"<field>: <message>"``."""
    out: dict[str, str] = {}
    for problem in error.errors():
        loc = [str(part) for part in problem.get("loc", ())]
        name = loc[-1] if loc and loc[0] == "pacer" else (loc[0] if loc else "form")
        out.setdefault(name, f"{'.'.join(loc) or 'form'}: {problem.get('msg', 'invalid value')}")
    return out


def see_other(url: str) -> RedirectResponse:
    """After a form's POST: go to ``url`` (303, so the browser GETs it)."""
    return RedirectResponse(url, status_code=303)
