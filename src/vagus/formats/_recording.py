"""What a reader returns: :class:`Recording`, and the beats CSV that ``vagus convert`` writes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from vagus.formats._common import FormatError, Kind
from vagus.hrv._types import FloatArray

if TYPE_CHECKING:
    from vagus.signals import BeatDetection

#: Header of the beats CSV: the time of the beat that ends each interval, and the interval.
BEATS_CSV_HEADER: Final[str] = "time_s,rr_ms"
#: Decimals kept for beat times: 1 microsecond, far below any recording's resolution.
BEAT_TIME_DECIMALS: Final[int] = 6


@dataclass(frozen=True)
class SeriesInfo:
    """One beat series of a file that holds several (an Apple Health export).

    ``index`` is 1-based in time order; choose it with ``load(..., channel=f"series:{index}")``.
    """

    index: int
    start: datetime | None
    end: datetime | None
    n_beats: int
    device: str

    def describe(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "index": self.index,
            "choose_with": f"series:{self.index}",
            "start": _iso(self.start),
            "end": _iso(self.end),
            "n_beats": self.n_beats,
            "device": self.device,
        }


@dataclass(frozen=True, eq=False)
class Recording:
    """A recording read from a file: beat intervals, a waveform, or both, and what the file says.

    Attributes
    ----------
    source : str
        The path as given.
    format : str
        One of :data:`vagus.formats.FORMATS`.
    kind : {"rr", "ecg", "ppg"}
        ``"rr"`` when the file holds beat intervals (or beat annotations); ``"ecg"`` or ``"ppg"``
        when beats must be detected in the waveform.
    rr_ms : numpy.ndarray or None
        Beat intervals in milliseconds, oldest first.
    signal : numpy.ndarray or None
        The waveform in the file's physical unit (``metadata["unit"]``).
    fs_hz : float or None
        Sampling rate of ``signal`` in Hz.
    channel : str or None
        The channel used (EDF, WFDB), or the series chosen (Apple Health).
    start : datetime or None
        Recording start, when the file says (time-zone aware when the file gives the offset).
    metadata : dict of str to str
        Device, subject, ... whatever the file says, for ``vagus info``.
    warnings : list of str
        What the reader noticed that affects the analysis.
    channels : tuple of str
        Every channel label in the file (EDF, WFDB).
    series : tuple of SeriesInfo
        Every beat series in the file (Apple Health), in time order.
    beat_times_s : numpy.ndarray or None
        When the file gives the time of each beat: the time of the beat that ends each interval
        of ``rr_ms``, in s since the recording's start (its first sample, or the start the file
        names), one per interval. None when the file holds intervals only.
    """

    source: str
    format: str
    kind: Kind
    rr_ms: FloatArray | None
    signal: FloatArray | None
    fs_hz: float | None
    channel: str | None
    start: datetime | None
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    channels: tuple[str, ...] = ()
    series: tuple[SeriesInfo, ...] = ()
    beat_times_s: FloatArray | None = None

    def beats(self) -> tuple[FloatArray, list[str]]:
        """RR intervals in ms for analysis, and every warning about them.

        The intervals are ``rr_ms`` when the file holds them; otherwise they are detected in the
        waveform by :func:`vagus.signals.detect_ecg_beats` or
        :func:`~vagus.signals.detect_ppg_beats` (intervals across unusable stretches are left
        out). The warnings are the file's (``self.warnings``) followed by the detector's.

        Returns
        -------
        rr_ms : numpy.ndarray
            RR intervals in ms, float64.
        warnings : list of str

        Raises
        ------
        vagus.hrv.RrDataError
            When the waveform is not usable (too short, flat, a sampling rate the detector does
            not take) or holds no two consecutive beats; the message names the file.

        >>> import numpy as np
        >>> rec = Recording("x.txt", "rr-text", "rr", np.array([800.0, 810.0]), None, None,
        ...                 None, None)
        >>> rec.beats()
        (array([800., 810.]), [])
        """
        rr_ms, _, warnings = self.timed_beats()
        return rr_ms, warnings

    def timed_beats(self) -> tuple[FloatArray, FloatArray | None, list[str]]:
        """:meth:`beats`, with the time of each interval's end where the file tells it.

        Returns
        -------
        rr_ms : numpy.ndarray
            As :meth:`beats`.
        times_s : numpy.ndarray or None
            The time of the beat that ends each interval, in s since the recording's start:
            for a waveform the detected beats' times from its first sample (intervals left out
            across unusable stretches keep their true times after the gap); for intervals read
            from a file, ``beat_times_s`` (None when the file gives no beat times).
        warnings : list of str
            As :meth:`beats`.

        >>> import numpy as np
        >>> rec = Recording("x.txt", "rr-text", "rr", np.array([800.0, 810.0]), None, None,
        ...                 None, None)
        >>> rec.timed_beats()
        (array([800., 810.]), None, [])
        """
        if self.rr_ms is not None:
            return self.rr_ms, self.beat_times_s, list(self.warnings)
        if self.signal is None or self.fs_hz is None:
            raise FormatError(f"{self.source}: holds neither beat intervals nor a waveform")
        # Imported here: signals loads sleepecg and scipy, which reading RR files never needs.
        from vagus.signals import detect_ecg_beats, detect_ppg_beats

        detector = detect_ppg_beats if self.kind == "ppg" else detect_ecg_beats
        where = self.source if self.channel is None else f"{self.source}, channel {self.channel}"
        detection = detector(self.signal, self.fs_hz, source=where)
        rr_ms = np.ascontiguousarray(detection.rr_ms(), dtype=np.float64)
        if rr_ms.size == 0:
            raise FormatError(
                f"{where}: no two consecutive heartbeats were found in the "
                f"{self.kind.upper()} waveform"
            )
        return rr_ms, _interval_ends(detection, rr_ms), [*self.warnings, *detection.warnings]

    @property
    def duration_s(self) -> float | None:
        """Length in seconds: the sum of the intervals, else samples / sampling rate."""
        if self.rr_ms is not None:
            return float(np.sum(self.rr_ms)) / 1000.0
        if self.signal is not None and self.fs_hz:
            return self.signal.size / self.fs_hz
        return None

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary for ``vagus info``.

        Keys: source, format, kind, duration_s, n_beats (intervals, when the file holds them),
        n_samples, fs_hz, channel, channels, start (ISO 8601), metadata, warnings, and series
        (each with the ``channel`` value that chooses it) when the file holds several.

        >>> import numpy as np
        >>> rec = Recording("x.txt", "rr-text", "rr", np.array([800.0, 1200.0]), None, None,
        ...                 None, None)
        >>> rec.describe()["duration_s"], rec.describe()["n_beats"]
        (2.0, 2)
        """
        summary: dict[str, object] = {
            "source": self.source,
            "format": self.format,
            "kind": self.kind,
            "duration_s": self.duration_s,
            "n_beats": None if self.rr_ms is None else int(self.rr_ms.size),
            "n_samples": None if self.signal is None else int(self.signal.size),
            "fs_hz": self.fs_hz,
            "channel": self.channel,
            "channels": list(self.channels),
            "start": _iso(self.start),
            "metadata": dict(self.metadata),
            "warnings": list(self.warnings),
        }
        if self.series:
            summary["series"] = [info.describe() for info in self.series]
        return summary


