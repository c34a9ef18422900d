"""``vagus insights``: which exercise works for you, whether this week is normal for you, and
your symptom trends. Parse, call the app, render; nothing else."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from vagus.cli._base import LangOption, app, language, open_app, user_errors


@app.command()
def insights(
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the insights as one JSON object.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Which exercise works for you (with 95 % intervals), what to try next, whether this
    week's morning HRV is within your normal range, and your symptom trends. For you, so far;
    it does not replace a doctor."""
    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors(chosen):
        if json_out:
            data = app_.insights.overview(chosen)
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            return
        result = app_.insights.compute()
    from rich.console import Console
    from rich.table import Table

    from vagus.app.insights import (
        best_text,
        effect_text,
        exercise_names,
        interval_text,
        left_out_text,
        load_text,
        morning_numbers,
        morning_text,
        next_text,
        probability_text,
        say,
        trend_text,
    )

    console = Console()
    names = exercise_names(chosen)
    console.print(f"[bold]{say('heading.title', chosen)}[/]\n")
    if result.suggestion is not None:
        console.print(
            f"[bold]{say('heading.next', chosen)}:[/] {next_text(result.suggestion, names, chosen)}"
        )
        console.print(say("next.dose", chosen) + "\n")
    table = Table(title=say("heading.effects", chosen))
    for column in ("exercise", "sessions", "rmssd", "hr", "calm", "p_best"):
        table.add_column(say(f"column.{column}", chosen), overflow="fold")
    for effect in result.effects.exercises:
        table.add_row(
            names.get(effect.id, effect.id),
            f"{effect.sessions} ({effect.paired})",
            interval_text(effect.ln_rmssd_change, chosen, percent=True),
            interval_text(effect.hr_change_bpm, chosen),
            interval_text(effect.calm_change, chosen),
            "–" if effect.p_best is None else probability_text(effect.p_best, chosen),
        )
    console.print(table)
    for effect in result.effects.exercises:
        if effect.sessions:
            console.print(
                f"[bold]{names.get(effect.id, effect.id)}:[/] {effect_text(effect, chosen)}"
            )
            left = left_out_text(effect, chosen)
            if left:
                console.print(f"  {left}")
    console.print("\n" + best_text(result, names, chosen))
    console.print(f"[dim]{say('best.general', chosen)}[/]\n")
    console.print(f"[bold]{say('heading.morning', chosen)}[/]")
    console.print(morning_text(result.morning, chosen))
    numbers = morning_numbers(result.morning, chosen)
    if numbers:
        console.print(numbers)
    trends = [(f, item) for f, item in result.trends.items() if item.days]
    if trends:
        console.print(f"\n[bold]{say('heading.symptoms', chosen)}[/]")
        for field, item in trends:
            console.print(trend_text(field, item, chosen))
    if result.me_cfs:
        console.print(f"\n[bold]{say('heading.load', chosen)}[/]")
        for lag in result.load_fatigue:
            console.print(load_text(lag, chosen))
        console.print(say("symptoms.association", chosen))
