"""Screenshots of the main pages for the README, at desktop and phone size.

Run by hand (it starts its own ``vagus serve`` with a throw-away home and the replay sensor)::

    .venv/bin/python tests/browser/screenshots.py            # writes docs/screenshots/*.png
    .venv/bin/python tests/browser/screenshots.py --out DIR

It needs Debian's Chromium (/usr/bin/chromium) and the playwright package, like the tests.
``test_browser_screenshots.py`` runs :func:`take_screenshots` into a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from browser_harness import (
    DESKTOP,
    LIVE_STREAM_ROUTE,
    PHONE,
    Server,
    answer_screening_no,
    faster_replay,
    fill_checkin,
    launch_browser,
    running_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from vagus.program import Lang

#: Where the README's pictures live.
DEFAULT_OUT: Final = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: The pages pictured, by file stem (each saved as ``<stem>-desktop.png`` and ``-phone.png``).
PAGES: Final = (
    "today",
    "player",
    "checkin",
    "history",
    "measurement",
    "questionnaire",
    "upload-result",
    "learn",
)
#: Days of sample history behind the pictures (morning measurements and check-ins).
DEMO_DAYS: Final = 14
#: Beats per sample morning measurement (about 4-5 minutes of the example recording).
DEMO_BEATS: Final = 330
#: A plausible check-in for the pictures (0-10 each).
SAMPLE_CHECKIN: Final = {
    "sleep": "6",
    "headache": "2",
    "digestion": "3",
    "anxiety": "4",
    "pain": "1",
    "fatigue": "5",
}
#: Beats to wait for before picturing the live chart.
LIVE_BEATS: Final = 6
#: How often, and how many times, to look for them and for the live numbers (20 s at most).
LIVE_POLL_MS: Final = 100
LIVE_WAIT_POLLS: Final = 200


def _shoot(page: Page, out: Path, stem: str, size: str) -> Path:
    path = out / f"{stem}-{size}.png"
    page.screenshot(path=str(path), full_page=size == "desktop")
    return path


def _player_running(page: Page, server: Server) -> None:
    """The breathing exercise mid-step with the live heart chart and its numbers: the replay
    runs faster than real time (``faster_replay``), since the numbers appear after 30 s of
    beats and the coherence level after 64 s (issue 12)."""
    page.route(LIVE_STREAM_ROUTE, faster_replay)
    page.goto(f"{server.url}/exercises/breathing")
    page.check("#player-heart")
    page.click("#player-start")
    page.click("#player-rating-skip")
    page.click("#player-continue")
    page.wait_for_selector("#player-breath:not([hidden])")
    # Wait for a few beats so the chart has a line; polled here because the app's CSP forbids
    # the string evaluation of page.wait_for_function.
    for _ in range(LIVE_WAIT_POLLS):
        line = page.locator("#live-chart polyline")
        if (
            line.count()
            and len((line.get_attribute("points") or "").split()) >= LIVE_BEATS
            and page.locator("#live-coh-level").inner_text().strip()
        ):
            break
        page.wait_for_timeout(LIVE_POLL_MS)
    # The player scrolls its own box to the top when the session starts: the cue, the heart's
    # numbers and the breathing circle share the screen.
    page.evaluate("() => document.getElementById('player-run').scrollIntoView({block: 'start'})")


def seed_demo_history(home: Path, days: int = DEMO_DAYS) -> int:
    """Fill the journal in ``home`` with ``days`` of sample mornings, so History has something
    to chart: one resting measurement a day (consecutive stretches of the bundled MIT-BIH 100
    recording, analysed as vagus analyses any recording) and one check-in a day with slowly
    easing ratings. The pictures are of sample data, and the README says so.

    Returns the id of the newest measurement (for the measurement page's picture).
    """
    import operator
    from datetime import UTC, datetime, timedelta
    from functools import partial

    import numpy as np

    from vagus.app import build_app, example_rr_path
    from vagus.app.models import CheckinIn
    from vagus.hrv import analyze, read_rr

    rr = read_rr(example_rr_path())
    app = build_app(env={"VAGUS_HOME": str(home)})
    start = datetime.now(UTC).replace(hour=6, minute=30, second=0, microsecond=0)
    newest = 0
    try:
        for day in range(days):
            at = start - timedelta(days=days - day)
            part = rr[day * DEMO_BEATS // 3 : day * DEMO_BEATS // 3 + DEMO_BEATS]
            rid = app.journal.start_recording("sample: MIT-BIH 100", at, ["morning"])
            app.journal.append_beats(rid, [float(x) for x in part])
            report = analyze(np.asarray(part, dtype=np.float64))
            app.journal.finish_recording(rid, analysis=report.to_dict())
            newest = rid
            ease = day * 4 // days  # 0..3 over the fortnight
            app.now = partial(operator.add, at, timedelta(minutes=5))  # the check-in's time
            app.checkins.add(
                CheckinIn(
                    sleep=4 + ease,
                    headache=max(0, 4 - ease - day % 2),
                    digestion=5 - ease,
                    anxiety=6 - ease - day % 2,
                    pain=5 - ease,
                    fatigue=6 - ease,
                    note="",
                ),
                "en",
            )
    finally:
        app.close()
    return newest


def take_screenshots(browser: Browser, server: Server, out: Path, lang: Lang = "en") -> list[Path]:
    """Fill a fresh journal through the pages, then picture each page at both sizes.

    Returns the files written (``len(PAGES) * 2`` PNGs).
    """
    from vagus.app import example_rr_path

    out.mkdir(parents=True, exist_ok=True)
    newest = seed_demo_history(server.home)
    written: list[Path] = []
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/screen?lang={lang}")
            if size == "desktop":  # the journal is shared: fill it once
                answer_screening_no(page)
                page.goto(f"{server.url}/checkin")
                fill_checkin(page, SAMPLE_CHECKIN)
            page.goto(f"{server.url}/")
            written.append(_shoot(page, out, "today", size))
            _player_running(page, server)
            page.screenshot(path=str(out / f"player-{size}.png"))
            written.append(out / f"player-{size}.png")
            page.click("#player-stop")
            page.click("#player-rating-skip")
            page.wait_for_selector("#player-summary:not([hidden])")
            page.goto(f"{server.url}/checkin")
            written.append(_shoot(page, out, "checkin", size))
            page.goto(f"{server.url}/history")
            written.append(_shoot(page, out, "history", size))
            page.goto(f"{server.url}/measurements/{newest}")
            written.append(_shoot(page, out, "measurement", size))
            page.goto(f"{server.url}/questionnaires/gad-7")
            written.append(_shoot(page, out, "questionnaire", size))
            page.goto(f"{server.url}/upload")
            page.set_input_files("#f-file", str(example_rr_path()))
            page.click('#main form button[type="submit"]')
            page.wait_for_selector("table.indices")
            written.append(_shoot(page, out, "upload-result", size))
            page.goto(f"{server.url}/learn")
            written.append(_shoot(page, out, "learn", size))
        finally:
            context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    parser.add_argument("--lang", choices=("en", "nb"), default="en")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as home,
        running_server(Path(home) / "home", lang=args.lang) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_browser(playwright)
        try:
            for path in take_screenshots(browser, server, args.out, args.lang):
                print(path)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
