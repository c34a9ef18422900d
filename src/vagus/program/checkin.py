"""Daily check-ins, calm ratings and after-session feedback: validated plain values.

The daily check-in rates the six signs PROGRAM.md lists for an under-active vagus (sleep
problems, headache, digestive complaints, anxiety, pain, fatigue) on 0-10 rating scales, which
SAFETY.md lists among the measures free to build in.

Direction. Every rating is 0-10, and for all of them but one **higher is worse**: 0 means none
and 10 the worst imaginable headache, digestive trouble, anxiety, pain or fatigue. Sleep is the
exception because people rate their sleep, not their sleep problem: **higher sleep is better**
(0 = no sleep or very poor, 10 = very good). :meth:`CheckIn.burden` turns every rating into the
"higher is worse" direction (``10 - sleep`` for sleep), and the gradual plan compares burdens.

>>> from datetime import datetime
>>> c = CheckIn(sleep=7, headache=2, digestion=1, anxiety=3, pain=4, fatigue=6,
...             at=datetime(2025, 3, 3, 8, 0))
>>> c.burden("sleep"), c.burden("fatigue")
(3, 6)
>>> CheckIn(sleep=7, headache=11, digestion=1, anxiety=3, pain=4, fatigue=6,
...         at=datetime(2025, 3, 3))
Traceback (most recent call last):
...
vagus.errors.UserError: headache: 11 is outside the rating range 0-10 (0 = none, 10 = worst)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from vagus.errors import UserError
from vagus.program.i18n import Lang

Field = Literal["sleep", "headache", "digestion", "anxiety", "pain", "fatigue"]
#: The six check-in ratings, in the order they are asked.
FIELDS: Final[tuple[Field, ...]] = ("sleep", "headache", "digestion", "anxiety", "pain", "fatigue")
#: Ratings where a higher value is better; for every other field higher is worse.
HIGHER_IS_BETTER: Final[frozenset[Field]] = frozenset({"sleep"})
#: Bounds of every 0-10 rating scale.
RATING_MIN: Final[int] = 0
RATING_MAX: Final[int] = 10
#: A note is a few sentences, not a diary; longer text belongs in the journal's own notes.
MAX_NOTE_CHARS: Final[int] = 2000
_SYMPTOM_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

#: What each rating asks, in nb and en (labels; the scale's ends are in :data:`SCALE_ENDS`).
LABELS: Final[Mapping[Field, Mapping[Lang, str]]] = {
    "sleep": {"nb": "søvn", "en": "sleep"},
    "headache": {"nb": "hodepine", "en": "headache"},
    "digestion": {"nb": "mageplager", "en": "digestive trouble"},
    "anxiety": {"nb": "angst", "en": "anxiety"},
    "pain": {"nb": "smerte", "en": "pain"},
    "fatigue": {"nb": "utmattelse", "en": "fatigue"},
}
#: The definite form used in sentences ("utmattelsen var 7"; English needs no article).
LABELS_DEFINITE: Final[Mapping[Field, Mapping[Lang, str]]] = {
    "sleep": {"nb": "søvnen", "en": "sleep"},
    "headache": {"nb": "hodepinen", "en": "headache"},
    "digestion": {"nb": "mageplagene", "en": "digestive trouble"},
    "anxiety": {"nb": "angsten", "en": "anxiety"},
    "pain": {"nb": "smerten", "en": "pain"},
    "fatigue": {"nb": "utmattelsen", "en": "fatigue"},
}
#: What 0 and 10 mean on each scale.
SCALE_ENDS: Final[Mapping[Field, Mapping[Lang, tuple[str, str]]]] = {
    "sleep": {"nb": ("svært dårlig", "svært god"), "en": ("very poor", "very good")},
    **{
        f: {"nb": ("ingen", "verst tenkelig"), "en": ("none", "worst imaginable")}
        for f in ("headache", "digestion", "anxiety", "pain", "fatigue")
    },
}


def check_rating(name: str, value: object, *, higher_is_better: bool = False) -> int:
    """Return ``value`` if it is a whole number in 0-10, else raise ValueError naming the field.

    >>> check_rating("pain", 4)
    4
    >>> check_rating("calm", 10.5)
    Traceback (most recent call last):
    ...
    vagus.errors.UserError: calm: 10.5 is not a whole number 0-10
    """
    ends = "0 = worst, 10 = best" if higher_is_better else "0 = none, 10 = worst"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{name}: expected a whole number 0-10 ({ends}), got {value!r}")
    if value != int(value):
        raise UserError(
            f"{name}: {value!r} is not a whole number 0-10",
            name,
            key="errors.rating_whole",
            value=value,
            low=RATING_MIN,
            high=RATING_MAX,
        )
    if not RATING_MIN <= value <= RATING_MAX:
        raise UserError(
            f"{name}: {value:g} is outside the rating range {RATING_MIN}-{RATING_MAX} ({ends})",
            name,
            key="errors.rating_range",
            value=value,
            low=RATING_MIN,
            high=RATING_MAX,
        )
    return int(value)


def _check_note(note: object, name: str = "note") -> str:
    if not isinstance(note, str):
        raise UserError(f"{name}: expected text, got {note!r}")
    if len(note) > MAX_NOTE_CHARS:
        raise UserError(f"{name}: {len(note)} characters; at most {MAX_NOTE_CHARS}")
    return note


@dataclass(frozen=True)
class CheckIn:
    """A daily check-in: six 0-10 ratings, a note and when it was made.

    Parameters
    ----------
    sleep : int
        Last night's sleep, 0 (very poor) to 10 (very good): **higher is better**.
    headache, digestion, anxiety, pain, fatigue : int
        0 (none) to 10 (worst imaginable): **higher is worse**.
    at : datetime
        When the check-in was made.
    note : str
        Free text, at most 2000 characters.

    Raises
    ------
    ValueError
        A rating that is not a whole number 0-10 (naming the field and the range), a note that is
        not text or too long, or ``at`` that is not a datetime.
    """

    sleep: int
    headache: int
    digestion: int
    anxiety: int
    pain: int
    fatigue: int
    at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        for name in FIELDS:
            value = check_rating(
                name, getattr(self, name), higher_is_better=name in HIGHER_IS_BETTER
            )
            object.__setattr__(self, name, value)
        if not isinstance(self.at, datetime):
            raise UserError(f"at: expected a datetime, got {self.at!r}")
        _check_note(self.note)

    def rating(self, name: Field) -> int:
        """The rating as entered."""
        value: int = getattr(self, name)
        return value

    def burden(self, name: Field) -> int:
        """The rating turned so that higher is worse: ``10 - sleep`` for sleep, else as entered."""
        value = self.rating(name)
        return RATING_MAX - value if name in HIGHER_IS_BETTER else value

    def ratings(self) -> dict[Field, int]:
        """All six ratings as entered."""
        return {name: self.rating(name) for name in FIELDS}


@dataclass(frozen=True)
class CalmRating:
    """How calm the person feels, 0 (not at all) to 10 (completely calm): higher is better.

    Asked before and after a session, so the journal can show what each exercise does for them.

    >>> CalmRating(6).value
    6
    """

    value: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_rating("calm", self.value, higher_is_better=True))


@dataclass(frozen=True)
class SessionFeedback:
    """What the person says after a session.

    Parameters
    ----------
    felt : str
        How it felt, free text (may be empty).
    symptoms : tuple of str
        Ids of symptoms noticed during or after the session (for example the exercise's stop-rule
        symptoms, ``"dizziness"``); lower-case words joined by hyphens, no duplicates. The
        safety rules own the list of ids; this checks their form only.
    calm_before, calm_after : CalmRating or None
        Calm ratings, when asked.

    >>> SessionFeedback("lighter", ("tingling",), CalmRating(4), CalmRating(7)).calm_change
    3
    >>> SessionFeedback(symptoms=("Dizzy Spell",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vagus.errors.UserError: symptoms: 'Dizzy Spell' is not a symptom id (lower-case words ...)
    """

    felt: str = ""
    symptoms: tuple[str, ...] = field(default=())
    calm_before: CalmRating | None = None
    calm_after: CalmRating | None = None

    def __post_init__(self) -> None:
        _check_note(self.felt, "felt")
        symptoms = tuple(self.symptoms)
        for s in symptoms:
            if not isinstance(s, str) or not _SYMPTOM_ID.match(s):
                raise UserError(
                    f"symptoms: {s!r} is not a symptom id (lower-case words joined by '-')"
                )
        if len(set(symptoms)) != len(symptoms):
            raise UserError(f"symptoms: listed twice in {symptoms!r}")
        object.__setattr__(self, "symptoms", symptoms)

    @property
    def calm_change(self) -> int | None:
        """``calm_after - calm_before`` when both were asked, else None."""
        if self.calm_before is None or self.calm_after is None:
            return None
        return self.calm_after.value - self.calm_before.value
