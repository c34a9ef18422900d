"""The journal's one user error."""

from __future__ import annotations

from typing import Any, Final

from vagus.errors import UserError

#: How much of a bad value an error message quotes.
MAX_QUOTED_CHARS: Final[int] = 80


class JournalError(UserError):
    """Bad input to the journal: the message names the field and what was expected.

    Whenever it is raised, the journal is unchanged (every call is one transaction).

    Attributes
    ----------
    field : str or None
        The field (or export path, such as ``sessions[2].status``) that was wrong.
    """

    def __init__(
        self, message: str, *, field: str | None = None, key: str | None = None, **fields: object
    ) -> None:
        super().__init__(message, field, key=key, **fields)


def quoted(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_QUOTED_CHARS` characters.

    >>> len(quoted("x" * 100)), quoted("x" * 100)[-4:]
    (80, 'x...')
    """
    text = repr(value)
    if len(text) > MAX_QUOTED_CHARS:
        return text[: MAX_QUOTED_CHARS - 3] + "..."
    return text


def bad(field: str, expected: str, got: Any) -> JournalError:
    """The error for a field that is not what was expected.

    >>> str(bad("calm", "an integer from 0 to 10", 11))
    'calm: expected an integer from 0 to 10, got 11'
    """
    return JournalError(f"{field}: expected {expected}, got {quoted(got)}", field=field)
