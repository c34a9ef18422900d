"""GAD-7, PHQ-8 and DSQ-PEM, scored by hand at every cut-off (vagus.program.questionnaires)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vagus.program.i18n import LANGS, DataFileError, data_dir
from vagus.program.questionnaires import QUESTIONNAIRES, load_questionnaires, score

# GAD-7 (Spitzer 2006): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
GAD7_CASES = [
    ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
    ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
    ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
    ([2, 2, 2, 1, 1, 1, 0], 9, "mild"),
    ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
    ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
    ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),
    ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
]

# PHQ-8 (Kroenke 2009): 0-4, 5-9, 10-14, 15-19, 20-24.
PHQ8_CASES = [
    ([0, 0, 0, 0, 0, 0, 0, 0], 0, "none-minimal"),
    ([1, 1, 1, 1, 0, 0, 0, 0], 4, "none-minimal"),
    ([1, 1, 1, 1, 1, 0, 0, 0], 5, "mild"),
    ([2, 2, 1, 1, 1, 1, 1, 0], 9, "mild"),
    ([2, 2, 2, 1, 1, 1, 1, 0], 10, "moderate"),
    ([2, 2, 2, 2, 2, 2, 1, 1], 14, "moderate"),
    ([2, 2, 2, 2, 2, 2, 2, 1], 15, "moderately-severe"),
    ([3, 3, 3, 2, 2, 2, 2, 2], 19, "moderately-severe"),
    ([3, 3, 3, 3, 2, 2, 2, 2], 20, "severe"),
    ([3, 3, 3, 3, 3, 3, 3, 3], 24, "severe"),
]


@pytest.mark.parametrize(("answers", "total", "severity"), GAD7_CASES)
def test_gad7(answers: list[int], total: int, severity: str) -> None:
    assert sum(answers) == total  # the hand count
    result = score("gad-7", answers)
    assert (result.score, result.severity) == (total, severity)
    assert result.details["max_score"] == 21
    assert result.details["at_or_above_10"] is (total >= 10)


@pytest.mark.parametrize(("answers", "total", "severity"), PHQ8_CASES)
def test_phq8(answers: list[int], total: int, severity: str) -> None:
    assert sum(answers) == total
    result = score("phq-8", answers)
    assert (result.score, result.severity) == (total, severity)
    assert result.details["max_score"] == 24


# DSQ-PEM (Cotler 2018, Appendix B, step 1): frequency >= 2 and severity >= 2 on any symptom.
# Score: mean over the 5 symptoms of (frequency + severity) / 2 x 25, exact in binary floats
# (multiples of 2.5), so compared exactly.
DSQ_CASES = [
    # answers (f1, s1, ..., f5, s5), score, criterion met, symptoms meeting it
    ([0] * 10, 0.0, False, []),
    ([0, 0, 0, 0, 2, 2, 0, 0, 0, 0], 10.0, True, [3]),  # (2+2)/2*25 = 50, /5 = 10
    ([2, 1] * 5, 37.5, False, []),  # severity one short everywhere: (3/2*25) = 37.5
    ([1, 4] * 5, 62.5, False, []),  # frequency one short everywhere
    ([4, 4] * 5, 100.0, True, [1, 2, 3, 4, 5]),
    ([4, 3, 0, 0, 2, 2, 1, 1, 3, 0], 40.0, True, [1, 3]),  # 87.5 + 0 + 50 + 25 + 37.5 = 200
    ([2, 2, 1, 1, 1, 1, 1, 1, 1, 1], 30.0, True, [1]),  # 50 + 4 * 25 = 150
]


@pytest.mark.parametrize(("answers", "total", "met", "items"), DSQ_CASES)
def test_dsq_pem(answers: list[int], total: float, met: bool, items: list[int]) -> None:
    result = score("dsq-pem", answers)
    assert result.score == total
    assert result.severity == ("criterion-met" if met else "criterion-not-met")
    assert result.details["pem_criterion_met"] is met
    assert result.details["items_meeting_criterion"] == items
    assert result.details["frequency"] == answers[0::2]
    assert result.details["severity"] == answers[1::2]
    assert result.details["step2"] == "not asked"


def test_names_are_forgiving() -> None:
    assert score("GAD-7", [0] * 7).name == "gad-7"
    assert score(" PHQ-8 ", [0] * 8).name == "phq-8"
    assert score("DSQ-PEM", [0] * 10).name == "dsq-pem"


def test_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="gad-7: expected 7 answers, got 6"):
        score("gad-7", [0] * 6)
    with pytest.raises(ValueError, match="phq-8: expected 8 answers, got 9"):
        score("phq-8", [0] * 9)  # not the PHQ-9
    with pytest.raises(ValueError, match=r"dsq-pem: expected 10 answers \(2 per item\), got 5"):
        score("dsq-pem", [0] * 5)


def test_out_of_range_answers_name_the_item() -> None:
    with pytest.raises(ValueError, match=r"phq-8, item 8 \('Moving or speaking .*0-3, got 4"):
        score("phq-8", [0] * 7 + [4])
    with pytest.raises(ValueError, match=r"gad-7, item 1 .* got -1"):
        score("gad-7", [-1] + [0] * 6)
    with pytest.raises(
        ValueError, match=r"dsq-pem, item 2 \('Next day soreness.*\), dsq-severity: .*0-4, got 5"
    ):
        score("dsq-pem", [0, 0, 0, 5, 0, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"item 3 .* got True"):
        score("gad-7", [0, 0, True, 0, 0, 0, 0])  # a boolean is not an answer
    with pytest.raises(ValueError, match=r"item 1 .* got 1\.0"):
        score("gad-7", [1.0, 0, 0, 0, 0, 0, 0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="sequence of 7 integers"):
        score("gad-7", "0000000")  # type: ignore[arg-type]


def test_unknown_questionnaire() -> None:
    with pytest.raises(ValueError, match="questionnaire 'phq-9': expected one of gad-7"):
        score("phq-9", [0] * 9)


def test_the_questionnaires() -> None:
    assert list(QUESTIONNAIRES) == ["gad-7", "phq-8", "dsq-pem"]
    sizes = {"gad-7": (7, 7, 21), "phq-8": (8, 8, 24), "dsq-pem": (5, 10, 100)}
    for key, (items, answers, top) in sizes.items():
        q = QUESTIONNAIRES[key]
        assert len(q.items.nb) == len(q.items.en) == items
        assert q.n_answers == answers
        assert q.max_score == top
        assert not q.validated_nb  # our translation, and the data file says so
        for lang in LANGS:
            prompts = q.prompts(lang)
            assert [p.number for p in prompts] == list(range(1, answers + 1))
            assert all(p.question and p.options for p in prompts)
    assert "Spitzer" in QUESTIONNAIRES["gad-7"].reference
    assert "Kroenke" in QUESTIONNAIRES["phq-8"].reference
    assert "Cotler" in QUESTIONNAIRES["dsq-pem"].reference
    assert QUESTIONNAIRES["gad-7"].items.en[3] == "Trouble relaxing"
    assert QUESTIONNAIRES["phq-8"].items.en[0] == "Little interest or pleasure in doing things"
    assert QUESTIONNAIRES["dsq-pem"].items.en[2] == "Mentally tired after the slightest effort"


def test_phq8_has_no_self_harm_item() -> None:
    items = " ".join(QUESTIONNAIRES["phq-8"].items.en).lower()
    assert "dead" not in items
    assert "hurting yourself" not in items


def test_severity_text_and_advice() -> None:
    result = score("phq-8", [3] * 8)
    assert result.severity_text("en") == "severe depressive symptoms"
    assert result.severity_text("nb") == "alvorlige depressive plager"
    advice = result.advice("en")
    assert advice is not None
    assert "113" in advice
    assert score("gad-7", [0] * 7).advice("en") is None
    assert result.to_dict()["score"] == 24


# --- broken questionnaire files ------------------------------------------------------------------
BROKEN = [
    (
        'id = "minimal"\nmin = 0',
        'id = "minimal"\nmin = 1',
        "questionnaires.gad-7.bands: the first band must start at min = 0",
    ),
    (
        'id = "severe"\nmin = 15',
        'id = "severe"\nmin = 9',
        "questionnaires.gad-7.bands: band minima must rise, got [0, 5, 10, 9]",
    ),
    (
        'scales = ["two-weeks"]',
        'scales = ["two-months"]',
        "questionnaires.gad-7.scales: unknown scale 'two-months'",
    ),
    (
        '[questionnaires.gad-7]\nscoring = "sum"',
        '[questionnaires.gad-7]\nscoring = "mean"',
        "questionnaires.gad-7.scoring: unknown scoring",
    ),
    (
        'scales = ["two-weeks"]\ntranslation_nb = "ours"',
        'scales = ["two-weeks"]\ntranslation_nb = "maybe"',
        "questionnaires.gad-7.translation_nb: expected 'ours' or 'validated'",
    ),
    ('    "Trouble relaxing",\n', "", "questionnaires.gad-7.items: nb has 7 items and en has 6"),
    ('name.en = "GAD-7 (anxiety)"\n', "", "questionnaires.gad-7.name: missing the 'en'"),
    (
        'id = "mild"\nmin = 5\n',
        'id = "mild"\nmin = 5\ncolour = 1\n',
        "questionnaires.gad-7.bands[1].colour: unknown key",
    ),
    ('id = "criterion-met"', 'id = "met"', "DSQ-PEM has the bands"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN)
def test_broken_questionnaires_file_names_file_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    source = (data_dir() / "questionnaires.toml").read_text(encoding="utf-8")
    assert old in source, old
    path = tmp_path / "questionnaires.toml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_questionnaires(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)
