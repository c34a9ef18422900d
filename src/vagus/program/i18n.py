"""Language: Norwegian bokmål or English, the UI strings, and the strict reader of our data files.

Every text a person reads exists in both languages. The program's content lives in TOML files in
``vagus/program/data`` and is read with :class:`Fields`, a strict view of one table: a key that is
not read is an error, and a text without both ``nb`` and ``en`` is an error, each naming the file
and the key. UI strings live in ``data/messages.toml`` and are fetched with :func:`t`.

>>> resolve_lang(None, {"LANG": "nb_NO.UTF-8"})
'nb'
>>> t("purpose.not_a_doctor", "en")
'vagus does not replace a doctor.'
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final, Literal, cast

from vagus.errors import UserError

Lang = Literal["nb", "en"]
#: The languages every text must exist in, in the order files list them.
LANGS: Final[tuple[Lang, ...]] = ("nb", "en")
#: The fallback when neither the setting nor the system locale asks for Norwegian.
DEFAULT_LANG: Final[Lang] = "en"
#: Precedence for the language of messages: the first non-empty one wins (POSIX.1-2017, XBD
#: chapter 8.2, "Internationalization Variables"; LANGUAGE, a GNU extension, comes first).
LOCALE_VARIABLES: Final[tuple[str, ...]] = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: ISO 639 codes that get bokmål: bokmål itself, nynorsk (closest written form we have) and the
#: macro-language code "no" that older systems use (no_NO).
NORWEGIAN_CODES: Final[frozenset[str]] = frozenset({"nb", "nn", "no"})
#: Settings that mean "follow the system locale".
AUTO_SETTINGS: Final[frozenset[str]] = frozenset({"", "auto"})


class DataFileError(UserError):
    """A data file of the program is broken: names the file, the key and what was expected.

    >>> str(DataFileError("catalog/neck.toml", "name", "missing the 'en' translation"))
    "catalog/neck.toml: name: missing the 'en' translation"
    """

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is ``"nb"`` or ``"en"``; otherwise raise ValueError naming it.

    >>> check_lang("nb")
    'nb'
    """
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def _lang_of_tag(tag: str) -> Lang | None:
    """The language of a locale name or language tag ("nb_NO.UTF-8@euro", "en-GB", "C"), or None.

    nb, nn and no, and any territory NO, give bokmål; en gives English; anything else is unknown.
    """
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    language, _, territory = base.partition("_")
    if language.lower() in NORWEGIAN_CODES or territory.upper() == "NO":
        return "nb"
    if language.lower() == "en":
        return "en"
    return None


def resolve_lang(setting: str | None, env: Mapping[str, str]) -> Lang:
    """The language to speak: the person's setting, else the system locale, else English.

    Parameters
    ----------
    setting : str or None
        The ``lang`` setting: ``"nb"`` or ``"en"`` (also ``"nn"``, ``"no"``, ``"nb_NO"``,
        ``"en_GB"``...); ``None``, ``""`` or ``"auto"`` follow the system.
    env : Mapping[str, str]
        The environment (``os.environ`` at the edge; a dict in tests). The first non-empty of
        LC_ALL, LC_MESSAGES and LANG is read, as POSIX orders them. Norwegian (nb, nn, no) or any
        locale of Norway (``*_NO``) gives ``"nb"``; everything else, ``C`` included, ``"en"``.

    Returns
    -------
    {"nb", "en"}

    Raises
    ------
    ValueError
        If the setting names a language vagus does not speak (a typo should not silently switch
        the language).

    Examples
    --------
    >>> resolve_lang("en", {"LANG": "nb_NO.UTF-8"})
    'en'
    >>> resolve_lang(None, {"LC_ALL": "", "LC_MESSAGES": "nn_NO", "LANG": "en_US.UTF-8"})
    'nb'
    >>> resolve_lang("auto", {"LANG": "se_NO.UTF-8"})
    'nb'
    >>> resolve_lang(None, {"LANG": "C.UTF-8"})
    'en'
    >>> resolve_lang(None, {"LANGUAGE": "nn:en", "LANG": "en_GB.UTF-8"})
    'nb'
    """
    if setting is not None and setting.strip().lower() not in AUTO_SETTINGS:
        lang = _lang_of_tag(setting)
        if lang is None:
            raise UserError(
                f"language setting {setting!r}: expected 'nb' or 'en' (or 'auto' to follow "
                "the system)"
            )
        return lang
    for variable in LOCALE_VARIABLES:
        # LANGUAGE is a list of preferences ("nn:en"): the first one counts.
        value = env.get(variable, "").split(":")[0].strip()
        if value and value not in ("C", "POSIX"):
            return _lang_of_tag(value) or DEFAULT_LANG
    return DEFAULT_LANG


