"""A wall clock a test moves by hand (timezone-aware UTC, as the app's clock): the app is built
with ``now=FakeNow(...)`` so no test depends on the hour, the day or the time zone it runs in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeNow:
    """A wall clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)

    def set_local(self, local: datetime) -> None:
        """Move to a naive local time (this machine's time zone)."""
        self.at = local.astimezone().astimezone(UTC)
