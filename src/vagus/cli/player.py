"""``vagus do EXERCISE``: a guided session in the terminal.

A live breathing bar, the phase and seconds left, a progress bar for the whole exercise, the
cues, and the stop rules; space pauses, Enter continues, s skips a step, q ends (what was done is
saved). Calm ratings before and after, how it felt, and any stop-rule symptoms with the advice
from the safety rules.

The session machine is the pure one in ``vagus.program.session``: this module only reads keys,
draws and asks. Time comes from a clock (``--speed`` runs it faster, for demos and tests).
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Annotated, Any, Final, Protocol, cast

import typer

from vagus.cli._base import LangOption, app, fail, interactive, language, open_app, user_errors
from vagus.cli.program import ask_yes_no, pick, player_signs, show_safety

if TYPE_CHECKING:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from vagus.app import App, LiveRecording, RecordingKind, SessionRun
    from vagus.hrv.streaming import Update
    from vagus.program import Lang, Step
    from vagus.program.exercises import LogField

#: The exercises, for the help of ``vagus do`` (vagus.program.EXERCISE_IDS; a test keeps them
#: equal): written out so that the help does not load the catalog (issue 12).
EXERCISE_NAMES: Final[tuple[str, ...]] = (
    "breathing",
    "cold-water",
    "humming",
    "neck",
    "laughter",
    "meditation",
    "activity",
)

#: Width of the breathing bar in characters.
BAR_WIDTH = 40
#: The rest measurements before and after an exercise, s: one minute each, so every session
#: with a sensor has a before/after pair for later analysis.
REST_S = 60.0
#: How often the screen is redrawn; the pacer's phase comes from elapsed time, not from ticks.
TICK_S = 0.1


class ScaledClock:
    """Monotonic time running ``speed`` times faster (for demos and tests)."""

    def __init__(self, speed: float = 1.0) -> None:
        self._speed = speed
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self._speed


class Keys(Protocol):
    def read(self) -> str | None: ...


class NoKeys:
    """Where no person is at a keyboard: untimed steps continue on their own."""

    def read(self) -> str | None:
        return None


class TerminalKeys:
    """Single key presses from a POSIX terminal, without waiting (cbreak mode)."""

    def read(self) -> str | None:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        return os.read(sys.stdin.fileno(), 1).decode(errors="ignore") if ready else None


@contextmanager
def key_reader() -> Iterator[Keys]:
    if not interactive():
        yield NoKeys()
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield TerminalKeys()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def live_line(update: Update | None) -> Text:
    """Heart rate, ln RMSSD and coherence from the sensor, next to the pacer."""
    from rich.text import Text

    if update is None:
        return Text("♥ …", style="dim")
    parts = [f"♥ {update.heart_rate_bpm:.0f} bpm" if update.heart_rate_bpm else "♥ -"]
    parts.append(f"ln RMSSD {update.ln_rmssd:.2f}" if update.ln_rmssd else "ln RMSSD -")
    parts.append(f"coherence {update.coherence:.2f}" if update.coherence else "coherence -")
    return Text("   ".join(parts), style="bold magenta")


def render(
    run: SessionRun,
    lang: Lang,
    name: str,
    stop_line: str,
    recording: LiveRecording | None = None,
) -> Panel:
    """One frame: step, cue, pacer bar, time left, progress, live HRV, stop rules and keys."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    from vagus.program import cue_text, t

    state = run.session.state()
    step = state.step
    parts: list[Any] = []
    count = len(run.steps)
    index = min(state.index + 1, count)
    header = f"[bold]{name}[/] · {t('cli.step_of', lang, index=index, count=count)}"
    if state.status == "paused":
        header += f" · [yellow]{t('cli.paused', lang)}[/]"
    parts.append(Text.from_markup(header))
    if step is not None:
        parts.append(Text(cue_text(step.cue, lang), style="cyan"))
        pacer = state.pacer
        if pacer is not None:
            word = cue_text(f"pacer.{pacer.phase}", lang)
            filled = round(pacer.lung * BAR_WIDTH)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            left = t("cli.left", lang, seconds=f"{pacer.phase_remaining_s:.0f}")
            parts.append(Text(f"\n{word:<24} {left}", style="bold"))
            parts.append(Text(bar, style="green"))
        if step.duration_s is not None and state.step_remaining_s is not None:
            parts.append(Text(t("cli.left", lang, seconds=f"{state.step_remaining_s:.0f}")))
        else:
            parts.append(Text(t("cli.press_enter", lang), style="dim"))
    if recording is not None:
        parts.append(live_line(recording.last))
    progress = Table.grid()
    progress.add_row(ProgressBar(total=1.0, completed=state.progress, width=BAR_WIDTH))
    parts.append(progress)
    parts.append(Text(stop_line, style="yellow"))
    parts.append(Text(t("cli.keys_help", lang), style="dim"))
    return Panel(Group(*parts), border_style="cyan")


