"""``vagus hrv`` and ``vagus indices``: HRV of a recording, and the index registry."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from vagus.cli._base import (
    LangOption,
    app,
    fail,
    language,
    open_app,
    print_warnings,
    user_errors,
)

if TYPE_CHECKING:
    from rich.console import Console

    from vagus.hrv import HrvReport, Index
    from vagus.program import Lang

#: The file formats ``--format`` takes (vagus.formats.FORMATS; a test keeps them equal): written
#: out so that the help does not load the readers (issue 12).
FORMAT_NAMES: Final[tuple[str, ...]] = (
    "rr-text",
    "polar",
    "elite-hrv",
    "hrv-logger",
    "kubios",
    "fit",
    "edf",
    "wfdb",
    "apple-health",
)
_EXPLAIN_MIN_WIDTH = 120


def domain_title(domain: str, lang: Lang) -> str:
    """ "Time domain", "Frequency domain", "Nonlinear" in ``lang``."""
    from vagus.program import t

    return t(f"cli.domain_{domain}", lang)


def minimum_text(index: Index, lang: Lang) -> str:
    """The least data an index needs, in ``lang`` ("100 RR intervals and 60 s").

    >>> from vagus.hrv import INDICES
    >>> [minimum_text(i, "nb") for i in INDICES if i.name == "vlf"]
    ['3 RR-intervaller og 287,9 s']
    """
    from vagus.program import format_number, t

    seconds = index.min_duration_s
    fields = {
        "beats": index.min_beats,
        "seconds": format_number(seconds, lang, 0 if seconds == int(seconds) else 1),
    }
    if index.min_beats > 1 and seconds > 0:
        return t("cli.needs_both", lang, **fields)
    if index.min_beats > 1:
        return t("cli.needs_beats", lang, **fields)
    if seconds > 0:
        return t("cli.needs_seconds", lang, **fields)
    return t("cli.needs_one_beat", lang)


class MethodOption(str, Enum):
    welch = "welch"
    lomb = "lomb"
    ar = "ar"


class UnitOption(str, Enum):
    ms = "ms"
    s = "s"


def format_value(value: float | None, unit: str, lang: Lang = "en") -> str:
    """A value for a table: counts as integers, large values without decimals, the decimal
    mark of ``lang``.

    >>> format_value(1234.5, "ms²", "nb"), format_value(0.1234, "", "nb")
    ('1\xa0234', '0,123')
    """
    from vagus.program import format_number

    if value is None:
        return "-"
    if unit == "count":
        return format_number(value, lang, 0)
    magnitude = abs(value)
    if magnitude >= 1000:
        return format_number(value, lang, 0)
    if magnitude >= 10:
        return format_number(value, lang, 1)
    if magnitude >= 1:
        return format_number(value, lang, 2)
    return format_number(value, lang, 3)


def _render_report(console: Console, source: str, report: HrvReport, lang: Lang = "en") -> None:
    from rich.columns import Columns
    from rich.console import Group
    from rich.table import Table

    from vagus.hrv import DOMAINS, indices_of
    from vagus.program import format_number, t, unit_label

    minutes, seconds = divmod(report.duration_s, 60)
    summary = t(
        "cli.hrv.summary",
        lang,
        source=f"[bold]{source}[/]",
        beats=report.n_beats,
        minutes=int(minutes),
        seconds=f"{seconds:.0f}",
        method=report.method,
    )
    console.print(summary, highlight=False)
    art = report.artifacts
    kinds = ", ".join(
        f"{t(f'cli.hrv.kind.{kind}', lang)} {count}" for kind, count in art.by_type.items() if count
    )
    console.print(
        t(
            "cli.hrv.artifacts_corrected" if art.enabled else "cli.hrv.artifacts_found",
            lang,
            detected=art.detected,
            intervals=report.n_intervals,
            percent=format_number(art.percent, lang, 1),
            kinds=": " + kinds if kinds else "",
        ),
        highlight=False,
    )
    if art.enabled:
        # What correction did to the numbers: intervals changed (corrected or, out of the
        # physiological range, left out) and RMSSD, the index it moves most, before and after.
        console.print(
            t(
                "cli.hrv.correction",
                lang,
                changed=art.changed,
                intervals=report.n_intervals,
                before=format_value(art.rmssd_before, "ms", lang),
                after=format_value(art.rmssd_after, "ms", lang),
            ),
            highlight=False,
        )
    # Meanings only where they fit on one line; `vagus indices` lists them all.
    explain = console.width >= _EXPLAIN_MIN_WIDTH
    tables = []
    for domain in DOMAINS:
        table = Table(title=domain_title(domain, lang), title_justify="left", expand=False)
        table.add_column(t("cli.hrv.col_index", lang))
        table.add_column(t("cli.hrv.col_value", lang), justify="right")
        table.add_column(t("cli.col_unit", lang))
        if explain:
            table.add_column(t("cli.col_meaning", lang), overflow="fold")
        for index in indices_of(domain):
            cells = [
                index.label,
                format_value(report.indices[index.name], index.unit, lang),
                unit_label(index.unit, lang),
            ]
            table.add_row(*cells, *([index.meaning(lang)] if explain else []))
        tables.append(table)
    # Side by side where the terminal is wide enough, stacked where it is not.
    console.print(Columns(tables) if not explain else Group(*tables))
    print_warnings(console, report.warnings, lang)


@app.command()
def hrv(
    file: Annotated[
        Path | None,
        typer.Argument(help="The recording (any supported format).", show_default=False),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    method: Annotated[
        MethodOption, typer.Option(help="Spectral method: welch (Kubios default), lomb or ar.")
    ] = MethodOption.welch,
    no_correct: Annotated[
        bool, typer.Option("--no-correct", help="Report artifacts but do not correct them.")
    ] = False,
    unit: Annotated[
        UnitOption | None, typer.Option(help="Unit of the values (default: detected).")
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="CSV column holding the RR intervals (default: by name).")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            help="EDF/WFDB channel label, or series:N / latest for an Apple Health export."
        ),
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help=f"Skip detection: {', '.join(FORMAT_NAMES)}."),
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="Analyse the example recording that ships with vagus.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Analyse a recording: RR files, Polar, Elite HRV, HRV Logger, Kubios, Garmin FIT, EDF/BDF,
    WFDB or an Apple Health export (ECG and PPG are turned into beats first)."""
    from rich.console import Console

    from vagus.app import example_rr_path

    if example == (file is not None):
        fail("give one RR file, or --example for the bundled recording")
    path = example_rr_path() if example else file
    assert path is not None
    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors(chosen):
        report = app_.measurements.analyze_file(
            path,
            method=method.value,
            correct=not no_correct,
            unit=unit.value if unit else None,
            column=column,
            channel=channel,
            format=file_format,
        )
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), allow_nan=False) + "\n")
        return
    _render_report(Console(), path.name if example else str(path), report, chosen)


