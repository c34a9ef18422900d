"""The intake screen: yes/no questions, and what each "yes" means for each home exercise.

The rules are data (``data/screening.toml``), taken from SAFETY.md: a condition can make an
exercise

- ``stop``: left out of the plan, with the reason (used once, for cold urticaria and cold
  water; the data file says why);
- ``clinician``: it waits until the person confirms that their clinician has cleared it
  (then its status is ``cleared``);
- ``adapt``: allowed, with an adaptation note (trauma -> short, eyes-open meditation with a
  grounding exit; ME/CFS -> laughter counts as exertion; pregnancy -> no breath-holds...).

vagus does not decide for anyone: it applies these rules to the person's own answers and says
why, in plain words (SAFETY.md, "What the product is, and is not").

>>> answers = {question.id: False for question in questions("en")}
>>> evaluate(answers).status("cold-water")
'ok'
>>> answers["pregnancy"] = True
>>> result = evaluate(answers)
>>> result.status("cold-water"), result.status("breathing")
('clinician', 'adapt')
>>> evaluate(answers, cleared={"cold-water"}).status("cold-water")
'cleared'
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final, Literal

from vagus.errors import UserError
from vagus.program.catalog import EXERCISE_IDS, load_catalog
from vagus.program.i18n import DataFileError, Fields, Lang, Text, data_dir, read_toml, t

Status = Literal["ok", "adapt", "clinician", "cleared", "stop"]
Outcome = Literal["stop", "clinician", "adapt"]
#: Every status, from "go ahead" to "left out".
STATUSES: Final[tuple[Status, ...]] = ("ok", "adapt", "cleared", "clinician", "stop")
#: Statuses under which the exercise is in the person's plan.
ALLOWED_STATUSES: Final[frozenset[Status]] = frozenset({"ok", "adapt", "cleared"})


@dataclass(frozen=True)
class Question:
    """One screening question in one language.

    ``follow_up_to`` names the question that must be answered yes for this one to be asked
    (else None); ``group`` and ``group_title`` let a form show related questions together.
    """

    id: str
    group: str
    group_title: str
    text: str
    follow_up_to: str | None


@dataclass(frozen=True)
class _QuestionDef:
    id: str
    group: str
    text: Text
    label: Text
    note: Text | None
    follow_up_to: str | None
    stop: tuple[str, ...]
    stop_why: Text | None
    clinician: tuple[str, ...]
    adapt: Mapping[str, str]


@dataclass(frozen=True)
class Finding:
    """What one "yes" means for one exercise: the question, the outcome, the adaptation id."""

    question_id: str
    outcome: Outcome
    adaptation: str | None = None


@dataclass(frozen=True)
class ExerciseScreening:
    """The screening result for one exercise.

    Attributes
    ----------
    exercise_id : str
    status : {"ok", "adapt", "clinician", "cleared", "stop"}
        ``stop`` beats ``clinician`` (or ``cleared`` once confirmed), which beats ``adapt``.
    findings : tuple of Finding
        Every "yes" that touches this exercise, in question order.
    """

    exercise_id: str
    status: Status
    findings: tuple[Finding, ...]
    _rules: ScreeningRules = field(repr=False, compare=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The question ids behind the status, in question order, each once."""
        return tuple(dict.fromkeys(f.question_id for f in self.findings))

    @property
    def adaptations(self) -> tuple[str, ...]:
        """The adaptation ids that apply (also after clearance), each once."""
        return tuple(dict.fromkeys(f.adaptation for f in self.findings if f.adaptation))

    @property
    def allowed(self) -> bool:
        """Whether the exercise is in the plan (ok, adapt or cleared)."""
        return self.status in ALLOWED_STATUSES

    def reasons_text(self, lang: Lang) -> list[str]:
        """The reasons in plain words: what is left out, what waits for a clinician, what is
        adapted, and any extra advice the questions carry."""
        return self._rules.describe(self, lang)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: status, reasons (question ids), adaptations (ids)."""
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "adaptations": list(self.adaptations),
        }


@dataclass(frozen=True)
class ScreeningResult:
    """The screening result for all seven exercises, in catalog order."""

    exercises: Mapping[str, ExerciseScreening]
    yes: tuple[str, ...]

    def status(self, exercise_id: str) -> Status:
        """The status of one exercise (ValueError naming an unknown id)."""
        if exercise_id not in self.exercises:
            raise UserError(f"exercise {exercise_id!r}: expected one of {', '.join(EXERCISE_IDS)}")
        return self.exercises[exercise_id].status

    def allowed(self) -> tuple[str, ...]:
        """The exercises that are in the plan (ok, adapt or cleared)."""
        return tuple(key for key, result in self.exercises.items() if result.allowed)

    def needs_clearance(self) -> tuple[str, ...]:
        """The exercises that wait for the clinician's clearance."""
        return tuple(key for key, r in self.exercises.items() if r.status == "clinician")

    def left_out(self) -> tuple[str, ...]:
        """The exercises left out of the plan."""
        return tuple(key for key, r in self.exercises.items() if r.status == "stop")

    def reasons_text(self, lang: Lang) -> dict[str, list[str]]:
        """Per exercise with any finding, the reasons in plain words (see
        :meth:`ExerciseScreening.reasons_text`)."""
        return {
            key: result.reasons_text(lang)
            for key, result in self.exercises.items()
            if result.findings
        }

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the yes answers and each exercise's status, reasons and adaptations."""
        return {
            "yes": list(self.yes),
            "exercises": {key: result.to_dict() for key, result in self.exercises.items()},
        }