def ask_log(fields: tuple[LogField, ...], lang: Lang) -> dict[str, Any]:
    """Ask the fields of a logging step (gratitude, what was done)."""
    from rich.prompt import Prompt

    from vagus.program import cue_text

    values: dict[str, Any] = {}
    for log_field in fields:
        label = cue_text(log_field.label, lang)
        if log_field.type == "choice":
            options = [(c, cue_text(f"{log_field.label}.{c}", lang)) for c in log_field.choices]
            picked = pick(options, label)
            values[log_field.id] = picked[0] if picked else None
        elif log_field.type == "scale":
            reply = Prompt.ask(f"{label} (0-10)", default="", show_default=False)
            values[log_field.id] = int(reply) if reply.isdigit() and int(reply) <= 10 else None
        else:
            values[log_field.id] = Prompt.ask(label, default="", show_default=False)
    return values


def play(
    run: SessionRun,
    lang: Lang,
    *,
    console: Console,
    keys: Keys,
    sleep: Callable[[float], None] = time.sleep,
    ask: Callable[[tuple[LogField, ...], Lang], dict[str, Any]] | None = None,
    recording: LiveRecording | None = None,
    report: Callable[[list[str]], None] | None = None,
) -> None:
    """Run the session to its end (or until q), writing each step (and beat) as it ends.

    ``x`` asks which warning sign the person has (when someone can answer): the session ends
    at once, what was done is written, and ``report`` hands the signs to the app, which
    stores them and answers with its advice."""
    from rich.live import Live

    from vagus.program import load_catalog, t
    from vagus.program.exercises import LogField
    from vagus.program.safety import stop_symptoms

    name = load_catalog().exercise(run.exercise_id).text("name", lang)
    labels = ", ".join(s.label.lower() for s in stop_symptoms(run.exercise_id, lang)[:5])
    stop_line = t("cli.stop_if", lang, symptoms=labels)
    session = run.session
    session.start()
    run.pump()

    def frame() -> Panel:
        return render(run, lang, name, stop_line, recording)

    with Live(frame(), console=console, auto_refresh=False) as live:
        while session.status in ("running", "paused"):
            key = keys.read()
            step: Step | None = session.state().step
            if key == "x" and report is not None:
                # Report a warning sign now: every one is a stop rule or a red flag, so the
                # session ends at once, its steps are written, then the app gets the report.
                live.stop()
                reported = pick(player_signs(run.exercise_id, lang), t("cli.symptoms_ask", lang))
                if reported:
                    session.abort()
                    run.pump()
                    report(reported)
                live.start()
            elif key == "q":
                session.abort()
            elif key == " ":
                session.pause() if session.status == "running" else session.resume()
            elif key == "s":
                session.skip()
            elif step is not None and step.duration_s is None:
                log = cast(tuple[LogField, ...], step.data.get("log", ()))
                if log and ask is not None:
                    live.stop()
                    run.log(step, ask(log, lang))
                    live.start()
                    session.next()
                elif key in ("\n", "\r") or isinstance(keys, NoKeys):
                    session.next()
            run.pump()
            if recording is not None:
                pacer = session.state().pacer
                recording.pump(pacer.cycle if pacer is not None else None)
            live.update(frame(), refresh=True)
            if session.status in ("running", "paused"):
                sleep(TICK_S)
    run.pump()


def _dose_line(run: SessionRun, explicit: set[str], lang: Lang) -> str:
    """The dose the session runs, and where it comes from (your choice, today's plan, or
    the exercise's own default)."""
    from vagus.program import defaults, load_catalog, t

    name = load_catalog().exercise(run.exercise_id).text("name", lang)
    param = "rounds" if "rounds" in defaults(run.exercise_id) else "minutes"
    value = run.params.get(param, defaults(run.exercise_id).get(param))
    unit = "cli.unit_rounds" if param == "rounds" else "cli.unit_min"
    dose = t(unit, lang, n=f"{value:g}" if isinstance(value, float | int) else value)
    if param in explicit:
        source = "cli.dose_chosen"
    elif param in run.gate.params:
        source = "cli.dose_plan"
    else:
        source = "cli.dose_default"
    line = t(source, lang, exercise=name, dose=dose)
    if "inhale_s" in run.params and "exhale_s" in run.params:
        pace = t(
            "cli.pace",
            lang,
            inhale=f"{run.params['inhale_s']:g}",
            exhale=f"{run.params['exhale_s']:g}",
        )
        line += f" · {pace}"
    return line


