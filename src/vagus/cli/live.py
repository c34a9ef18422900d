"""Live measurement: ``vagus measure``, ``vagus devices`` and ``vagus resonance``.

Sensors: ``--sensor replay`` (the default: a real recording that ships with vagus),
``replay:FILE``, ``simulated`` or ``ble[:ADDRESS]`` for any Bluetooth heart-rate strap.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vagus.app import RESONANCE_EXHALE_RATIO, LiveRecording, SensorError
from vagus.cli._base import LangOption, app, fail, language, open_app, user_errors
from vagus.program import BreathPattern, phase_at, t

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
#: The rates of a resonance-frequency assessment, breaths per minute (Lehrer, Vaschillo &
#: Vaschillo 2000, Appl Psychophysiol Biofeedback 25:177; Lehrer 2013, Biofeedback 41:98).
RESONANCE_RATES_BPM = (6.5, 6.0, 5.5, 5.0, 4.5)
RESONANCE_BLOCK_S = 120.0
RESONANCE_REST_S = 30.0
LF_BAND_HZ = (0.04, 0.15)


def live_panel(title: str, update: Update | None, elapsed_s: float, total_s: float) -> Panel:
    """Heart rate, ln RMSSD and coherence as they come in."""
    table = Table.grid(padding=(0, 2))
    values = {
        "HR": f"{update.heart_rate_bpm:.0f} bpm" if update and update.heart_rate_bpm else "-",
        "RMSSD": f"{update.rmssd_ms:.0f} ms" if update and update.rmssd_ms else "-",
        "ln RMSSD": f"{update.ln_rmssd:.2f}" if update and update.ln_rmssd else "-",
        "coherence": f"{update.coherence:.2f}" if update and update.coherence else "-",
        "beats": str(update.n_beats) if update else "0",
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
    breath_cycle: Any = None,
) -> None:
    """Pump beats until the recording covers ``duration_s`` of sensor time, or the sensor ends."""
    with Live(
        live_panel(title, None, 0.0, duration_s),
        console=console,
        auto_refresh=False,
        transient=quiet,
    ) as live:
        while recording.t_s < duration_s and not recording.feed.ended:
            cycle = breath_cycle(recording.t_s) if breath_cycle else None
            recording.pump(cycle)
            live.update(live_panel(title, recording.last, recording.t_s, duration_s), refresh=True)
            time.sleep(0.05)
    if recording.feed.error is not None:
        raise recording.feed.error


@app.command()
def measure(
    minutes: Annotated[float, typer.Option(help="How long, in minutes.")] = 2.0,
    sensor: SensorOption = None,
    speed: SpeedOption = 1.0,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag, e.g. morning.")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the analysis like `vagus hrv --json`.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """A resting measurement with a live display, saved with its full HRV analysis."""
    if not 0.5 <= minutes <= 60:
        fail(f"--minutes: expected 0.5 to 60, got {minutes:g}")
    if speed <= 0:
        fail(f"--speed: expected a positive number, got {speed:g}")
    app_ = open_app()
    chosen = language(app_, lang)
    console = Console(stderr=json_out)
    with user_errors():
        try:
            recording = app_.start_recording(app_.make_sensor(sensor, speed=speed), tags=tag or ())
        except SensorError as error:
            fail(str(error))
    try:
        run_recording(recording, minutes * 60, title=t("live.measuring", chosen), console=console)
    except SensorError as error:
        recording.finish()
        fail(f"{error} (the beats received so far are saved)")
    except KeyboardInterrupt:
        pass
    report = recording.finish()
    if report is None:
        fail("no beats were received from the sensor")
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), allow_nan=False) + "\n")
        return
    indices = report.indices
    console.print(
        t(
            "live.result",
            chosen,
            beats=report.n_beats,
            hr=f"{indices['mean_hr'] or 0:.0f}",
            rmssd=f"{indices['rmssd'] or 0:.1f}",
            ln=f"{indices['ln_rmssd'] or 0:.2f}",
        )
    )
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


@app.command()
def devices(
    timeout: Annotated[float, typer.Option(help="Seconds to scan.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List Bluetooth heart-rate sensors nearby (any strap with the Heart Rate service)."""
    try:
        found = open_app().scan_ble(timeout)
    except SensorError as error:
        fail(str(error))
    rows = [{"name": f.name, "address": f.address} for f in found]
    if json_out:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    if not rows:
        Console().print("No heart-rate sensors found. Is the strap worn and awake?")
    for row in rows:
        Console().print(f"{row['name']}  [dim]--sensor ble:{row['address']}[/]")


