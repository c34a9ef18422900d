"""The composition root: one app object, built the same way by the CLI, the server and tests.

Today it serves the HRV engine; the journal, sensors and program services join it in later
issues, and every edge (``cli``, ``web``) reaches the core only through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from vagus.hrv import HrvReport, Method, Unit, analyze, read_rr

#: The example recording that ships with the package (see its header for source and licence).
EXAMPLE_RR_FILE = "example_rr.txt"


def example_rr_path() -> Path:
    """Path of the bundled example RR recording (MIT-BIH record 100, 30 min)."""
    return Path(str(resources.files("vagus") / "data" / EXAMPLE_RR_FILE))


@dataclass
class App:
    """Services the edges call. Build it with :func:`build_app`."""

    def analyze_file(
        self,
        path: str | Path,
        *,
        method: Method = "welch",
        correct: bool = True,
        unit: Unit | None = None,
        column: str | None = None,
    ) -> HrvReport:
        """Read an RR file and analyse it (raises ``RrDataError`` for bad files)."""
        rr = read_rr(path, unit=unit, column=column)
        return analyze(rr, method=method, correct=correct)


def build_app() -> App:
    """The one way to build the app."""
    return App()
