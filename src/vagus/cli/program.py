"""Program commands: exercises, screen, plan, checkin, questionnaire, history, export, import,
forget. Parse, call the app, render; nothing else."""

from __future__ import annotations

import json
import re
import sys
from contextlib import suppress
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vagus.cli._base import (
    LangOption,
    app,
    fail,
    interactive,
    language,
    open_app,
    parse,
    user_errors,
)

if TYPE_CHECKING:
    from rich.console import Console

    from vagus.app import App
    from vagus.app.models import SafetyOut
    from vagus.program import Lang

exercises_app = typer.Typer(help="The seven exercises.", invoke_without_command=True)
app.add_typer(exercises_app, name="exercises")
plan_app = typer.Typer(help="Today's plan, and the rules you or your clinician set.")
app.add_typer(plan_app, name="plan")


@cache
def console() -> Console:
    """The terminal, made when a command first prints (rich loads then, not at start)."""
    from rich.console import Console

    return Console()


#: One answer of ``vagus questionnaire --answers`` (the questionnaire checks its range).
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


# --- first run ----------


def first_run_text(lang: Lang) -> str:
    """The welcome, the intended-purpose statement and the red-flag advice."""
    from vagus.program import t

    keys = (
        "first_run.welcome",
        "first_run.about",
        "purpose.statement",
        "purpose.not_a_doctor",
        "purpose.red_flags",
        "first_run.gradual",
        "first_run.data_local",
    )
    return "\n\n".join(t(key, lang) for key in keys)


def show_first_run(app_: App, lang: Lang) -> None:
    from rich.panel import Panel

    if app_.screening.first_run():
        console().print(Panel(first_run_text(lang), title="vagus", border_style="cyan"))


# --- exercises ----------


@exercises_app.callback()
def exercises(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    lang: LangOption = None,
) -> None:
    """List the seven exercises (id, name, summary, default minutes)."""
    from rich.table import Table

    from vagus.program import load_catalog, t

    if ctx.invoked_subcommand is not None:
        return
    chosen = language(open_app(), lang)
    catalog = load_catalog()
    rows: list[dict[str, Any]] = [e.to_dict(chosen) for e in catalog.exercises.values()]
    if json_out:
        print_json(rows)
        return
    table = Table(title=t("cli.exercises_title", chosen))
    for key in ("col_id", "col_name", "col_minutes", "col_summary"):
        table.add_column(t(f"cli.{key}", chosen), overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["name"], str(row["default_minutes"]), row["summary"])
    console().print(table)


