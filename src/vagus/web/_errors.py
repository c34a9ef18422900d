"""The one mapping from the app's user errors to HTTP statuses.

Only :class:`vagus.errors.UserError` is a user error (``vagus.app`` re-exports it):
:class:`~vagus.app.NotFoundError` is a 404, :class:`~vagus.app.ConflictError` (and its
:class:`~vagus.app.RefusedError`) a 409, :class:`TooLargeError` a 413,
:class:`SensorUnavailableError` a 503, every other a 400.
Anything else is a bug: a 500 with a log line (see :func:`vagus.web.create_app`).
"""

from __future__ import annotations

from typing import Any

from vagus.app import AppError, ConflictError, NotFoundError, RefusedError, UserError
from vagus.program import Lang


class TooLargeError(AppError):
    """A request body larger than the server reads (413)."""


class SensorUnavailableError(AppError):
    """The server's sensor could not be reached (503)."""


def status_of(error: UserError) -> int:
    """The HTTP status of a user error."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, TooLargeError):
        return 413
    if isinstance(error, SensorUnavailableError):
        return 503
    return 400


def error_body(error: UserError, lang: Lang) -> dict[str, Any]:
    """The JSON of a refused API request: ``{"error", "field"}``, and for a rule that refused
    it (:class:`~vagus.app.RefusedError`) its ``code`` and ``reason`` in ``lang``."""
    body: dict[str, Any] = {"error": str(error)}
    if error.field is not None:
        body["field"] = error.field
    if isinstance(error, RefusedError):
        body["code"] = error.code
        body["reason"] = error.reason.get(lang, str(error))
    return body
