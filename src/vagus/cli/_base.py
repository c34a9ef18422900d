"""Shared pieces of the command line: the typer app, user errors, the app object, language.

User errors (a file that is not RR data, a bad option, a rating of 11) print one message on
stderr and exit with status 2, without a traceback, and change nothing stored.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import click
import typer
from rich.console import Console

from vagus import __version__
from vagus.app import App, build_app
from vagus.config import SettingsError
from vagus.program import Lang

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


def fail(message: str) -> NoReturn:
    """Print one user-error message on stderr and exit with status 2."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USER_ERROR)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the core's ValueErrors (bad input, named field) into exit status 2."""
    try:
        yield
    except ValueError as error:
        fail(str(error))


def open_app() -> App:
    """Build the app from settings (a bad setting is a user error); closed with the command."""
    try:
        app_ = build_app()
    except SettingsError as error:
        fail(str(error))
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(app_.close)
    return app_


def language(app_: App, lang: str | None) -> Lang:
    with user_errors():
        return app_.lang(lang)


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
