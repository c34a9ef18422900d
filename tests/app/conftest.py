"""An app on a fresh journal with a fixed clock: no test here depends on the hour it runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from app_helpers import all_no

from fake_clock import FakeNow
from vagus.app import App, build_app


@pytest.fixture
def clock() -> FakeNow:
    # A fixed instant; tests that care about the local hour move it (FakeNow.at).
    return FakeNow(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
def app(tmp_path: Path, clock: FakeNow) -> Iterator[App]:
    built = build_app(env={"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}, now=clock)
    yield built
    built.close()


@pytest.fixture
def screened(app: App) -> App:
    app.screening.save(all_no())
    return app
