"""Stop rules during the exercises, red flags, and what the person is told.

Data in ``data/safety.toml``, from SAFETY.md: each exercise has the symptoms that end it at once
and what to do then; the red-flag table (headache, neck, heart, gut, mind, cold, ME/CFS, and one
row of ours for new neurological symptoms) says when to seek medical care and how urgently.
The emergency number 113 is given where SAFETY.md gives it (thunderclap headache or headache
with neurological signs; a cold reaction with swelling, hives or trouble breathing) and in the
crisis information; urgent flags add "if it gets worse or feels like an emergency, call 113".

>>> outcome = assess(["tingling"], exercise_id="breathing")
>>> outcome.stop_session, outcome.emergency
(True, False)
>>> outcome.advice("en")[0].startswith("Go back to your natural breathing")
True
>>> assess(["lip-throat-swelling"]).emergency
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final, Literal

from vagus.errors import UserError
from vagus.program.catalog import EXERCISE_IDS
from vagus.program.i18n import DataFileError, Lang, Text, TextList, data_dir, read_toml, t

Level = Literal["emergency", "crisis", "urgent", "same-day", "doctor", "clinician"]
#: Red-flag levels, most serious first (advice is listed in this order).
LEVELS: Final[tuple[Level, ...]] = (
    "emergency",
    "crisis",
    "urgent",
    "same-day",
    "doctor",
    "clinician",
)
#: The Norwegian medical emergency number (AMK).
EMERGENCY_NUMBER: Final[str] = "113"
#: The Norwegian out-of-hours doctor (legevakt).
OUT_OF_HOURS_NUMBER: Final[str] = "116 117"


@dataclass(frozen=True)
class Symptom:
    """A symptom the person can report, in one language."""

    id: str
    label: str


@dataclass(frozen=True)
class RedFlag:
    """One red flag in one language: which signs, how urgent, what the person is told.

    ``triggers`` are the symptom-id sets that raise it (any one set, all of its symptoms).
    """

    id: str
    area: str
    area_title: str
    level: Level
    signs: str
    advice: str
    triggers: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class _RedFlagDef:
    id: str
    area: str
    level: Level
    signs: Text
    advice: Text
    triggers: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class _StopRule:
    symptoms: tuple[str, ...]
    advice: Text


@dataclass(frozen=True)
class SafetyOutcome:
    """What reported symptoms mean.

    Attributes
    ----------
    symptoms : tuple of str
        The reported symptom ids, each once, in the order given.
    exercise_id : str or None
        The exercise under way, if any.
    red_flags : tuple of str
        Ids of the red flags raised, most serious first.
    stop_session : bool
        Stop the exercise now: true for every reported symptom (each is a stop rule or a red
        flag, and red flags mean "stop and seek medical care").
    emergency : bool
        A red flag says "call 113 now".
    crisis : bool
        Thoughts of self-harm were reported: show the crisis information at once.
    alert_clinician : bool
        In clinic mode, alert the clinician (SAFETY.md: the mind red flag).
    """

    symptoms: tuple[str, ...]
    exercise_id: str | None
    red_flags: tuple[str, ...]
    stop_session: bool
    emergency: bool
    crisis: bool
    alert_clinician: bool
    _rules: SafetyRules = field(repr=False, compare=False)

    @property
    def level(self) -> Level | None:
        """The most serious red-flag level raised, or None."""
        if not self.red_flags:
            return None
        return self._rules.flags[self.red_flags[0]].level

    def advice(self, lang: Lang) -> list[str]:
        """What to do, in ``lang``, most important first.

        Red-flag advice by level (with the crisis lines after the mind flag). Unless a flag
        says to get help now (emergency or urgent): the stop advice of the exercise under way
        when one of its stop symptoms was reported, or a general "stop and rest" when no red
        flag was raised. Last, for urgent flags without an emergency, "if it gets worse or
        feels like an emergency, call 113".
        """
        rules = self._rules
        lines: list[str] = []
        for flag_id in self.red_flags:
            flag = rules.flags[flag_id]
            lines.append(flag.advice.get(lang))
            if flag.level == "crisis":
                lines.extend(rules.crisis.get(lang))
        seek_care_now = any(
            rules.flags[flag_id].level in ("emergency", "urgent") for flag_id in self.red_flags
        )
        # With an emergency or urgent flag, its advice already says stop and get help now; the
        # exercise's own "rest until it passes" would only soften it.
        if not seek_care_now:
            stop_rule = rules.stop_rules.get(self.exercise_id or "")
            if stop_rule is not None and set(self.symptoms) & set(stop_rule.symptoms):
                lines.append(stop_rule.advice.get(lang))
            elif self.symptoms and not self.red_flags:
                lines.append(t("safety.stop_generic", lang))
        if not self.emergency and any(
            rules.flags[flag_id].level == "urgent" for flag_id in self.red_flags
        ):
            lines.append(t("safety.if_emergency", lang))
        return lines

    def to_dict(self, lang: Lang) -> dict[str, object]:
        """JSON-ready, with the advice in ``lang``."""
        return {
            "symptoms": list(self.symptoms),
            "exercise_id": self.exercise_id,
            "red_flags": list(self.red_flags),
            "level": self.level,
            "stop_session": self.stop_session,
            "emergency": self.emergency,
            "crisis": self.crisis,
            "alert_clinician": self.alert_clinician,
            "advice": self.advice(lang),
        }


@dataclass(frozen=True)
class SafetyRules:
    """Symptoms, stop rules, red flags and crisis lines, as read from ``safety.toml``."""

    symptom_labels: Mapping[str, Text]
    stop_rules: Mapping[str, _StopRule]
    areas: Mapping[str, Text]
    flags: Mapping[str, _RedFlagDef]
    crisis: TextList

    def _check_exercise(self, exercise_id: str) -> None:
        if exercise_id not in self.stop_rules:
            raise UserError(f"exercise {exercise_id!r}: expected one of {', '.join(EXERCISE_IDS)}")

    def symptoms(self, lang: Lang) -> list[Symptom]:
        """Every symptom, in file order."""
        return [Symptom(key, text.get(lang)) for key, text in self.symptom_labels.items()]

    def stop_symptoms(self, exercise_id: str, lang: Lang) -> list[Symptom]:
        """The symptoms that end ``exercise_id`` at once, in ``lang``."""
        self._check_exercise(exercise_id)
        return [
            Symptom(key, self.symptom_labels[key].get(lang))
            for key in self.stop_rules[exercise_id].symptoms
        ]

    def stop_advice(self, exercise_id: str, lang: Lang) -> str:
        """What to do when a stop symptom of ``exercise_id`` appears."""
        self._check_exercise(exercise_id)
        return self.stop_rules[exercise_id].advice.get(lang)

    def red_flags(self, lang: Lang) -> list[RedFlag]:
        """Every red flag in ``lang``, most serious level first, file order within a level."""
        ordered = sorted(self.flags.values(), key=lambda f: LEVELS.index(f.level))
        return [
            RedFlag(
                id=f.id,
                area=f.area,
                area_title=self.areas[f.area].get(lang),
                level=f.level,
                signs=f.signs.get(lang),
                advice=f.advice.get(lang),
                triggers=f.triggers,
            )
            for f in ordered
        ]

    def assess(self, symptom_ids: Iterable[str], exercise_id: str | None = None) -> SafetyOutcome:
        """What the reported symptoms mean; see :func:`assess`."""
        reported = tuple(dict.fromkeys(symptom_ids))
        unknown = [key for key in reported if key not in self.symptom_labels]
        if unknown:
            raise UserError(f"unknown symptom ids: {', '.join(unknown)}")
        if exercise_id is not None:
            self._check_exercise(exercise_id)
        present = set(reported)
        raised = [
            f for f in self.flags.values() if any(trigger <= present for trigger in f.triggers)
        ]
        raised.sort(key=lambda f: LEVELS.index(f.level))
        crisis = any(f.level == "crisis" for f in raised)
        return SafetyOutcome(
            symptoms=reported,
            exercise_id=exercise_id,
            red_flags=tuple(f.id for f in raised),
            stop_session=bool(reported),
            emergency=any(f.level == "emergency" for f in raised),
            crisis=crisis,
            alert_clinician=crisis,
            _rules=self,
        )


def load_safety(resource: Traversable | None = None) -> SafetyRules:
    """Read and validate ``safety.toml`` (or another file, for tests).

    Raises
    ------
    DataFileError
        Naming the file and key: unknown keys, texts missing nb or en, unknown symptom ids,
        an exercise without stop rules, an unknown level or area, a symptom nothing uses.
    """
    path = resource if resource is not None else data_dir() / "safety.toml"
    label = str(path) if resource is not None else "vagus/program/data/safety.toml"
    root = read_toml(path, label)

    symptoms: dict[str, Text] = {}
    for key, f in root.tables("symptoms").items():
        symptoms[key] = f.text("label")
        f.finish()

    def symptom_ids(values: tuple[str, ...], where: str) -> tuple[str, ...]:
        for value in values:
            if value not in symptoms:
                raise DataFileError(label, where, f"unknown symptom {value!r}")
        return values

    stop_rules: dict[str, _StopRule] = {}
    for key, f in root.tables("stop_rules").items():
        if key not in EXERCISE_IDS:
            raise DataFileError(label, f"stop_rules.{key}", "unknown exercise")
        listed = symptom_ids(f.strings("symptoms"), f.key_path("symptoms"))
        if not listed:
            raise f.error("symptoms", "expected at least one symptom")
        stop_rules[key] = _StopRule(listed, f.text("advice"))
        f.finish()
    for exercise in EXERCISE_IDS:
        if exercise not in stop_rules:
            raise DataFileError(
                label, f"stop_rules.{exercise}", "missing: every exercise has stop rules"
            )

    areas: dict[str, Text] = {}
    for key, f in root.tables("areas").items():
        areas[key] = f.text("title")
        f.finish()

    flags: dict[str, _RedFlagDef] = {}
    for key, f in root.tables("red_flags").items():
        area = f.string("area")
        if area not in areas:
            raise f.error("area", f"unknown area {area!r} (known: {', '.join(areas)})")
        level = f.string("level")
        if level not in LEVELS:
            raise f.error("level", f"unknown level {level!r} (known: {', '.join(LEVELS)})")
        when = f.raw("when")
        if (
            not isinstance(when, list)
            or not when
            or not all(isinstance(group, list) and group for group in when)
        ):
            raise f.error("when", "expected a list of non-empty lists of symptom ids")
        triggers = tuple(
            frozenset(symptom_ids(tuple(str(s) for s in group), f.key_path("when")))
            for group in when
        )
        flags[key] = _RedFlagDef(key, area, level, f.text("signs"), f.text("advice"), triggers)
        f.finish()

    crisis_fields = root.table("crisis")
    crisis = crisis_fields.text_list("lines")
    crisis_fields.finish()
    root.finish()

    used = {s for rule in stop_rules.values() for s in rule.symptoms}
    used |= {s for flag in flags.values() for trigger in flag.triggers for s in trigger}
    unused = [key for key in symptoms if key not in used]
    if unused:
        raise DataFileError(label, f"symptoms.{unused[0]}", "no stop rule or red flag uses it")
    return SafetyRules(
        symptom_labels=MappingProxyType(symptoms),
        stop_rules=MappingProxyType({key: stop_rules[key] for key in EXERCISE_IDS}),
        areas=MappingProxyType(areas),
        flags=MappingProxyType(flags),
        crisis=crisis,
    )


@functools.cache
def _rules() -> SafetyRules:
    return load_safety()


def symptoms(lang: Lang) -> list[Symptom]:
    """Every symptom vagus knows, in ``lang`` (for an after-session check)."""
    return _rules().symptoms(lang)


def stop_symptoms(exercise_id: str, lang: Lang) -> list[Symptom]:
    """The symptoms that end ``exercise_id`` at once (shown during the exercise).

    >>> [s.id for s in stop_symptoms("breathing", "en")]
    ['tingling', 'dizziness', 'chest-tightness', 'panic']
    """
    return _rules().stop_symptoms(exercise_id, lang)


def stop_advice(exercise_id: str, lang: Lang) -> str:
    """What to do when a stop symptom of ``exercise_id`` appears."""
    return _rules().stop_advice(exercise_id, lang)


def red_flags(lang: Lang) -> list[RedFlag]:
    """The red flags of SAFETY.md (and the "neuro" row), most serious first.

    >>> [flag.area for flag in red_flags("en") if flag.level == "emergency"]
    ['headache', 'cold']
    """
    return _rules().red_flags(lang)


def crisis_info(lang: Lang) -> list[str]:
    """The crisis lines, shown at once with thoughts of self-harm (113 first)."""
    return list(_rules().crisis.get(lang))


def assess(symptom_ids: Iterable[str], exercise_id: str | None = None) -> SafetyOutcome:
    """What reported symptoms mean: stop, and whether and how to seek care.

    Parameters
    ----------
    symptom_ids : iterable of str
        Symptom ids (:func:`symptoms`), reported during or after an exercise.
    exercise_id : str, optional
        The exercise under way; its stop advice is then part of :meth:`SafetyOutcome.advice`.

    Returns
    -------
    SafetyOutcome

    Raises
    ------
    ValueError
        Naming unknown symptom ids, or an unknown exercise id.
    """
    return _rules().assess(symptom_ids, exercise_id)