@app.command("indices")
def list_indices(
    json_out: Annotated[bool, typer.Option("--json", help="Print the registry as JSON.")] = False,
    lang: LangOption = None,
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown",
            help="Print the table as Markdown (docs/indices.md; English unless --lang).",
        ),
    ] = False,
) -> None:
    """List every HRV index: name, unit, domain, minimum data and meaning."""
    from rich.console import Console
    from rich.table import Table

    from vagus.hrv import INDICES
    from vagus.program import t

    # The Markdown is the docs page, so it is English unless asked otherwise, whatever the
    # machine's locale; the rest speaks the person's language.
    chosen: Lang = "en" if markdown and lang is None else language(open_app(), lang)
    if json_out:
        sys.stdout.write(
            json.dumps([_index_dict(i, chosen) for i in INDICES], ensure_ascii=False) + "\n"
        )
        return
    if markdown:
        sys.stdout.write(_indices_markdown(chosen))
        return
    table = Table(title=t("cli.indices_title", chosen))
    for key in ("col_index", "col_unit", "col_domain", "col_needs", "col_meaning"):
        table.add_column(t(f"cli.{key}", chosen), overflow="fold")
    for index in INDICES:
        table.add_row(
            index.name,
            index.unit,
            domain_title(index.domain, chosen),
            minimum_text(index, chosen),
            index.meaning(chosen),
        )
    Console().print(table)


def _indices_markdown(lang: Lang) -> str:
    from vagus.hrv import DOMAINS, indices_of

    lines = [
        "# HRV indices",
        "",
        "Generated from the index registry (`src/vagus/hrv/_registry.py`) by",
        (
            f"`vagus indices --markdown{' --lang nb' if lang == 'nb' else ''}`; "
            "a test keeps it current."
        ),
        "",
    ]
    for domain in DOMAINS:
        lines += [
            f"## {domain_title(domain, lang)}",
            "",
            "| name | unit | needs at least | meaning | reference |",
            "|---|---|---|---|---|",
        ]
        for index in indices_of(domain):
            lines.append(
                f"| `{index.name}` | {index.unit or '-'} | {minimum_text(index, lang)} "
                f"| {index.meaning(lang)} | {index.reference} |"
            )
        lines.append("")
    return "\n".join(lines)


def _index_dict(index: Index, lang: Lang) -> dict[str, object]:
    return {
        "name": index.name,
        "label": index.label,
        "unit": index.unit,
        "domain": index.domain,
        "min_beats": index.min_beats,
        "min_duration_s": index.min_duration_s,
        "meaning": index.meaning(lang),
        "reference": index.reference,
    }


@app.command()
def info(
    file: Annotated[Path, typer.Argument(help="A recording of any supported format.")],
    channel: Annotated[str | None, typer.Option(help="EDF/WFDB channel, or series:N.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Say what a file holds: format, kind, duration, beats or samples, channels, warnings."""
    from rich.console import Console
    from rich.table import Table

    from vagus.app import warning_text

    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors(chosen):
        description = app_.measurements.load_recording(file, channel=channel).describe()
    if json_out:
        sys.stdout.write(json.dumps(description, default=str) + "\n")
        return
    table = Table(show_header=False, title=str(file))
    for key, value in description.items():
        if key == "warnings" and isinstance(value, list):
            value = [warning_text(warning, chosen) for warning in value]
        if isinstance(value, list | tuple):
            value = "\n".join(
                json.dumps(v, default=str) if isinstance(v, dict) else str(v) for v in value
            )
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        table.add_row(key, "-" if value in (None, "") else str(value))
    Console().print(table)


@app.command()
def convert(
    file: Annotated[Path, typer.Argument(help="A recording of any supported format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The CSV to write.")],
    channel: Annotated[str | None, typer.Option(help="EDF/WFDB channel, or series:N.")] = None,
    unit: Annotated[UnitOption | None, typer.Option(help="Unit of RR values in text.")] = None,
    column: Annotated[str | None, typer.Option(help="CSV column of the RR values.")] = None,
) -> None:
    """Write the beats of a recording as CSV (time_s, rr_ms), as found, without correction.

    time_s is the time of the beat ending each interval since the recording's start; for a
    file of intervals only, the recording starts at its first beat."""
    from rich.console import Console

    from vagus.app import write_beats_csv

    with user_errors():
        recording = open_app().measurements.load_recording(
            file, channel=channel, unit=unit.value if unit else None, column=column
        )
        rr, times_s, warnings = recording.timed_beats()
        write_beats_csv(rr, output, times_s=times_s)
    console = Console(stderr=True)
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"{len(rr)} intervals written to {output}", highlight=False)
