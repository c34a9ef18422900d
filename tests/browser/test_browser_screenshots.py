"""The README's screenshot script works: every main page pictured at desktop and phone size.

It writes to a temporary folder; run ``tests/browser/screenshots.py`` by hand to refresh
``docs/screenshots/``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_harness import DESKTOP, PHONE, Server
from screenshots import PAGES, take_screenshots

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

#: The first bytes of every PNG file (PNG specification, section 5.2).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from the IHDR chunk (PNG specification, section 11.2.2)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_screenshots_of_main_pages(browser: Browser, server: Server, tmp_path: Path) -> None:
    written = take_screenshots(browser, server, tmp_path / "shots")
    expected = {f"{stem}-{size}.png" for stem in PAGES for size in ("desktop", "phone")}
    assert {p.name for p in written} == expected
    for path in written:
        width, height = _png_size(path)
        viewport = DESKTOP if path.stem.endswith("desktop") else PHONE
        # device_scale_factor 1: the width is the viewport's; full-page shots may be taller.
        assert width == viewport["width"], path.name
        assert height >= viewport["height"], path.name
