"""The person's preferences (language, breathing pacer, the web's sensor) and the one language
resolution both faces use: an explicit choice > the saved preference > the setting > the system
locale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from vagus.app.errors import AppError
from vagus.app.sensors import SensorSpec
from vagus.program import BreathPattern, Lang, param_specs, resolve_lang, validate_params

if TYPE_CHECKING:
    from vagus.app._core import App

#: The person's preferences in the journal's settings. The name is historical: the web app's
#: settings page wrote them first.
SETTING_PREFS: Final = "web_prefs"
#: The breathing parameters the pacer defaults set (``vagus.program.exercises``).
PACER_KEYS: Final[tuple[str, ...]] = ("inhale_s", "exhale_s", "hold_in_s", "hold_out_s")


@dataclass(frozen=True)
class Prefs:
    """What the person chose.

    ``lang`` is None until chosen; ``pacer`` holds the breathing pattern every breathing
    session uses when the person set one (``pacer_set``), else the settings' ``inhale_s`` /
    ``exhale_s``; ``sensor`` is the web's sensor: the one chosen on the settings page, else the
    setting (``vagus serve --sensor``, ``VAGUS_SENSOR``).
    """

    lang: Lang | None
    pacer: dict[str, float] = field(default_factory=dict)
    pacer_set: bool = False
    sensor: str = "replay"
    sensor_set: bool = False


class PreferenceService:
    def __init__(self, app: App) -> None:
        self._app = app

    def _stored(self) -> dict[str, object]:
        return dict(self._app.stored_setting(SETTING_PREFS, {}) or {})

    def get(self) -> Prefs:
        """The preferences; a stored value that no longer validates falls back to its default
        (an old or hand-edited journal must not break every page)."""
        stored = self._stored()
        settings = self._app.settings
        defaults = {
            spec.name: float(spec.default)
            for spec in param_specs("breathing")
            if spec.name in PACER_KEYS
        }
        defaults |= {"inhale_s": float(settings.inhale_s), "exhale_s": float(settings.exhale_s)}
        saved = stored.get("pacer")
        pacer = dict(defaults)
        pacer_set = False
        if isinstance(saved, Mapping):
            try:
                pacer = self._clean_pacer({**defaults, **saved})
                pacer_set = True
            except (AppError, ValueError, TypeError):
                pacer = dict(defaults)
        lang = stored.get("lang")
        sensor = stored.get("sensor")
        sensor_set = False
        if isinstance(sensor, str):
            try:
                sensor = str(SensorSpec.parse_for_web(sensor))
                sensor_set = True
            except AppError:
                sensor = None
        return Prefs(
            lang=lang if lang in ("nb", "en") else None,
            pacer=pacer,
            pacer_set=pacer_set,
            sensor=sensor if isinstance(sensor, str) else settings.sensor,
            sensor_set=sensor_set,
        )

    @staticmethod
    def _clean_pacer(pacer: Mapping[str, object]) -> dict[str, float]:
        clean = validate_params("breathing", {k: pacer[k] for k in PACER_KEYS if k in pacer})
        BreathPattern(**{key: float(clean[key]) for key in PACER_KEYS})
        return {key: float(clean[key]) for key in PACER_KEYS}

    def set(
        self,
        *,
        lang: Lang | None = None,
        pacer: Mapping[str, float] | None = None,
        sensor: str | None = None,
    ) -> Prefs:
        """Validate and store any of the three; nothing is stored when one is bad (a
        UserError names the field: a breath outside 3-12 a minute, an unknown sensor, a file
        replay, which only the CLI may name)."""
        stored = self._stored()
        if sensor is not None:
            stored["sensor"] = str(SensorSpec.parse_for_web(sensor))
        if pacer is not None:
            stored["pacer"] = self._clean_pacer(dict(pacer))
        if lang is not None:
            if lang not in ("nb", "en"):
                raise AppError(f"lang: expected nb or en, got {lang!r}", "lang")
            stored["lang"] = lang
        self._app.journal.set_setting(SETTING_PREFS, stored)
        return self.get()

    def lang(self, explicit: str | None = None) -> Lang:
        """The language to speak: an explicit choice (``--lang``, ``?lang=``, the web's
        cookie) > the saved preference > the ``lang`` setting > the system locale.

        A bad explicit value is a UserError naming ``lang``.
        """
        if explicit:
            try:
                return resolve_lang(explicit, self._app.env)
            except ValueError as error:
                raise AppError(str(error), "lang") from None
        saved = self.get().lang
        if saved is not None:
            return saved
        return resolve_lang(self._app.settings.lang, self._app.env)
