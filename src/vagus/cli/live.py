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

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.panel import Panel
    from rich.table import Table

    from vagus.app import LiveRecording, ResonanceResult
    from vagus.app.live import CoherenceLevel, CoherenceShares, LiveValues
    from vagus.program import Lang


from vagus.cli._base import (
    LangOption,
    app,
    fail,
    language,
    open_app,
    print_warnings,
    user_errors,
)

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
# vagus.app's MIN_MEASUREMENT_S / 60, written out so that `vagus --help` need not import the app
# (issue 12); tests/cli/test_startup_imports.py keeps the two equal.
MIN_MEASURE_MINUTES: Final = 1.0
MAX_MEASURE_MINUTES: Final = 60.0


def _number(value: float | None, lang: Lang, decimals: int) -> str:
    from vagus.program import format_number

    return format_number(value, lang, decimals) if value is not None else "–"


def coherence_help(lang: Lang) -> str:
    """One line: what coherence is, when it appears, and its levels."""
    from vagus.app.live import (
        COHERENCE_EVERY_S,
        COHERENCE_HIGH_FROM,
        COHERENCE_MEDIUM_FROM,
        COHERENCE_WINDOW_S,
    )
    from vagus.program import format_number, t

    return t(
        "live.coherence_help",
        lang,
        window=format_number(COHERENCE_WINDOW_S, lang),
        every=format_number(COHERENCE_EVERY_S, lang),
        medium=format_number(COHERENCE_MEDIUM_FROM, lang, 1),
        high=format_number(COHERENCE_HIGH_FROM, lang, 1),
    )


def _coherence_text(values: LiveValues, lang: Lang) -> str:
    from vagus.app.live import COHERENCE_WINDOW_S
    from vagus.program import format_number, t

    if values.coherence is None or values.coherence_level is None:
        return t("live.coherence_from", lang, seconds=format_number(COHERENCE_WINDOW_S, lang))
    level = t(f"live.level_{values.coherence_level}", lang)
    return f"{format_number(values.coherence, lang, 2)} ({level})"


def panel_beats(values: LiveValues | None) -> int:
    """The beats of the recording so far, counted as its saved analysis counts them (the
    ``n_beats`` of ``vagus hrv`` and of "Saved: N beats"): the live values count the RR
    intervals received, and n intervals lie between n + 1 beats.

    >>> from vagus.app.live import LiveValues
    >>> panel_beats(None), panel_beats(LiveValues(t_s=0.8, n_beats=1))
    (0, 2)
    """
    if values is None or not values.n_beats:
        return 0
    return values.n_beats + 1


