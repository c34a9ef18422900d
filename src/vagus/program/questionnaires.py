"""Questionnaires, scored as published: GAD-7, PHQ-8 and DSQ-PEM.

- GAD-7 (Spitzer et al. 2006, Arch Intern Med 166:1092-1097): 7 items 0-3, total 0-21;
  cut-offs 5, 10, 15 for mild, moderate, severe anxiety.
- PHQ-8 (Kroenke et al. 2009, J Affect Disord 114:163-173): the PHQ-9 without item 9 (no
  self-harm workflow yet, SAFETY.md), 8 items 0-3, total 0-24; bands at 5, 10, 15, 20.
- DSQ-PEM (Cotler et al. 2018, Diagnostics 8(3):66): 5 symptoms, each rated for frequency and
  severity 0-4. PEM criterion (Appendix B, step 1): frequency >= 2 and severity >= 2 on any
  symptom. Score, for tracking: the DePaul-style composite, per symptom (frequency + severity)
  / 2 x 25, averaged over the five symptoms (0-100); the criterion, not this number, is what
  Cotler 2018 publishes.

A score is not a diagnosis. The Norwegian wording is our own translation, not the validated one
(``Questionnaire.validated_nb`` is False); the data file says so.

>>> score("gad-7", [1, 1, 1, 1, 1, 0, 0]).severity
'mild'
>>> result = score("dsq-pem", [2, 2, 0, 0, 0, 0, 0, 0, 0, 0])
>>> result.severity, result.score
('criterion-met', 10.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final, Literal

from vagus.errors import UserError
from vagus.program.i18n import DataFileError, Fields, Lang, Text, TextList, data_dir, read_toml

Scoring = Literal["sum", "dsq-pem"]
SCORINGS: Final[tuple[Scoring, ...]] = ("sum", "dsq-pem")
#: Cotler et al. 2018, Appendix B, step 1: a symptom counts toward PEM at frequency >= 2
#: ("about half the time") and severity >= 2 ("moderate").
DSQ_PEM_MIN_FREQUENCY: Final[int] = 2
DSQ_PEM_MIN_SEVERITY: Final[int] = 2
#: Spitzer 2006 (GAD-7) and Kroenke 2009 (PHQ-8) both use a total of 10 or more as the
#: screening cut-off (GAD-7: "reasonable cut point"; PHQ-8: current depression).
SCREENING_CUTOFF: Final[int] = 10
#: The DePaul composite rescales each 0-4 rating to 0-100 (x 25) before averaging.
DSQ_COMPOSITE_FACTOR: Final[float] = 25.0


@dataclass(frozen=True)
class Scale:
    """An answer scale: options scored 0, 1, 2, ... in order; ``prompt`` asks for the rating."""

    id: str
    prompt: Text | None
    options: TextList

    @property
    def max_value(self) -> int:
        """The highest answer value."""
        return len(self.options.en) - 1


@dataclass(frozen=True)
class Band:
    """A result category: ``minimum`` score (for sum scoring), label, optional advice."""

    id: str
    minimum: int | None
    label: Text
    advice: Text | None


@dataclass(frozen=True)
class Prompt:
    """One answer to give, in one language, in the order :func:`score` expects them.

    ``number`` is the 1-based answer position, ``item_number`` the 1-based item.
    """

    number: int
    item_number: int
    item: str
    scale: str
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Questionnaire:
    """One questionnaire as read from ``questionnaires.toml``."""

    id: str
    name: Text
    stem: Text
    items: TextList
    scales: tuple[Scale, ...]
    scoring: Scoring
    bands: tuple[Band, ...]
    reference: str
    validated_nb: bool

    @property
    def n_answers(self) -> int:
        """How many answers :func:`score` expects: items x scales."""
        return len(self.items.en) * len(self.scales)

    @property
    def max_score(self) -> float:
        """The highest possible score (sum: items x top value; DSQ-PEM: 100)."""
        if self.scoring == "sum":
            return sum(scale.max_value for scale in self.scales) * len(self.items.en)
        return 4 * DSQ_COMPOSITE_FACTOR

    def prompts(self, lang: Lang) -> list[Prompt]:
        """Every answer to ask for, in order, in ``lang``."""
        out: list[Prompt] = []
        for item_index, item in enumerate(self.items.get(lang)):
            for scale in self.scales:
                question = scale.prompt.get(lang) if scale.prompt else self.stem.get(lang)
                out.append(
                    Prompt(
                        number=len(out) + 1,
                        item_number=item_index + 1,
                        item=item,
                        scale=scale.id,
                        question=question,
                        options=scale.options.get(lang),
                    )
                )
        return out

    def band(self, band_id: str) -> Band:
        """The band ``band_id``."""
        for band in self.bands:
            if band.id == band_id:
                return band
        raise UserError(f"{self.id}: no band {band_id!r}")


@dataclass(frozen=True)
class QuestionnaireResult:
    """A scored questionnaire.

    Attributes
    ----------
    name : str
        The questionnaire id ("gad-7", "phq-8", "dsq-pem").
    score : float
        GAD-7 0-21, PHQ-8 0-24 (whole numbers); DSQ-PEM the 0-100 composite.
    severity : str
        The band id: GAD-7 minimal/mild/moderate/severe; PHQ-8 none-minimal/mild/moderate/
        moderately-severe/severe; DSQ-PEM criterion-met/criterion-not-met.
    details : Mapping[str, object]
        Sum scoring: max_score, answers, at_or_above_10 (the usual screening cut-off of both
        papers). DSQ-PEM: frequency, severity and composite per symptom,
        items_meeting_criterion (1-based), pem_criterion_met, step2 ("not asked").
    """

    name: str
    score: float
    severity: str
    details: Mapping[str, object]

    def severity_text(self, lang: Lang) -> str:
        """The band's label in ``lang``."""
        return QUESTIONNAIRES[self.name].band(self.severity).label.get(lang)

    def advice(self, lang: Lang) -> str | None:
        """The band's advice in ``lang``, if it has one."""
        advice = QUESTIONNAIRES[self.name].band(self.severity).advice
        return advice.get(lang) if advice else None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "name": self.name,
            "score": self.score,
            "severity": self.severity,
            "details": dict(self.details),
        }


