"""The measurement page says what the analysis counted and what the artifact correction changed
(issue 12): beats and RR intervals named for what they are, how many intervals were corrected or
left out with RMSSD before and after, the impossible intervals left out (a strap's 65535), and
for a live recording the share of the time in each coherence level. In nb and en, for an
upload and for a stored measurement; an analysis stored before issue 12 (without these keys)
shows what it has.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from artifact_injection import inject
from vagus.app import App, example_rr_path
from vagus.app.live import COHERENCE_LEVELS, CoherenceShares
from vagus.hrv import analyze, read_rr
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS, RR_INVALID_CODE
from vagus.program import Lang, format_number
from vagus.web._i18n import tr

LANGS: tuple[Lang, ...] = ("nb", "en")
#: Clean intervals under the injected artifacts: about 8.5 minutes at 70/min.
N_CLEAN = 600
#: Artifacts of each kind (missed, extra, ectopic) injected.
PER_KIND = 4
#: Positions where a strap's "no valid interval" code replaces an interval.
INVALID_AT = (50, 51, 200)


def csrf(client: TestClient) -> str:
    token = client.headers.get("X-Vagus-CSRF")
    assert isinstance(token, str)
    return token


def clean_rr() -> np.ndarray:
    """Smooth intervals with a 0.1 Hz swing and a little noise (no artifact of their own)."""
    rng = np.random.default_rng(12)
    t = np.arange(N_CLEAN) * 0.85
    return 850.0 + 40.0 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0.0, 5.0, N_CLEAN)


def rr_text(rr: np.ndarray | list[float]) -> bytes:
    return "\n".join(f"{x:.1f}" for x in rr).encode()


def upload(client: TestClient, name: str, body: bytes, lang: Lang) -> tuple[str, dict[str, Any]]:
    """The upload's page in ``lang`` and its JSON twin."""
    files = {"file": (name, body, "text/plain")}
    page = client.post(f"/upload?lang={lang}", data={"csrf_token": csrf(client)}, files=files)
    assert page.status_code == 200, page.text
    data = client.post(f"/api/upload?lang={lang}", files=files).json()
    return page.text, data


def text_of(page: str) -> str:
    """The page's HTML with its character references read (Jinja escapes ' as &#39;)."""
    return html.unescape(page)


def correction_line(data: dict[str, Any], lang: Lang) -> str:
    art = data["artifacts"]
    return tr(
        "measurement.correction",
        lang,
        changed=format_number(art["changed"], lang),
        intervals=format_number(data["n_intervals"], lang),
        before=format_number(art["rmssd_before"], lang, 1),
        after=format_number(art["rmssd_after"], lang, 1),
    )


