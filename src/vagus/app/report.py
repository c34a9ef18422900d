"""The report for the therapist (issue 13, section 5): what was done, what each exercise did
for the person so far, their mornings, their symptoms and their resting measurements, for a
period of local days, in nb or en.

:meth:`ReportService.build` makes one typed :class:`Report` (headings, sentences, tables with
their numbers already written as the language writes them, and the charts' data); the faces
only lay it out: :meth:`ReportService.write_pdf` (``vagus report -o FILE.pdf``, ``GET
/report.pdf``), the printable page ``GET /report`` and its twin ``GET /api/report``
(:func:`report_json`). The words come from ``report_messages.toml`` beside this file and from
the insights' catalog, so the PDF and the page cannot disagree. Every chart is drawn from
:func:`chart_shapes`, one list of lines, dots and labels that the PDF draws with ReportLab's
shapes and the page as SVG, and every chart has its numbers beside it (labels or a table), so
a black-and-white printout says everything without the picture.

Why ReportLab for the PDF: it is the PDF library the field has trusted since 2000 (pure Python
with C accelerators, BSD licence), it draws charts itself (``reportlab.graphics``), and it needs
nothing at run time beyond the Python package: no browser and no system libraries.
WeasyPrint would let the page's HTML be the PDF, but needs Pango and its system libraries;
a headless browser (Chromium's print to PDF) is a large run-time dependency for a command-line
tool; fpdf2 is the lighter alternative but has no chart toolkit. The built-in Helvetica covers
Windows-1252 (æ, ø, å and the en dash), so no font file has to be found or embedded, and with
``invariant`` and the creation date taken from the app's clock the same journal on the same
day gives the same bytes.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from vagus.app.errors import AppError
from vagus.app.insights import interval_text, local_day, percent_change
from vagus.program import CHECKIN_FIELDS, Lang
from vagus.program.i18n import BABEL_LOCALES, Messages, format_number, load_messages

if TYPE_CHECKING:
    from vagus.app._core import App
    from vagus.insights import Insights, Readiness, Trend

#: The period when none is given: the last 90 local days, today included.
DEFAULT_DAYS: Final = 90
#: Most resting measurements listed (the newest; the report says how many there are in all).
MAX_MEASUREMENT_ROWS: Final = 30
#: The check-in scores drawn on a fixed scale.
SCORE_MIN: Final = 0.0
SCORE_MAX: Final = 10.0
#: Session states that count as done in full; every other finished state is "stopped early"
#: (stopped, aborted, interrupted). A running session is not counted.
COMPLETED: Final = "completed"
#: Measurement tags the report names (the rest are "measurement").
KIND_TAGS: Final[tuple[str, ...]] = ("morning", "rest-before", "rest-after")

# Chart geometry, in PDF points (1/72 inch) and SVG user units alike. 480 is the width of A4's
# text between 2 cm margins, so the PDF draws the charts at their natural size.
CHART_WIDTH: Final = 480.0
LINE_HEIGHT: Final = 190.0
SMALL_WIDTH: Final = 150.0
SMALL_HEIGHT: Final = 54.0
INTERVAL_ROW: Final = 20.0
INTERVAL_LABELS: Final = 132.0
INTERVAL_VALUES: Final = 104.0
#: Font sizes of chart text, points.
LABEL_SIZE: Final = 8.0
TICK_SIZE: Final = 7.0

Role = Literal["frame", "grid", "zero", "band", "interval", "value", "mean", "label", "tick"]


@cache
def messages() -> Messages:
    """The report's catalog (``vagus/app/report_messages.toml``), read once."""
    return load_messages(files("vagus.app") / "report_messages.toml")


def say(key: str, lang: Lang, **values: object) -> str:
    return messages().get(key, lang, **values)