def _read_scales(root: Fields) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    for key, f in root.tables("scales").items():
        options = f.text_list("options")
        if len(options.en) < 2:
            raise f.error("options", "expected at least two options")
        scales[key] = Scale(key, f.optional_text("prompt"), options)
        f.finish()
    return scales


def _read_bands(f: Fields, scoring: Scoring, max_score: float) -> tuple[Band, ...]:
    bands: list[Band] = []
    for band in f.table_list("bands"):
        minimum = band.integer("min", minimum=0) if scoring == "sum" else None
        bands.append(
            Band(band.string("id"), minimum, band.text("label"), band.optional_text("advice"))
        )
        band.finish()
    if scoring == "sum":
        minima = [b.minimum for b in bands]
        if not minima or minima[0] != 0:
            raise f.error("bands", "the first band must start at min = 0")
        if any(b is None or a is None or b <= a for a, b in itertools.pairwise(minima)):
            raise f.error("bands", f"band minima must rise, got {minima}")
        if (minima[-1] or 0) > max_score:
            raise f.error("bands", f"a band starts above the highest score {max_score:g}")
    elif [b.id for b in bands] != ["criterion-not-met", "criterion-met"]:
        raise f.error("bands", "DSQ-PEM has the bands criterion-not-met, criterion-met")
    return tuple(bands)


def load_questionnaires(resource: Traversable | None = None) -> Mapping[str, Questionnaire]:
    """Read and validate ``questionnaires.toml`` (or another file, for tests).

    Raises
    ------
    DataFileError
        Naming the file and key: unknown keys, texts missing nb or en, item lists of different
        lengths, unknown scales or scoring, bands that do not start at 0 or do not rise.
    """
    path = resource if resource is not None else data_dir() / "questionnaires.toml"
    label = str(path) if resource is not None else "vagus/program/data/questionnaires.toml"
    root = read_toml(path, label)
    scales = _read_scales(root)
    out: dict[str, Questionnaire] = {}
    for key, f in root.tables("questionnaires").items():
        scoring = f.string("scoring")
        if scoring not in SCORINGS:
            raise f.error("scoring", f"unknown scoring {scoring!r} (known: {', '.join(SCORINGS)})")
        scale_ids = f.strings("scales")
        for scale_id in scale_ids:
            if scale_id not in scales:
                raise f.error("scales", f"unknown scale {scale_id!r}")
        translation = f.string("translation_nb")
        if translation not in ("ours", "validated"):
            raise f.error("translation_nb", f"expected 'ours' or 'validated', got {translation!r}")
        questionnaire = Questionnaire(
            id=key,
            name=f.text("name"),
            stem=f.text("stem"),
            items=f.text_list("items"),
            scales=tuple(scales[s] for s in scale_ids),
            scoring=scoring,
            bands=(),
            reference=f.string("reference"),
            validated_nb=translation == "validated",
        )
        if scoring == "dsq-pem" and [s.max_value for s in questionnaire.scales] != [4, 4]:
            raise f.error("scales", "DSQ-PEM needs a frequency and a severity scale, each 0-4")
        bands = _read_bands(f, questionnaire.scoring, questionnaire.max_score)
        out[key] = replace(questionnaire, bands=bands)
        f.finish()
    root.finish()
    if not out:
        raise DataFileError(label, "questionnaires", "expected at least one questionnaire")
    return MappingProxyType(out)