def beats_line(data: dict[str, Any], lang: Lang) -> str:
    return tr(
        "measurement.beats",
        lang,
        beats=format_number(data["n_beats"], lang),
        intervals=format_number(data["n_intervals"], lang),
        minutes=format_number(data["duration_s"] / 60.0, lang, 1),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_an_upload_with_artifacts_says_what_the_correction_changed(
    client: TestClient, lang: Lang
) -> None:
    rr, injected = inject(clean_rr(), seed=5, per_kind=PER_KIND)
    page, data = upload(client, "artifacts.txt", rr_text(rr), lang)
    # The JSON twin is the hrv package's own report of the same intervals.
    reference = analyze(np.round(rr, 1))
    assert data["n_intervals"] == rr.size == reference.n_intervals
    assert data["n_beats"] == rr.size + 1
    art = data["artifacts"]
    assert art["changed"] == reference.artifacts.changed
    assert art["changed"] >= len(injected)  # each injected artifact changes 1-2 intervals
    assert art["out_of_range"] == 0
    # Misplaced beats inflate RMSSD; the correction brings it down.
    assert art["rmssd_before"] > art["rmssd_after"] > 0
    assert beats_line(data, lang) in text_of(page)
    assert correction_line(data, lang) in text_of(page)
    # Hand-checkable words, so a wrong catalog entry is noticed too.
    words = {
        "nb": f"{art['changed']} av {rr.size} intervaller korrigert eller utelatt; RMSSD ",
        "en": f"{art['changed']} of {rr.size} intervals corrected or left out; RMSSD ",
    }
    assert words[lang] in page
    assert f"{rr.size + 1} {'slag' if lang == 'nb' else 'beats'} ({rr.size} RR" in page
    # No impossible interval, so no sentence about one; an upload is not a live recording,
    # so no coherence shares.
    assert ("umulige" if lang == "nb" else "impossible") not in page
    assert ("Koherens er hvor mye" if lang == "nb" else "Coherence is how much") not in page


@pytest.mark.parametrize("lang", LANGS)
def test_an_upload_with_65535_values_says_they_were_left_out(
    client: TestClient, lang: Lang
) -> None:
    rr = [float(x) for x in np.round(clean_rr()[:300], 1)]
    for at in INVALID_AT:
        rr[at] = float(RR_INVALID_CODE)
    page, data = upload(client, "strap.txt", rr_text(rr), lang)
    art = data["artifacts"]
    assert data["n_intervals"] == len(rr)  # the impossible ones are counted as read...
    assert art["out_of_range"] == len(INVALID_AT)  # ...and left out
    assert art["changed"] >= len(INVALID_AT)
    expected = tr(
        "measurement.out_of_range",
        lang,
        n=len(INVALID_AT),
        min=format_number(MIN_RR_MS, lang),
        max=format_number(MAX_RR_MS, lang),
    )
    assert expected in text_of(page)
    words = {
        "nb": "3 av intervallene var umulige (under 200 ms eller over 3",
        "en": "3 of the intervals were impossible (under 200 ms or over 3,000 ms)",
    }
    assert words[lang] in page
    assert correction_line(data, lang) in text_of(page)
    # The RMSSD before correction leaves the impossible values out too: a plausible number.
    assert art["rmssd_before"] < 100


def _stored(app: App, rr: list[float], analysis: object) -> int:
    journal = app.journal
    rid = journal.start_recording("replay", datetime(2026, 1, 1, 7, tzinfo=UTC), [])
    journal.append_beats(rid, rr)
    journal.finish_recording(rid, analysis=analysis)
    return rid


def _example_rr(n: int) -> list[float]:
    return [float(x) for x in read_rr(example_rr_path())[:n]]


#: An analysis as vagus stored it before issue 12: n_beats counted the intervals, and the
#: artifacts had no changed, out_of_range or RMSSD before and after.
OLD_ANALYSIS: dict[str, Any] = {
    "n_beats": 300,
    "duration_s": 240.0,
    "artifacts": {
        "enabled": True,
        "detected": 2,
        "corrected": 2,
        "percent": 2 / 3,
        "by_type": {"ectopic": 2, "missed": 0, "extra": 0, "long": 0, "short": 0},
    },
    "warnings": [],
    "indices": {"rmssd": 35.2, "mean_hr": 70.1},
}


@pytest.mark.parametrize("lang", LANGS)
def test_an_old_analysis_shows_what_it_has(client: TestClient, vagus_app: App, lang: Lang) -> None:
    rid = _stored(vagus_app, _example_rr(300), OLD_ANALYSIS)
    response = client.get(f"/measurements/{rid}?lang={lang}")
    assert response.status_code == 200, response.text
    page = response.text
    expected = {
        "nb": ["300 RR-intervaller over 4,0 min.", "2 av 300 intervaller korrigert som artefakter"],
        "en": [
            "300 RR intervals over 4.0 min.",
            "2 of 300 intervals corrected as artifacts (0.7 %)",
        ],
    }
    for text in expected[lang]:
        assert text in page
    # Nothing it does not have: no beats count, no RMSSD before/after, no coherence.
    assert "(300 RR" not in page
    assert ("ukorrigert" if lang == "nb" else "uncorrected") not in page
    assert ("Koherens" if lang == "nb" else "Coherence") not in page.split("<table", 1)[0]
    assert "RMSSD" in page  # the index table is still there


@pytest.mark.parametrize(
    "analysis",
    [
        {},
        {"n_beats": "many", "duration_s": None, "artifacts": "none", "coherence": "high"},
        {"n_beats": 300, "n_intervals": 299, "artifacts": {"changed": True, "rmssd_before": "x"}},
        {"n_beats": 300, "coherence": {"n_windows": 3, "low": "a", "thresholds": [1]}},
        {"n_beats": 10**30, "duration_s": 1e308, "artifacts": {"out_of_range": -1}},
    ],
    ids=["empty", "wrong-types", "half-new", "bad-shares", "odd-numbers"],
)
def test_a_malformed_analysis_renders(client: TestClient, vagus_app: App, analysis: Any) -> None:
    """An imported journal may hold anything in an analysis: the page renders what makes sense."""
    rid = _stored(vagus_app, _example_rr(100), analysis)
    for lang in LANGS:
        response = client.get(f"/measurements/{rid}?lang={lang}")
        assert response.status_code == 200, response.text


def _percent(share: float, lang: Lang) -> str:
    return f"{format_number(100.0 * share, lang, 0)} %"


@pytest.mark.parametrize("lang", LANGS)
def test_a_live_recording_shows_its_coherence_shares(
    client: TestClient, vagus_app: App, lang: Lang
) -> None:
    analysis = analyze(np.asarray(_example_rr(300))).to_dict()
    analysis["coherence"] = CoherenceShares(low=1, medium=2, high=1).to_json()
    rid = _stored(vagus_app, _example_rr(300), analysis)
    page = client.get(f"/measurements/{rid}?lang={lang}").text
    words = {
        "nb": "Koherens gjennom opptaket: lav 25 %, middels 50 %, høy 25 % av tiden "
        "(målt hvert 5. sekund, 4 ganger i alt",
        "en": "Coherence over the recording: low 25 %, medium 50 %, high 25 % of the time "
        "(measured every 5 s, 4 in all",
    }
    assert words[lang] in page
    medium, high = ("0,5", "1,8") if lang == "nb" else ("0.5", "1.8")
    explained = tr(
        "measurement.coherence_help", lang, window="64", every="5", medium=medium, high=high
    )
    assert explained in text_of(page)
    # And the correction line, from the same analysis.
    assert correction_line(analysis, lang) in text_of(page)

    # A live recording under 64 s of beats has no coherence value: it says so.
    analysis["coherence"] = CoherenceShares().to_json()
    rid = _stored(vagus_app, _example_rr(300), analysis)
    page = client.get(f"/measurements/{rid}?lang={lang}").text
    assert tr("live.coherence_none", lang, window="64") in text_of(page)


def test_a_browser_recording_shows_the_shares_it_saved(client: TestClient, vagus_app: App) -> None:
    """End to end: beats posted by the browser, finished, and the page shows the saved shares."""
    rr = _example_rr(140)  # about 110 s: coherence windows from 64 s on
    started = client.post("/api/live/browser", json={"name": "strap"})
    recording_id = started.json()["recording_id"]
    answer = client.post(
        f"/api/live/browser/{recording_id}/beats",
        json={"beats": [{"rr_ms": value} for value in rr], "seq": 0},
    )
    assert answer.status_code == 200, answer.text
    finished = client.post(f"/api/live/browser/{recording_id}/finish").json()
    shares = finished["coherence"]
    assert shares["n_windows"] >= 1
    stored = client.get(f"/api/measurements/{recording_id}").json()["analysis"]
    assert stored["coherence"] == shares
    for lang in LANGS:
        page = client.get(f"/measurements/{recording_id}?lang={lang}").text
        expected = tr(
            "live.coherence_shares",
            lang,
            **{level: _percent(shares[level], lang) for level in COHERENCE_LEVELS},
            n=shares["n_windows"],
            every=format_number(shares["every_s"], lang, None),
        )
        assert expected in text_of(page)
        assert beats_line(stored, lang) in text_of(page)
