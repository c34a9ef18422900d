"""Shared pieces of the command line: the typer app, user errors, the app object, language.

User errors (a file that is not RR data, a bad option, a rating of 11, an exercise the
screening leaves out) print one message on stderr and exit with status 2, without a traceback,
and change nothing stored. Only :class:`vagus.app.UserError` is a user error: anything else is
a bug and shows its traceback.

A journal busy with another long write (an import in the web app, say) is
:class:`vagus.app.BusyError`: one message and exit status 75, ``EX_TEMPFAIL`` of BSD's
``sysexits.h`` ("a temporary failure ... the user is invited to retry"), so a script can tell
"try again" from "wrong input" (2). It is caught around every command (:class:`_Commands`),
not only where a command expects user errors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from vagus import __version__
from vagus.errors import BusyError, UserError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console

    from vagus.app import App
    from vagus.program import Lang

# Startup (issue 12, "answer at once"): `vagus --help` imports typer and this package's cli
# modules only. Everything a command needs (the app, the journal, pydantic, rich, numpy, the
# HRV engine) is imported inside the command, so each command loads only its own needs;
# tests/cli/test_startup_imports.py keeps it so.

EXIT_USER_ERROR = 2
#: ``EX_TEMPFAIL``: the journal was busy; the same command a little later will work.
EXIT_BUSY = 75


class _Commands(TyperGroup):
    """The command group: a journal too busy to write is one line and exit status 75 in every
    command, wherever in it the write happens."""

    # Any: typer's group takes the context class of the click it bundles (typer._click).
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BusyError as error:
            fail(str(error), code=EXIT_BUSY)
        finally:
            _close_apps()


app = typer.Typer(
    cls=_Commands,
    name="vagus",
    help="Train the vagus nerve, and measure it with heart-rate variability (HRV).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as click prints it: typer's rich help loads rich's markdown, syntax and
    # traceback modules and doubles the time `vagus --help` takes (issue 12).
    rich_markup_mode=None,
)

LangOption = Annotated[
    str | None, typer.Option("--lang", help="Language: nb (Norwegian bokmål) or en.")
]
Model = TypeVar("Model", bound="BaseModel")
#: The apps the running command opened; closed when it ends (:class:`_Commands`).
_OPEN_APPS: list[App] = []


def fail(message: str, lang: Lang = "en", *, code: int = EXIT_USER_ERROR) -> NoReturn:
    """Print one user-error message on stderr and exit with status ``code`` (2)."""
    from rich.console import Console

    from vagus.program import t

    prefix = t("errors.prefix", lang)
    Console(stderr=True).print(f"[bold red]{prefix}[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def error_message(error: UserError, lang: Lang | None) -> str:
    """A user error for the terminal: the English message, or in Norwegian the message from
    its key (with any English detail after it), else a Norwegian lead and the English message.

    >>> error_message(UserError("file: the file is empty", key="errors.file_empty"), "nb")
    'Filen er tom.'
    >>> error_message(UserError("file: the file is empty", key="errors.file_empty"), "en")
    'file: the file is empty'
    """
    if lang is None or lang == "en":
        return str(error)
    from vagus.program import error_text, t

    text = error_text(error, lang)
    if text is None:
        return f"{t('errors.lead', lang)} {error}"
    detail = error.fields.get("detail")
    return f"{text} {detail}" if detail else text


def print_warnings(console: Console, warnings: list[str], lang: Lang) -> None:
    """Each warning of an analysis or a file, in ``lang``."""
    from vagus.app import warning_text
    from vagus.program import t

    for warning in warnings:
        console.print(
            f"[yellow]{t('cli.hrv.warning', lang)}[/] {warning_text(warning, lang)}",
            highlight=False,
        )


@contextmanager
def user_errors(lang: Lang | None = None) -> Iterator[None]:
    """Turn the app's user errors (bad input, named field) into exit status 2 (a busy
    journal: 75), said in ``lang`` when given (English otherwise)."""
    try:
        yield
    except UserError as error:
        code = EXIT_BUSY if isinstance(error, BusyError) else EXIT_USER_ERROR
        fail(error_message(error, lang), lang or "en", code=code)


def parse(model: type[Model], **values: object) -> Model:
    """Build one of the app's input models from options; a value it refuses is a user error
    naming the field (the same validation the web's forms and JSON API get)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        fail(f"{where}: {first['msg']}, got {first['input']!r}")


def build_app() -> App:
    """:func:`vagus.app.build_app` (tests put one with their clock here)."""
    from vagus.app import build_app as build

    return build()


def open_app() -> App:
    """Build the app from settings (a bad setting is a user error); closed with the command."""
    with user_errors():
        app_ = build_app()
    _OPEN_APPS.append(app_)
    return app_


def _close_apps() -> None:
    while _OPEN_APPS:
        _OPEN_APPS.pop().close()


def language(app_: App, lang: str | None) -> Lang:
    """The one language resolution of both faces: ``--lang`` > saved preference > the
    ``lang`` setting > the system locale."""
    with user_errors():
        return app_.prefs.lang(lang)


def interactive() -> bool:
    """Prompts only where a person can answer them."""
    return sys.stdin.isatty()


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"vagus {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """vagus: guided vagus-nerve exercises and validated HRV. It does not replace a doctor."""
