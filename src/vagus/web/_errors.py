"""The one mapping from the app's user errors to HTTP statuses.

Only :class:`vagus.errors.UserError` is a user error (``vagus.app`` re-exports it):
:class:`~vagus.app.NotFoundError` is a 404, :class:`~vagus.app.ConflictError` (and its
:class:`~vagus.app.RefusedError`) a 409, :class:`TooLargeError` a 413,
:class:`SensorUnavailableError` and :class:`~vagus.app.BusyError` a 503 (the latter with
``Retry-After``), every other a 400.
Anything else is a bug: a 500 with a log line (see :func:`vagus.web.create_app`).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from vagus.app import (
    AppError,
    BusyError,
    ConflictError,
    NotFoundError,
    RefusedError,
    UserError,
)
from vagus.program import Lang, error_text, t


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
    if isinstance(error, (SensorUnavailableError, BusyError)):
        return 503
    return 400


def _parts(error: UserError, lang: Lang) -> tuple[str, str | None]:
    """The message in ``lang`` and the English detail that follows it (None: no detail)."""
    if isinstance(error, RefusedError) and lang in error.reason:
        return error.reason[lang], None
    text = error_text(error, lang)
    detail = error.fields.get("detail")
    if text is not None:
        return text, str(detail) if detail else None
    if lang == "en":
        return str(error), None
    # No message key: a sentence in the person's language, then the technical English detail.
    return t("errors.lead", lang), str(error)


def error_message(error: UserError, lang: Lang) -> str:
    """A user error as plain text in ``lang`` (the API's ``message``): from its message key,
    else, in Norwegian, a Norwegian lead sentence followed by the English message.

    >>> error_message(UserError("file: the file is empty", "file", key="errors.file_empty"), "nb")
    'Filen er tom.'
    >>> error_message(UserError("x: expected y"), "nb")
    'Det du sendte inn, ble ikke godtatt: x: expected y'
    """
    text, detail = _parts(error, lang)
    return text if detail is None else f"{text} {detail}"


def error_html(error: UserError, lang: Lang) -> Markup:
    """A user error for a page in ``lang``: as :func:`error_message`, with English detail on a
    Norwegian page inside ``<span lang="en">`` so a screen reader reads it as English.

    >>> str(error_html(UserError("x: expected <y>"), "nb"))
    'Det du sendte inn, ble ikke godtatt: <span lang="en">x: expected &lt;y&gt;</span>'
    """
    text, detail = _parts(error, lang)
    if detail is None:
        return escape(text)
    if lang == "en":
        return escape(f"{text} {detail}")
    return Markup('{} <span lang="en">{}</span>').format(text, detail)


def error_body(error: UserError, lang: Lang) -> dict[str, Any]:
    """The JSON of a refused API request: ``{"error", "field", "message"}`` (``error`` in
    English, ``message`` in ``lang``), and for a rule that refused it
    (:class:`~vagus.app.RefusedError`) its ``code`` and ``reason`` in ``lang``."""
    body: dict[str, Any] = {"error": str(error), "message": error_message(error, lang)}
    if error.field is not None:
        body["field"] = error.field
    if isinstance(error, RefusedError):
        body["code"] = error.code
        body["reason"] = error.reason.get(lang, str(error))
    return body


def error_headers(error: UserError) -> dict[str, str]:
    """Extra headers of a user error's answer: ``Retry-After`` for a busy server."""
    if isinstance(error, BusyError):
        return {"Retry-After": str(error.retry_after_s)}
    return {}
