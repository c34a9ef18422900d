"""Shared pieces of the command line: the typer app, user errors, the app object.

User errors (a file that is not RR data, a bad option) print one message on stderr and exit
with status 2, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from vagus import __version__

app = typer.Typer(
    name="vagus",
    help="Train the vagus nerve, and measure it with heart-rate variability (HRV).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2


def fail(message: str) -> NoReturn:
    """Print one user-error message on stderr and exit with status 2."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USER_ERROR)


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
