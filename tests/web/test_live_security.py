"""Issue 11, finding 4 "A GET writes": the attacks on the live stream, each asserting the refusal
and that nothing was stored or started.

Before the fix ``GET /api/live/stream?session_id=N`` opened a journal recording and started the
sensor with no token, so any page could do it with an ``<img>``, as often as it liked (50
concurrent streams made 50 recordings and 87 threads). Now a recording live view is opened by
``POST /api/live/stream`` with the CSRF token and read once with ``GET ?stream=<id>``; a GET
records nothing; streams are capped (:data:`~vagus.web._live.MAX_STREAMS`, a 503 with
``Retry-After`` beyond).

"Nothing started" is read from the server's :class:`~vagus.web._live.LiveStreams` (slots in use,
recordings waiting), "nothing stored" from the journal's row counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect

from vagus.app import App
from vagus.web import _live
from vagus.web._errors import SensorUnavailableError
from vagus.web._live import (
    ATTACH_WITHIN_S,
    MAX_PREVIEWS,
    MAX_STREAMS,
    STATE_KEY,
    STREAMS_KEY,
    BrowserRecordings,
    LiveStreams,
)
from waiting import wait_until
from web.web_helpers import step_done

STREAM = "/api/live/stream"
#: What a browser sends with an ``<img src=...>`` of another site.
IMG_FROM_ANOTHER_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}
NOTHING_OPEN = {"open": 0, "previews": 0, "waiting": 0}


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def streams_of(client: TestClient) -> LiveStreams:
    return _live.live_streams(client.app.state)  # type: ignore[attr-defined]


def install(client: TestClient, streams: LiveStreams) -> LiveStreams:
    """Give the server a :class:`LiveStreams` of the test's (its own clock, caps)."""
    setattr(client.app.state, STREAMS_KEY, streams)  # type: ignore[attr-defined]
    return streams


def running_session(client: TestClient) -> int:
    """A breathing session with its first step done (so closing it interrupts it, rather
    than removing a session that never began)."""
    started = client.post("/api/sessions", json={"exercise_id": "breathing"})
    assert started.status_code == 201, started.text
    session = started.json()
    first = session["steps"][0]
    step = step_done(first)
    assert client.post(f"/api/sessions/{session['id']}/steps", json=step).status_code == 201
    return int(session["id"])


def status_of_session(client: TestClient, session_id: int) -> Any:
    return client.get(f"/api/sessions/{session_id}").json()["status"]


def open_recording(client: TestClient, session_id: int) -> Any:
    opened = client.post(STREAM, json={"session_id": session_id, "speed": 50})
    assert opened.status_code == 201, opened.text
    return opened.json()


# --- a GET records nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, IMG_FROM_ANOTHER_SITE],
    ids=["without-fetch-metadata", "img-from-another-site"],
)
def test_an_img_get_with_a_session_id_is_refused_and_records_nothing(
    client: TestClient, bare: TestClient, screened: App, headers: dict[str, str]
) -> None:
    session_id = running_session(client)
    before = screened.journal.counts()
    # The attacker's <img src="http://127.0.0.1:8000/api/live/stream?session_id=N">, fifty times
    # over as in the finding (the cap aside, each one is refused on its own).
    for _ in range(MAX_STREAMS + 1):
        answer = bare.get(f"{STREAM}?session_id={session_id}&speed=50&limit=1", headers=headers)
        if headers:
            assert answer.status_code == 403, answer.text
            assert answer.json()["field"] == "csrf"
        else:
            assert answer.status_code == 400, answer.text
            assert answer.json()["field"] == "session_id"
            assert "POST /api/live/stream" in answer.json()["error"]
    assert screened.journal.counts() == before  # no recording row, no beats
    assert status_of_session(client, session_id) == "running"  # not interrupted either
    assert streams_of(client).counts() == NOTHING_OPEN  # no sensor was started


