"""ReplaySensor: a real recording played as a live sensor, on fake time (no real sleeping)."""

from __future__ import annotations

import asyncio
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from vagus.devices._sensor import Beat, Sensor, SensorError
from vagus.devices.replay import ReplaySensor
from vagus.hrv import parse_rr_text

START_S = 1000.0  # fake clocks start far from 0, so an offset bug cannot hide


class FakeTime:
    """Virtual time: ``sleep`` moves the clock on at once, plus an optional oversleep."""

    def __init__(self, oversleep_s: float = 0.0) -> None:
        self.now = START_S
        self.oversleep_s = oversleep_s
        self.sleeps: list[float] = []
        self.yields: list[float] = []  # the clock when each beat reached the consumer

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + self.oversleep_s
        await asyncio.sleep(0)


class ManualTime:
    """Virtual time that only moves when the test says: ``sleep`` blocks until ``advance``."""

    def __init__(self) -> None:
        self.now = START_S
        self._waiting: list[tuple[float, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((self.now + seconds, future))
        await future

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        for due, future in list(self._waiting):
            if due <= self.now:
                self._waiting.remove((due, future))
                if not future.done():
                    future.set_result(None)
        for _ in range(10):  # let every woken task run to its next wait
            await asyncio.sleep(0)


async def take(sensor: ReplaySensor, n: int, *, time: FakeTime | None = None) -> list[Beat]:
    """The first ``n`` beats (fewer if the stream ends), noting the clock at each in ``time``."""
    out: list[Beat] = []
    async for beat in sensor.beats():
        out.append(beat)
        if time is not None:
            time.yields.append(time.now)
        if len(out) == n:
            break
    return out


def write(tmp_path: Path, text: str, name: str = "rr.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_is_a_sensor() -> None:
    sensor = ReplaySensor()
    assert isinstance(sensor, Sensor)
    assert sensor.info.kind == "replay"


async def test_beat_times_and_values_equal_the_file(tmp_path: Path) -> None:
    # Seconds with a decimal comma and a header: read_rr's work; the beats must be its values.
    path = write(tmp_path, "RR (s)\n0,8125\n0,7980\n1,0205\n0,6500\n")
    time = FakeTime()
    sensor = ReplaySensor(path, speed=4.0, sleep=time.sleep, clock=time.clock)
    assert sensor.info.name == "replay: rr.txt"
    async with sensor:
        beats = await take(sensor, 100, time=time)
    assert [b.rr_ms for b in beats] == [812.5, 798.0, 1020.5, 650.0]  # exact
    expected_t = np.cumsum([0.8125, 0.798, 1.0205, 0.65])
    assert [b.t_s for b in beats] == pytest.approx(expected_t, abs=1e-12)
    assert all(b.hr_bpm is None and not b.gap_before for b in beats)
    # Each beat came exactly at its due time: start + t / speed (the fake sleep is exact).
    assert time.yields == pytest.approx(START_S + expected_t / 4.0, abs=1e-9)


async def test_example_recording_plays_in_full() -> None:
    text = (resources.files("vagus") / "data" / "example_rr.txt").read_text(encoding="utf-8")
    rr = parse_rr_text(text)
    time = FakeTime()
    sensor = ReplaySensor(speed=1e6, sleep=time.sleep, clock=time.clock)
    assert sensor.info.name == "replay: MIT-BIH 100 (example)"
    async with sensor:
        beats = await take(sensor, 10**6)
    assert len(beats) == rr.size == 2272  # MIT-BIH 100: 2273 annotated beats, 2272 intervals
    assert np.array_equal([b.rr_ms for b in beats], rr)
    assert beats[0].rr_ms == 813.889
    assert beats[-1].t_s == pytest.approx(rr.sum() / 1000.0, abs=1e-9)
    assert sensor.duration_s == pytest.approx(1805.3, abs=0.1)


async def test_speed_100_plays_a_minute_in_0_6_seconds() -> None:
    time = FakeTime()
    sensor = ReplaySensor(speed=100.0, sleep=time.sleep, clock=time.clock)
    async with sensor:
        async for beat in sensor.beats():
            if beat.t_s >= 60.0:
                break
    elapsed_s = time.now - START_S
    # The 60 s mark is passed by the first beat at or after it: within one interval (< 1.1 s).
    assert elapsed_s == pytest.approx(beat.t_s / 100.0, abs=1e-9)
    assert 0.6 <= elapsed_s < 0.611
    # Every wait was one interval at 100x, never longer (the longest RR is 1.1 s).
    assert max(time.sleeps) < 0.011


async def test_late_wakeups_do_not_accumulate() -> None:
    # Every sleep wakes 5 ms late. Sleeping one interval at a time would end 200 x 5 ms = 1 s
    # late after 200 beats; computing each due time from the start keeps it within 5 ms.
    time = FakeTime(oversleep_s=0.005)
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)
    async with sensor:
        beats = await take(sensor, 200, time=time)
    lateness = np.array(time.yields) - (START_S + np.array([b.t_s for b in beats]))
    assert lateness.min() >= -1e-9
    assert lateness.max() <= 0.005 + 1e-9
    assert lateness[-1] <= 0.005 + 1e-9


async def test_slow_consumer_gets_the_backlog_at_once_with_correct_times() -> None:
    time = FakeTime()
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)
    beats: list[Beat] = []
    async with sensor:
        async for beat in sensor.beats():
            beats.append(beat)
            time.yields.append(time.now)
            if len(beats) == 10:
                time.now += 30.0  # the consumer is busy for 30 s of real time
            if len(beats) == 60:
                break
    times = np.array([b.t_s for b in beats])
    assert times == pytest.approx(np.cumsum([b.rr_ms for b in beats]) / 1000.0, abs=1e-9)
    busy_until = START_S + times[9] + 30.0
    after_first_ten = np.arange(60) >= 10
    overdue = (START_S + times <= busy_until) & after_first_ten
    later = (START_S + times > busy_until) & after_first_ten
    assert int(overdue.sum()) == 36  # the beats of those 30 s (MIT-BIH 100 at ~75 bpm)
    # The overdue beats came at once, without a sleep of the injected kind...
    assert np.array(time.yields)[overdue] == pytest.approx(busy_until, abs=1e-9)
    assert len(time.sleeps) == 10 + int(later.sum())
    # ...and after them each beat came at its own due time again: no lasting delay.
    assert np.array(time.yields)[later] == pytest.approx(START_S + times[later], abs=1e-9)


async def test_loop_marks_a_gap_at_each_wrap(tmp_path: Path) -> None:
    path = write(tmp_path, "800\n900\n1000\n")
    time = FakeTime()
    sensor = ReplaySensor(path, loop=True, speed=10.0, sleep=time.sleep, clock=time.clock)
    async with sensor:
        beats = await take(sensor, 8)
    assert [b.rr_ms for b in beats] == [800, 900, 1000] * 2 + [800, 900]
    assert [b.gap_before for b in beats] == [False, False, False, True, False, False, True, False]
    # t_s keeps growing: the second pass starts where the first ended (2.7 s).
    assert [b.t_s for b in beats] == pytest.approx([0.8, 1.7, 2.7, 3.5, 4.4, 5.4, 6.2, 7.1])
    once = ReplaySensor(path, speed=10.0, sleep=time.sleep, clock=time.clock)
    async with once:
        assert len(await take(once, 8)) == 3  # without loop the stream ends


async def test_break_and_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join(str(800 + k) for k in range(10)))
    time = FakeTime()
    sensor = ReplaySensor(path, sleep=time.sleep, clock=time.clock)
    async with sensor:
        first = await take(sensor, 3)
        rest = await take(sensor, 100)
    assert [b.rr_ms for b in first + rest] == [800 + k for k in range(10)]


