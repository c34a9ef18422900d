"""Live heart data: ``/api/live/stream`` (the server's sensor, server-sent events: a GET
previews, a POST with the CSRF token opens a session's recording that a GET then reads) and
``/api/live/browser...`` (a strap connected in the browser). JSON only: the player that shows
them is on the exercise page (:mod:`vagus.web.routes.exercises`).

The routes and the logic behind them (the stream, :class:`~vagus.web._live.BrowserRecordings`)
stay together in :mod:`vagus.web._live`; this module is where the server finds its router.
"""

from __future__ import annotations

from vagus.web._live import router

__all__ = ["router"]