def test_another_sites_page_cannot_open_even_a_preview(client: TestClient, vagus_app: App) -> None:
    """A preview stores nothing, but it connects the sensor (a strap's Bluetooth link): a page
    of another site may not, not even with the person's cookie."""
    before = vagus_app.journal.counts()
    for fetch_site in ("cross-site", "same-site"):
        answer = client.get(f"{STREAM}?speed=50&limit=1", headers={"Sec-Fetch-Site": fetch_site})
        assert answer.status_code == 403, fetch_site
    assert vagus_app.journal.counts() == before
    assert streams_of(client).counts() == NOTHING_OPEN
    # This site's own EventSource (same-origin) gets its preview.
    own = client.get(f"{STREAM}?speed=50&limit=1", headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200
    assert vagus_app.journal.counts() == before


# --- recording needs the POST with the token ----------------------------------------------------


def test_opening_a_recording_without_the_token_is_403_and_starts_nothing(
    client: TestClient, bare: TestClient, screened: App
) -> None:
    session_id = running_session(client)
    before = screened.journal.counts()
    answer = bare.post(STREAM, json={"session_id": session_id, "speed": 50})
    assert answer.status_code == 403
    assert answer.json()["field"] == "csrf"
    # With a token, but from another site's form or script.
    foreign = client.post(
        STREAM,
        json={"session_id": session_id},
        headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status_code == 403
    assert screened.journal.counts() == before
    assert status_of_session(client, session_id) == "running"
    assert streams_of(client).counts() == NOTHING_OPEN


def test_a_bad_post_is_refused_and_starts_nothing(client: TestClient, screened: App) -> None:
    session_id = running_session(client)
    before = screened.journal.counts()
    for body, field in (
        ({"session_id": 999}, "session_id"),  # unknown: 404
        ({"session_id": str(session_id)}, "session_id"),
        ({"speed": 1}, "session_id"),
        ({"session_id": session_id, "speed": 51}, "speed"),
        ({"session_id": session_id, "speed": 0}, "speed"),
        ({"session_id": session_id, "extra": 1}, "extra"),
    ):
        answer = client.post(STREAM, json=body)
        assert answer.status_code in (404, 422), (body, answer.text)
        assert answer.json()["field"] == field, body
    assert screened.journal.counts() == before
    assert streams_of(client).counts() == NOTHING_OPEN


def test_a_stream_id_is_used_once(client: TestClient, screened: App) -> None:
    session_id = running_session(client)
    opened = open_recording(client, session_id)
    assert len(opened["stream"]) >= 43  # secrets.token_urlsafe(32): not guessable
    assert opened["attach_within_s"] == ATTACH_WITHIN_S
    first = client.get(f"{opened['url']}&limit=2")
    assert first.status_code == 200
    assert f'"recording_id": {opened["recording_id"]}' in first.text
    after_first = screened.journal.counts()
    again = client.get(f"{opened['url']}&limit=2")
    assert again.status_code == 404
    assert again.json()["field"] == "stream"
    for unknown in ("x" * 43, "", "a" * 100):
        assert client.get(f"{STREAM}?stream={unknown}&limit=1").status_code == 404, unknown
    assert client.get(f"{STREAM}?stream={'a' * 101}&limit=1").status_code == 422
    assert screened.journal.counts() == after_first  # the refusals made nothing
    assert streams_of(client).counts() == NOTHING_OPEN


# --- the cap --------------------------------------------------------------------------------------


def test_more_streams_than_the_cap_are_503_with_retry_after_and_start_nothing(
    client: TestClient, screened: App
) -> None:
    session_id = running_session(client)
    # Streams opened and not attached hold their slots as attached ones do.
    waiting = [open_recording(client, session_id) for _ in range(MAX_STREAMS)]
    assert streams_of(client).counts() == {
        "open": MAX_STREAMS,
        "previews": 0,
        "waiting": MAX_STREAMS,
    }
    before = screened.journal.counts()
    refused = client.post(STREAM, json={"session_id": session_id, "speed": 50})
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["field"] == "stream"
    preview = client.get(f"{STREAM}?speed=50&limit=1")
    assert preview.status_code == 503
    assert "Retry-After" in preview.headers
    assert screened.journal.counts() == before
    assert streams_of(client).counts()["open"] == MAX_STREAMS
    # A stream that ends frees its slot: the next one opens.
    assert client.get(f"{waiting[0]['url']}&limit=1").status_code == 200
    assert streams_of(client).counts()["open"] == MAX_STREAMS - 1
    assert client.get(f"{STREAM}?speed=50&limit=1").status_code == 200


def test_previews_cannot_take_the_slots_a_session_needs(client: TestClient, screened: App) -> None:
    """Anyone's page could open previews (a GET); a session's recording (a POST with the token)
    still finds a slot when they have taken theirs."""
    streams = streams_of(client)
    previews = [streams.preview(screened, 50.0) for _ in range(MAX_PREVIEWS)]
    try:
        assert client.get(f"{STREAM}?speed=50&limit=1").status_code == 503
        session_id = running_session(client)
        opened = open_recording(client, session_id)
        assert client.get(f"{opened['url']}&limit=1").status_code == 200
    finally:
        for preview in previews:
            preview.close(client_left=True)
    assert streams.counts() == NOTHING_OPEN
    assert client.get(f"{STREAM}?speed=50&limit=1").status_code == 200


def test_finished_streams_free_their_slots(client: TestClient) -> None:
    for _ in range(MAX_STREAMS * 2):
        assert client.get(f"{STREAM}?speed=50&limit=1").status_code == 200
    assert streams_of(client).counts() == NOTHING_OPEN


def test_a_stream_that_fails_to_open_frees_its_slot(
    client: TestClient, screened: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(app: App, speed: float, session_id: int | None) -> Any:
        raise SensorUnavailableError("sensor: no strap in reach", "sensor")

    monkeypatch.setattr(_live, "_open_stream", broken)
    session_id = running_session(client)
    for _ in range(MAX_STREAMS + 1):
        assert client.get(f"{STREAM}?speed=50&limit=1").status_code == 503
        assert client.post(STREAM, json={"session_id": session_id}).status_code == 503
    assert streams_of(client).counts() == NOTHING_OPEN


def test_a_client_gone_before_the_first_byte_frees_its_slot(
    client: TestClient, screened: App
) -> None:
    """The response closes the stream even when its events never began (a generator that
    never started does not run its ``finally``)."""
    session_id = running_session(client)
    streams = streams_of(client)
    stream_id, stream = streams.record(screened, session_id, 50.0)
    response = _live._StreamResponse(None, streams.attach(stream_id), None)  # type: ignore[arg-type]

    async def gone(message: Any) -> None:
        raise OSError("the client hung up")

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    with pytest.raises(ClientDisconnect):
        asyncio.run(response(scope, receive, gone))
    assert stream.closed
    assert streams.counts() == NOTHING_OPEN
    assert screened.journal.recording(stream.recording.recording_id)["ended_at"] is not None
    assert status_of_session(client, session_id) == "interrupted"


# --- a recording nobody attaches to --------------------------------------------------------------


def test_a_stream_not_attached_in_time_is_swept_at_the_next_request(
    client: TestClient, screened: App
) -> None:
    clock = FakeClock()
    install(client, LiveStreams(clock=clock))
    session_id = running_session(client)
    opened = open_recording(client, session_id)
    clock.now_s += ATTACH_WITHIN_S - 1
    assert streams_of(client).sweep() == 0  # not yet
    clock.now_s += 1
    # The next request sweeps it, closed as a client leaving closes it: the recording finished,
    # the running session interrupted, the slot free; its id no longer attaches.
    late = client.get(f"{opened['url']}&limit=1")
    assert late.status_code == 404
    recording = screened.journal.recording(opened["recording_id"])
    assert recording["ended_at"] is not None
    assert recording["session_id"] == session_id
    assert status_of_session(client, session_id) == "interrupted"
    assert streams_of(client).counts() == NOTHING_OPEN


def test_a_stream_not_attached_in_time_is_swept_without_a_request(
    client: TestClient, screened: App
) -> None:
    """The registry's own timer sweeps it: a tab that died between its POST and its GET does
    not leave the sensor running until someone else comes."""
    clock = FakeClock()
    # The timer fires at once (real time); the fake clock says whether the stream is late.
    streams = install(client, LiveStreams(clock=clock, attach_within_s=0.0))
    session_id = running_session(client)
    opened = open_recording(client, session_id)
    wait_until(lambda: streams.counts() == NOTHING_OPEN, what="the sweep of the timer")
    assert screened.journal.recording(opened["recording_id"])["ended_at"] is not None
    assert status_of_session(client, session_id) == "interrupted"


def test_stopping_the_server_closes_streams_not_attached(vagus_app: App) -> None:
    from vagus.program import questions
    from vagus.web import create_app
    from vagus.web._csrf import CSRF_HEADER

    vagus_app.screening.save({q.id: False for q in questions("en")})
    with TestClient(create_app(vagus_app)) as test_client:
        test_client.headers[CSRF_HEADER] = test_client.get("/api/csrf").json()["token"]
        session_id = running_session(test_client)
        opened = open_recording(test_client, session_id)
    assert vagus_app.journal.recording(opened["recording_id"])["ended_at"] is not None


# --- the browser strap's recordings ---------------------------------------------------------------


def test_browser_recordings_are_capped(client: TestClient, vagus_app: App) -> None:
    registry = BrowserRecordings(max_open=2)
    setattr(client.app.state, STATE_KEY, registry)  # type: ignore[attr-defined]
    first, second = (
        client.post("/api/live/browser", json={"name": name}).json()["recording_id"]
        for name in ("A", "B")
    )
    before = vagus_app.journal.counts()
    refused = client.post("/api/live/browser", json={"name": "C"})
    assert refused.status_code == 503
    assert "Retry-After" in refused.headers
    assert vagus_app.journal.counts() == before
    assert registry.open_ids() == sorted([first, second])
    assert client.post(f"/api/live/browser/{first}/finish").status_code == 200
    assert client.post("/api/live/browser", json={"name": "C"}).status_code == 201