@exercises_app.command("show")
def exercises_show(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="breathing, cold-water, ...")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Show one exercise: why, how, tips, cautions and sources."""
    from rich.panel import Panel

    from vagus.program import load_catalog, t

    chosen = language(open_app(), lang)
    with user_errors():
        exercise = load_catalog().exercise(exercise_id)
    data: dict[str, Any] = exercise.to_dict(chosen)
    if json_out:
        print_json(data)
        return
    parts = [f"[bold]{data['name']}[/]  ({data['default_minutes']} min)", data["summary"], ""]
    for key, title in (("purpose", "cli.purpose"), ("vagus", "cli.how")):
        parts += [f"[bold]{t(title, chosen)}[/]", str(data[key]), ""]
    for key, title in (("steps", "cli.steps"), ("tips", "cli.tips"), ("cautions", "cli.cautions")):
        parts.append(f"[bold]{t(title, chosen)}[/]")
        parts += [f"{n}. {line}" for n, line in enumerate(exercise.lines(key, chosen), start=1)]
        parts.append("")
    parts.append(f"[bold]{t('common.sources', chosen)}[/]")
    parts += [f"- {source}" for source in data["sources"]]
    console().print(Panel("\n".join(parts), border_style="cyan"), highlight=False)


# --- screening ----------


def _parse_answer(text: str) -> bool | None:
    value = text.strip().lower()
    if value in ("y", "yes", "j", "ja"):
        return True
    if value in ("n", "no", "nei"):
        return False
    return None


def ask_yes_no(question: str, lang: Lang) -> bool:
    """Ask until the person answers yes or no (y/n, j/n, ja/nei)."""
    from rich.prompt import Prompt

    from vagus.program import t

    while True:
        value = _parse_answer(Prompt.ask(f"{question} [{t('cli.answer_yes_no', lang)}]"))
        if value is not None:
            return value


@app.command()
def screen(
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            help="QUESTION=yes|no, for scripts (every question needs an answer).",
        ),
    ] = None,
    no_to_all: Annotated[
        bool, typer.Option("--none", help="Answer no to every question (for scripts).")
    ] = False,
    cleared: Annotated[
        list[str] | None,
        typer.Option("--cleared", help="An exercise your clinician has cleared you for."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Health questions before you start: which exercises fit you, and which need your
    clinician's clearance first."""
    from rich.table import Table

    from vagus.program import load_catalog, t
    from vagus.program import questions as screening_questions

    app_ = open_app()
    chosen = language(app_, lang)
    if not json_out:
        show_first_run(app_, chosen)
    questions = screening_questions(chosen)
    answers: dict[str, bool] = {}
    given = dict(item.split("=", 1) for item in (answer or []) if "=" in item)
    for bad in [item for item in (answer or []) if "=" not in item]:
        fail(f"--answer {bad!r}: expected QUESTION=yes or QUESTION=no")
    unknown = sorted(set(given) - {question.id for question in questions})
    if unknown:
        fail(f"--answer: unknown question(s) {', '.join(unknown)}")
    for question in questions:
        if question.follow_up_to and not answers.get(question.follow_up_to, False):
            continue
        if question.id in given:
            value = _parse_answer(given.pop(question.id))
            if value is None:
                fail(f"--answer {question.id}: expected yes or no")
            answers[question.id] = value
        elif no_to_all:
            answers[question.id] = False
        elif interactive():
            answers[question.id] = ask_yes_no(question.text, chosen)
        else:
            fail(
                f"question {question.id!r} has no answer; answer it interactively, with "
                f"--answer {question.id}=yes|no, or use --none"
            )
    if given:  # answers to follow-up questions whose first question was "no"
        fail(f"--answer: {', '.join(sorted(given))} only apply after a yes to the question before")
    with user_errors():
        result = app_.screening.save(answers, cleared or [])
    if json_out:
        print_json(result.to_dict())
        return
    console().print(t("cli.screen_saved", chosen))
    table = Table(show_header=False)
    catalog = load_catalog()
    for exercise_id, item in result.exercises.items():
        status = t(f"screening.status.{item.status}", chosen)
        reasons = "; ".join(item.reasons_text(chosen))
        table.add_row(catalog.exercise(exercise_id).text("name", chosen), status, reasons)
    console().print(table)


# --- plan ----------


def _dose_text(dose: float, unit: str, lang: Lang) -> str:
    from vagus.program import t

    return t("cli.unit_rounds" if unit == "rounds" else "cli.unit_min", lang, n=f"{dose:g}")


def _exercise_label(exercise_id: str, lang: Lang) -> str:
    from vagus.program import load_catalog

    return f"{load_catalog().exercise(exercise_id).text('name', lang)} ({exercise_id})"


def show_red_flag(app_: App, lang: Lang) -> None:
    """A red flag the person reported and has not yet confirmed as handled, with its advice
    (SAFETY.md): shown first until ``vagus checkin --confirm-help``."""
    from rich.panel import Panel

    from vagus.app.models import SafetyOut
    from vagus.program import t

    flag = app_.checkins.open_red_flag(lang)
    if flag is None:
        return
    safety = SafetyOut.model_validate(flag["safety"])
    at = str(flag.get("at") or "")
    when = local_time(at) if at else "-"
    lines = [t("cli.red_flag_open", lang, when=when), "", *safety.advice]
    lines += ["", t("cli.red_flag_hint", lang)]
    style = "bold red" if safety.emergency or safety.crisis else "yellow"
    console().print(Panel("\n".join(lines), border_style=style), highlight=False)