def live_panel(
    title: str, values: LiveValues | None, elapsed_s: float, total_s: float, lang: Lang = "en"
) -> Panel:
    """The live numbers: "measuring" with its progress until :data:`MIN_LIVE_S` of beats are
    in, then the analysis the recording is saved with (mean heart rate, RMSSD, ln RMSSD) and
    the coherence ratio with its level from its own minimum on."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    from vagus.app.live import MIN_LIVE_S
    from vagus.program import format_number, t

    table = Table.grid(padding=(0, 2))
    rows: list[tuple[str, str]] = []
    progress: ProgressBar | None = None
    if values is None or not values.ready:
        seconds = values.t_s if values is not None else 0.0
        rows.append(
            (
                "",
                t(
                    "live.measuring_progress",
                    lang,
                    seconds=format_number(min(seconds, MIN_LIVE_S), lang, 0),
                    minimum=format_number(MIN_LIVE_S, lang),
                ),
            )
        )
        progress = ProgressBar(total=1.0, completed=values.progress if values else 0.0, width=30)
    else:
        hr = values.mean_hr_bpm
        rows += [
            (t("live.mean_hr", lang), t("live.bpm", lang, hr=_number(hr, lang, 0))),
            ("RMSSD", f"{_number(values.rmssd_ms, lang, 1)} ms"),
            ("ln RMSSD", _number(values.ln_rmssd, lang, 2)),
            (t("live.coherence", lang), _coherence_text(values, lang)),
        ]
    rows.append((t("live.beats", lang), str(panel_beats(values))))
    for key, value in rows:
        table.add_row(Text(key, style="dim"), Text(value, style="bold"))
    parts: list[RenderableType] = [table]
    if progress is not None:
        parts.append(progress)
        parts.append(
            Text(
                t("live.measuring_help", lang, minimum=format_number(MIN_LIVE_S, lang)),
                style="dim",
            )
        )
    else:
        parts.append(Text(coherence_help(lang), style="dim"))
    parts.append(Text(f"{min(elapsed_s, total_s):.0f} / {total_s:.0f} s"))
    return Panel(Group(*parts), title=title, border_style="green")


def run_recording(
    recording: LiveRecording,
    duration_s: float,
    *,
    title: str,
    console: Console,
    quiet: bool = False,
    breath_cycle: Callable[[float], int | None] | None = None,
    lang: Lang = "en",
    stop_sensor: bool = False,
) -> None:
    """Pump beats until the recording covers ``duration_s`` of sensor time, or the sensor ends.

    The panel's last state is drawn after :meth:`LiveRecording.settle`: with ``stop_sensor``
    (a recording that ends the sensor's use) its numbers are those the recording is saved
    with; without, beats that arrive before the recording is finished are saved too.
    """
    from rich.live import Live

    with Live(
        live_panel(title, None, 0.0, duration_s, lang),
        console=console,
        auto_refresh=False,
        transient=quiet,
    ) as live:
        while recording.t_s < duration_s and not recording.feed.ended:
            cycle = breath_cycle(recording.t_s) if breath_cycle else None
            recording.pump_live(cycle)
            live.update(
                live_panel(title, recording.values, recording.t_s, duration_s, lang), refresh=True
            )
            time.sleep(0.05)
        recording.settle(stop_sensor=stop_sensor)
        live.update(
            live_panel(title, recording.values, recording.t_s, duration_s, lang), refresh=True
        )
    if not quiet and not console.is_terminal:
        # Rich leaves the last line of a Live display unended when it writes to a file or a
        # pipe (`vagus measure | tee`): what is printed next would follow the panel's corner.
        console.line()
    if recording.feed.error is not None:
        raise recording.feed.error


def coherence_summary(shares: CoherenceShares, lang: Lang) -> str:
    """The share of the recording in each coherence level, as saved with it."""
    from vagus.app.live import COHERENCE_EVERY_S, COHERENCE_WINDOW_S
    from vagus.program import format_number, t

    if not shares.n_windows:
        return t("live.coherence_none", lang, window=format_number(COHERENCE_WINDOW_S, lang))

    def percent(level: CoherenceLevel) -> str:
        return f"{format_number(100.0 * (shares.share(level) or 0.0), lang, 0)} %"

    return t(
        "live.coherence_shares",
        lang,
        low=percent("low"),
        medium=percent("medium"),
        high=percent("high"),
        n=shares.n_windows,
        every=format_number(COHERENCE_EVERY_S, lang),
    )


def _too_short(recording: LiveRecording, lang: Lang) -> str:
    from vagus.app import MIN_MEASUREMENT_S
    from vagus.program import format_number, t

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
    from rich.console import Console

    from vagus.app import MIN_MEASUREMENT_S, SensorError
    from vagus.program import format_number, t

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
            stop_sensor=True,
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
    console.print(coherence_summary(recording.analysis.shares, chosen), highlight=False)
    print_warnings(console, report.warnings, chosen)


@app.command()
def devices(
    timeout: Annotated[float, typer.Option(help="Seconds to scan.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """List Bluetooth heart-rate sensors nearby (any strap with the Heart Rate service)."""
    from rich.console import Console

    from vagus.app import SensorError
    from vagus.program import t

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
    from rich.table import Table

    from vagus.program import format_number, t

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
    from rich.console import Console

    from vagus.app import SensorError
    from vagus.program import format_number, t

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