# --- the report's parts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A paragraph; ``note`` for the small print."""

    text: str
    note: bool = False
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Table:
    """A table of written numbers; ``numeric`` columns are right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class IntervalRow:
    """One exercise in the interval chart: percent change of RMSSD, its 95 % interval, and
    the numbers as written beside it."""

    label: str
    mean: float
    low: float
    high: float
    text: str


@dataclass(frozen=True)
class IntervalChart:
    title: str
    description: str
    rows: tuple[IntervalRow, ...]
    kind: Literal["interval"] = "interval"


@dataclass(frozen=True)
class DayValue:
    day: date
    value: float


@dataclass(frozen=True)
class DayBand:
    day: date
    low: float
    high: float


@dataclass(frozen=True)
class LineChart:
    """Daily values (dots), their 7-day mean (a line) and a band (the normal range), from
    ``first`` to ``last``. ``small`` charts have a fixed 0-10 scale and no date axis."""

    title: str
    description: str
    first: date
    last: date
    values: tuple[DayValue, ...]
    mean: tuple[DayValue, ...]
    band: tuple[DayBand, ...] = ()
    small: bool = False
    caption: str = ""
    kind: Literal["line"] = "line"


@dataclass(frozen=True)
class ChartGrid:
    """Small charts side by side (the six symptom scores)."""

    charts: tuple[LineChart, ...]
    kind: Literal["grid"] = "grid"


Block = Text | Table | IntervalChart | LineChart | ChartGrid


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    """Everything the report says, in ``lang``."""

    lang: Lang
    first: date
    last: date
    made: datetime
    title: str
    period: str
    made_text: str
    name: str | None
    doctor: str
    own: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class InsightsPage:
    """What ``/insights`` shows: the suggestion with its reason, then sections laid out as
    the report's."""

    title: str
    next_exercise: str | None
    next_name: str | None
    next_reason: str | None
    dose: str
    sections: tuple[Section, ...]
    #: The names of the exercises not done yet (the effects section lists the others).
    untried: tuple[str, ...] = ()


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON (``GET /api/report``): the same parts, dates in ISO 8601."""

    def plain(value: object) -> Any:
        if is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value

    out: dict[str, Any] = plain(report)
    return out


# --- building it ----------------------------------------------------------------------------


def _long_date(day: date, lang: Lang) -> str:
    from babel.dates import format_date

    return str(format_date(day, "long", locale=BABEL_LOCALES[lang]))


def _parse_day(value: str | date | None, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AppError(
            f"{field}: {value!r} is not a date; expected YYYY-MM-DD, like 2026-03-02", field
        ) from None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class ReportService:
    """The therapist's report, built from the journal and the insights."""

    def __init__(self, app: App) -> None:
        self._app = app

    def period(
        self, first: str | date | None = None, last: str | date | None = None
    ) -> tuple[date, date]:
        """The report's local days: ``first``..``last`` (ISO dates; by default the last
        :data:`DEFAULT_DAYS` days up to today). A last day after today is today; a first day
        after the last is a user error naming ``from``."""
        today = self._app.local_now().date()
        start = _parse_day(first, "from")
        end = _parse_day(last, "to")
        end = today if end is None or end > today else end
        if start is None:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise AppError(
                f"from: {start.isoformat()} is after {end.isoformat()}; expected a first day "
                "on or before the last (and not after today)",
                "from",
            )
        return start, end

    def build(
        self,
        lang: Lang,
        first: str | date | None = None,
        last: str | date | None = None,
        name: str | None = None,
    ) -> Report:
        """The report of the local days ``first``..``last`` (see :meth:`period`) in ``lang``.

        ``name`` is the person's name as they typed it for this report (it is not stored);
        without it, the name in their profile if they entered one, else none."""
        from vagus.app.insights import exercise_names

        start, end = self.period(first, last)
        journal = self._app.journal

        def kept(day: date) -> bool:
            return start <= day <= end

        sessions = [
            s
            for s in journal.history(types=["session"])
            if s.get("status") != "running" and kept(local_day(s["started_at"]))
        ]
        checkin_days = {
            local_day(c["started_at"])
            for c in journal.history(types=["checkin"])
            if kept(local_day(c["started_at"]))
        }
        measurements = journal.history(types=["measurement"])
        result = self._app.insights.compute(since=start, until=end)
        names = exercise_names(lang)
        made = self._app.now()
        typed = _checked_name(name)
        profile_name = journal.profile().get("name")
        name = typed or (profile_name.strip() if isinstance(profile_name, str) else "")
        days = (end - start).days + 1
        sections = (
            _adherence(sessions, len(checkin_days), days, names, lang),
            _effects(result, names, lang),
            _morning(result.morning, start, end, lang),
            _symptoms(result, start, end, lang),
            _measurements(measurements, kept, lang),
        )
        return Report(
            lang=lang,
            first=start,
            last=end,
            made=made,
            title=say("report.title", lang),
            period=say(
                "report.period", lang, first=_long_date(start, lang), last=_long_date(end, lang)
            ),
            made_text=say("report.made", lang, date=_long_date(made.astimezone().date(), lang)),
            name=say("report.name", lang, name=name) if name else None,
            doctor=say("report.doctor", lang),
            own=say("report.own", lang),
            sections=sections,
        )

    def insights_page(self, lang: Lang) -> InsightsPage:
        """The insights page (``/insights``): the suggestion and the report's effects, morning
        and symptom sections over the whole history, in the same words and charts as the
        report (their charts over the last 60 days)."""
        from vagus.app.insights import exercise_names, next_text
        from vagus.app.insights import say as insight

        result = self._app.insights.compute()
        names = exercise_names(lang)
        end = self._app.local_now().date()
        start = end - timedelta(days=59)
        suggestion = result.suggestion
        return InsightsPage(
            title=insight("heading.title", lang),
            next_exercise=None if suggestion is None else suggestion.exercise,
            next_name=None if suggestion is None else names.get(suggestion.exercise),
            next_reason=None if suggestion is None else next_text(suggestion, names, lang),
            dose=insight("next.dose", lang),
            untried=tuple(
                names.get(e.id, e.id) for e in result.effects.exercises if not e.sessions
            ),
            # The report's sections, headed as the person reads them ("for you"), not as
            # their therapist does ("for this person").
            sections=(
                replace(_effects(result, names, lang), heading=insight("heading.effects", lang)),
                replace(
                    _morning(result.morning, start, end, lang),
                    heading=insight("heading.morning", lang),
                ),
                replace(
                    _symptoms(result, start, end, lang), heading=insight("heading.symptoms", lang)
                ),
            ),
        )

    # -- the PDF --------------------------------------------------------------------------

    def pdf_bytes(self, report: Report) -> bytes:
        """The report as a PDF (A4), the same bytes for the same report."""
        return _pdf(report)

    def write_pdf(self, report: Report, path: str | os.PathLike[str]) -> Path:
        """Write the PDF to ``path`` atomically: a temporary file beside it, then a rename, so
        a failed run leaves no half file. A path that cannot be written is a user error naming
        it."""
        target = Path(path).expanduser()
        data = self.pdf_bytes(report)
        folder = target.parent if str(target.parent) else Path()
        temp: str | None = None
        try:
            if target.is_dir():
                raise IsADirectoryError(21, "is a folder", str(target))
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
            temp = None
        except OSError as error:
            reason = error.strerror or str(error)
            raise AppError(
                f"output: cannot write {str(target)!r}: {reason}; expected a file in a folder "
                "that exists and that you may write to",
                "output",
            ) from None
        finally:
            if temp is not None:
                Path(temp).unlink(missing_ok=True)
        return target