#: Every questionnaire, by id ("gad-7", "phq-8", "dsq-pem"), read from the package data.
QUESTIONNAIRES: Final[Mapping[str, Questionnaire]] = load_questionnaires()


def _check_answers(q: Questionnaire, answers: Sequence[int]) -> list[int]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise UserError(f"{q.id}: expected a sequence of {q.n_answers} integers")
    if len(answers) != q.n_answers:
        per = f" ({len(q.scales)} per item)" if len(q.scales) > 1 else ""
        raise UserError(f"{q.id}: expected {q.n_answers} answers{per}, got {len(answers)}")
    checked: list[int] = []
    for index, value in enumerate(answers):
        item_index, scale_index = divmod(index, len(q.scales))
        scale = q.scales[scale_index]
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not (0 <= value <= scale.max_value)
        ):
            where = f"item {item_index + 1} ({q.items.en[item_index]!r})"
            if len(q.scales) > 1:
                where += f", {scale.id}"
            raise UserError(
                f"{q.id}, {where}: expected an integer 0-{scale.max_value}, got {value!r}"
            )
        checked.append(value)
    return checked


def _score_dsq_pem(q: Questionnaire, values: list[int]) -> QuestionnaireResult:
    frequency = values[0::2]
    severity = values[1::2]
    meeting = [
        index + 1
        for index, (f, s) in enumerate(zip(frequency, severity, strict=True))
        if f >= DSQ_PEM_MIN_FREQUENCY and s >= DSQ_PEM_MIN_SEVERITY
    ]
    composites = [
        (f + s) / 2 * DSQ_COMPOSITE_FACTOR for f, s in zip(frequency, severity, strict=True)
    ]
    return QuestionnaireResult(
        name=q.id,
        score=sum(composites) / len(composites),
        severity="criterion-met" if meeting else "criterion-not-met",
        details=MappingProxyType(
            {
                "frequency": frequency,
                "severity": severity,
                "composite": composites,
                "items_meeting_criterion": meeting,
                "pem_criterion_met": bool(meeting),
                "step2": "not asked",
            }
        ),
    )


def score(name: str, answers: Sequence[int]) -> QuestionnaireResult:
    """Score a questionnaire as published.

    Parameters
    ----------
    name : str
        "gad-7", "phq-8" or "dsq-pem" (case and spaces ignored; "GAD-7" works).
    answers : sequence of int
        The answer values in :meth:`Questionnaire.prompts` order: GAD-7 7 values 0-3, PHQ-8 8
        values 0-3; DSQ-PEM 10 values 0-4, frequency then severity for each of the 5 symptoms.

    Returns
    -------
    QuestionnaireResult

    Raises
    ------
    ValueError
        An unknown questionnaire, the wrong number of answers, or an answer out of range or not
        an integer (naming the item).

    Examples
    --------
    >>> score("PHQ-8", [3, 3, 3, 3, 3, 3, 2, 0]).severity
    'severe'
    >>> score("gad-7", [0, 0, 0, 4, 0, 0, 0])
    Traceback (most recent call last):
    vagus.errors.UserError: gad-7, item 4 ('Trouble relaxing'): expected an integer 0-3, got 4
    """
    key = name.strip().lower().replace(" ", "")
    if key not in QUESTIONNAIRES:
        raise UserError(f"questionnaire {name!r}: expected one of {', '.join(QUESTIONNAIRES)}")
    q = QUESTIONNAIRES[key]
    values = _check_answers(q, answers)
    if q.scoring == "dsq-pem":
        return _score_dsq_pem(q, values)
    total = sum(values)
    band = [b for b in q.bands if b.minimum is not None and b.minimum <= total][-1]
    return QuestionnaireResult(
        name=q.id,
        score=total,
        severity=band.id,
        details=MappingProxyType(
            {
                "max_score": int(q.max_score),
                "answers": values,
                "at_or_above_10": total >= SCREENING_CUTOFF,
            }
        ),
    )
