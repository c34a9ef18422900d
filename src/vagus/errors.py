"""The one user-error base class.

Every error a person can cause (a bad file, a bad field, an unknown id, an exercise their
screening excludes) derives from :class:`UserError` and carries the field it is about. The CLI
(exit status 2) and the web (4xx with a JSON error) catch this class only, so anything else,
such as a numpy bug, is a bug: a 500 with a log line, a traceback on the terminal.
"""

from __future__ import annotations


class UserError(ValueError):
    """A user error: one message naming what was wrong and what was expected.

    ``field`` names the field (or file) it is about, when there is one. The message is English;
    ``key`` (a key of ``vagus/program/data/messages.toml``, ``errors.*``) and its named
    ``fields`` let a face say it in the person's language (``vagus.program.error_text``).

    >>> error = UserError("calm: expected 0-10, got 11", "calm", key="errors.rating", value=11)
    >>> str(error), error.field, error.key, error.fields
    ('calm: expected 0-10, got 11', 'calm', 'errors.rating', {'value': 11})
    """

    def __init__(
        self, message: str, field: str | None = None, *, key: str | None = None, **fields: object
    ) -> None:
        super().__init__(message)
        self.field = field
        self.key = key
        self.fields: dict[str, object] = dict(fields)


class BusyError(UserError):
    """Busy with another long write (an import, a recording being stored): nothing was
    changed, and the same request a little later will work. A 503 with ``Retry-After`` on the
    web; on the CLI one message, no traceback. The journal raises it when the database stays
    locked past its wait; the app re-exports it.

    >>> BusyError("journal: busy", "journal", retry_after_s=3).retry_after_s
    3
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        retry_after_s: int = 5,
        key: str | None = None,
        **fields: object,
    ) -> None:
        super().__init__(message, field, key=key, retry_after_s=retry_after_s, **fields)
        self.retry_after_s = retry_after_s