async def test_exit_ends_a_reader_in_another_task() -> None:
    time = ManualTime()
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)
    got: list[Beat] = []

    async def reader() -> None:
        async for beat in sensor.beats():
            got.append(beat)

    async with sensor:
        task = asyncio.create_task(reader())
        await time.advance(2.5)  # MIT-BIH 100 beats at 0.81, 1.63, 2.41 s
        assert len(got) == 3
    await time.advance(5.0)  # the reader wakes, sees the sensor closed, and stops
    assert task.done()
    assert not task.cancelled()
    assert task.exception() is None
    assert len(got) == 3  # nothing was delivered after exit


async def test_cancelled_reader_leaves_the_stream_intact() -> None:
    time = ManualTime()
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)
    got: list[Beat] = []

    async def reader() -> None:
        async for beat in sensor.beats():
            got.append(beat)

    async with sensor:
        task = asyncio.create_task(reader())
        await time.advance(1.0)  # one beat delivered, the reader sleeps for the second
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [b.rr_ms for b in got] == [813.889]
        # A new reader gets the beat the cancelled one was waiting for, then on as usual.
        task = asyncio.create_task(reader())
        await time.advance(1.0)
        assert [b.rr_ms for b in got] == [813.889, 811.111]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not sensor.is_open


async def test_enter_and_exit_are_idempotent_and_reentry_restarts() -> None:
    time = FakeTime()
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)
    assert sensor.started_at_s is None
    async with sensor:
        assert sensor.started_at_s == START_S
        time.now += 5.0
        assert await sensor.__aenter__() is sensor  # already open: nothing happens
        assert sensor.started_at_s == START_S  # the stream did not restart
        assert [b.rr_ms for b in await take(sensor, 2)] == [813.889, 811.111]
    await sensor.__aexit__(None, None, None)  # already closed: nothing happens
    assert not sensor.is_open
    async with sensor:  # a new connection: the stream starts again, t_s from 0
        again = await take(sensor, 1)
    assert again[0].rr_ms == 813.889
    assert again[0].t_s == pytest.approx(0.813889)


