"""The catalog: the seven home exercises, the clinic's hands-on treatments and the clinic.

Content lives in ``data/catalog/``: one TOML file per exercise (``breathing.toml``...) and
``clinic.toml`` for the treatments and the clinic. Texts are ours, written from the facts in the
project brief (PROGRAM.md, SAFETY.md), in Norwegian bokmål and English. :func:`load_catalog`
reads them strictly: an unknown key, a text without both ``nb`` and ``en``, a missing exercise
file or an unknown source number is a :class:`~vagus.program.i18n.DataFileError` naming the file
and the key.

>>> catalog = load_catalog()
>>> list(catalog.exercises) == list(EXERCISE_IDS)
True
>>> catalog.exercises["breathing"].text("name", "nb")
'Magepust'
>>> catalog.exercises["humming"].to_dict("en")["default_minutes"]
2
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final

from vagus.errors import UserError
from vagus.program.i18n import DataFileError, Fields, Lang, Text, TextList, data_dir, read_toml

#: The exercise ids are API (journal rows, plans, ``vagus exercises --json``), in the order of
#: the clinic's guide.
EXERCISE_IDS: Final[tuple[str, ...]] = (
    "breathing",
    "cold-water",
    "humming",
    "neck",
    "laughter",
    "meditation",
    "activity",
)
#: The file that holds the treatments and the clinic.
CLINIC_FILE: Final[str] = "clinic.toml"
#: Longest sensible default for one home exercise; the guide's longest is about 10 minutes.
MAX_DEFAULT_MINUTES: Final[int] = 60

#: The sources the clinic's guide cites, by their number in PROGRAM.md ("Sources the guide
#: cites"). Data files cite them by number.
SOURCES: Final[Mapping[int, str]] = MappingProxyType(
    {
        1: "Clancy J.A. et al. (2014) Non-invasive vagus nerve stimulation in humans reduces "
        "sympathetic nerve activity. Brain Stimulation 7(6):871-877.",
        2: "Tracey K.J. (2002) The inflammatory reflex. Nature 420(6917):853-859.",
        3: "Sato A. & Sato Y. (1992) Regulation of regional cerebral blood flow by the autonomic "
        "nervous system and its mechanism. J Physiol Anthropol 11(3):231-242.",
        4: "Chow R.T. et al. (2009) Efficacy of low-level laser therapy in the management of neck "
        "pain: a systematic review and meta-analysis. Lancet 374(9705):1897-1908.",
        5: "Porges S.W. (2011) The Polyvagal Theory. New York: W.W. Norton.",
        6: "Rocha S. et al. (2012) Vagus nerve stimulation modulates the motor cortex excitability "
        "in humans. Epilepsy Research 99(1-2):99-105.",
        7: "Budgell B.S. (2001) Innocuous mechanical stimulation of the neck and alterations in "
        "heart-rate variability in healthy young adults. Autonomic Neuroscience 91(1-2):96-99.",
        8: "Farmer A.D. et al. (2020) Vagus nerve stimulation and its effect on autonomic tone and "
        "inflammation: a review of evidence. Autonomic Neuroscience 224:102637.",
    }
)

#: The safety literature behind the cautions (SAFETY.md), cited by id from the data files.
REFERENCES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "shattock-tipton-2012": "Shattock M.J. & Tipton M.J. (2012) 'Autonomic conflict': a "
        "different way to die during cold water immersion? J Physiol 590(14):3219-3230.",
        "szulczewski-2019": "Szulczewski M.T. (2019) Training of paced breathing at 0.1 Hz "
        "improves CO2 homeostasis and relaxation during a paced breathing task. PLoS ONE "
        "14(6):e0218550.",
        "ifompt-2020": "Rushton A., Rivett D., Carlesso L., Flynn T., Hing W. & Kerry R. (2020) "
        "International framework for examination of the cervical region for potential of "
        "vascular pathologies of the neck prior to orthopaedic manual therapy (OMT) "
        "intervention: International IFOMPT Cervical Framework. IFOMPT.",
        "jull-2008": "Jull G.A., O'Leary S.P. & Falla D.L. (2008) Clinical assessment of the deep "
        "cervical flexor muscles: the craniocervical flexion test. J Manipulative Physiol Ther "
        "31(7):525-533.",
        "nice-ng206-2021": "NICE (2021) Myalgic encephalomyelitis (or encephalopathy)/chronic "
        "fatigue syndrome: diagnosis and management. NICE guideline NG206.",
        "eular-2017": "Macfarlane G.J. et al. (2017) EULAR revised recommendations for the "
        "management of fibromyalgia. Ann Rheum Dis 76(2):318-328.",
        "britton-2021": "Britton W.B. et al. (2021) Defining and measuring meditation-related "
        "adverse effects in mindfulness-based programs. Clin Psychol Sci 9(6):1185-1204.",
        "canby-2025": "Canby N.K. et al. (2025) Childhood trauma and subclinical PTSD symptoms "
        "predict adverse effects and worse outcomes across two mindfulness-based programs for "
        "active depression. PLoS ONE 20(1):e0318499.",
    }
)

#: Text fields of an exercise: one text each.
EXERCISE_TEXTS: Final[tuple[str, ...]] = ("name", "summary", "purpose", "vagus")
#: Text fields of an exercise that are ordered lists.
EXERCISE_LISTS: Final[tuple[str, ...]] = ("steps", "tips", "cautions")


def _citations(numbers: tuple[int, ...], refs: tuple[str, ...]) -> dict[str, object]:
    return {
        "sources": [{"number": n, "citation": SOURCES[n]} for n in numbers],
        "references": [{"id": r, "citation": REFERENCES[r]} for r in refs],
    }


@dataclass(frozen=True)
class Exercise:
    """One home exercise.

    Attributes
    ----------
    id : str
        One of :data:`EXERCISE_IDS`.
    default_minutes : int
        A first session's length, in minutes (from the guide's ranges).
    texts : Mapping[str, Text]
        ``name`` (short), ``summary`` (one line), ``purpose``, ``vagus`` (how it may act on the
        vagus nerve, plainly and modestly).
    lists : Mapping[str, TextList]
        ``steps`` (in order), ``tips`` and ``cautions`` (from SAFETY.md for this exercise).
    sources : tuple of int
        Numbers in :data:`SOURCES` (PROGRAM.md's list).
    references : tuple of str
        Ids in :data:`REFERENCES` (the safety literature).
    """

    id: str
    default_minutes: int
    texts: Mapping[str, Text]
    lists: Mapping[str, TextList]
    sources: tuple[int, ...]
    references: tuple[str, ...]

    def text(self, field: str, lang: Lang) -> str:
        """The text ``field`` in ``lang``; a list field's items are joined by newlines.

        >>> load_catalog().exercises["neck"].text("steps", "en").count("\\n") >= 3
        True
        """
        if field in self.texts:
            return self.texts[field].get(lang)
        if field in self.lists:
            return "\n".join(self.lists[field].get(lang))
        known = ", ".join(EXERCISE_TEXTS + EXERCISE_LISTS)
        raise ValueError(f"exercise text {field!r}: expected one of {known}")

    def lines(self, field: str, lang: Lang) -> tuple[str, ...]:
        """The items of the list field ``field`` (steps, tips, cautions) in ``lang``."""
        if field not in self.lists:
            raise ValueError(f"exercise list {field!r}: expected one of {', '.join(self.lists)}")
        return self.lists[field].get(lang)

    def to_dict(self, lang: Lang) -> dict[str, object]:
        """Everything about the exercise in ``lang``, JSON-ready (``vagus exercises --json``).

        Keys: id, name, summary, default_minutes, purpose, vagus, steps, tips, cautions,
        sources ({number, citation}), references ({id, citation}).
        """
        out: dict[str, object] = {
            "id": self.id,
            "name": self.texts["name"].get(lang),
            "summary": self.texts["summary"].get(lang),
            "default_minutes": self.default_minutes,
            "purpose": self.texts["purpose"].get(lang),
            "vagus": self.texts["vagus"].get(lang),
        }
        for field in EXERCISE_LISTS:
            out[field] = list(self.lists[field].get(lang))
        out.update(_citations(self.sources, self.references))
        return out


@dataclass(frozen=True)
class Treatment:
    """One hands-on treatment at the clinic, performed by clinicians.

    ``performed_by`` are ids of :attr:`Clinic.clinicians`; ``bookable_as`` are ids of
    :attr:`Clinic.bookable` (empty when it is not a bookable type of its own); ``screening`` is
    what is checked before the treatment (upper-cervical work), or None.
    """

    id: str
    name: Text
    summary: Text
    description: Text
    aim: Text
    performed_by: tuple[str, ...]
    bookable_as: tuple[str, ...]
    screening: Text | None
    sources: tuple[int, ...]
    references: tuple[str, ...]

    def to_dict(self, lang: Lang) -> dict[str, object]:
        """The treatment in ``lang``, JSON-ready."""
        out: dict[str, object] = {
            "id": self.id,
            "name": self.name.get(lang),
            "summary": self.summary.get(lang),
            "description": self.description.get(lang),
            "aim": self.aim.get(lang),
            "performed_by": list(self.performed_by),
            "bookable_as": list(self.bookable_as),
            "screening": self.screening.get(lang) if self.screening else None,
        }
        out.update(_citations(self.sources, self.references))
        return out


@dataclass(frozen=True)
class Department:
    """One department of the clinic chain (a place name; ``main`` for the main department)."""

    id: str
    name: str
    main: bool


@dataclass(frozen=True)
class Clinic:
    """The clinic as facts from the guide: booking, bookable treatment types, departments.

    No web addresses or phone numbers: the guide's are not part of our brief.
    """

    booking: Text
    question: Text
    bookable: Mapping[str, Text]
    departments: tuple[Department, ...]
    clinicians: Mapping[str, Text]

    def to_dict(self, lang: Lang) -> dict[str, object]:
        """The clinic in ``lang``, JSON-ready."""
        return {
            "booking": self.booking.get(lang),
            "question": self.question.get(lang),
            "bookable": {key: text.get(lang) for key, text in self.bookable.items()},
            "departments": [{"id": d.id, "name": d.name, "main": d.main} for d in self.departments],
            "clinicians": {key: text.get(lang) for key, text in self.clinicians.items()},
        }


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: ``exercises`` (in :data:`EXERCISE_IDS` order), ``treatments``,
    ``clinic``."""

    exercises: Mapping[str, Exercise]
    treatments: Mapping[str, Treatment]
    clinic: Clinic

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise ``exercise_id``; ValueError naming it and the valid ids if unknown."""
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise UserError(
                f"exercise {exercise_id!r}: expected one of {', '.join(EXERCISE_IDS)}"
            ) from None


def _sources(fields: Fields) -> tuple[int, ...]:
    numbers = fields.integers("sources")
    for number in numbers:
        if number not in SOURCES:
            raise fields.error("sources", f"no source {number} (PROGRAM.md lists 1-{max(SOURCES)})")
    return numbers


def _references(fields: Fields) -> tuple[str, ...]:
    refs = fields.strings("references", default=())
    for ref in refs:
        if ref not in REFERENCES:
            raise fields.error("references", f"unknown reference {ref!r}")
    return refs


def _load_exercise(exercise_id: str, fields: Fields) -> Exercise:
    exercise = Exercise(
        id=exercise_id,
        default_minutes=fields.integer("default_minutes", minimum=1, maximum=MAX_DEFAULT_MINUTES),
        texts={name: fields.text(name) for name in EXERCISE_TEXTS},
        lists={name: fields.text_list(name) for name in EXERCISE_LISTS},
        sources=_sources(fields),
        references=_references(fields),
    )
    fields.finish()
    return exercise


def _ids_in(fields: Fields, key: str, known: Mapping[str, object], what: str) -> tuple[str, ...]:
    ids = fields.strings(key, default=())
    for item in ids:
        if item not in known:
            raise fields.error(key, f"unknown {what} {item!r} (known: {', '.join(known)})")
    return ids


def _load_clinic(root: Fields) -> tuple[dict[str, Treatment], Clinic]:
    clinic_fields = root.table("clinic")
    clinicians = {key: f.text("name") for key, f in clinic_fields.tables("clinicians").items()}
    bookable = {key: f.text("name") for key, f in clinic_fields.tables("bookable").items()}
    departments = []
    for key, f in clinic_fields.tables("departments").items():
        departments.append(Department(key, f.string("name"), f.boolean("main", default=False)))
        f.finish()
    clinic = Clinic(
        booking=clinic_fields.text("booking"),
        question=clinic_fields.text("question"),
        bookable=bookable,
        departments=tuple(departments),
        clinicians=clinicians,
    )
    clinic_fields.finish()

    treatments: dict[str, Treatment] = {}
    for key, f in root.tables("treatments").items():
        performed_by = _ids_in(f, "performed_by", clinicians, "clinician")
        if not performed_by:
            raise f.error("performed_by", "expected at least one clinician")
        treatments[key] = Treatment(
            id=key,
            name=f.text("name"),
            summary=f.text("summary"),
            description=f.text("description"),
            aim=f.text("aim"),
            performed_by=performed_by,
            bookable_as=_ids_in(f, "bookable_as", bookable, "bookable type"),
            screening=f.optional_text("screening"),
            sources=_sources(f),
            references=_references(f),
        )
        f.finish()
    root.finish()
    return treatments, clinic


def _label(directory: Traversable | None, name: str) -> str:
    return f"vagus/program/data/catalog/{name}" if directory is None else str(directory / name)


def _read_catalog(directory: Traversable | None) -> Catalog:
    folder = directory if directory is not None else data_dir() / "catalog"
    expected = {f"{exercise_id}.toml" for exercise_id in EXERCISE_IDS} | {CLINIC_FILE}
    present = {entry.name for entry in folder.iterdir() if entry.name.endswith(".toml")}
    for name in sorted(present - expected):
        raise DataFileError(
            _label(directory, name),
            "",
            f"unexpected file: the catalog holds {', '.join(sorted(expected))}",
        )
    for name in sorted(expected - present):
        raise DataFileError(_label(directory, name), "", "file not found")
    exercises = {
        exercise_id: _load_exercise(
            exercise_id,
            read_toml(folder / f"{exercise_id}.toml", _label(directory, f"{exercise_id}.toml")),
        )
        for exercise_id in EXERCISE_IDS
    }
    treatments, clinic = _load_clinic(
        read_toml(folder / CLINIC_FILE, _label(directory, CLINIC_FILE))
    )
    return Catalog(
        exercises=MappingProxyType(exercises),
        treatments=MappingProxyType(treatments),
        clinic=clinic,
    )


@functools.cache
def _default_catalog() -> Catalog:
    return _read_catalog(None)


def load_catalog(directory: Traversable | None = None) -> Catalog:
    """Read and validate the catalog.

    Parameters
    ----------
    directory : Traversable, optional
        A folder with the eight catalog files (for tests); by default the package's own
        ``data/catalog``, read once and cached.

    Raises
    ------
    DataFileError
        Naming the file and the key: unknown keys, texts missing ``nb`` or ``en``, steps with
        a different count in the two languages, unknown source numbers or reference ids,
        unknown clinician or bookable ids, a missing or unexpected file, invalid TOML.
    """
    return _default_catalog() if directory is None else _read_catalog(directory)