@dataclass(frozen=True)
class ScreeningRules:
    """The screening questions and rules, as read from ``screening.toml``."""

    groups: Mapping[str, Text]
    question_defs: Mapping[str, _QuestionDef]
    adaptation_texts: Mapping[str, Text]
    clinician_why: Mapping[str, Text]

    def questions(self, lang: Lang) -> list[Question]:
        """Every question in ``lang``, in order (follow-ups right after their question)."""
        return [
            Question(
                id=q.id,
                group=q.group,
                group_title=self.groups[q.group].get(lang),
                text=q.text.get(lang),
                follow_up_to=q.follow_up_to,
            )
            for q in self.question_defs.values()
        ]

    def missing(self, answers: Mapping[str, bool]) -> list[str]:
        """The question ids still to be answered (a follow-up only when its question is yes)."""
        return [
            q.id
            for q in self.question_defs.values()
            if q.id not in answers and (q.follow_up_to is None or answers.get(q.follow_up_to))
        ]

    def evaluate(
        self, answers: Mapping[str, bool], cleared: Collection[str] = frozenset()
    ) -> ScreeningResult:
        """Apply the rules to the answers; see :func:`evaluate`."""
        unknown = sorted(set(answers) - set(self.question_defs))
        if unknown:
            raise UserError(f"unknown screening question ids: {', '.join(unknown)}")
        not_bool = sorted(key for key, value in answers.items() if not isinstance(value, bool))
        if not_bool:
            raise UserError(
                f"screening answers must be true or false: {', '.join(not_bool)} are not"
            )
        missing = self.missing(answers)
        if missing:
            raise UserError(f"screening answers missing for: {', '.join(missing)}")
        unknown_cleared = sorted(set(cleared) - set(EXERCISE_IDS))
        if unknown_cleared:
            raise UserError(
                f"cleared exercise ids unknown: {', '.join(unknown_cleared)} "
                f"(expected among {', '.join(EXERCISE_IDS)})"
            )
        yes = tuple(key for key in self.question_defs if answers.get(key, False))
        findings: dict[str, list[Finding]] = {key: [] for key in EXERCISE_IDS}
        for key in yes:
            q = self.question_defs[key]
            for exercise in q.stop:
                findings[exercise].append(Finding(key, "stop"))
            for exercise in q.clinician:
                findings[exercise].append(Finding(key, "clinician"))
            for exercise, adaptation in q.adapt.items():
                findings[exercise].append(Finding(key, "adapt", adaptation))
        results = {
            exercise: ExerciseScreening(
                exercise_id=exercise,
                status=_status(found, exercise in cleared),
                findings=tuple(found),  # already in question order
                _rules=self,
            )
            for exercise, found in findings.items()
        }
        return ScreeningResult(exercises=MappingProxyType(results), yes=yes)

    def describe(self, result: ExerciseScreening, lang: Lang) -> list[str]:
        """The reasons of one exercise in plain words (one line per kind, conditions joined)."""
        name = load_catalog().exercise(result.exercise_id).text("name", lang)
        lines: list[str] = []

        def labels(found: list[Finding]) -> str:
            ids = dict.fromkeys(f.question_id for f in found)
            return ", ".join(self.question_defs[key].label.get(lang) for key in ids)

        for f in result.findings:
            if f.outcome == "stop":
                why = self.question_defs[f.question_id].stop_why
                lines.append(
                    t(
                        "screening.reason.stop",
                        lang,
                        exercise=name,
                        condition=labels([f]),
                        why=why.get(lang) if why else "",
                    ).strip()
                )
        if result.status == "stop":
            # The exercise is out of the plan: what a clinician could clear or an adaptation
            # could change no longer applies, so only the reason it is out (and notes) is said.
            return lines + self._notes(result, lang)
        clinician = [f for f in result.findings if f.outcome == "clinician"]
        if clinician:
            if result.status == "cleared":
                lines.append(
                    t("screening.reason.cleared", lang, exercise=name, condition=labels(clinician))
                )
            else:
                lines.append(
                    t(
                        "screening.reason.clinician",
                        lang,
                        exercise=name,
                        condition=labels(clinician),
                        why=self.clinician_why[result.exercise_id].get(lang),
                    )
                )
        for adaptation in result.adaptations:
            found = [f for f in result.findings if f.adaptation == adaptation]
            lines.append(
                t(
                    "screening.reason.adapt",
                    lang,
                    exercise=name,
                    condition=labels(found),
                    note=self.adaptation_texts[adaptation].get(lang),
                )
            )
        return lines + self._notes(result, lang)

    def _notes(self, result: ExerciseScreening, lang: Lang) -> list[str]:
        notes = (self.question_defs[key].note for key in result.reasons)
        return [note.get(lang) for note in notes if note is not None]