def _start(
    app_: App,
    exercise_id: str,
    params: dict[str, Any],
    *,
    speed: float,
    cleared: bool,
    lang: Lang,
) -> SessionRun:
    """Start the session through the app's gate: an exercise out of the plan is refused with
    its reason; one that needs the clinician's clearance asks for it (a person at the
    terminal), or needs ``--cleared``."""
    from rich.console import Console

    from vagus.app import RefusedError
    from vagus.program import t

    with user_errors():
        try:
            return app_.sessions.start(
                exercise_id, params, clock=ScaledClock(speed), confirm_cleared=cleared
            )
        except RefusedError as error:
            reason = f"{exercise_id}: {error.reason.get(lang, str(error))}"
            screening = app_.screening.latest()
            verdict = screening.exercises.get(exercise_id) if screening is not None else None
            if verdict is not None:  # which answers: "cold urticaria", "recent whiplash"
                reason += "".join(f"\n- {line}" for line in verdict.reasons_text(lang))
            if error.code != "needs-clearance":
                fail(reason)
            if not interactive():
                fail(f"{reason}\n{t('cli.clearance_hint', lang)}")
            Console(stderr=True).print(f"[yellow]{reason}[/]", highlight=False)
            if not ask_yes_no(t("cli.clearance_ask", lang), lang):
                fail(reason)
            return app_.sessions.start(
                exercise_id, params, clock=ScaledClock(speed), confirm_cleared=True
            )


def _ask_calm(key: str, lang: Lang) -> int | None:
    from rich.prompt import Prompt

    from vagus.program import t

    reply = Prompt.ask(t(key, lang), default="", show_default=False)
    return int(reply) if reply.isdigit() and int(reply) <= 10 else None


