"""The composition root: one :class:`App`, built the same way by the CLI, the server and tests.

``App`` is a small container (the settings, the journal opened on first use, the clock, the
environment) holding one service per resource; every rule a person meets lives in those
services once, so the CLI and the web cannot disagree.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import quote

from vagus.config import Settings, load_settings

if TYPE_CHECKING:
    from vagus.app.checkins import CheckinService
    from vagus.app.insights import InsightsService
    from vagus.app.live import LiveService
    from vagus.app.measurements import MeasurementService
    from vagus.app.plan import PlanService
    from vagus.app.preferences import PreferenceService
    from vagus.app.report import ReportService
    from vagus.app.resonance import ResonanceService
    from vagus.app.screening import ScreeningService
    from vagus.app.sessions import SessionService
    from vagus.app.transfer import TransferService
    from vagus.journal import Journal

#: Each service: its module and class. A service (and what its module imports) loads when it
#: is first used, so `vagus hrv` does not load the journal's modules (issue 12).
_SERVICES: Final[dict[str, tuple[str, str]]] = {
    "prefs": ("vagus.app.preferences", "PreferenceService"),
    "screening": ("vagus.app.screening", "ScreeningService"),
    "plan": ("vagus.app.plan", "PlanService"),
    "sessions": ("vagus.app.sessions", "SessionService"),
    "checkins": ("vagus.app.checkins", "CheckinService"),
    "measurements": ("vagus.app.measurements", "MeasurementService"),
    "live": ("vagus.app.live", "LiveService"),
    "resonance": ("vagus.app.resonance", "ResonanceService"),
    "transfer": ("vagus.app.transfer", "TransferService"),
    "insights": ("vagus.app.insights", "InsightsService"),
    "report": ("vagus.app.report", "ReportService"),
}
#: The journal's URL prefix of an SQLite file (``vagus.config.sqlite_url``).
_SQLITE_FILE_PREFIX: Final = "sqlite:///"


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
        self._services: dict[str, object] = {}
        self._services_lock = threading.RLock()

    def _service(self, name: str) -> object:
        """The one instance of a service, made on first use (threads of the web share it)."""
        with self._services_lock:
            service = self._services.get(name)
            if service is None:
                module, cls = _SERVICES[name]
                service = getattr(import_module(module), cls)(self)
                self._services[name] = service
            return service

    @property
    def prefs(self) -> PreferenceService:
        return cast("PreferenceService", self._service("prefs"))

    @property
    def screening(self) -> ScreeningService:
        return cast("ScreeningService", self._service("screening"))

    @property
    def plan(self) -> PlanService:
        return cast("PlanService", self._service("plan"))

    @property
    def sessions(self) -> SessionService:
        return cast("SessionService", self._service("sessions"))

    @property
    def checkins(self) -> CheckinService:
        return cast("CheckinService", self._service("checkins"))

    @property
    def measurements(self) -> MeasurementService:
        return cast("MeasurementService", self._service("measurements"))

    @property
    def live(self) -> LiveService:
        return cast("LiveService", self._service("live"))

    @property
    def resonance(self) -> ResonanceService:
        return cast("ResonanceService", self._service("resonance"))

    @property
    def transfer(self) -> TransferService:
        return cast("TransferService", self._service("transfer"))

    @property
    def insights(self) -> InsightsService:
        return cast("InsightsService", self._service("insights"))

    @property
    def report(self) -> ReportService:
        return cast("ReportService", self._service("report"))

    @property
    def journal(self) -> Journal:
        """The journal, opened (and migrated) on first use.

        Only the app's services use it: the faces never do (tests/test_architecture.py).
        """
        if self._journal is None:
            from vagus.journal import Journal

            self._journal = Journal.open(self.settings.database_url)
            self.sessions.close_interrupted()
        return self._journal

    def stored_setting(self, key: str, default: Any = None) -> Any:
        """A setting stored in the journal (``Journal.get_setting``), read without opening it
        when it is an SQLite file not yet open here.

        Opening the journal loads SQLAlchemy and Alembic and checks the schema (0.4 s), which a
        command that only reads a preference (``vagus hrv`` its language) should not pay
        (issue 12). The file is read with the standard library's sqlite3, read-only (it never
        creates a journal; SQLite may leave empty -wal/-shm files beside one in WAL mode): a
        journal that does not exist yet holds no setting and is not created. Anything else (a
        PostgreSQL URL, a file sqlite3 cannot read as a journal) is asked of the journal
        itself. A test keeps both ways in agreement (tests/cli/test_startup_imports.py).
        """
        if self._journal is None:
            path = _sqlite_file(self.settings.database_url)
            if path is not None:
                if not path.exists():
                    return default
                found = _read_setting(path, key)
                if found is not None:
                    return default if found == () else found[0]
        return self.journal.get_setting(key, default)

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


def _sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL; None for any other URL.

    >>> str(_sqlite_file("sqlite:////home/me/journal.sqlite3"))
    '/home/me/journal.sqlite3'
    >>> _sqlite_file("sqlite://") is None, _sqlite_file("postgresql://x/y") is None
    (True, True)
    """
    if not url.startswith(_SQLITE_FILE_PREFIX) or "?" in url:
        return None
    path = url.removeprefix(_SQLITE_FILE_PREFIX)
    return Path(path) if path else None


def _read_setting(path: Path, key: str) -> tuple[Any, ...] | None:
    """``(value,)`` of ``key`` in the journal's ``setting`` table, ``()`` when it has no such
    row, None when the file cannot be read so (not a journal, no such table, locked)."""
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        if row is None:
            return ()
        value = row[0]
        return (json.loads(value) if isinstance(value, str | bytes) else value,)
    except (sqlite3.Error, ValueError):
        return None
    finally:
        connection.close()