def _status(found: list[Finding], cleared: bool) -> Status:
    outcomes = {f.outcome for f in found}
    if "stop" in outcomes:
        return "stop"
    if "clinician" in outcomes:
        return "cleared" if cleared else "clinician"
    if "adapt" in outcomes:
        return "adapt"
    return "ok"


def _exercise_ids(fields: Fields, key: str) -> tuple[str, ...]:
    ids = fields.strings(key, default=())
    for item in ids:
        if item not in EXERCISE_IDS:
            raise fields.error(key, f"unknown exercise {item!r} (known: {', '.join(EXERCISE_IDS)})")
    return ids


def _read_question(
    key: str, f: Fields, groups: Mapping[str, Text], adaptations: Mapping[str, Text]
) -> _QuestionDef:
    group = f.string("group")
    if group not in groups:
        raise f.error("group", f"unknown group {group!r} (known: {', '.join(groups)})")
    stop = _exercise_ids(f, "stop")
    clinician = _exercise_ids(f, "clinician")
    both = sorted(set(stop) & set(clinician))
    if both:
        raise f.error("clinician", f"{', '.join(both)} is also under stop: choose one")
    adapt: dict[str, str] = {}
    if f.has("adapt"):
        table = f.table("adapt")
        for exercise in table.names():
            if exercise not in EXERCISE_IDS:
                raise table.error(exercise, f"unknown exercise (known: {', '.join(EXERCISE_IDS)})")
            adaptation = table.string(exercise)
            if adaptation not in adaptations:
                raise table.error(exercise, f"unknown adaptation {adaptation!r}")
            adapt[exercise] = adaptation
        table.finish()
    stop_why = f.optional_text("stop_why")
    if stop and stop_why is None:
        raise f.error("stop_why", "missing: a stop needs its reason")
    if stop_why is not None and not stop:
        raise f.error("stop_why", "given, but the question stops no exercise")
    if not (stop or clinician or adapt):
        raise f.error("clinician", "the question changes no exercise: add stop, clinician or adapt")
    follow_up_to = f.string("follow_up_to") if f.has("follow_up_to") else None
    question = _QuestionDef(
        id=key,
        group=group,
        text=f.text("text"),
        label=f.text("label"),
        note=f.optional_text("note"),
        follow_up_to=follow_up_to,
        stop=stop,
        stop_why=stop_why,
        clinician=clinician,
        adapt=MappingProxyType(adapt),
    )
    f.finish()
    return question