# --- sections -------------------------------------------------------------------------------


def _adherence(
    sessions: Sequence[Mapping[str, Any]],
    checkin_days: int,
    days: int,
    names: Mapping[str, str],
    lang: Lang,
) -> Section:
    weeks = days / 7.0
    done: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for entry in sessions:
        counts = done[str(entry["exercise_id"])]
        counts[0 if entry.get("status") == COMPLETED else 1] += 1
        steps = entry.get("steps") or []
        counts[2] += sum(_number(s.get("active_s")) or 0.0 for s in steps) / 60.0
    heading = say("heading.adherence", lang)
    if not sessions:
        return Section(
            "adherence", heading, (Text(say("adherence.none", lang, checkin_days=checkin_days)),)
        )
    order = [i for i in names if i in done] + sorted(i for i in done if i not in names)

    def row(label: str, completed: float, stopped: float, minutes: float) -> tuple[str, ...]:
        return (
            label,
            format_number(completed, lang),
            format_number(stopped, lang),
            format_number(minutes, lang),
            format_number((completed + stopped) / weeks, lang, 1),
        )

    rows = [row(names.get(i, i), *done[i]) for i in order]
    total = [sum(done[i][k] for i in order) for k in range(3)]
    rows.append(row(say("adherence.total", lang), *total))
    summary = say(
        "adherence.summary",
        lang,
        sessions=format_number(total[0] + total[1], lang),
        completed=format_number(total[0], lang),
        stopped=format_number(total[1], lang),
        minutes=format_number(total[2], lang),
        per_week=format_number((total[0] + total[1]) / weeks, lang, 1),
        checkin_days=checkin_days,
    )
    columns = tuple(
        say(f"adherence.{k}", lang)
        for k in ("exercise", "completed", "stopped", "minutes", "per_week")
    )
    table = Table(columns, tuple(rows), (False, True, True, True, True))
    return Section("adherence", heading, (Text(summary), table))


