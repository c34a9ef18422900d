"""The resonance-frequency assessment (Lehrer, Vaschillo & Vaschillo 2000, Appl Psychophysiol
Biofeedback 25:177; Lehrer 2013, Biofeedback 41:98): 2 minutes each at 6.5, 6, 5.5, 5 and 4.5
breaths a minute, ranked by heart-rate swing per breath, LF power and LF peak height.

Only a sensor on the person can follow their breath: the replay sensor (a stored recording) is
refused, and a simulated heart's result is shown but never stored. With a strap alone the
result is a *candidate* rate: the full assessment also looks at blood pressure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from vagus.app.errors import AppError, RefusedError
from vagus.app.live import LiveRecording
from vagus.app.sensors import SensorSpec
from vagus.app.sessions import RESONANCE_EXHALE_RATIO
from vagus.program import BreathPattern, phase_at

if TYPE_CHECKING:
    from vagus.app._core import App

SETTING_RESONANCE: Final = "resonance"
#: The rates of the assessment, breaths per minute.
RESONANCE_RATES_BPM: Final = (6.5, 6.0, 5.5, 5.0, 4.5)
RESONANCE_BLOCK_S: Final = 120.0
RESONANCE_REST_S: Final = 30.0
LF_BAND_HZ: Final = (0.04, 0.15)
#: Fewest beats in a block for it to be scored.
MIN_BLOCK_BEATS: Final = 20


def score_block(rr_ms: npt.NDArray[np.float64], pattern: BreathPattern) -> dict[str, float]:
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


def rank_rates(blocks: Mapping[float, Mapping[str, float]]) -> list[float]:
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


@dataclass(frozen=True)
class Schedule:
    """One timeline for the pacer and the sensor: the blocks follow each other on the sensor's
    clock, so a simulated heart follows the same pacer the person sees."""

    blocks: tuple[tuple[float, float, float, BreathPattern], ...]  # begin, end, rate, pattern

    @classmethod
    def standard(cls) -> Schedule:
        blocks = []
        start = 0.0
        for rate in RESONANCE_RATES_BPM:
            pattern = BreathPattern.from_rate(rate, RESONANCE_EXHALE_RATIO)
            blocks.append((start, start + RESONANCE_BLOCK_S, rate, pattern))
            start += RESONANCE_BLOCK_S + RESONANCE_REST_S
        return cls(tuple(blocks))

    @property
    def total_s(self) -> float:
        return self.blocks[-1][1]

    def block_at(self, t_s: float) -> tuple[float, BreathPattern] | None:
        for begin, end, _, pattern in self.blocks:
            if begin <= t_s < end:
                return begin, pattern
        return None

    def breathing(self, t_s: float) -> float | None:
        """The lung volume the pacer asks for at ``t_s`` (None between blocks)."""
        found = self.block_at(t_s)
        return None if found is None else phase_at(found[1], t_s - found[0]).lung

    def breath_cycle(self, t_s: float) -> int | None:
        found = self.block_at(t_s)
        return None if found is None else phase_at(found[1], t_s - found[0]).cycle


@dataclass(frozen=True)
class ResonanceResult:
    best_bpm: float
    ranked_bpm: list[float]
    blocks: dict[str, dict[str, float]]
    recording_id: int | None
    candidate: bool = True
    #: False for a simulated heart: shown, never stored.
    stored: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_bpm": self.best_bpm,
            "ranked_bpm": self.ranked_bpm,
            "blocks": self.blocks,
            "recording_id": self.recording_id,
            "candidate": self.candidate,
            "stored": self.stored,
        }


@dataclass
class Assessment:
    """An assessment under way: the schedule, its sensor, and its recording."""

    spec: SensorSpec
    schedule: Schedule = field(default_factory=Schedule.standard)
    recording: LiveRecording | None = None


class ResonanceService:
    def __init__(self, app: App) -> None:
        self._app = app

    def rate(self) -> float | None:
        """The person's candidate resonance breathing rate (breaths/min), if assessed."""
        data = self._app.journal.get_setting(SETTING_RESONANCE)
        try:
            return float(data["best_bpm"]) if data else None
        except (KeyError, TypeError, ValueError):
            return None

    def check_sensor(self, spec: str | None) -> SensorSpec:
        """The sensor for an assessment; RefusedError for a replay, which plays back a stored
        recording and so cannot follow anyone's breath."""
        chosen = SensorSpec.parse(spec or self._app.settings.sensor)
        if chosen.kind == "replay":
            raise RefusedError(
                "sensor: the resonance assessment needs a sensor on you (--sensor ble, or "
                "--sensor simulated for a demonstration): a replay plays back a stored "
                "recording and cannot follow your breathing",
                "sensor",
                reason={
                    "nb": "Resonansmålingen trenger en pulsmåler på deg: en avspilling av et "
                    "lagret opptak kan ikke følge pusten din.",
                    "en": "The resonance assessment needs a heart-rate sensor on you: a replay "
                    "of a stored recording cannot follow your breathing.",
                },
                code="replay-sensor",
            )
        return chosen

    def begin(self, spec: str | None, *, speed: float = 1.0) -> Assessment:
        """Connect the sensor (its heart following the pacer when simulated) and open the
        assessment's recording."""
        chosen = self.check_sensor(spec)
        assessment = Assessment(chosen)
        sensor = self._app.live.make_sensor(
            chosen, speed=speed, breathing=assessment.schedule.breathing
        )
        assessment.recording = self._app.live.start_recording(sensor, kind="resonance")
        return assessment

    def conclude(self, assessment: Assessment) -> ResonanceResult:
        """Score and rank the blocks; store the result (a simulated heart's is not stored,
        nor its recording kept). AppError when too few beats arrived to compare the rates."""
        recording = assessment.recording
        if recording is None:
            raise AppError("resonance: the assessment was not started", "resonance")
        recording.finish()
        journal = self._app.journal
        rr = np.asarray(journal.recording_rr(recording.recording_id), dtype=np.float64)
        simulated = assessment.spec.kind == "simulated"
        if simulated:
            journal.delete_recording(recording.recording_id)
        beat_t = np.cumsum(rr) / 1000.0
        blocks: dict[float, dict[str, float]] = {}
        for begin, end, rate, pattern in assessment.schedule.blocks:
            inside = rr[(beat_t >= begin) & (beat_t < end)]
            if inside.size >= MIN_BLOCK_BEATS:
                blocks[rate] = score_block(inside, pattern)
        if len(blocks) < 2:
            raise AppError(
                "resonance: too few beats to compare the rates (was the sensor on for the "
                "whole assessment?)",
                "resonance",
            )
        ranked = rank_rates(blocks)
        result = ResonanceResult(
            best_bpm=ranked[0],
            ranked_bpm=ranked,
            blocks={str(rate): values for rate, values in blocks.items()},
            recording_id=None if simulated else recording.recording_id,
            stored=not simulated,
        )
        if not simulated:
            journal.set_setting(SETTING_RESONANCE, result.to_dict())
        return result
