"""The app's user errors: all derive from :class:`vagus.errors.UserError` and carry the field.

The faces map them once: :class:`NotFoundError` is a 404 on the web, :class:`ConflictError`
and :class:`RefusedError` are 409s (the request clashes with what is stored, or with the
person's screening or plan), every other :class:`UserError` a 400; on the CLI each is one
message and exit status 2.
"""

from __future__ import annotations

from vagus.errors import BusyError, UserError

__all__ = [
    "AppError",
    "BusyError",
    "ConflictError",
    "NotFoundError",
    "RefusedError",
    "UserError",
]


class AppError(UserError):
    """A user error at the app level (unknown exercise, bad override, unreadable export)."""


class NotFoundError(AppError):
    """An id that names nothing stored (a 404 on the web)."""


class ConflictError(AppError):
    """A request that clashes with what is stored, such as a step recorded twice (a 409)."""


class RefusedError(ConflictError):
    """A rule the person meets refuses the request: an exercise out of their plan, one that
    needs their clinician's clearance first, a sensor that cannot do what was asked.

    ``reason`` is the reason in both languages (``{"nb": ..., "en": ...}``), for the face to
    show in the person's language; the message itself is English, as every error message.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        reason: dict[str, str] | None = None,
        code: str = "refused",
    ) -> None:
        super().__init__(message, field)
        self.reason = reason or {"nb": message, "en": message}
        self.code = code