def _effects(result: Insights, names: Mapping[str, str], lang: Lang) -> Section:
    from vagus.app.insights import best_text, effect_text, left_out_text, probability_text
    from vagus.app.insights import say as insight

    heading = say("heading.effects", lang)
    tried = [e for e in result.effects.exercises if e.sessions]
    blocks: list[Block] = [Text(say("effects.method", lang), note=True)]
    if tried:
        columns = tuple(
            insight(f"column.{k}", lang)
            for k in ("exercise", "sessions", "rmssd", "hr", "calm", "p_best")
        )
        rows = tuple(
            (
                names.get(e.id, e.id),
                f"{e.sessions} ({e.paired})",
                interval_text(e.ln_rmssd_change, lang, percent=True),
                interval_text(e.hr_change_bpm, lang),
                interval_text(e.calm_change, lang),
                "–" if e.p_best is None else probability_text(e.p_best, lang),
            )
            for e in tried
        )
        blocks.append(Table(columns, rows, (False, True, True, True, True, True)))
        for e in tried:
            words = effect_text(e, lang)
            left = left_out_text(e, lang)
            blocks.append(Text(f"{names.get(e.id, e.id)}: {words}" + (f" {left}" if left else "")))
    measured = [e for e in tried if e.ln_rmssd_change is not None]
    if measured:
        blocks.append(
            IntervalChart(
                say("effects.chart", lang),
                say("effects.chart_desc", lang),
                tuple(
                    IntervalRow(
                        names.get(e.id, e.id),
                        percent_change(e.ln_rmssd_change.mean),
                        percent_change(e.ln_rmssd_change.low),
                        percent_change(e.ln_rmssd_change.high),
                        interval_text(e.ln_rmssd_change, lang, percent=True) + " %",
                    )
                    for e in measured
                    if e.ln_rmssd_change is not None
                ),
            )
        )
    else:
        blocks.append(Text(say("effects.none", lang)))
    blocks.append(Text(best_text(result, names, lang)))
    blocks.append(Text(insight("best.general", lang), note=True))
    return Section("effects", heading, tuple(blocks))


def _range_text(low: float | None, high: float | None, lang: Lang) -> str:
    """A normal range of ln RMSSD, "3,66 til 3,76", or a dash before there is one."""
    if low is None or high is None:
        return "–"
    two = 2
    return say(
        "morning.range_value",
        lang,
        low=format_number(low, lang, two),
        high=format_number(high, lang, two),
    )


