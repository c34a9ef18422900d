"""Live measurement: ``vagus measure``, ``vagus devices`` and ``vagus resonance``.

Sensors: ``--sensor replay`` (the default: a real recording that ships with vagus),
``replay:FILE``, ``simulated`` or ``ble[:ADDRESS]`` for any Bluetooth heart-rate strap.
The rules (what a measurement is, how long it must last, which sensor an assessment accepts,
what is stored) are the app's; this module connects, draws and reports.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vagus.app import MIN_MEASUREMENT_S, LiveRecording, ResonanceResult, SensorError
from vagus.cli._base import (
    LangOption,
    app,
    fail,
    language,
    open_app,
    print_warnings,
    user_errors,
)
from vagus.program import Lang, format_number, t

if TYPE_CHECKING:
    from vagus.hrv.streaming import Update

SensorOption = Annotated[
    str | None,
    typer.Option(
        "--sensor", help="replay (default), replay:FILE, simulated, or ble[:ADDRESS] for a strap."
    ),
]
SpeedOption = Annotated[
    float, typer.Option(help="Replay or simulate N times faster (demos, tests).")
]
#: `vagus measure --minutes`: from the shortest measurement the app keeps to an hour.
MIN_MEASURE_MINUTES: Final = MIN_MEASUREMENT_S / 60.0
MAX_MEASURE_MINUTES: Final = 60.0


def live_panel(
    title: str, update: Update | None, elapsed_s: float, total_s: float, lang: Lang = "en"
) -> Panel:
    """Heart rate, ln RMSSD and coherence as they come in."""
    table = Table.grid(padding=(0, 2))

    def number(value: float | None, decimals: int) -> str:
        return format_number(value, lang, decimals) if value else "-"

    hr = update.heart_rate_bpm if update else None
    values = {
        t("live.hr", lang): t("live.bpm", lang, hr=number(hr, 0)) if hr else "-",
        "RMSSD": f"{number(update.rmssd_ms, 0)} ms" if update and update.rmssd_ms else "-",
        "ln RMSSD": number(update.ln_rmssd, 2) if update else "-",
        t("live.coherence", lang): number(update.coherence, 2) if update else "-",
        t("live.beats", lang): str(update.n_beats) if update else "0",
    }
    for key, value in values.items():
        table.add_row(Text(key, style="dim"), Text(value, style="bold"))
    bar = f"{min(elapsed_s, total_s):.0f} / {total_s:.0f} s"
    return Panel(Group(table, Text(bar)), title=title, border_style="green")


def run_recording(
    recording: LiveRecording,
    duration_s: float,
    *,
    title: str,
    console: Console,
    quiet: bool = False,
    breath_cycle: Callable[[float], int | None] | None = None,
    lang: Lang = "en",
) -> None:
    """Pump beats until the recording covers ``duration_s`` of sensor time, or the sensor ends."""
    with Live(
        live_panel(title, None, 0.0, duration_s, lang),
        console=console,
        auto_refresh=False,
        transient=quiet,
    ) as live:
        while recording.t_s < duration_s and not recording.feed.ended:
            cycle = breath_cycle(recording.t_s) if breath_cycle else None
            recording.pump(cycle)
            live.update(
                live_panel(title, recording.last, recording.t_s, duration_s, lang), refresh=True
            )
            time.sleep(0.05)
    if recording.feed.error is not None:
        raise recording.feed.error


def _too_short(recording: LiveRecording, lang: Lang) -> str:
    return t(
        "live.too_short",
        lang,
        seconds=format_number(recording.t_s, lang),
        minimum=format_number(MIN_MEASUREMENT_S, lang),
    )


@app.command()
def measure(
    minutes: Annotated[
        float,
        typer.Option(
            help=f"How long, in minutes ({MIN_MEASURE_MINUTES:g}-{MAX_MEASURE_MINUTES:g})."
        ),
    ] = 2.0,
    sensor: SensorOption = None,
    speed: SpeedOption = 1.0,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A tag of your own, e.g. after-walk (vagus adds morning)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the analysis like `vagus hrv --json`.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """A resting measurement with a live display, saved with its full HRV analysis.

    One shorter than a minute (stopped early, or the sensor ended) is not saved."""
    if not MIN_MEASURE_MINUTES <= minutes <= MAX_MEASURE_MINUTES:
        fail(
            f"--minutes: expected {MIN_MEASURE_MINUTES:g} to {MAX_MEASURE_MINUTES:g} "
            f"(a measurement needs at least {MIN_MEASUREMENT_S:g} s), got {minutes:g}"
        )
    if speed <= 0:
        fail(f"--speed: expected a positive number, got {speed:g}")
    app_ = open_app()
    chosen = language(app_, lang)
    console = Console(stderr=json_out)
    with user_errors():
        try:
            recording = app_.live.start_recording(
                app_.live.make_sensor(sensor, speed=speed), kind="measurement", tags=tag or ()
            )
        except SensorError as error:
            fail(str(error))
    try:
        run_recording(
            recording,
            minutes * 60,
            title=t("live.measuring", chosen),
            console=console,
            lang=chosen,
        )
    except SensorError as error:
        recording.finish()
        if recording.discarded:
            fail(f"{error}. {_too_short(recording, chosen)}")
        fail(f"{error} (the beats received so far are saved)")
    except KeyboardInterrupt:
        pass
    report = recording.finish()
    if recording.discarded:
        fail(_too_short(recording, chosen))
    if report is None:
        fail(t("live.no_beats", chosen))
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), allow_nan=False) + "\n")
        return
    indices = report.indices
    console.print(
        t(
            "live.result",
            chosen,
            beats=report.n_beats,
            hr=t("live.bpm", chosen, hr=format_number(indices["mean_hr"], chosen)),
            rmssd=format_number(indices["rmssd"], chosen, 1),
            ln=format_number(indices["ln_rmssd"], chosen, 2),
        ),
        highlight=False,
    )
    print_warnings(console, report.warnings, chosen)


@app.command()
def devices(
    timeout: Annotated[float, typer.Option(help="Seconds to scan.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """List Bluetooth heart-rate sensors nearby (any strap with the Heart Rate service)."""
    app_ = open_app()
    try:
        found = app_.live.scan_ble(timeout)
    except SensorError as error:
        fail(str(error))
    rows = [{"name": f.name, "address": f.address} for f in found]
    if json_out:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    if not rows:
        Console().print(t("live.no_sensors", language(app_, lang)))
    for row in rows:
        Console().print(f"{row['name']}  [dim]--sensor ble:{row['address']}[/]")


def _resonance_table(result: ResonanceResult, lang: Lang) -> Table:
    table = Table(title=t("live.resonance_title", lang))
    for key in ("col_rate", "col_swing", "col_lf", "col_lf_peak"):
        table.add_column(t(f"live.{key}", lang), justify="right")
    for rate in result.ranked_bpm:
        values = result.blocks[str(rate)]
        table.add_row(
            format_number(rate, lang, 0 if rate == int(rate) else 1),
            format_number(values["hr_swing_bpm"], lang, 1),
            format_number(values["lf_power_ms2"], lang),
            format_number(values["lf_peak_ms2_per_hz"], lang),
        )
    return table


@app.command()
def resonance(
    sensor: SensorOption = None,
    speed: SpeedOption = 1.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Find your candidate resonance breathing rate: 2 minutes each at 6.5, 6, 5.5, 5 and 4.5
    breaths per minute, ranked by heart-rate swing per breath and LF power.

    It needs a sensor on you (--sensor ble); --sensor simulated shows a demonstration that is
    not saved. The replay sensor cannot follow your breath and is refused."""
    if speed <= 0:
        fail(f"--speed: expected a positive number, got {speed:g}")
    app_ = open_app()
    chosen = language(app_, lang)
    console = Console(stderr=json_out)
    with user_errors():
        app_.resonance.check_sensor(sensor)  # refused before anything is shown or stored
        console.print(t("live.resonance_intro", chosen))
        try:
            assessment = app_.resonance.begin(sensor, speed=speed)
        except SensorError as error:
            fail(str(error))
    recording = assessment.recording
    assert recording is not None
    try:
        run_recording(
            recording,
            assessment.schedule.total_s,
            title=t("live.resonance_title", chosen),
            console=console,
            breath_cycle=assessment.schedule.breath_cycle,
            lang=chosen,
        )
    except SensorError as error:
        recording.finish()
        fail(f"{error} (the beats received so far are saved)")
    with user_errors():
        result = app_.resonance.conclude(assessment)
    if json_out:
        sys.stdout.write(json.dumps(result.to_dict(), allow_nan=False, default=str) + "\n")
        return
    console.print(_resonance_table(result, chosen))
    if result.stored:
        rate = format_number(result.best_bpm, chosen, 0 if result.best_bpm % 1 == 0 else 1)
        console.print(t("live.resonance_result", chosen, rate=rate))
    else:
        console.print(f"[yellow]{t('live.resonance_demo', chosen)}[/]")