def _texts_of(root: Fields, key: str, text_key: str) -> dict[str, Text]:
    """A table of named sub-tables that hold one text each: ``[groups.heart] title...``."""
    texts = {}
    for name, f in root.tables(key).items():
        texts[name] = f.text(text_key)
        f.finish()
    return texts


def load_screening(resource: Traversable | None = None) -> ScreeningRules:
    """Read and validate ``screening.toml`` (or another file, for tests).

    Raises
    ------
    DataFileError
        Naming the file and key: unknown keys, texts missing nb or en, unknown groups,
        exercises or adaptations, a stop without its reason, a question that changes nothing,
        a follow-up to an unknown or later question, an exercise needing clearance without a
        ``clinician_why``, an adaptation never used.
    """
    path = resource if resource is not None else data_dir() / "screening.toml"
    label = str(path) if resource is not None else "vagus/program/data/screening.toml"
    root = read_toml(path, label)
    groups = _texts_of(root, "groups", "title")
    adaptations = _texts_of(root, "adaptations", "text")
    clinician_why: dict[str, Text] = {}
    for key, f in root.tables("exercises").items():
        if key not in EXERCISE_IDS:
            raise DataFileError(label, f"exercises.{key}", "unknown exercise")
        clinician_why[key] = f.text("clinician_why")
        f.finish()
    questions: dict[str, _QuestionDef] = {}
    for key, f in root.tables("questions").items():
        question = _read_question(key, f, groups, adaptations)
        if question.follow_up_to is not None and question.follow_up_to not in questions:
            raise DataFileError(
                label,
                f"questions.{key}.follow_up_to",
                f"{question.follow_up_to!r} is not a question defined above this one",
            )
        for exercise in question.clinician:
            if exercise not in clinician_why:
                raise DataFileError(
                    label,
                    f"questions.{key}.clinician",
                    f"{exercise!r} needs [exercises.{exercise}] clinician_why",
                )
        questions[key] = question
    root.finish()
    used = {a for q in questions.values() for a in q.adapt.values()}
    unused = [key for key in adaptations if key not in used]
    if unused:
        raise DataFileError(label, f"adaptations.{unused[0]}", "defined but never used")
    return ScreeningRules(
        groups=MappingProxyType(groups),
        question_defs=MappingProxyType(questions),
        adaptation_texts=MappingProxyType(adaptations),
        clinician_why=MappingProxyType(clinician_why),
    )


@functools.cache
def _rules() -> ScreeningRules:
    return load_screening()


def questions(lang: Lang) -> list[Question]:
    """Every screening question in ``lang``, in the order to ask them.

    >>> [q.id for q in questions("en")][:3]
    ['heart-rhythm', 'slow-pulse', 'heart-block']
    """
    return _rules().questions(lang)


def missing(answers: Mapping[str, bool]) -> list[str]:
    """The question ids still to be answered (a follow-up only when its question is yes)."""
    return _rules().missing(answers)


def evaluate(
    answers: Mapping[str, bool], cleared: Collection[str] = frozenset()
) -> ScreeningResult:
    """Apply the screening rules to a person's answers.

    Parameters
    ----------
    answers : Mapping[str, bool]
        Question id -> yes (True) or no (False), for every question; a follow-up may be left
        out when its question is no. Unanswered is never taken as no.
    cleared : collection of str
        Exercise ids the person confirms their clinician has cleared. A ``clinician`` status
        becomes ``cleared``; a ``stop`` stays.

    Returns
    -------
    ScreeningResult
        Per exercise: status, reasons (question ids), adaptations, and ``reasons_text(lang)``.

    Raises
    ------
    ValueError
        Naming unknown question ids, answers that are not true/false, unanswered questions, or
        unknown exercise ids in ``cleared``.
    """
    return _rules().evaluate(answers, cleared)
