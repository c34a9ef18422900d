"""Insights (issue 13): which exercise works for the person, whether today is a normal day.

The pure computations will live in ``vagus.insights``; this service will read the journal's
records (linked session rests, structured symptoms) and hand them over. It is the place the
faces will call; nothing is computed yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vagus.app._core import App


class InsightsService:
    """Reserved for issue 13 (insights); holds the app so it can read the journal."""

    def __init__(self, app: App) -> None:
        self._app = app
