"""The journal as a whole: history, export, import and delete-all."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vagus.app.errors import AppError
from vagus.app.plan import MODES, SETTING_MODE, SETTING_OVERRIDES, parse_override
from vagus.app.preferences import PACER_KEYS, SETTING_PREFS, PreferenceService
from vagus.app.resonance import SETTING_RESONANCE
from vagus.app.sensors import SensorSpec
from vagus.journal import JournalError, read_export, write_export

# The journal's own check of what an export's records mean (the app adds its settings'), and
# its error naming a field: the export format's internals, not the journal's public API.
from vagus.journal._errors import bad
from vagus.journal._export import check_meaning
from vagus.program import EXERCISE_IDS, param_specs

#: Entries on one page of the history (the History page's list, ``GET /api/history``).
HISTORY_PAGE_SIZE: Final = 50
#: Most entries one page of the history may hold (``GET /api/history?limit=``): a journal of
#: 37,000 check-ins made one unpaged History page of 31 MB (issue 11, finding 9).
HISTORY_PAGE_MAX: Final = 500
#: A page number as a query string gives it: digits only (no sign, no spaces), and short
#: enough that ``int()`` never meets a huge number.
_PAGE_TEXT: Final = re.compile(r"[0-9]{1,18}")

#: The resonance rates a stored assessment may name, breaths a minute (the pacer's range).
RESONANCE_BPM_RANGE: Final = (3.0, 12.0)

if TYPE_CHECKING:
    from vagus.app._core import App


def _with_key(error: JournalError, source: str | None = None) -> JournalError:
    """``error`` as it is when it has a message key; else the same English message under the
    generic "not a valid export" key, with the message as its English ``detail``."""
    if error.key is not None:
        return error
    if source is None:
        return JournalError(
            str(error), field=error.field, key="errors.invalid_export", detail=str(error)
        )
    return JournalError(
        str(error),
        field=error.field,
        key="errors.invalid_export_file",
        source=source,
        detail=str(error),
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class HistoryPage:
    """One page of the history, newest first: page 1 holds the newest :attr:`size` entries."""

    #: The page's entries, newest first, as :meth:`Journal.history` gives them (empty for a
    #: page beyond the last).
    entries: list[dict[str, Any]]
    #: This page's number, from 1.
    page: int
    #: Entries per page.
    size: int
    #: How many entries there are in all (of the types asked for).
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are: at least 1 (an empty journal has one empty page)."""
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The place of this page's first entry in the whole history, from 1 (0: none)."""
        return (self.page - 1) * self.size + 1 if self.entries else 0

    @property
    def last(self) -> int:
        """The place of this page's last entry in the whole history (0: none)."""
        return (self.page - 1) * self.size + len(self.entries) if self.entries else 0

    @property
    def newer(self) -> int | None:
        """The number of the page of newer entries, or None on the first page."""
        return min(self.page - 1, self.pages) if self.page > 1 else None

    @property
    def older(self) -> int | None:
        """The number of the page of older entries, or None on (or beyond) the last page."""
        return self.page + 1 if self.page < self.pages else None


def _page_number(page: int | str, pages: int) -> int:
    """``page`` as a whole number >= 1 (a query string's digits, or an int); else an error
    naming the field ``page`` and the pages there are (1 to ``pages``)."""
    number: int | None = None
    if isinstance(page, bool):
        number = None
    elif isinstance(page, int):
        number = page
    elif isinstance(page, str) and _PAGE_TEXT.fullmatch(page):
        number = int(page)
    if number is None or number < 1:
        raise AppError(
            f"page: expected a whole number from 1 to {pages}, got {page!r}",
            "page",
            key="errors.page_range",
            value=page,
            low=1,
            high=pages,
        )
    return number


