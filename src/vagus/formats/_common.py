"""Shared pieces of the readers: the error type, the format names, reading files safely.

Every reader turns untrusted bytes into a :class:`~vagus.formats.Recording` or raises
:class:`FormatError`, a :class:`vagus.hrv.RrDataError`, whose message names the file, the line,
record or field where the problem is, and what was expected. The CLI turns it into exit status 2.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Final, Literal

from vagus.hrv import RrDataError

#: The formats :func:`vagus.formats.load` reads, by the name ``detect`` returns.
FORMATS: Final[tuple[str, ...]] = (
    "rr-text",
    "polar",
    "elite-hrv",
    "hrv-logger",
    "kubios",
    "fit",
    "edf",
    "wfdb",
    "apple-health",
)

#: The formats that are text tables or lists (they take ``unit`` and ``column``).
TEXT_FORMATS: Final[frozenset[str]] = frozenset(
    {"rr-text", "polar", "elite-hrv", "hrv-logger", "kubios"}
)

Kind = Literal["rr", "ecg", "ppg"]

#: Bytes read to recognise a format: the FIT, EDF and ZIP magic sit in the first bytes, and the
#: DOCTYPE of an Apple Health export.xml (about 10 kB of DTD) names ``HealthData`` first.
SNIFF_BYTES: Final[int] = 64 * 1024


class FormatError(RrDataError):
    """A file that cannot be read as the format it is (or claims to be).

    The message is complete and meant for the user: it names the file, the line, record or field
    where the problem is, and what was expected.

    >>> from vagus.hrv import RrDataError
    >>> issubclass(FormatError, RrDataError)
    True
    """


def check_file(path: Path) -> None:
    """Raise :class:`FormatError` unless ``path`` is a readable regular file."""
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder; expected a recording file")


def read_bytes(path: Path) -> bytes:
    """The whole file, or a :class:`FormatError` naming it."""
    check_file(path)
    try:
        return path.read_bytes()
    except OSError as error:
        raise FormatError(f"{path}: cannot be read ({error.strerror or error})") from None


def read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of the file, or a :class:`FormatError` naming it."""
    check_file(path)
    try:
        with path.open("rb") as file:
            return file.read(size)
    except OSError as error:
        raise FormatError(f"{path}: cannot be read ({error.strerror or error})") from None


def decode_text(raw: bytes, source: str) -> str:
    """Decode a text export: UTF-16 by its byte-order mark, else UTF-8, else Latin-1.

    Spreadsheet programs save "Unicode text" as UTF-16 with a BOM; phones write UTF-8; old
    Windows tools write Latin-1 (every byte is valid there, so it is the last resort). A NUL
    byte anywhere else means a binary file, which no text export holds.

    >>> decode_text(b"812\\n798\\n", "x.txt")
    '812\\n798\\n'
    >>> decode_text(codecs.BOM_UTF16_LE + "812".encode("utf-16-le"), "x.txt")
    '812'
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError(
                f"{source}: starts like UTF-16 text but is not valid UTF-16; expected a text "
                f"export of RR intervals"
            ) from None
    if b"\x00" in raw:
        raise FormatError(
            f"{source}: is a binary file of a kind vagus does not know; expected RR intervals "
            f"as text, or a FIT, EDF/BDF, WFDB or Apple Health file",
            key="errors.unknown_format",
            source=source,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def shorten(text: str, limit: int = 40) -> str:
    """A cell or value cut to ``limit`` characters for an error message.

    >>> shorten("x" * 50, 10)
    'xxxxxxx...'
    """
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
