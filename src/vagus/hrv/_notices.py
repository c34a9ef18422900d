"""Notices: the warnings of an analysis, each with a code and named fields, in nb and en.

A :class:`Notice` *is* its English text (a ``str``), so ``HrvReport.warnings``, a recording's
warnings and the JSON of ``vagus hrv --json`` keep their shape; its ``code`` and ``fields`` let a
face show it in the person's language from ``notices_messages.toml`` (:func:`notice_text`),
with numbers formatted for that language. A field may itself be a notice (rendered in the same
language) or a sequence of notices (joined with commas).

>>> n = Notice("hrv.undefined.not_finite", "lf_hf: undefined for this recording", index="lf_hf")
>>> n == "lf_hf: undefined for this recording", n.code
(True, 'hrv.undefined.not_finite')
>>> notice_text(n, "nb")
'lf_hf: ikke definert for dette opptaket.'
>>> notice_text("a plain English warning", "nb")
'a plain English warning'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final, Self

if TYPE_CHECKING:
    from vagus.program.i18n import Lang, Messages

#: The catalog of every notice code, beside this module.
NOTICES_FILE: Final[str] = "notices_messages.toml"
#: Fields whose name ends so are shown with 3 significant digits (band edges, tolerances);
#: every other decimal number with at most one decimal.
SIGNIFICANT_SUFFIXES: Final[tuple[str, ...]] = ("_hz", "_ms")


class Notice(str):
    """A warning: its English text, plus a ``code`` (a key of the notices catalog) and the
    named ``fields`` that catalog's texts use."""

    code: str
    fields: Mapping[str, object]

    def __new__(cls, code: str, text: str, /, **fields: object) -> Self:
        self = super().__new__(cls, text)
        self.code = code
        self.fields = dict(fields)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, str(self), dict(self.fields)))

    def __repr__(self) -> str:
        return f"Notice({self.code!r}, {str(self)!r})"


def _rebuild(code: str, text: str, fields: dict[str, object]) -> Notice:
    return Notice(code, text, **fields)


def as_notice(warning: str) -> Notice:
    """``warning`` as a notice: itself when it is one, else a notice without a code (shown in
    English in every language).

    >>> as_notice("x").code
    ''
    """
    return warning if isinstance(warning, Notice) else Notice("", warning)


@functools.cache
def notice_messages() -> Messages:
    """The notices catalog (``vagus/hrv/notices_messages.toml``), read and checked once."""
    from vagus.program.i18n import load_messages  # the strict loader; program does not import hrv

    return load_messages(files("vagus.hrv") / NOTICES_FILE)


def _significant(value: float, lang: Lang, digits: int = 3) -> str:
    from babel.numbers import format_decimal

    from vagus.program.i18n import BABEL_LOCALES

    if value != 0:
        value = round(value, digits - 1 - math.floor(math.log10(abs(value))))
    return str(format_decimal(value, format="#,##0.######", locale=BABEL_LOCALES[lang]))


def _field_text(name: str, value: object, lang: Lang) -> str:
    from vagus.program.i18n import format_number

    if isinstance(value, str):
        return notice_text(value, lang)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_number(value, lang, 0)
    if isinstance(value, float):
        if not math.isfinite(value):
            return format_number(value, lang)
        if name.endswith(SIGNIFICANT_SUFFIXES):
            return _significant(value, lang)
        return format_number(value, lang, 0 if value.is_integer() else 1)
    if isinstance(value, Sequence):
        return ", ".join(_field_text(name, item, lang) for item in value)
    return str(value)


def notice_text(warning: str, lang: Lang) -> str:
    """The warning in ``lang``: from the catalog when it is a :class:`Notice` with a code, its
    fields formatted for ``lang``; otherwise the text itself (English).

    >>> notice_text(Notice("hrv.artifacts.corrected", "...", percent=12.34, limit_percent=5.0),
    ...             "nb")
    'Artefakter: 12,3 % av RR-intervallene ble korrigert (grensen er 5 %); indeksene er usikre.'
    """
    if not isinstance(warning, Notice) or warning.code not in notice_messages().texts:
        return str(warning)
    fields = {name: _field_text(name, value, lang) for name, value in warning.fields.items()}
    try:
        return notice_messages().get(warning.code, lang, **fields)
    except KeyError:  # a stored notice from an older catalog: its English text still reads
        return str(warning)


def _encode(value: object) -> object:
    if isinstance(value, Notice):
        return notice_to_json(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


def notice_to_json(notice: str) -> dict[str, Any]:
    """A warning as JSON: ``{"code", "text", "fields"}`` (nested notices likewise), to store
    beside an analysis and read back with :func:`notice_from_json`.

    >>> n = Notice("hrv.need.beats", "16 beats", beats=16)
    >>> back = notice_from_json(notice_to_json(n))
    >>> back == n, back.code, dict(back.fields)
    (True, 'hrv.need.beats', {'beats': 16})
    """
    notice = as_notice(notice)
    return {
        "code": notice.code,
        "text": str(notice),
        "fields": {name: _encode(value) for name, value in notice.fields.items()},
    }


def _decode(value: object) -> object:
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return notice_from_json(value)
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    return value


def notice_from_json(data: Mapping[str, Any]) -> Notice:
    """The warning :func:`notice_to_json` wrote; anything malformed keeps only its text (shown
    in English), so stored data never breaks a page."""
    text = str(data.get("text", ""))
    code = data.get("code")
    fields = data.get("fields")
    if not isinstance(code, str) or not isinstance(fields, Mapping):
        return Notice("", text)
    return Notice(code, text, **{str(k): _decode(v) for k, v in fields.items()})


def notice_codes() -> tuple[str, ...]:
    """Every code in the notices catalog, in file order."""
    return tuple(notice_messages().texts)


__all__ = [
    "Notice",
    "as_notice",
    "notice_codes",
    "notice_from_json",
    "notice_messages",
    "notice_text",
    "notice_to_json",
]