class TransferService:
    def __init__(self, app: App) -> None:
        self._app = app

    def history(
        self,
        types: Sequence[str] | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> list[Any]:
        """Everything, newest first (optionally of some types, since a time, at most N)."""
        return self._app.journal.history(types=types, limit=limit, since=since)  # type: ignore[arg-type]

    def history_count(self, types: Sequence[str] | None = None) -> int:
        """How many entries :meth:`history` holds (of some types), from the tables' row
        counts, without reading the entries."""
        return self._app.journal.count_entries(types)  # type: ignore[arg-type]

    def history_page(
        self,
        types: Sequence[str] | None = None,
        page: int | str = 1,
        size: int = HISTORY_PAGE_SIZE,
    ) -> HistoryPage:
        """One page of :meth:`history`, newest first: page 1 is the newest ``size`` entries.

        ``page`` is a whole number from 1 (an int, or a query string's digits); anything else
        is an error naming the field ``page``. A page beyond the last one has no entries (the
        answer says how many pages there are). ``size`` is 1 to :data:`HISTORY_PAGE_MAX`.

        The journal's history takes a limit but no offset, so page ``n`` reads the newest
        ``n * size`` entries and keeps the last ``size``: a page deep in a long journal costs
        more than the first (page 740 of 37,000 check-ins reads them all).
        """
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= HISTORY_PAGE_MAX:
            raise AppError(
                f"limit: expected a whole number from 1 to {HISTORY_PAGE_MAX}, got {size!r}",
                "limit",
                key="errors.rating_range",
                value=size,
                low=1,
                high=HISTORY_PAGE_MAX,
            )
        total = self.history_count(types)
        pages = max(1, -(-total // size))
        number = _page_number(page, pages)
        entries: list[dict[str, Any]] = []
        if number <= pages:
            newest = self._app.journal.history(types=types, limit=number * size)  # type: ignore[arg-type]
            entries = newest[(number - 1) * size :]
        return HistoryPage(entries=entries, page=number, size=size, total=total)

    def export(self, path: Path) -> dict[str, int]:
        """Everything, as one JSON file (docs/export-schema.md)."""
        data = self._app.journal.export()
        write_export(data, path)
        return self._app.journal.counts()

    def export_data(self) -> dict[str, Any]:
        """Everything, as the export's JSON object."""
        return dict(self._app.journal.export())

    def import_file(self, path: Path) -> dict[str, int]:
        """Read an export (refused whole if anything in it is wrong)."""
        try:
            data = read_export(path)
            self.check(data)
            return self._app.journal.import_(data)
        except JournalError as error:
            raise _with_key(error, source=str(path)) from None

    def import_data(self, data: Any) -> dict[str, int]:
        """Import an export already parsed from JSON (refused whole if anything is wrong)."""
        try:
            self.check(data)
            return self._app.journal.import_(data)
        except JournalError as error:
            raise _with_key(error) from None

    def check(self, data: Any) -> None:
        """Check an export's structure and meaning before anything is written: every record
        the program reads back (the journal's check) and every setting the app reads, each
        with the rule its form uses. A JournalError names the first bad field by its export
        path (``settings.web_prefs.pacer.inhale_s``); nothing is stored (issue 11)."""
        parsed = check_meaning(data)
        for row in parsed.rows["settings"]:
            key, value = row["key"], row["value"]
            path = f"settings.{key}"
            if key == SETTING_PREFS:
                self._check_prefs(path, value)
            elif key == SETTING_MODE:
                if value not in MODES:
                    raise bad(path, "one of " + ", ".join(MODES), value)
            elif key == SETTING_OVERRIDES:
                self._check_overrides(path, value)
            elif key == SETTING_RESONANCE:
                _check_resonance(path, value)

    def _check_prefs(self, path: str, value: object) -> None:
        """The person's preferences, as :meth:`PreferenceService.set` would take them: the web's
        sensor never names a file (an imported file must not make the server read one)."""
        if not isinstance(value, Mapping):
            raise bad(path, "an object with lang, pacer and sensor", value)
        for name in value:
            if name not in ("lang", "pacer", "sensor"):
                raise bad(path, "only the fields lang, pacer, sensor", name)
        if "lang" in value and value["lang"] not in ("nb", "en"):
            raise bad(f"{path}.lang", "nb or en", value["lang"])
        if "sensor" in value:
            sensor = value["sensor"]
            try:
                if not isinstance(sensor, str):
                    raise AppError("sensor: expected a text", "sensor")
                SensorSpec.parse_for_web(sensor)
            except AppError:
                raise bad(
                    f"{path}.sensor", "replay, simulated, ble or ble:ADDRESS (never a file)", sensor
                ) from None
        if "pacer" in value:
            self._check_pacer(f"{path}.pacer", value["pacer"])

    def _check_pacer(self, path: str, pacer: object) -> None:
        if not isinstance(pacer, Mapping):
            raise bad(path, "an object of breathing seconds", pacer)
        for name, seconds in pacer.items():
            if name not in PACER_KEYS:
                raise bad(path, "only the fields " + ", ".join(PACER_KEYS), name)
            if not _number(seconds):
                raise bad(f"{path}.{name}", "a number of seconds", seconds)
        settings = self._app.settings
        defaults: dict[str, object] = {
            spec.name: spec.default for spec in param_specs("breathing") if spec.name in PACER_KEYS
        }
        defaults |= {"inhale_s": settings.inhale_s, "exhale_s": settings.exhale_s}
        try:
            # The preference's own check: each within its range, and a breath of 3-12 a minute.
            PreferenceService._clean_pacer({**defaults, **pacer})
        except ValueError as error:
            raise bad(
                path, f"a breathing pattern the pacer can guide ({error})", dict(pacer)
            ) from None

    def _check_overrides(self, path: str, value: object) -> None:
        """Plan overrides as ``vagus plan set`` stores them."""
        if not isinstance(value, Mapping):
            raise bad(path, "an object of plan overrides", value)
        for name in value:
            if name not in ("exercises", "hold_all", "include", "set_by"):
                raise bad(path, "only the fields exercises, hold_all, include, set_by", name)
        exercises = value.get("exercises", {})
        if not isinstance(exercises, Mapping):
            raise bad(f"{path}.exercises", "an object of overrides by exercise id", exercises)
        for exercise, override in exercises.items():
            if exercise not in EXERCISE_IDS:
                raise bad(f"{path}.exercises", "one of " + ", ".join(EXERCISE_IDS), exercise)
            where = f"{path}.exercises.{exercise}"
            try:
                self._app.plan.check_override(exercise, parse_override(override))
            except AppError as error:
                # The override's own message ("fixed_dose: expected ..."), under its export path.
                field = f"{where}.{error.field}" if error.field else where
                detail = str(error).partition(": ")[2]
                raise JournalError(f"{field}: {detail}", field=field) from None
        if not isinstance(value.get("hold_all", False), bool):
            raise bad(f"{path}.hold_all", "true or false", value.get("hold_all"))
        include = value.get("include", [])
        if not isinstance(include, list):
            raise bad(f"{path}.include", "a list of exercise ids", include)
        for index, exercise in enumerate(include):
            if exercise not in EXERCISE_IDS:
                raise bad(f"{path}.include[{index}]", "one of " + ", ".join(EXERCISE_IDS), exercise)
        if value.get("set_by", "person") not in ("person", "clinician"):
            raise bad(f"{path}.set_by", "person or clinician", value.get("set_by"))

    def forget(self) -> bool:
        """Delete every stored entry. False when another program kept the SQLite file open,
        so old copies may stay in the file until it closes (the checkpoint could not finish)."""
        return self._app.journal.forget()

    def counts(self) -> dict[str, int]:
        return self._app.journal.counts()


def _check_resonance(path: str, value: object) -> None:
    """A resonance assessment's result: its best rate a breathing rate the pacer can guide."""
    if not isinstance(value, Mapping):
        raise bad(path, "an object with best_bpm", value)
    low, high = RESONANCE_BPM_RANGE
    best = value.get("best_bpm")
    if not _number(best) or not low <= float(best) <= high:  # type: ignore[arg-type]
        raise bad(
            f"{path}.best_bpm", f"a number of breaths a minute from {low:g} to {high:g}", best
        )
