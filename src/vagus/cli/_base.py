"""Shared pieces of the command line: the typer app, user errors, the app object, language.

User errors (a file that is not RR data, a bad option, a rating of 11, an exercise the
screening leaves out) print one message on stderr and exit with status 2, without a traceback,
and change nothing stored. Only :class:`vagus.app.UserError` is a user error: anything else is
a bug and shows its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, TypeVar

import click
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from vagus import __version__
from vagus.app import App, UserError, build_app, warning_text
from vagus.program import Lang, error_text, t

app = typer.Typer(
    name="vagus",
    help="Train the vagus nerve, and measure it with heart-rate variability (HRV).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2
LangOption = Annotated[
    str | None, typer.Option("--lang", help="Language: nb (Norwegian bokmål) or en.")
]
Model = TypeVar("Model", bound=BaseModel)


def fail(message: str, lang: Lang = "en") -> NoReturn:
    """Print one user-error message on stderr and exit with status 2."""
    prefix = t("errors.prefix", lang)
    Console(stderr=True).print(f"[bold red]{prefix}[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USER_ERROR)


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
    text = error_text(error, lang)
    if text is None:
        return f"{t('errors.lead', lang)} {error}"
    detail = error.fields.get("detail")
    return f"{text} {detail}" if detail else text


def print_warnings(console: Console, warnings: list[str], lang: Lang) -> None:
    """Each warning of an analysis or a file, in ``lang``."""
    for warning in warnings:
        console.print(
            f"[yellow]{t('cli.hrv.warning', lang)}[/] {warning_text(warning, lang)}",
            highlight=False,
        )


@contextmanager
def user_errors(lang: Lang | None = None) -> Iterator[None]:
    """Turn the app's user errors (bad input, named field) into exit status 2, said in
    ``lang`` when given (English otherwise)."""
    try:
        yield
    except UserError as error:
        fail(error_message(error, lang), lang or "en")


def parse(model: type[Model], **values: object) -> Model:
    """Build one of the app's input models from options; a value it refuses is a user error
    naming the field (the same validation the web's forms and JSON API get)."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        fail(f"{where}: {first['msg']}, got {first['input']!r}")


def open_app() -> App:
    """Build the app from settings (a bad setting is a user error); closed with the command."""
    with user_errors():
        app_ = build_app()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(app_.close)
    return app_


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
