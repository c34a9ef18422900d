"""The composition root: one :class:`App`, built the same way by the CLI, the server and tests.

``App`` is a small container (the settings, the journal opened on first use, the clock, the
environment) holding one service per resource; every rule a person meets lives in those
services once, so the CLI and the web cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vagus.config import Settings, load_settings
from vagus.journal import Journal

if TYPE_CHECKING:
    from vagus.app.checkins import CheckinService
    from vagus.app.insights import InsightsService
    from vagus.app.live import LiveService
    from vagus.app.measurements import MeasurementService
    from vagus.app.plan import PlanService
    from vagus.app.preferences import PreferenceService
    from vagus.app.resonance import ResonanceService
    from vagus.app.screening import ScreeningService
    from vagus.app.sessions import SessionService
    from vagus.app.transfer import TransferService


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class App:
    """The services the faces call. Build it with :func:`build_app`.

    ``now`` is the wall clock (UTC, aware); tests inject a fixed one, so nothing depends on the
    hour a test runs. ``local_tz`` is the person's time zone (the system's by default) for the
    rules that speak of local time (a "morning" measurement).
    """

    settings: Settings
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    now: Callable[[], datetime] = utc_now
    _journal: Journal | None = None

    def __post_init__(self) -> None:
        from vagus.app.checkins import CheckinService
        from vagus.app.insights import InsightsService
        from vagus.app.live import LiveService
        from vagus.app.measurements import MeasurementService
        from vagus.app.plan import PlanService
        from vagus.app.preferences import PreferenceService
        from vagus.app.resonance import ResonanceService
        from vagus.app.screening import ScreeningService
        from vagus.app.sessions import SessionService
        from vagus.app.transfer import TransferService

        self.prefs: PreferenceService = PreferenceService(self)
        self.screening: ScreeningService = ScreeningService(self)
        self.plan: PlanService = PlanService(self)
        self.sessions: SessionService = SessionService(self)
        self.checkins: CheckinService = CheckinService(self)
        self.measurements: MeasurementService = MeasurementService(self)
        self.live: LiveService = LiveService(self)
        self.resonance: ResonanceService = ResonanceService(self)
        self.transfer: TransferService = TransferService(self)
        self.insights: InsightsService = InsightsService(self)

    @property
    def journal(self) -> Journal:
        """The journal, opened (and migrated) on first use.

        Only the app's services use it: the faces never do (tests/test_architecture.py).
        """
        if self._journal is None:
            self._journal = Journal.open(self.settings.database_url)
            self.sessions.close_interrupted()
        return self._journal

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def local_now(self) -> datetime:
        """``now`` in the local time zone (the rules that speak of a local hour use it)."""
        return self.now().astimezone()


def build_app(
    settings: Settings | None = None,
    *,
    env: Mapping[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
) -> App:
    """The one way to build the app (settings from defaults, config.toml and VAGUS_* vars)."""
    environment = dict(os.environ if env is None else env)
    app = App(settings=settings or load_settings(environment), env=environment)
    if now is not None:
        app.now = now
    return app