@app.command("do")
def do(
    exercise_id: Annotated[str, typer.Argument(metavar="EXERCISE", help=", ".join(EXERCISE_NAMES))],
    minutes: Annotated[
        float | None,
        typer.Option(help="How long (within the exercise's range; default: today's plan)."),
    ] = None,
    inhale: Annotated[
        float | None, typer.Option(help="Breathing: seconds in (default: your pace).")
    ] = None,
    exhale: Annotated[
        float | None, typer.Option(help="Breathing: seconds out (default: your pace).")
    ] = None,
    hold: Annotated[
        float | None, typer.Option(help="Breathing: hold after breathing in, s.")
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(help="Cold water: rounds (default: today's plan).")
    ] = None,
    cleared: Annotated[
        bool,
        typer.Option(
            "--cleared",
            help="Your clinician has cleared this exercise (its screening asks for that).",
        ),
    ] = False,
    calm_before: Annotated[
        int | None, typer.Option(help="Calm now, 0-10 (skips the question).")
    ] = None,
    calm_after: Annotated[int | None, typer.Option(help="Calm after, 0-10 (for scripts).")] = None,
    felt: Annotated[str | None, typer.Option(help="How it felt (for scripts).")] = None,
    symptom: Annotated[
        list[str] | None, typer.Option("--symptom", help="A stop-rule symptom you noticed.")
    ] = None,
    speed: Annotated[
        float, typer.Option(help="Run the clock N times faster (demos, tests).")
    ] = 1.0,
    sensor: Annotated[
        str | None,
        typer.Option(help="Show live heart data: replay, replay:FILE, simulated, ble[:ADDRESS]."),
    ] = None,
    rest: Annotated[
        bool, typer.Option("--rest/--no-rest", help="1-minute rest measurements before and after.")
    ] = True,
    lang: LangOption = None,
) -> None:
    """Do one exercise, guided step by step, at today's dose unless you choose one; it is saved
    in your journal as you go."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.prompt import Prompt

    from vagus.app import BeatFeed, SensorError, check_symptoms
    from vagus.cli.live import run_recording
    from vagus.program import load_catalog, t
    from vagus.program.safety import stop_symptoms

    app_ = open_app()
    chosen = language(app_, lang)
    params: dict[str, Any] = {}
    for key, value in (
        ("minutes", minutes),
        ("inhale_s", inhale),
        ("exhale_s", exhale),
        ("hold_in_s", hold),
        ("rounds", rounds),
    ):
        if value is not None:
            params[key] = value
    if speed <= 0:
        fail(f"--speed: expected a positive number, got {speed:g}")
    for option, value in (("--calm-before", calm_before), ("--calm-after", calm_after)):
        if value is not None and not 0 <= value <= 10:
            fail(f"{option}: expected a whole number from 0 to 10, got {value}")
    if symptom:
        with user_errors():
            check_symptoms(symptom)  # an unknown id is refused before the session, not after
    run = _start(app_, exercise_id, params, speed=speed, cleared=cleared, lang=chosen)
    console = Console()
    console.print(_dose_line(run, set(params), chosen), highlight=False)
    person = interactive()
    reported: list[str] = []

    def report(ids: list[str]) -> None:
        """Warning signs reported during the session: stored, and the advice shown at once."""
        with user_errors():
            out = app_.sessions.report_symptoms(run.session_id, ids, "", chosen)
        reported.extend(ids)
        show_safety(out.safety, chosen)

    feed: BeatFeed | None = None
    open_recording: LiveRecording | None = None

    def record(kind: RecordingKind) -> LiveRecording:
        nonlocal open_recording
        assert feed is not None
        with user_errors():
            open_recording = app_.live.open_recording(feed, kind=kind, session_id=run.session_id)
        return open_recording

    def close_recording() -> None:
        nonlocal open_recording
        if open_recording is not None:
            open_recording.finish(stop_sensor=False)
            open_recording = None

    cancelled = False
    try:
        if calm_before is None and person:
            calm_before = _ask_calm("cli.calm_before", chosen)
        if calm_before is not None:
            run.rate("before", calm_before)
        if sensor is not None:

            def breathing(_: float) -> float | None:
                # The simulated heart follows the pacer the person sees, when one is running.
                pacer = run.session.state().pacer if run.session.status == "running" else None
                return pacer.lung if pacer is not None else None

            with user_errors():
                try:
                    feed = BeatFeed(app_.live.make_sensor(sensor, speed=speed, breathing=breathing))
                    feed.start()
                except SensorError as error:
                    run.finish()
                    fail(str(error))
        title = t("live.measuring", chosen)
        if feed is not None and rest:
            run_recording(record("rest-before"), REST_S, title=title, console=console, lang=chosen)
            close_recording()
        recording = record("session") if feed is not None else None
        with key_reader() as keys:
            try:
                play(
                    run,
                    chosen,
                    console=console,
                    keys=keys,
                    ask=ask_log if person else None,
                    recording=recording,
                    report=report if person else None,
                )
            except KeyboardInterrupt:
                if run.session.status in ("running", "paused"):
                    run.session.abort()
        close_recording()
        if feed is not None and rest:
            # The exercise is done: Ctrl+C only cuts the rest after it short.
            with suppress(KeyboardInterrupt):
                run_recording(
                    record("rest-after"), REST_S, title=title, console=console, lang=chosen
                )
            close_recording()
    except SensorError as error:
        Console(stderr=True).print(f"[yellow]warning:[/] {error} (what was received is saved)")
    except KeyboardInterrupt:
        cancelled = True
    finally:
        close_recording()
        if feed is not None:
            feed.stop()
    status = run.finish()
    if status is None:
        # Cancelled before its first step: the app removed it (it did not happen).
        console.print(t("cli.session_cancelled", chosen))
        raise typer.Exit(1 if cancelled else 0)
    if cancelled:
        raise typer.Exit(1)
    if calm_after is None and person:
        calm_after = _ask_calm("cli.calm_after", chosen)
    if calm_after is not None:
        run.rate("after", calm_after)
    symptom_ids = [s for s in dict.fromkeys(symptom or []) if s not in reported]
    if person and felt is None:
        felt = Prompt.ask(t("cli.felt", chosen), default="", show_default=False)
        options = [(s.id, s.label) for s in stop_symptoms(exercise_id, chosen)]
        symptom_ids += [
            s
            for s in pick(options, t("cli.symptoms_ask", chosen))
            if s not in symptom_ids and s not in reported
        ]
    safety = None
    with user_errors():
        if symptom_ids:
            # The stop-rule question after the session: stored with how it felt, advice at once.
            safety = app_.sessions.report_symptoms(
                run.session_id, symptom_ids, felt or "", chosen
            ).safety
        elif felt:
            run.feedback(felt, [])
        recorded = app_.sessions.get(run.session_id)["steps"]
    done = [s for s in recorded if s["outcome"] == "completed"]
    active_min = sum(s["active_s"] for s in recorded) / 60
    name = load_catalog().exercise(exercise_id).text("name", chosen)
    key = "cli.summary_completed" if status == "completed" else "cli.summary_stopped"
    lines = [t(key, chosen, exercise=name, minutes=f"{active_min:.1f}", steps=len(done))]
    if calm_before is not None and calm_after is not None:
        lines.append(t("cli.calm_change", chosen, before=calm_before, after=calm_after))
    if feed is not None and rest:
        with user_errors():
            lines.append(app_.insights.session_change(run.session_id).text(chosen))
    console.print(Panel("\n".join(lines), title=t("cli.summary_title", chosen)))
    if safety is not None:
        show_safety(safety, chosen)