@plan_app.callback(invoke_without_command=True)
def plan(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print today's plan as JSON.")] = False,
    mode: Annotated[
        str | None,
        typer.Option(help="standard, or mecfs (no fixed increments; the dose follows symptoms)."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Today's plan: what to do, how much, and why in one sentence each."""
    from rich.table import Table

    from vagus.program import t

    if ctx.invoked_subcommand is not None:
        return
    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors():
        if mode is not None:
            app_.plan.set_mode(mode)
        today = app_.plan.today_json()
    if json_out:
        print_json(today)  # the shape of /api/plan
        return
    show_red_flag(app_, chosen)
    show_first_run(app_, chosen)
    if not app_.screening.done():
        console().print(f"[yellow]{t('cli.screen_none', chosen)}[/]")
    table = Table(title=t("cli.plan_title", chosen, day=today["day"]))
    for column in ("col_name", "col_minutes", "col_summary"):
        table.add_column(t(f"cli.{column}", chosen), overflow="fold")
    for item in today["items"]:
        table.add_row(
            _exercise_label(item["exercise_id"], chosen),
            _dose_text(item["dose"], item["unit"], chosen),
            item["reason"][chosen],
        )
    console().print(table if today["items"] else t("cli.plan_empty", chosen))
    for title, key in (("cli.plan_pending", "pending"), ("cli.plan_excluded", "excluded")):
        if today[key]:
            console().print(f"\n[bold]{t(title, chosen)}[/]")
            for item in today[key]:
                label = _exercise_label(item["exercise_id"], chosen)
                console().print(f"- {label}: {item['reason'][chosen]}", highlight=False)
    for notice in today["notices"]:
        console().print(f"[yellow]{notice[chosen]}[/]")
    console().print(f"\n{t('cli.plan_do', chosen)}")


@plan_app.command("set")
def plan_set(
    exercise_id: Annotated[str, typer.Argument(metavar="EXERCISE")],
    fixed: Annotated[float | None, typer.Option(help="Always this dose.")] = None,
    max_dose: Annotated[float | None, typer.Option("--max", help="Never above this.")] = None,
    step: Annotated[float | None, typer.Option(help="Step for rises and step-downs.")] = None,
    baseline: Annotated[
        float | None, typer.Option(help="ME/CFS mode: what you manage now without worsening.")
    ] = None,
    hold: Annotated[bool | None, typer.Option("--hold/--no-hold", help="No rises.")] = None,
    exclude: Annotated[
        bool | None, typer.Option("--exclude/--include", help="Leave it out of the plan.")
    ] = None,
    by: Annotated[str, typer.Option(help="Who set it: person or clinician.")] = "person",
    clear: Annotated[bool, typer.Option("--clear", help="Remove every override.")] = False,
) -> None:
    """Override the plan's rules for one exercise (you or your clinician decide)."""
    if by not in ("person", "clinician"):
        fail(f"--by: expected person or clinician, got {by!r}")
    values: dict[str, Any] = {}
    for key, value in (
        ("fixed_dose", fixed),
        ("max_dose", max_dose),
        ("step", step),
        ("baseline", baseline),
        ("hold", hold),
        ("excluded", exclude),
    ):
        if value is not None:
            values[key] = value
    if values:
        values["set_by"] = by
    if not values and not clear:
        fail("nothing to set: give --fixed, --max, --step, --baseline, --hold or --exclude")
    app_ = open_app()
    with user_errors():
        app_.plan.set_override(exercise_id, {} if clear else values)
        app_.plan.today()


@plan_app.command("readiness")
def plan_readiness(
    hold: Annotated[
        bool | None,
        typer.Option(
            "--hold-when-below/--off",
            help="Hold the plan (no rises, nothing added) while this week's morning HRV is "
            "below your normal range; --off: the plan does not look at HRV (the default).",
        ),
    ] = None,
    by: Annotated[str, typer.Option(help="Who set it: person or clinician.")] = "person",
    json_out: Annotated[bool, typer.Option("--json", help="Print the rule as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """The one rule by which morning HRV may steer the plan; shown, or set (you or your
    clinician decide)."""
    from vagus.app.insights import morning_text
    from vagus.program import t

    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors(chosen):
        if hold is not None:
            app_.plan.set_readiness_rule(hold, by)
            app_.plan.today()
        rule = app_.plan.readiness_rule()
        if json_out:
            print_json(rule | {"status": app_.insights.morning_status()})
            return
        if not rule["hold_when_below"]:
            console().print(t("cli.readiness_off", chosen))
            return
        status = morning_text(app_.insights.compute().morning, chosen)
    who = t(f"cli.who_{rule['set_by']}", chosen)
    console().print(t("cli.readiness_on", chosen, who=who, status=status))


# --- check-ins and questionnaires -------------------------------------------------------------


def pick(options: list[tuple[str, str]], prompt: str) -> list[str]:
    """Number the options, ask for numbers separated by commas; the ids picked."""
    from rich.prompt import Prompt

    for number, (_, label) in enumerate(options, start=1):
        console().print(f"  {number}. {label}")
    reply = Prompt.ask(prompt, default="", show_default=False)
    chosen = []
    for part in reply.replace(" ", "").split(","):
        if part.isdigit() and 1 <= int(part) <= len(options):
            chosen.append(options[int(part) - 1][0])
    return chosen


def red_flag_signs(lang: Lang) -> list[tuple[str, str]]:
    """The warning signs that raise a red flag (alone or with others), as (id, label)."""
    from vagus.program.safety import red_flags, symptoms

    used = {sign for flag in red_flags("en") for trigger in flag.triggers for sign in trigger}
    return [(s.id, s.label) for s in symptoms(lang) if s.id in used]


def player_signs(exercise_id: str, lang: Lang) -> list[tuple[str, str]]:
    """What "report a symptom" lists during an exercise: its stop-rule signs, then the
    red-flag signs not among them (the web player lists the same)."""
    from vagus.program.safety import stop_symptoms

    stop = [(s.id, s.label) for s in stop_symptoms(exercise_id, lang)]
    ids = {sign for sign, _ in stop}
    return stop + [(sign, label) for sign, label in red_flag_signs(lang) if sign not in ids]


def show_safety(safety: SafetyOut, lang: Lang) -> None:
    """Stop rules and red-flag advice, as the brief says, in a panel that stands out."""
    from rich.panel import Panel

    if not safety.symptoms or not safety.advice:
        return
    style = "bold red" if safety.emergency or safety.crisis else "yellow"
    console().print(Panel("\n\n".join(safety.advice), border_style=style), highlight=False)


@app.command()
def checkin(
    sleep: Annotated[
        int | None, typer.Option(help="Sleep last night, 0-10 (10 = very good).")
    ] = None,
    headache: Annotated[int | None, typer.Option(help="Headache, 0-10.")] = None,
    digestion: Annotated[int | None, typer.Option(help="Digestive trouble, 0-10.")] = None,
    anxiety: Annotated[int | None, typer.Option(help="Anxiety, 0-10.")] = None,
    pain: Annotated[int | None, typer.Option(help="Pain, 0-10.")] = None,
    fatigue: Annotated[int | None, typer.Option(help="Fatigue, 0-10.")] = None,
    note: Annotated[str, typer.Option(help="A free note.")] = "",
    symptom: Annotated[
        list[str] | None,
        typer.Option(
            "--symptom",
            help="A warning sign you have now, by id (e.g. chest-pain, thunderclap-headache).",
        ),
    ] = None,
    confirm_help: Annotated[
        bool,
        typer.Option(
            "--confirm-help",
            help="Confirm you got help for the warning sign `vagus plan` shows (nothing else).",
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Daily check-in: sleep, headache, digestion, anxiety, pain and fatigue on 0-10, and any
    warning signs (their advice is shown at once)."""
    from rich.prompt import IntPrompt, Prompt

    from vagus.app.models import CheckinIn
    from vagus.program import CHECKIN_FIELDS, t
    from vagus.program.checkin import LABELS as FIELD_LABELS

    app_ = open_app()
    chosen = language(app_, lang)
    if confirm_help:
        had_flag = app_.checkins.open_red_flag(chosen) is not None
        app_.checkins.confirm_help()
        console().print(t("cli.red_flag_confirmed" if had_flag else "cli.red_flag_none", chosen))
        return
    given = {
        "sleep": sleep,
        "headache": headache,
        "digestion": digestion,
        "anxiety": anxiety,
        "pain": pain,
        "fatigue": fatigue,
    }
    missing = [name for name in CHECKIN_FIELDS if given[name] is None]
    if missing and not interactive():
        fail(f"check-in: missing {', '.join('--' + m for m in missing)} (each 0-10)")
    if missing:
        console().print(t("cli.checkin_intro", chosen))
    for name in missing:
        given[name] = IntPrompt.ask(f"{FIELD_LABELS[name][chosen]} (0-10)")
    symptom_ids = list(dict.fromkeys(symptom or []))
    if missing:
        if not note:
            note = Prompt.ask(t("cli.note", chosen), default="", show_default=False)
        signs = [(i, label) for i, label in red_flag_signs(chosen) if i not in symptom_ids]
        symptom_ids += pick(signs, t("cli.checkin_warning_signs", chosen))
    entry = parse(CheckinIn, **given, note=note, symptoms=symptom_ids)
    with user_errors():
        out = app_.checkins.add(entry, chosen)
    console().print(t("cli.checkin_saved", chosen))
    show_safety(out.safety, chosen)


@app.command()
def questionnaire(
    name: Annotated[str, typer.Argument(help="gad-7, phq-8 or dsq-pem.")],
    answers: Annotated[
        str | None, typer.Option(help="Comma-separated answers in order, for scripts.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """A validated questionnaire, scored as published (GAD-7, PHQ-8, DSQ-PEM)."""
    from rich.prompt import IntPrompt

    from vagus.program import QUESTIONNAIRES, t

    app_ = open_app()
    chosen = language(app_, lang)
    if name not in QUESTIONNAIRES:
        fail(f"unknown questionnaire {name!r}; expected one of {', '.join(QUESTIONNAIRES)}")
    form = QUESTIONNAIRES[name]
    if answers is not None:
        parts = [part.strip() for part in answers.split(",")]
        if not all(WHOLE_NUMBER.fullmatch(part) for part in parts):
            fail(f"--answers: expected whole numbers separated by commas, got {answers!r}")
        values = [int(part) for part in parts]
    elif interactive():
        console().print(t("questionnaire.intro", chosen))
        values = []
        for prompt in form.prompts(chosen):
            scale = " · ".join(f"{i} = {option}" for i, option in enumerate(prompt.options))
            console().print(f"\n[bold]{prompt.number}.[/] {prompt.question}\n   {prompt.item}")
            values.append(IntPrompt.ask(f"   {scale}"))
    else:
        fail("--answers: needed when not run in a terminal")
    with user_errors():
        result = app_.checkins.questionnaire(name, values)
    if json_out:
        print_json(result.to_dict())
        return
    console().print(
        t(
            "cli.questionnaire_saved",
            chosen,
            name=name.upper(),
            score=f"{result.score:g}",
            severity=result.severity_text(chosen),
        )
    )
    advice = result.advice(chosen)
    if advice:
        console().print(advice)


# --- the journal ----------


@app.command()
def history(
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    kind: Annotated[
        list[str] | None, typer.Option("--type", help="session, checkin, measurement, ...")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many, newest first.")] = None,
    lang: LangOption = None,
) -> None:
    """Everything in your journal, newest first."""
    from rich.table import Table

    from vagus.program import t

    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors():
        entries = app_.transfer.history(kind, limit)
    if json_out:
        print_json(entries)
        return
    if not entries:
        console().print(t("cli.history_empty", chosen))
        return
    table = Table()
    for column in ("history_when", "history_type", "history_what"):
        table.add_column(t(f"cli.{column}", chosen))
    for entry in entries:
        kind_ = str(entry["type"])
        shown = t(f"cli.type_{kind_}", chosen) if kind_ in ENTRY_TYPES else kind_
        table.add_row(local_time(str(entry["started_at"])), shown, _summary(entry, chosen))
    console().print(table, highlight=False)


#: The journal's entry types (`vagus history --type`), each with its name in messages.toml.
ENTRY_TYPES = frozenset({"session", "checkin", "measurement", "questionnaire", "screening", "plan"})
SESSION_STATUSES = frozenset({"completed", "stopped", "interrupted", "running"})


def local_time(iso: str) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM`` in this machine's time zone (the journal keeps UTC).

    >>> local_time("2026-03-02T07:30:00+00:00") == local_time("2026-03-02T08:30:00+01:00")
    True
    """
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def _symptom_text(ids: list[str], lang: Lang) -> str:
    from vagus.program import t
    from vagus.program.safety import symptoms

    labels = {s.id: s.label for s in symptoms(lang)}
    return t("cli.history_symptoms", lang, symptoms=", ".join(labels.get(i, i) for i in ids))


def _summary(entry: dict[str, Any], lang: Lang) -> str:
    """One line of what an entry holds, in ``lang``."""
    from vagus.app import UserError
    from vagus.program import CHECKIN_FIELDS, QUESTIONNAIRES, load_catalog, t
    from vagus.program.checkin import LABELS as FIELD_LABELS

    kind = entry["type"]
    parts: list[str] = []
    if kind == "session":
        exercise_id = str(entry.get("exercise_id"))
        status = str(entry.get("status"))
        parts.append(load_catalog().exercise(exercise_id).text("name", lang))
        parts.append(t(f"cli.status_{status}", lang) if status in SESSION_STATUSES else status)
        parts.append(t("cli.history_steps", lang, n=len(entry.get("steps", []))))
        ratings = entry.get("ratings") or {}
        if ratings.get("before") is not None or ratings.get("after") is not None:
            before, after = (ratings.get(m) for m in ("before", "after"))
            parts.append(
                t(
                    "cli.history_calm",
                    lang,
                    before="-" if before is None else before,
                    after="-" if after is None else after,
                )
            )
        reported = [s for f in entry.get("feedback") or [] for s in f.get("symptoms") or []]
        if reported:
            parts.append(_symptom_text(reported, lang))
    elif kind == "checkin":
        parts.append(" ".join(f"{FIELD_LABELS[k][lang]}={entry.get(k)}" for k in CHECKIN_FIELDS))
        if entry.get("symptoms"):
            parts.append(_symptom_text(list(entry["symptoms"]), lang))
    elif kind == "measurement":
        parts.append(t("cli.history_beats", lang, n=entry.get("n_beats", 0)))
        parts += [str(tag) for tag in entry.get("tags") or ()]
    elif kind == "questionnaire":
        name = str(entry.get("name"))
        form = QUESTIONNAIRES.get(name)
        severity = str(entry.get("severity"))
        if form is not None:
            # A severity this version does not know is shown as stored.
            with suppress(UserError):
                severity = form.band(severity).label.get(lang)
        title = form.name.get(lang) if form is not None else name
        parts.append(f"{title}: {entry.get('score')} ({severity})")
    elif kind == "screening":
        answers = (entry.get("answers") or {}).get("answers", {})
        parts.append(t("cli.history_screening", lang, n=sum(1 for v in answers.values() if v)))
    elif kind == "plan":
        items = (entry.get("plan") or {}).get("items", [])
        parts += [
            f"{load_catalog().exercise(str(i['exercise_id'])).text('name', lang)} "
            f"{_dose_text(float(i['dose']), str(i.get('unit', 'min')), lang)}"
            for i in items
        ] or [t("cli.plan_empty", lang)]
    return " · ".join(parts)


@app.command("export")
def export_(
    file: Annotated[Path, typer.Argument(help="Where to write the JSON export.")],
    lang: LangOption = None,
) -> None:
    """Export everything (JSON, documented in docs/export-schema.md)."""
    from vagus.program import t

    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors():
        app_.transfer.export(file)
    console().print(t("cli.exported", chosen, path=str(file)))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="An export written by `vagus export`.")],
    lang: LangOption = None,
) -> None:
    """Import an export; a corrupt file is refused whole and nothing changes."""
    from vagus.program import t

    app_ = open_app()
    chosen = language(app_, lang)
    with user_errors():
        counts = app_.transfer.import_file(file)
    console().print(t("cli.imported", chosen, path=str(file), count=sum(counts.values())))


@app.command()
def forget(
    confirm: Annotated[
        str | None, typer.Option(help="The confirmation word, for scripts (DELETE or SLETT).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Delete all your data, after a typed confirmation."""
    from rich.prompt import Prompt

    from vagus.program import t

    app_ = open_app()
    chosen = language(app_, lang)
    word = t("cli.forget_word", chosen)
    console().print(f"[bold red]{t('cli.forget_warning', chosen)}[/]")
    if confirm is None:
        if not interactive():
            fail(f"--confirm {word} is needed when not run in a terminal")
        confirm = Prompt.ask(t("cli.forget_type", chosen, word=word))
    if confirm.strip() not in (word, "DELETE"):
        console().print(t("cli.forget_cancelled", chosen))
        raise typer.Exit(1)
    done = app_.transfer.forget()
    console().print(t("cli.forget_done" if done else "cli.forget_done_pending", chosen))
