"""One router per resource: each module holds the resource's HTML page(s) and their JSON twins
under ``/api`` side by side, so a page and its twin call the app the same way.

The HTML routes are left out of the OpenAPI document (``include_in_schema=False``); the JSON
routes declare their answer's model (``response_model``, :mod:`vagus.app.models`) where the
answer has a fixed shape. Every router checks the CSRF token of unsafe requests
(:func:`vagus.web._deps.csrf_protect`). :func:`vagus.web.create_app` includes :data:`ROUTERS`.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from vagus.web.routes import (
    checkins,
    docs,
    exercises,
    history,
    insights,
    learn,
    live,
    measurements,
    questionnaires,
    report,
    screening,
    sessions,
    settings,
    today,
)

__all__ = ["ROUTERS"]

#: Every resource's router, in the order the server includes them.
ROUTERS: Final[tuple[APIRouter, ...]] = (
    today.router,
    exercises.router,
    sessions.router,
    checkins.router,
    questionnaires.router,
    screening.router,
    history.router,
    insights.router,
    report.router,
    measurements.router,
    settings.router,
    learn.router,
    live.router,
    docs.router,
)