async def test_an_error_in_the_body_propagates_and_the_sensor_closes() -> None:
    time = FakeTime()
    sensor = ReplaySensor(sleep=time.sleep, clock=time.clock)

    async def body() -> None:
        async with sensor:
            await take(sensor, 1)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await body()
    assert not sensor.is_open
    with pytest.raises(SensorError, match="not connected"):
        await take(sensor, 1)


def test_missing_file_is_a_sensor_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(SensorError, match=r"nowhere\.txt: no such file") as info:
        ReplaySensor(missing)
    assert str(missing) in str(info.value)


def test_bad_file_is_a_sensor_error_with_the_readers_message(tmp_path: Path) -> None:
    path = write(tmp_path, "812\nabc\n790\n", name="broken.txt")
    with pytest.raises(SensorError) as info:
        ReplaySensor(path)
    assert str(info.value) == f"{path}, line 2: expected a number (an RR interval), got 'abc'"
    with pytest.raises(SensorError, match="is a folder"):
        ReplaySensor(tmp_path)
    with pytest.raises(SensorError, match=r"empty\.txt: the file is empty"):
        ReplaySensor(write(tmp_path, "# only a comment\n", name="empty.txt"))


async def test_from_rr_plays_loaded_intervals() -> None:
    time = FakeTime()
    sensor = ReplaySensor.from_rr(
        np.array([900.0, 950.0]), name="ride.fit", sleep=time.sleep, clock=time.clock
    )
    assert sensor.info.name == "replay: ride.fit"
    async with sensor:
        beats = await take(sensor, 10)
    assert [(b.t_s, b.rr_ms) for b in beats] == [(0.9, 900.0), (1.85, 950.0)]


@pytest.mark.parametrize(
    ("rr", "message"),
    [
        ([], "ride.fit: no RR intervals found"),
        ([800.0, math.nan], "ride.fit, index 1: expected a finite RR interval"),
        ([800.0, -5.0], "ride.fit, index 1: an RR interval must be a positive duration"),
        ([80.0, 90.0], "ride.fit: the typical value is 85"),
    ],
)
def test_from_rr_refuses_bad_intervals(rr: list[float], message: str) -> None:
    with pytest.raises(SensorError, match=message.replace(".", r"\.")):
        ReplaySensor.from_rr(rr, name="ride.fit")


@pytest.mark.parametrize("speed", [0, -1.0, math.nan, math.inf, True, "2"])
def test_speed_must_be_a_positive_number(speed: object) -> None:
    with pytest.raises(ValueError, match="speed must be"):
        ReplaySensor(speed=speed)  # type: ignore[arg-type]
