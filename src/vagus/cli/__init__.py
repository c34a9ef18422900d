"""The ``vagus`` command line: parse, call the app, render. No logic of its own.

Each module registers its commands on the one typer app in ``_base``.
"""

from __future__ import annotations

from vagus.cli import hrv, insights, live, player, program, report, web  # noqa: F401  (they register commands)
from vagus.cli._base import EXIT_BUSY, EXIT_USER_ERROR, app, fail

__all__ = ["EXIT_BUSY", "EXIT_USER_ERROR", "app", "fail", "main"]


def main() -> None:
    """Entry point of the ``vagus`` console script."""
    app()