def _morning(morning: Readiness, start: date, end: date, lang: Lang) -> Section:
    from vagus.app.insights import morning_text

    heading = say("heading.morning", lang)
    two = 2
    rows = (
        (say("morning.status", lang), morning_text(morning, lang)),
        (say("morning.mean_7d", lang), format_number(morning.ln_rmssd_7d, lang, two)),
        (
            say("morning.range", lang),
            _range_text(morning.normal_low, morning.normal_high, lang),
        ),
        (
            say("morning.mornings", lang),
            format_number(sum(1 for p in morning.series if start <= p.day <= end), lang),
        ),
    )
    blocks: list[Block] = [Table(("", ""), rows, (False, False))]
    series = [p for p in morning.series if start <= p.day <= end]
    if series:
        first = max(start, end - timedelta(days=59))
        blocks.append(
            LineChart(
                say("morning.chart", lang),
                say("morning.chart_desc", lang),
                first,
                end,
                tuple(DayValue(p.day, p.ln_rmssd) for p in series),
                tuple(DayValue(p.day, p.mean_7d) for p in series),
                tuple(
                    DayBand(p.day, p.normal_low, p.normal_high)
                    for p in series
                    if p.normal_low is not None and p.normal_high is not None
                ),
            )
        )
        weeks: dict[date, list[Any]] = defaultdict(list)
        for p in series:
            weeks[first + timedelta(days=(p.day - first).days // 7 * 7)].append(p)
        week_rows = []
        for week, points in sorted(weeks.items()):
            last = points[-1]
            band = _range_text(last.normal_low, last.normal_high, lang)
            mean = sum(p.ln_rmssd for p in points) / len(points)
            week_rows.append(
                (week.isoformat(), str(len(points)), format_number(mean, lang, two), band)
            )
        columns = tuple(
            say(f"morning.{k}", lang) for k in ("week", "week_mornings", "week_mean", "week_range")
        )
        blocks.append(Table(columns, tuple(week_rows), (False, True, True, True)))
    return Section("morning", heading, tuple(blocks))


def _symptoms(result: Insights, start: date, end: date, lang: Lang) -> Section:
    from vagus.app.insights import load_text, trend_text
    from vagus.app.insights import say as insight

    heading = say("heading.symptoms", lang)
    trends: Mapping[str, Trend] = result.trends
    blocks: list[Block] = []
    if not any(trends[f].series for f in CHECKIN_FIELDS):
        blocks.append(Text(say("symptoms.none", lang)))
    else:
        blocks.append(Text(say("symptoms.scale", lang), note=True))
        rows = tuple(
            (
                insight(f"field.{f}", lang),
                format_number(trends[f].days, lang),
                format_number(trends[f].mean_7d, lang, 1),
                format_number(trends[f].previous_7d, lang, 1),
            )
            for f in CHECKIN_FIELDS
        )
        columns = tuple(
            say(f"symptoms.{k}", lang) for k in ("field", "days", "mean_7d", "previous_7d")
        )
        blocks.append(Table(columns, rows, (False, True, True, True)))
        first = max(start, end - timedelta(days=59))
        charts = []
        for f in CHECKIN_FIELDS:
            item = trends[f]
            points = [p for p in item.series if first <= p.day <= end]
            field = insight(f"field.{f}", lang)
            charts.append(
                LineChart(
                    field,
                    say("symptoms.chart_desc", lang, field=field),
                    first,
                    end,
                    tuple(DayValue(p.day, p.value) for p in points),
                    tuple(DayValue(p.day, p.mean_7d) for p in points),
                    small=True,
                    caption=trend_text(f, item, lang),
                )
            )
        blocks.append(ChartGrid(tuple(charts)))
    if result.me_cfs:
        blocks.append(Text(say("heading.load", lang)))
        blocks.extend(Text(load_text(item, lang)) for item in result.load_fatigue)
        blocks.append(Text(insight("symptoms.association", lang), note=True))
    return Section("symptoms", heading, tuple(blocks))


def _measurements(
    entries: Sequence[Mapping[str, Any]], kept: Callable[[date], bool], lang: Lang
) -> Section:
    from vagus.app.measurements import is_resting

    heading = say("heading.measurements", lang)
    chosen = [
        m
        for m in entries  # newest first
        if is_resting(m)
        and isinstance(m.get("analysis"), Mapping)
        and kept(local_day(m["started_at"]))
    ]
    if not chosen:
        return Section("measurements", heading, (Text(say("measurements.none", lang)),))
    shown = chosen[:MAX_MEASUREMENT_ROWS]
    if len(chosen) > len(shown):
        count = say("measurements.newest", lang, total=len(chosen), shown=len(shown))
    else:
        count = say("measurements.count", lang, total=len(chosen))
    rows = []
    for m in shown:
        analysis = m["analysis"]
        indices = analysis.get("indices") or {}
        artifacts = analysis.get("artifacts") or {}
        tags = set(m.get("tags") or ())
        kind = next((t for t in KIND_TAGS if t in tags), "other")
        at = datetime.fromisoformat(m["started_at"]).astimezone()
        duration = _number(analysis.get("duration_s"))
        rows.append(
            (
                at.strftime("%Y-%m-%d %H:%M"),
                say(f"measurements.{kind}", lang),
                format_number(None if duration is None else duration / 60.0, lang, 1),
                format_number(_number(indices.get("rmssd")), lang, 1),
                format_number(_number(indices.get("ln_rmssd")), lang, 2),
                format_number(_number(indices.get("mean_hr")), lang, 0),
                format_number(_number(artifacts.get("percent")), lang, 1),
            )
        )
    columns = tuple(
        say(f"measurements.{k}", lang)
        for k in ("when", "kind", "duration", "rmssd", "ln_rmssd", "hr", "corrected")
    )
    table = Table(columns, tuple(rows), (False, False, True, True, True, True, True))
    return Section("measurements", heading, (Text(count), table))


# --- charts as shapes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One mark of a chart, in user units with y downwards (as SVG; the PDF flips it).

    ``coords``: a line ``x1, y1, x2, y2``; a polyline or polygon ``x, y, x, y, ...``; a
    circle ``cx, cy, r``; a text ``x, y`` (its baseline).
    """

    kind: Literal["line", "polyline", "polygon", "circle", "text"]
    role: Role
    coords: tuple[float, ...]
    text: str = ""
    anchor: Literal["start", "middle", "end"] = "start"


def chart_size(chart: IntervalChart | LineChart) -> tuple[float, float]:
    """Width and height of a chart in user units (points in the PDF)."""
    if isinstance(chart, IntervalChart):
        return CHART_WIDTH, 8.0 + INTERVAL_ROW * len(chart.rows) + 26.0
    if chart.small:
        return SMALL_WIDTH, SMALL_HEIGHT
    return CHART_WIDTH, LINE_HEIGHT


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with "..." to fit ``width`` points of Helvetica at ``size``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, "Helvetica", size) <= width:
        return text
    while text and stringWidth(text + "...", "Helvetica", size) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def chart_shapes(chart: IntervalChart | LineChart, lang: Lang) -> tuple[Shape, ...]:
    """The marks of a chart (see :class:`Shape`); both the PDF and the page draw these."""
    if isinstance(chart, IntervalChart):
        return _interval_shapes(chart, lang)
    return _line_shapes(chart, lang)


def _interval_shapes(chart: IntervalChart, lang: Lang) -> tuple[Shape, ...]:
    width, height = chart_size(chart)
    left, right = INTERVAL_LABELS, width - INTERVAL_VALUES
    top, bottom = 8.0, height - 26.0
    lo = min([0.0, *(r.low for r in chart.rows)])
    hi = max([0.0, *(r.high for r in chart.rows)])
    pad = max((hi - lo) * 0.05, 1.0)
    lo, hi = lo - pad, hi + pad

    def x(value: float) -> float:
        return left + (value - lo) / (hi - lo) * (right - left)

    shapes = [Shape("line", "frame", (left, bottom, right, bottom))]
    step = _nice_step(hi - lo)
    for tick in _ticks(lo, hi, step):
        shapes.append(Shape("line", "grid", (x(tick), top, x(tick), bottom)))
        label = format_number(tick, lang, _decimals(step))
        shapes.append(Shape("text", "tick", (x(tick), bottom + 11.0), label, "middle"))
    shapes.append(Shape("text", "tick", (right, bottom + 22.0), "%", "end"))
    shapes.append(Shape("line", "zero", (x(0.0), top, x(0.0), bottom)))
    for index, row in enumerate(chart.rows):
        y = top + INTERVAL_ROW * (index + 0.5)
        label = _fit(row.label, INTERVAL_LABELS - 8.0, LABEL_SIZE)
        shapes.append(Shape("text", "label", (0.0, y + 3.0), label))
        shapes.append(Shape("line", "interval", (x(row.low), y, x(row.high), y)))
        shapes.append(Shape("circle", "value", (x(row.mean), y, 3.0)))
        shapes.append(Shape("text", "label", (right + 6.0, y + 3.0), row.text))
    return tuple(shapes)


def _line_shapes(chart: LineChart, lang: Lang) -> tuple[Shape, ...]:
    width, height = chart_size(chart)
    if chart.small:
        left, right, top, bottom = 16.0, width - 4.0, 5.0, height - 5.0
    else:
        left, right, top, bottom = 40.0, width - 8.0, 10.0, height - 24.0
    first, last = chart.first.toordinal(), chart.last.toordinal()
    if first >= last:
        first, last = first - 1, last + 1
    numbers = [v.value for v in chart.values] + [v.value for v in chart.mean]
    numbers += [b.low for b in chart.band] + [b.high for b in chart.band]
    if chart.small:
        lo, hi = min([SCORE_MIN, *numbers]), max([SCORE_MAX, *numbers])
    elif numbers:
        lo, hi = min(numbers), max(numbers)
        pad = (hi - lo) * 0.08 if hi > lo else 0.5
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = 0.0, 1.0

    def x(day: date) -> float:
        return left + (day.toordinal() - first) / (last - first) * (right - left)

    def y(value: float) -> float:
        return bottom - (value - lo) / (hi - lo) * (bottom - top)

    shapes: list[Shape] = []
    # The band, in runs of consecutive days that have one.
    runs: list[list[DayBand]] = []
    for band in chart.band:
        if runs and (band.day - runs[-1][-1].day).days <= 7:
            runs[-1].append(band)
        else:
            runs.append([band])
    for run in runs:
        upper = [c for b in run for c in (x(b.day), y(b.high))]
        lower = [c for b in reversed(run) for c in (x(b.day), y(b.low))]
        if len(run) == 1:
            upper = [x(run[0].day) - 1.5, y(run[0].high), x(run[0].day) + 1.5, y(run[0].high)]
            lower = [x(run[0].day) + 1.5, y(run[0].low), x(run[0].day) - 1.5, y(run[0].low)]
        shapes.append(Shape("polygon", "band", tuple(upper + lower)))
    if chart.small:
        for value in (SCORE_MIN, SCORE_MAX / 2, SCORE_MAX):
            shapes.append(Shape("line", "grid", (left, y(value), right, y(value))))
        for value in (SCORE_MIN, SCORE_MAX):
            label = format_number(value, lang)
            shapes.append(Shape("text", "tick", (left - 3.0, y(value) + 2.5), label, "end"))
    else:
        step = _nice_step(hi - lo)
        for tick in _ticks(lo, hi, step):
            shapes.append(Shape("line", "grid", (left, y(tick), right, y(tick))))
            label = format_number(tick, lang, _decimals(step))
            shapes.append(Shape("text", "tick", (left - 4.0, y(tick) + 2.5), label, "end"))
        shapes.append(Shape("line", "frame", (left, bottom, right, bottom)))
        middle = chart.first + (chart.last - chart.first) / 2
        for day, anchor in ((chart.first, "start"), (middle, "middle"), (chart.last, "end")):
            shapes.append(Shape("line", "frame", (x(day), bottom, x(day), bottom + 3.0)))
            shapes.append(
                Shape("text", "tick", (x(day), bottom + 13.0), day.isoformat(), anchor)  # type: ignore[arg-type]
            )
    if len(chart.mean) > 1:
        points = tuple(c for v in chart.mean for c in (x(v.day), y(v.value)))
        shapes.append(Shape("polyline", "mean", points))
    radius = 1.6 if chart.small else 2.2
    shapes.extend(Shape("circle", "value", (x(v.day), y(v.value), radius)) for v in chart.values)
    return tuple(shapes)


# --- the PDF ------------------------------------------------------------------------------

#: Colours of the chart roles in the PDF (the page takes them from report.css): the
#: Okabe-Ito blue and vermilion, readable by people with colour-vision deficiency, and greys
#: that stay apart on a black-and-white printer.
_PDF_STYLE: Final[Mapping[str, tuple[str | None, str | None, float]]] = {
    # role: (stroke, fill, width)
    "frame": ("#555555", None, 0.6),
    "grid": ("#dddddd", None, 0.4),
    "zero": ("#000000", None, 0.9),
    "band": (None, "#e3e3e3", 0.0),
    "interval": ("#0072B2", None, 1.6),
    "value": (None, "#0072B2", 0.0),
    "mean": ("#D55E00", None, 1.2),
    "label": (None, "#000000", 0.0),
    "tick": (None, "#444444", 0.0),
}


def _pdf_safe(text: str) -> str:
    """``text`` in Windows-1252, the built-in fonts' encoding: other letters lose their
    accents (NFKD), anything else becomes "?"."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252")
            out.append(plain or "?")
    return "".join(out)


def _drawing(chart: IntervalChart | LineChart, lang: Lang) -> Any:
    from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, String
    from reportlab.lib.colors import HexColor

    width, height = chart_size(chart)
    drawing = Drawing(width, height)
    for shape in chart_shapes(chart, lang):
        stroke, fill, line = _PDF_STYLE[shape.role]
        c = shape.coords
        flipped = [v if i % 2 == 0 else height - v for i, v in enumerate(c)]
        stroke_color = HexColor(stroke) if stroke else None
        fill_color = HexColor(fill) if fill else None
        if shape.kind == "line":
            item: Any = Line(*flipped, strokeColor=stroke_color, strokeWidth=line)
            if shape.role == "zero":
                item.strokeDashArray = [3, 2]
        elif shape.kind == "polyline":
            item = PolyLine(flipped, strokeColor=stroke_color, strokeWidth=line)
        elif shape.kind == "polygon":
            item = Polygon(flipped, fillColor=fill_color, strokeColor=None, strokeWidth=0)
        elif shape.kind == "circle":
            item = Circle(c[0], height - c[1], c[2], fillColor=fill_color, strokeColor=None)
        else:
            size = LABEL_SIZE if shape.role == "label" else TICK_SIZE
            item = String(
                c[0],
                height - c[1],
                _pdf_safe(shape.text),
                fontName="Helvetica",
                fontSize=size,
                fillColor=fill_color,
                textAnchor=shape.anchor,
            )
        drawing.add(item)
    return drawing


def _pdf(report: Report) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    lang = report.lang
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName="Helvetica", fontSize=9.5)
    body.leading = 12.5
    note = ParagraphStyle("note", parent=body, fontSize=8, leading=10, textColor="#444444")
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceBefore=0)
    cell.spaceAfter = 0
    cell_right = ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=sheet["Title"], fontName="Helvetica-Bold", fontSize=16)
    h1.alignment = 0
    h2 = ParagraphStyle("h2", parent=sheet["Heading2"], fontName="Helvetica-Bold", fontSize=12.5)
    h3 = ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", fontSize=8.5)
    h3.spaceAfter = 0

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(_pdf_safe(text)), style)

    width = A4[0] - 4 * cm

    def table(item: Table) -> PdfTable:
        rows = []
        if any(item.columns):
            rows.append(
                [
                    para(c, head_right if right else head)
                    for c, right in zip(item.columns, item.numeric, strict=True)
                ]
            )
        for row in item.rows:
            rows.append(
                [
                    para(v, cell_right if right else cell)
                    for v, right in zip(row, item.numeric, strict=True)
                ]
            )
        out = PdfTable(rows, repeatRows=1 if any(item.columns) else 0, hAlign="LEFT")
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if any(item.columns):
            style.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black))
        out.setStyle(TableStyle(style))
        out._argW = _column_widths(item, width)
        return out

    story: list[Any] = [para(report.title, h1)]
    for line in (report.name, report.period, report.made_text):
        if line:
            story.append(para(line, body))
    story.append(Paragraph(f"<b>{escape(_pdf_safe(report.doctor))}</b>", body))
    story.append(para(report.own, note))
    for section in report.sections:
        story.append(CondPageBreak(3 * cm))
        story.append(para(section.heading, h2))
        for block in section.blocks:
            if isinstance(block, Text):
                story.append(para(block.text, note if block.note else body))
            elif isinstance(block, Table):
                story.append(table(block))
                story.append(Spacer(1, 4))
            elif isinstance(block, IntervalChart | LineChart):
                story.append(
                    KeepTogether(
                        [
                            para(block.title, h3),
                            para(block.description, note),
                            _drawing(block, lang),
                            Spacer(1, 4),
                        ]
                    )
                )
            else:
                cells = [
                    [para(c.title, h3), _drawing(c, lang), para(c.caption, note)]
                    for c in block.charts
                ]
                columns = 3
                grid_rows = [
                    cells[i : i + columns] + [[""]] * (columns - len(cells[i : i + columns]))
                    for i in range(0, len(cells), columns)
                ]
                grid = PdfTable(grid_rows, colWidths=[width / columns] * columns, hAlign="LEFT")
                grid.setStyle(
                    TableStyle(
                        [
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                            ("LEFTPADDING", (0, 0), (-1, -1), 0),
                            ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                        ]
                    )
                )
                story.append(grid)

    made = report.made.astimezone(UTC)
    stamp = made.strftime("D:%Y%m%d%H%M%S+00'00'")
    footer = _pdf_safe(f"{report.title} · {report.period}")

    def on_page(canvas: Any, doc: Any) -> None:
        # The creation date is the app's clock, not the machine's: two runs on the same
        # report give the same bytes (invariant mode fixes the rest: the id, no comments).
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(2 * cm, 1.2 * cm, footer[:110])
        page = _pdf_safe(say("report.page", lang, page=doc.page))
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, page)
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=2 * cm,
        title=_pdf_safe(report.title),
        author="vagus",
        creator="vagus",
        subject=_pdf_safe(report.period),
        invariant=1,
        lang=lang,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _column_widths(item: Table, width: float) -> list[float]:
    """Column widths in proportion to each column's longest text (at least a short word and
    its padding), filling ``width``."""
    longest = []
    for index in range(len(item.columns)):
        texts = [item.columns[index]] + [row[index] for row in item.rows]
        longest.append(max(10, min(40, max(len(t) for t in texts))))
    if not any(item.columns):  # a key-value table: the key a third
        return [width / 3.0, width * 2.0 / 3.0]
    total = sum(longest)
    return [width * n / total for n in longest]


#: Longest name on a report, in characters.
MAX_NAME_CHARS: Final = 100


def _checked_name(name: str | None) -> str:
    """The name typed for a report, trimmed; a user error naming ``name`` when it is too long
    or holds a control character.

    >>> _checked_name("  Kari Nordmann "), _checked_name(None)
    ('Kari Nordmann', '')
    """
    if name is None:
        return ""
    text = name.strip()
    if len(text) > MAX_NAME_CHARS:
        raise AppError(
            f"name: expected at most {MAX_NAME_CHARS} characters, got {len(text)}", "name"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise AppError("name: expected a name without control characters", "name")
    return text
