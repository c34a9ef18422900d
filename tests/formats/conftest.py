"""Fixtures of the format tests; the writers themselves are in ``format_writers``."""

from __future__ import annotations

import pytest
from format_writers import synthetic_rr

from vagus.hrv._types import FloatArray


@pytest.fixture
def rr_ms() -> FloatArray:
    """300 synthetic RR intervals in whole ms (seeded)."""
    return synthetic_rr()