def _interval_ends(detection: BeatDetection, rr_ms: FloatArray) -> FloatArray | None:
    """The time (s from the first sample) of the beat ending each interval ``detection.rr_ms()``
    kept: the intervals that span no unusable range, as it decides (checked: where the two
    could ever disagree, None rather than a wrong time)."""
    times_s = np.asarray(detection.times_s, dtype=np.float64)
    keep = np.ones(max(times_s.size - 1, 0), dtype=bool)
    peaks = np.asarray(detection.peaks, dtype=np.int64)
    for start, stop in detection.unusable:
        # An interval spans the range when its beats lie on either side of a sample of it.
        keep &= ~((peaks[:-1] < stop) & (peaks[1:] > start))
    ends = times_s[1:][keep]
    if ends.size != rr_ms.size or not np.allclose(
        np.diff(times_s)[keep] * 1000.0, rr_ms, rtol=0, atol=1e-6
    ):
        return None
    return np.ascontiguousarray(ends)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def write_beats_csv(
    rr_ms: FloatArray | Sequence[float],
    path: str | Path,
    *,
    times_s: FloatArray | Sequence[float] | None = None,
) -> None:
    """Write RR intervals as a CSV of ``time_s,rr_ms`` that ``vagus hrv`` reads back.

    ``time_s`` is the time of the beat that ends each interval, in s since the recording's
    start, rounded to 1 microsecond; ``rr_ms`` is written in the shortest form that reads back
    to the same float.

    Parameters
    ----------
    rr_ms : array_like
        RR intervals in ms, all finite and positive.
    path : str or pathlib.Path
        The CSV file to write (overwritten).
    times_s : array_like, optional
        The time of the beat ending each interval, s since the recording's start, one per
        interval, finite and increasing (:meth:`Recording.timed_beats`: a waveform's detected
        beats, a file's beat times). Without it, as for a file of intervals only, the recording
        is taken to start at its first beat: that beat is at 0 s (and ends no interval), and
        each time is the sum of the intervals up to it.

    Raises
    ------
    vagus.hrv.RrDataError
        For an empty series, a value that is not a positive finite number (naming its index),
        times that do not match the intervals, or a file that cannot be written.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "beats.csv"
    >>> write_beats_csv([800.0, 812.5], out)
    >>> print(out.read_text(), end="")
    time_s,rr_ms
    0.8,800
    1.6125,812.5
    >>> write_beats_csv([800.0, 812.5], out, times_s=[3.8, 4.6125])
    >>> print(out.read_text(), end="")
    time_s,rr_ms
    3.8,800
    4.6125,812.5
    """
    target = Path(path)
    values = np.asarray(rr_ms, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise FormatError(f"{target}: no RR intervals to write")
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        index = int(np.argmax(bad))
        raise FormatError(
            f"{target}: RR interval {index} is {float(values[index])!r}; expected a positive "
            f"duration in ms"
        )
    if times_s is None:
        ends = np.cumsum(values) / 1000.0
    else:
        ends = np.asarray(times_s, dtype=np.float64).reshape(-1)
        if ends.size != values.size:
            raise FormatError(
                f"{target}: {ends.size} beat times for {values.size} RR intervals; expected "
                f"one time per interval"
            )
        if not (np.all(np.isfinite(ends)) and np.all(np.diff(ends) > 0)):
            raise FormatError(f"{target}: the beat times are not finite and increasing")
    times_s_out = np.round(ends, BEAT_TIME_DECIMALS)
    lines = [BEATS_CSV_HEADER]
    pairs = zip(times_s_out.tolist(), values.tolist(), strict=True)
    lines.extend(f"{_shortest(t)},{_shortest(rr)}" for t, rr in pairs)
    try:
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as error:
        raise FormatError(f"{target}: cannot be written ({error.strerror or error})") from None


def _shortest(value: float) -> str:
    """The shortest decimal that reads back to ``value``, without a trailing ``.0``.

    >>> _shortest(800.0), _shortest(812.5), _shortest(0.1 + 0.2)
    ('800', '812.5', '0.30000000000000004')
    """
    if value == math.floor(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