@dataclass(frozen=True)
class Text:
    """One text in both languages.

    >>> Text(nb="Magepust", en="Belly breathing").get("nb")
    'Magepust'
    """

    nb: str
    en: str

    def get(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.nb if check_lang(lang) == "nb" else self.en


@dataclass(frozen=True)
class TextList:
    """An ordered list of texts in both languages (steps, tips...), the same length in each."""

    nb: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, lang: Lang) -> tuple[str, ...]:
        """The texts in ``lang``."""
        return self.nb if check_lang(lang) == "nb" else self.en


class Fields:
    """A strict view of one TOML table of a data file.

    Read each key with a typed accessor, then call :meth:`finish`: any key that was not read is
    an unknown key and raises :class:`DataFileError` naming the file and its dotted key. Texts
    (``name.nb = ...``, ``name.en = ...``) must have exactly ``nb`` and ``en``, non-empty.

    >>> f = Fields({"name": {"nb": "Nakke", "en": "Neck"}, "minutes": 5}, "x.toml")
    >>> f.text("name").en, f.integer("minutes", minimum=1)
    ('Neck', 5)
    >>> f.finish()
    """

    def __init__(self, data: Mapping[str, object], file: str, path: str = "") -> None:
        self._data = data
        self.file = file
        self.path = path
        self._read: set[str] = set()

    def key_path(self, key: str) -> str:
        """The dotted key of ``key`` in the file."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> DataFileError:
        """A :class:`DataFileError` for ``key`` of this table."""
        return DataFileError(self.file, self.key_path(key), problem)

    def names(self) -> list[str]:
        """The keys of this table, in file order."""
        return list(self._data)

    def has(self, key: str) -> bool:
        """Whether the table has ``key``."""
        return key in self._data

    def raw(self, key: str) -> object:
        """The value of ``key``, unchecked; a missing key is an error."""
        if key not in self._data:
            raise self.error(key, "missing")
        self._read.add(key)
        return self._data[key]

    def string(self, key: str) -> str:
        """A non-empty string."""
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty string, got {value!r}")
        return value

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """An integer, optionally within ``[minimum, maximum]``."""
        value = self.raw(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(key, f"expected an integer, got {value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else str(minimum)
            high = "" if maximum is None else str(maximum)
            raise self.error(key, f"expected an integer in {low}..{high}, got {value}")
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        """``true`` or ``false``; ``default`` when the key is absent (if given)."""
        if default is not None and key not in self._data:
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def strings(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A list of non-empty strings; ``default`` when the key is absent (if given)."""
        if default is not None and key not in self._data:
            return default
        value = self.raw(key)
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise self.error(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(value)

    def integers(self, key: str) -> tuple[int, ...]:
        """A list of integers."""
        value = self.raw(key)
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise self.error(key, f"expected a list of integers, got {value!r}")
        return tuple(value)

    def _lang_table(self, key: str) -> Mapping[str, object]:
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.error(
                key, "expected a text with 'nb' and 'en' (name.nb = ..., name.en = ...)"
            )
        for lang in LANGS:
            if lang not in value:
                raise self.error(key, f"missing the {lang!r} translation")
        unknown = sorted(set(value) - set(LANGS))
        if unknown:
            raise DataFileError(
                self.file,
                f"{self.key_path(key)}.{unknown[0]}",
                "unknown key (a text has only 'nb' and 'en')",
            )
        return cast(Mapping[str, object], value)

    def text(self, key: str) -> Text:
        """A text with non-empty ``nb`` and ``en``."""
        table = self._lang_table(key)
        texts: dict[str, str] = {}
        for lang in LANGS:
            value = table[lang]
            if not isinstance(value, str) or not value.strip():
                raise DataFileError(
                    self.file, f"{self.key_path(key)}.{lang}", "expected a non-empty string"
                )
            texts[lang] = value
        return Text(nb=texts["nb"], en=texts["en"])

    def optional_text(self, key: str) -> Text | None:
        """A text, or None when the key is absent."""
        return self.text(key) if key in self._data else None

    def text_list(self, key: str, *, allow_empty: bool = False) -> TextList:
        """Lists of non-empty texts, the same length in ``nb`` and ``en`` (item k translates k)."""
        table = self._lang_table(key)
        lists: dict[str, tuple[str, ...]] = {}
        for lang in LANGS:
            value = table[lang]
            if not isinstance(value, list) or not all(
                isinstance(item, str) and item.strip() for item in value
            ):
                raise DataFileError(
                    self.file,
                    f"{self.key_path(key)}.{lang}",
                    "expected a list of non-empty strings",
                )
            lists[lang] = tuple(value)
        if len(lists["nb"]) != len(lists["en"]):
            raise self.error(
                key,
                f"nb has {len(lists['nb'])} items and en has {len(lists['en'])}: "
                "each item needs both translations",
            )
        if not lists["nb"] and not allow_empty:
            raise self.error(key, "expected at least one item")
        return TextList(nb=lists["nb"], en=lists["en"])

    def table(self, key: str) -> Fields:
        """A sub-table, as a strict view of its own (call its :meth:`finish` too)."""
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {value!r}")
        return Fields(cast(Mapping[str, object], value), self.file, self.key_path(key))

    def tables(self, key: str) -> dict[str, Fields]:
        """A table of named sub-tables (``[treatments.laser]``...), in file order."""
        outer = self.table(key)
        inner = {name: outer.table(name) for name in outer.names()}
        outer.finish()
        return inner

    def table_list(self, key: str) -> list[Fields]:
        """An array of tables (``[[bands]]``), each as a strict view."""
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(key, "expected an array of tables ([[...]])")
        return [
            Fields(cast(Mapping[str, object], item), self.file, f"{self.key_path(key)}[{index}]")
            for index, item in enumerate(value)
        ]

    def finish(self) -> None:
        """Raise :class:`DataFileError` for the first key that was never read."""
        unknown = [key for key in self._data if key not in self._read]
        if unknown:
            raise self.error(unknown[0], "unknown key")


def data_dir() -> Traversable:
    """The package's own data folder, ``vagus/program/data`` (read through importlib.resources)."""
    return files("vagus.program") / "data"


def read_toml(resource: Traversable, label: str | None = None) -> Fields:
    """Parse one TOML data file into a strict :class:`Fields` view.

    Parameters
    ----------
    resource : Traversable
        The file (a package resource or a ``pathlib.Path``).
    label : str, optional
        How error messages name the file; default its path.

    Raises
    ------
    DataFileError
        If the file is missing, not UTF-8, or not valid TOML (the message has the line).
    """
    name = label or str(resource)
    try:
        source = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(name, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(name, "", f"not UTF-8 text ({exc.reason})") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(name, "", f"not valid TOML: {exc}") from None
    return Fields(data, name)


def placeholders(template: str) -> frozenset[str]:
    """The ``{field}`` names a message uses.

    >>> sorted(placeholders("{exercise}: ask your clinician first ({condition})."))
    ['condition', 'exercise']
    """
    names = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(template):
        if field is not None:
            names.add(field)
    return frozenset(names)


@dataclass(frozen=True)
class Messages:
    """The UI strings: dotted keys, each in nb and en with the same ``{fields}``."""

    texts: Mapping[str, Text]

    def get(self, key: str, lang: Lang, **fields: object) -> str:
        """The message ``key`` in ``lang`` with ``fields`` filled in; see :func:`t`."""
        try:
            text = self.texts[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in messages.toml") from None
        template = text.get(lang)
        try:
            return template.format(**fields)
        except KeyError as exc:
            raise KeyError(f"message {key!r} needs the field {exc.args[0]!r}") from None

    def fields(self, key: str) -> frozenset[str]:
        """The ``{field}`` names message ``key`` needs."""
        return placeholders(self.texts[key].en)


def _flatten(table: Fields, prefix: str) -> Iterator[tuple[str, Text]]:
    for key in table.names():
        dotted = f"{prefix}.{key}" if prefix else key
        value = table.raw(key)
        if not isinstance(value, dict):
            raise table.error(key, "expected a message (key.nb = ..., key.en = ...) or a group")
        if set(value) & set(LANGS):
            yield dotted, table.text(key)
        else:
            group = table.table(key)
            yield from _flatten(group, dotted)
            group.finish()
    table.finish()


def load_messages(resource: Traversable | None = None) -> Messages:
    """Read and validate ``messages.toml`` (or another file, for tests).

    Every message needs ``nb`` and ``en``, both with the same ``{field}`` names, each a plain
    name (``{exercise}``, never ``{}`` or ``{0}``).

    Raises
    ------
    DataFileError
        Naming the file and the dotted key of the first broken message.
    """
    path = resource if resource is not None else data_dir() / "messages.toml"
    label = str(path) if resource is not None else "vagus/program/data/messages.toml"
    root = read_toml(path, label)
    texts: dict[str, Text] = {}
    for key, text in _flatten(root, ""):
        try:
            fields = {lang: placeholders(text.get(lang)) for lang in LANGS}
        except ValueError as exc:
            raise DataFileError(label, key, f"bad {{field}} in the text: {exc}") from None
        if fields["nb"] != fields["en"]:
            raise DataFileError(
                label,
                key,
                f"nb uses the fields {sorted(fields['nb'])} and en {sorted(fields['en'])}: "
                "they must be the same",
            )
        bad = sorted(name for name in fields["en"] if not name.isidentifier())
        if bad:
            raise DataFileError(label, key, f"fields must be names like {{exercise}}, got {bad}")
        texts[key] = text
    return Messages(texts)


@functools.cache
def _messages() -> Messages:
    return load_messages()


def t(key: str, lang: Lang, **fields: object) -> str:
    """A UI string from ``messages.toml`` in ``lang``, with ``{fields}`` filled in.

    Parameters
    ----------
    key : str
        The dotted key, e.g. ``"screening.reason.clinician"``.
    lang : {"nb", "en"}
    **fields
        Values for the message's ``{placeholders}``; extra ones are ignored.

    Raises
    ------
    KeyError
        If there is no such message (the error names the key), or a field is missing.
    ValueError
        If ``lang`` is not nb or en.

    Examples
    --------
    >>> t("purpose.not_a_doctor", "nb")
    'vagus erstatter ikke lege.'
    >>> t("no.such.key", "en")
    Traceback (most recent call last):
    KeyError: "no message 'no.such.key' in messages.toml"
    """
    return _messages().get(key, lang, **fields)


def message_keys() -> tuple[str, ...]:
    """Every message key, in file order."""
    return tuple(_messages().texts)


def message_fields(key: str) -> frozenset[str]:
    """The ``{field}`` names message ``key`` needs (KeyError naming it if there is none)."""
    messages = _messages()
    if key not in messages.texts:
        raise KeyError(f"no message {key!r} in messages.toml")
    return messages.fields(key)


#: The field of a user error that holds English technical detail: shown after the message,
#: marked as English, never filled into the text.
DETAIL_FIELD: Final[str] = "detail"


def unit_label(unit: str, lang: Lang) -> str:
    """A unit as a reader of ``lang`` writes it ("bpm" is "slag/min" in Norwegian); a unit
    without a translation (ms, Hz, %) is the same in both.

    >>> unit_label("bpm", "nb"), unit_label("ms", "nb"), unit_label("count", "en")
    ('slag/min', 'ms', 'count')
    """
    key = f"units.{unit.replace('/', '_per_').replace('.', '_')}"
    return t(key, lang) if key in _messages().texts else unit


def _error_field(name: str, value: object, lang: Lang) -> str:
    if name == "unit" and isinstance(value, str):
        return unit_label(value, lang)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_number(float(value), lang, 0 if float(value).is_integer() else None)


def error_text(error: UserError, lang: Lang) -> str | None:
    """A user error in ``lang`` from its message key (``errors.*``), numbers formatted for the
    language; None when it has no key (the face then shows the English message).

    >>> error = UserError("calm: 11 is outside", "calm", key="errors.rating_range", value=11,
    ...                   low=0, high=10)
    >>> error_text(error, "nb")
    'Velg et helt tall fra 0 til 10 (du skrev 11).'
    >>> error_text(UserError("no key"), "nb") is None
    True
    """
    if error.key is None or error.key not in _messages().texts:
        return None
    fields = {
        name: _error_field(name, value, lang)
        for name, value in error.fields.items()
        if name != DETAIL_FIELD
    }
    try:
        return t(error.key, lang, **fields)
    except KeyError:
        return None


#: The Babel locale of each language: numbers and dates as a reader of that language expects
#: them (Norwegian bokmål writes a decimal comma and a space between thousands).
BABEL_LOCALES: Final[Mapping[str, str]] = {"nb": "nb_NO", "en": "en_GB"}


def format_number(value: float | None, lang: Lang, decimals: int | None = 0) -> str:
    """A number for a person in ``lang``, with ``decimals`` digits after the separator (None:
    as many as needed, up to 3, like ``%g``).

    None and non-finite values are shown as an en dash.

    >>> format_number(3.456, "nb", 2), format_number(3.456, "en", 2)
    ('3,46', '3.46')
    >>> format_number(12345.0, "nb"), format_number(12345.0, "en"), format_number(None, "en")
    ('12\\xa0345', '12,345', '–')
    >>> format_number(2.0, "nb", None), format_number(4.5, "nb", None)
    ('2', '4,5')
    >>> format_number(1e308, "en"), format_number(-1.5e20, "nb")  # too large to write out
    ('1E308', '-1,5E20')
    """
    import math

    from babel.numbers import format_decimal, format_scientific

    if value is None or not math.isfinite(value):
        return "–"
    locale = BABEL_LOCALES[check_lang(lang)]
    if abs(value) >= _SCIENTIFIC_FROM:
        # Babel rounds in the current decimal context (28 digits): a large float's whole part
        # (1e308 has 309 digits) raised InvalidOperation, a 500 for an error message that
        # echoed a huge number a person sent (issue 11's API fuzz); nor could a person read it.
        return str(format_scientific(value, format="0.###E0", locale=locale))
    if decimals is None:
        pattern = "#,##0.###"
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return str(format_decimal(value, format=pattern, locale=locale))


#: From this magnitude on a number is written in scientific notation (1E15: no physiological
#: value comes near it; only a typing error or a fuzzer does).
_SCIENTIFIC_FROM: Final = 1e15


def format_significant(value: float | None, lang: Lang, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (at least the whole part), in ``lang``.

    >>> format_significant(0.12345, "nb"), format_significant(3.456, "en")
    ('0,123', '3.46')
    >>> format_significant(1234.5, "en")
    '1,234'
    """
    import math

    if value is None or not math.isfinite(value) or value == 0:
        return format_number(value, lang, 0)
    magnitude = math.floor(math.log10(abs(value)))
    return format_number(value, lang, max(0, digits - 1 - magnitude))
