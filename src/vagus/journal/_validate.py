"""Checks of everything that enters the journal, by the API or by an import.

Each check returns the clean value or raises :class:`JournalError` naming the field and what
was expected. The same checks guard :class:`~vagus.journal.Journal`'s methods and every row of
an imported file, so both refuse the same things.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from vagus.journal._errors import bad
from vagus.journal._models import CHECKIN_FIELDS, KEY_CHARS, MAX_SCALE, MIN_SCALE, NAME_CHARS

#: Longest free text (a note, feedback, a gratitude entry, a plan's reason): a long letter,
#: not a pasted file.
MAX_TEXT_CHARS: Final[int] = 20_000
#: Most symptom ids or tags on one entry.
MAX_LIST_ITEMS: Final[int] = 100
#: Most JSON text in one document (plan, params, answers, analysis): far above what vagus
#: writes (an HRV analysis is about 3 kB), far below what would slow the journal.
MAX_JSON_CHARS: Final[int] = 1_000_000
#: Longest RR interval accepted: the Heart Rate Measurement characteristic carries RR as uint16
#: in 1/1024 s, so 65535/1024 s = 64 s is the largest value a sensor can report
#: (Bluetooth SIG Heart Rate Service 1.0, section 3.1.1.5).
MAX_RR_MS: Final[float] = 65535 / 1024 * 1000
#: A symptom id: lower-case words joined by hyphens, as ``vagus.program``'s safety.toml spells
#: them (``chest-pain``).
SYMPTOM_ID: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
#: The largest row id: PostgreSQL's ``integer`` (the journal's id columns) ends at 2**31 - 1,
#: and a larger value would reach the database only to fail there (issue 11). SQLite's
#: integers go further, but a journal must import on either backend, so both keep to this.
MAX_ROW_ID: Final[int] = 2**31 - 1


def iso(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 text in UTC with its offset (the export's form), or None.

    >>> iso(datetime(2024, 5, 1, 7, 30, tzinfo=UTC))
    '2024-05-01T07:30:00+00:00'
    """
    if value is None:
        return None
    # The journal's columns hand back UTC already (UtcDateTime): skip the conversion, which
    # history() would otherwise pay once per time stamp.
    return (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat()


def scale(field: str, value: Any) -> int:
    """An integer rating from 0 to 10.

    >>> scale("calm", 7)
    7
    >>> scale("calm", 11)
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: calm: expected an integer from 0 to 10, got 11
    """
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCALE <= value <= MAX_SCALE:
        raise bad(field, f"an integer from {MIN_SCALE} to {MAX_SCALE}", value)
    return value


def optional_scale(field: str, value: Any) -> int | None:
    """A 0-10 rating, or None when the question was skipped."""
    return None if value is None else scale(field, value)


def aware(field: str, value: Any) -> datetime:
    """A timezone-aware datetime (any zone; the journal stores UTC)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise bad(field, "a timezone-aware datetime (for example datetime.now(UTC))", value)
    return value


def timestamp(field: str, value: Any) -> datetime:
    """An ISO 8601 text with a time-zone offset (the export's form), as a datetime."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    raise bad(field, "an ISO 8601 time with a time zone, like '2024-05-01T07:30:00+00:00'", value)


def optional_timestamp(field: str, value: Any) -> datetime | None:
    """An ISO 8601 time, or None."""
    return None if value is None else timestamp(field, value)


#: A NUL as JSON escapes it (``\u0000``), not preceded by an escaped backslash.
_JSON_NUL: Final = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def text(field: str, value: Any, *, max_chars: int = MAX_TEXT_CHARS, empty: bool = True) -> str:
    """A text of at most ``max_chars`` characters (and not blank when ``empty`` is False)."""
    if not isinstance(value, str) or len(value) > max_chars or (not empty and not value.strip()):
        what = "a text" if empty else "a non-empty text"
        raise bad(field, f"{what} of at most {max_chars} characters", value)
    if unstorable(value) is not None:
        raise bad(field, "a text without NUL characters or unpaired surrogates", value)
    return value


def unstorable(value: str) -> str | None:
    r"""Why the journal cannot store ``value`` or an answer echo it: ``"NUL"`` (PostgreSQL
    refuses NUL in text and in JSON, its docs 8.3 and 8.14), ``"surrogate"`` (a lone UTF-16
    surrogate is not UTF-8, RFC 3629), else None. The request models' ``Text`` asks the same
    (:func:`vagus.app.models.plain_text`).

    >>> unstorable("ok"), unstorable("a\x00b"), unstorable("\ud800")
    (None, 'NUL', 'surrogate')
    """
    if "\x00" in value:
        return "NUL"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def optional_text(field: str, value: Any) -> str | None:
    """A text, or None."""
    return None if value is None else text(field, value)


def name(field: str, value: Any, *, max_chars: int = NAME_CHARS) -> str:
    """A short, non-empty identifier such as an exercise id or a questionnaire name."""
    return text(field, value, max_chars=max_chars, empty=False)


def key(field: str, value: Any) -> str:
    """A setting key."""
    return name(field, value, max_chars=KEY_CHARS)


def optional_name(field: str, value: Any) -> str | None:
    """A short identifier, or None."""
    return None if value is None else name(field, value)


def names(field: str, value: Any) -> list[str]:
    """A list of short identifiers (symptom ids, tags).

    >>> names("tags", ("morning", "rest"))
    ['morning', 'rest']
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise bad(field, f"a list of at most {MAX_LIST_ITEMS} short texts", value)
    if len(value) > MAX_LIST_ITEMS:
        raise bad(field, f"a list of at most {MAX_LIST_ITEMS} short texts", value)
    return [name(f"{field}[{index}]", item) for index, item in enumerate(value)]


def symptom_ids(field: str, value: Any) -> list[str]:
    """A list of distinct, well-formed symptom ids (lower-case words joined by hyphens).

    What an import accepts: the ids a journal holds, including any a later vagus no longer
    lists, so that a backup always imports. New entries are checked by :func:`known_symptoms`.

    >>> symptom_ids("symptoms", ["chest-pain", "dizziness"])
    ['chest-pain', 'dizziness']
    >>> symptom_ids("symptoms", ["Chest pain"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: symptoms[0]: expected a symptom id (...), got 'Chest pain'
    """
    ids = names(field, value)
    for index, item in enumerate(ids):
        if not SYMPTOM_ID.fullmatch(item):
            raise bad(
                f"{field}[{index}]",
                "a symptom id (lower-case words joined by '-', like 'chest-pain')",
                item,
            )
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise bad(field, "each symptom id once", item)
        seen.add(item)
    return ids


@functools.cache
def _known_symptom_ids() -> frozenset[str]:
    # Imported here, not at the top: opening a journal need not read the safety catalog.
    from vagus.program.safety import symptoms

    return frozenset(symptom.id for symptom in symptoms("en"))


def known_symptoms(field: str, value: Any) -> list[str]:
    """Symptom ids as :func:`symptom_ids`, each one vagus knows (:mod:`vagus.program.safety`).

    The check of the symptoms a check-in reports.

    >>> known_symptoms("symptoms", ("dizziness",))
    ['dizziness']
    >>> known_symptoms("symptoms", ["chest-ache"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: symptoms: expected ids of the symptoms ..., got 'chest-ache'
    """
    ids = symptom_ids(field, value)
    known = _known_symptom_ids()
    for item in ids:
        if item not in known:
            raise bad(field, "ids of the symptoms vagus knows (vagus.program.safety)", item)
    return ids


#: What a check-in must hold (the "expected" of the error for an empty one).
CHECKIN_CONTENT: Final = f"at least one of {', '.join(CHECKIN_FIELDS)}, a note or a symptom"


def checkin_has_content(
    ratings: Mapping[str, int | None], note: str | None, symptoms: Sequence[str]
) -> bool:
    """A check-in holds a rating, a non-blank note or a symptom (the API's and import's rule).

    >>> checkin_has_content({"sleep": None}, " ", ["dizziness"])
    True
    """
    return any(value is not None for value in ratings.values()) or bool(
        (note or "").strip() or symptoms
    )


def document(field: str, value: Any) -> Any:
    """A JSON document: dicts with text keys, lists, texts, finite numbers, booleans, null.

    The value is returned as JSON would give it back (tuples become lists), so what the journal
    stores and what it returns are equal.
    """
    try:
        encoded = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        raise bad(
            field, "a JSON document (dicts, lists, texts, finite numbers, booleans)", value
        ) from None
    if len(encoded) > MAX_JSON_CHARS:
        raise bad(field, f"a JSON document of at most {MAX_JSON_CHARS} characters", value)
    if _JSON_NUL.search(encoded) or unstorable(encoded) is not None:
        raise bad(field, "a JSON document without NUL characters or unpaired surrogates", value)
    for item in _dict_keys(value):
        if not isinstance(item, str):
            raise bad(field, "a JSON document whose keys are texts", value)
    return json.loads(encoded)


def _dict_keys(value: Any) -> list[Any]:
    keys: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return keys


def mapping(field: str, value: Any) -> dict[str, Any]:
    """A JSON object (a dict)."""
    if not isinstance(value, dict):
        raise bad(field, "a JSON object (a dict)", value)
    result: dict[str, Any] = document(field, value)
    return result


def optional_mapping(field: str, value: Any) -> dict[str, Any] | None:
    """A JSON object, or None."""
    return None if value is None else mapping(field, value)


def number(field: str, value: Any, *, minimum: float | None = None) -> float:
    """A finite number (at least ``minimum`` when given)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (minimum is not None and value < minimum):
        expected = "a finite number" if minimum is None else f"a finite number >= {minimum:g}"
        raise bad(field, expected, value)
    return float(value)


def choice(field: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices``.

    >>> choice("moment", "during", ("before", "after"))
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: moment: expected one of 'before', 'after', got 'during'
    """
    if not isinstance(value, str) or value not in choices:
        raise bad(field, "one of " + ", ".join(repr(item) for item in choices), value)
    return value


def row_id(field: str, value: Any) -> int:
    """A positive integer id, at most :data:`MAX_ROW_ID`.

    >>> row_id("id", 2**31)
    Traceback (most recent call last):
    ...
    vagus.journal._errors.JournalError: id: expected an id of at most 2147483647, got 2147483648
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad(field, "a positive integer id", value)
    if value > MAX_ROW_ID:
        raise bad(field, f"an id of at most {MAX_ROW_ID}", value)
    return value


def optional_row_id(field: str, value: Any) -> int | None:
    """An id, or None."""
    return None if value is None else row_id(field, value)


def after(field: str, value: datetime, start: datetime, start_field: str) -> datetime:
    """A time no earlier than ``start``."""
    if value < start:
        raise bad(
            field, f"a time at or after {start_field} ({start.isoformat()})", value.isoformat()
        )
    return value


def rr_intervals(field: str, values: Any) -> list[float]:
    """RR intervals in ms: finite, above 0 and at most 64 s (what a sensor can send)."""
    if isinstance(values, str | bytes):
        raise bad(field, "a sequence of RR intervals in ms", values)
    try:
        items = list(values)
    except TypeError:
        raise bad(field, "a sequence of RR intervals in ms", values) from None
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            raise bad(f"{field}[{index}]", "an RR interval in ms (a number)", item)
    result = [float(item) for item in items]
    for index, item in enumerate(result):
        if not (math.isfinite(item) and 0 < item <= MAX_RR_MS):
            raise bad(
                f"{field}[{index}]", f"an RR interval above 0 and at most {MAX_RR_MS:.2f} ms", item
            )
    return result
