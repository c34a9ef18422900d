"""``vagus report -o FILE.pdf``: the report for the therapist as a PDF (issue 13, section 5).
Parse, call the app, write; nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vagus.cli._base import LangOption, app, error_message, fail, language, open_app
from vagus.errors import BusyError, UserError

#: The app's field of each option, for the message of a user error ("--from: ...").
_OPTIONS = {"from": "--from", "to": "--to", "output": "--output", "name": "--name"}


@app.command()
def report(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The PDF file to write.", metavar="FILE.pdf")
    ],
    first: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: 89 days before --to)."),
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: today).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Your name on the report (used for this file only).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """A report for your therapist as a PDF: what you did, what each exercise did for you so
    far, your mornings, your symptoms and your resting measurements. Your name is on it only
    if you give one (--name). It does not replace a doctor."""
    app_ = open_app()
    chosen = language(app_, lang)
    try:
        made = app_.report.build(chosen, first, last, name)
        written = app_.report.write_pdf(made, output)
    except BusyError:
        raise
    except UserError as error:
        message = error_message(error, chosen)
        option = _OPTIONS.get(error.field or "")
        if option and error.field and f"{error.field}:" in message:
            message = message.replace(f"{error.field}:", f"{option}:", 1)
        fail(message, chosen)
    typer.echo(str(written))