def score_block(rr_ms: np.ndarray, pattern: BreathPattern) -> dict[str, float]:
    """Heart-rate max-min per breath and LF power/peak of one paced block (Lehrer 2013)."""
    t_s = np.cumsum(rr_ms) / 1000.0
    hr = 60000.0 / rr_ms
    cycle = (t_s * 1000 // pattern.cycle_ms).astype(int)
    swings = [
        float(hr[cycle == c].max() - hr[cycle == c].min())
        for c in np.unique(cycle)[1:-1]  # whole breaths only
        if np.count_nonzero(cycle == c) >= 2
    ]
    from vagus.hrv import power_spectrum

    freqs, psd = power_spectrum(rr_ms)
    band = (freqs >= LF_BAND_HZ[0]) & (freqs < LF_BAND_HZ[1])
    lf_power = float(np.trapezoid(psd[band], freqs[band])) if band.any() else 0.0
    return {
        "hr_swing_bpm": float(np.mean(swings)) if swings else math.nan,
        "lf_power_ms2": lf_power,
        "lf_peak_ms2_per_hz": float(psd[band].max()) if band.any() else 0.0,
    }


def rank_rates(blocks: dict[float, dict[str, float]]) -> list[float]:
    """Rates best first: the mean of their ranks by HR swing, LF power and LF peak height."""
    rates = list(blocks)
    total = dict.fromkeys(rates, 0.0)
    for key in ("hr_swing_bpm", "lf_power_ms2", "lf_peak_ms2_per_hz"):

        def value(rate: float, key: str = key) -> float:
            number = blocks[rate][key]
            return -1.0 if math.isnan(number) else number

        for rank, rate in enumerate(sorted(rates, key=value, reverse=True)):
            total[rate] += rank
    return sorted(rates, key=lambda r: (total[r], -blocks[r]["hr_swing_bpm"]))


@app.command()
def resonance(
    sensor: SensorOption = None,
    speed: SpeedOption = 1.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Find your candidate resonance breathing rate: 2 minutes each at 6.5, 6, 5.5, 5 and 4.5
    breaths per minute, ranked by heart-rate swing per breath and LF power."""
    if speed <= 0:
        fail(f"--speed: expected a positive number, got {speed:g}")
    app_ = open_app()
    chosen = language(app_, lang)
    console = Console(stderr=json_out)
    console.print(t("live.resonance_intro", chosen))
    # One timeline for the pacer and the sensor: the blocks follow each other on the sensor's
    # clock, so a simulated heart follows the same pacer the person sees.
    schedule: list[tuple[float, float, BreathPattern]] = []
    start = 0.0
    for rate in RESONANCE_RATES_BPM:
        pattern = BreathPattern.from_rate(rate, RESONANCE_EXHALE_RATIO)
        schedule.append((start, start + RESONANCE_BLOCK_S, pattern))
        start += RESONANCE_BLOCK_S + RESONANCE_REST_S

    def block_at(t_s: float) -> tuple[float, BreathPattern] | None:
        for begin, end, pattern in schedule:
            if begin <= t_s < end:
                return begin, pattern
        return None

    def breathing(t_s: float) -> float | None:
        found = block_at(t_s)
        return None if found is None else phase_at(found[1], t_s - found[0]).lung

    def breath_cycle(t_s: float) -> int | None:
        found = block_at(t_s)
        return None if found is None else phase_at(found[1], t_s - found[0]).cycle

    with user_errors():
        try:
            recording = app_.start_recording(
                app_.make_sensor(sensor, speed=speed, breathing=breathing), tags=["resonance"]
            )
        except SensorError as error:
            fail(str(error))
    total_s = start - RESONANCE_REST_S
    try:
        run_recording(
            recording,
            total_s,
            title=t("live.resonance_title", chosen),
            console=console,
            breath_cycle=breath_cycle,
        )
    except SensorError as error:
        recording.finish()
        fail(f"{error} (the beats received so far are saved)")
    recording.finish()
    rr = np.asarray(app_.journal.recording_rr(recording.recording_id))
    beat_t = np.cumsum(rr) / 1000.0
    blocks: dict[float, dict[str, float]] = {}
    for (begin, end, pattern), rate in zip(schedule, RESONANCE_RATES_BPM, strict=True):
        inside = rr[(beat_t >= begin) & (beat_t < end)]
        if inside.size >= 20:
            blocks[rate] = score_block(inside, pattern)
    if len(blocks) < 2:
        fail("too few beats to compare the rates (was the sensor on for the whole assessment?)")
    ranked = rank_rates(blocks)
    result = {
        "best_bpm": ranked[0],
        "ranked_bpm": ranked,
        "blocks": {str(rate): values for rate, values in blocks.items()},
        "recording_id": recording.recording_id,
        "candidate": True,
    }
    app_.save_resonance(result)
    if json_out:
        sys.stdout.write(json.dumps(result, allow_nan=False, default=str) + "\n")
        return
    table = Table(title=t("live.resonance_title", chosen))
    for column in ("breaths/min", "HR swing (bpm)", "LF (ms²)", "LF peak (ms²/Hz)"):
        table.add_column(column, justify="right")
    for rate in ranked:
        values = blocks[rate]
        table.add_row(
            f"{rate:g}",
            f"{values['hr_swing_bpm']:.1f}",
            f"{values['lf_power_ms2']:.0f}",
            f"{values['lf_peak_ms2_per_hz']:.0f}",
        )
    console.print(table)
    console.print(t("live.resonance_result", chosen, rate=f"{ranked[0]:g}"))
