"""`vagus hrv`: the table, the JSON, and exit status 2 with one message for bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vagus.app import example_rr_path
from vagus.cli import app
from vagus.hrv import NAMES, analyze, read_rr

runner = CliRunner()


def test_example_table() -> None:
    result = runner.invoke(app, ["hrv", "--example"])
    assert result.exit_code == 0, result.output
    for text in ("Time domain", "Frequency domain", "Nonlinear", "RMSSD", "ms²", "Artifacts"):
        assert text in result.stdout


def test_example_json_is_one_object_matching_analyze() -> None:
    result = runner.invoke(app, ["hrv", "--example", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout
    assert set(data) == {
        "n_beats",
        "n_intervals",
        "duration_s",
        "artifacts",
        "warnings",
        "indices",
    }
    assert list(data["indices"]) == list(NAMES)
    expected = analyze(read_rr(example_rr_path())).to_dict()
    assert data["indices"] == pytest.approx(expected["indices"], rel=1e-12)
    # MIT-BIH record 100 holds 34 premature beats: correction must find them.
    assert data["artifacts"]["corrected"] >= 30


def test_options(tmp_path: Path) -> None:
    path = tmp_path / "rr.csv"
    rng = np.random.default_rng(0)
    rr = 0.8 + rng.normal(0, 0.03, 400)
    path.write_text("when,beat\n" + "".join(f"{i},{v:.4f}\n" for i, v in enumerate(rr)))
    result = runner.invoke(
        app,
        [
            "hrv",
            str(path),
            "--json",
            "--column",
            "beat",
            "--unit",
            "s",
            "--method",
            "ar",
            "--no-correct",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n_intervals"] == 400  # and the beats that bound them
    assert data["n_beats"] == 401
    assert data["artifacts"]["corrected"] == 0
    assert data["indices"]["mean_nn"] == pytest.approx(float(np.mean(np.round(rr, 4))) * 1000)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        ("800\nabc\n", "line 2"),
        ("800\nnan\n", "line 2"),
        ("800\n0\n", "positive"),
        ("800\n-5\n", "positive"),
    ],
)
def test_bad_files_exit_2_with_one_message(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    result = runner.invoke(app, ["hrv", str(path)])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert str(path) in result.stderr.replace("\n", "")
    assert "Traceback" not in result.output


def test_wrong_column_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "rr.csv"
    path.write_text("t,rr\n0,800\n")
    result = runner.invoke(app, ["hrv", str(path), "--column", "ibi"])
    assert result.exit_code == 2
    assert "no column named 'ibi'" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["hrv"]).exit_code == 2
    assert runner.invoke(app, ["hrv", "--example", "--method", "fft"]).exit_code == 2
    assert runner.invoke(app, ["hrv", "--example", "--unit", "min"]).exit_code == 2


def test_indices_command() -> None:
    result = runner.invoke(app, ["indices", "--json", "--lang", "nb"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == list(NAMES)
    assert all(row["meaning"] for row in rows)


def test_console_script_and_module_entry_point(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("800\nabc\n")
    vagus = Path(sys.executable).with_name("vagus")
    for command in ([str(vagus)], [sys.executable, "-m", "vagus"]):
        done = subprocess.run(
            [*command, "hrv", str(bad)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 2
        assert "line 2" in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


def test_docs_indices_is_generated_from_the_registry() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "indices.md"
    result = runner.invoke(app, ["indices", "--markdown"])
    assert result.exit_code == 0
    assert docs.read_text(encoding="utf-8") == result.stdout, (
        "docs/indices.md is out of date: run `vagus indices --markdown > docs/indices.md`"
    )


def test_indices_speak_norwegian() -> None:
    wide = {"COLUMNS": "200"}
    result = runner.invoke(app, ["indices", "--lang", "nb"], env=wide)
    assert result.exit_code == 0, result.output
    norwegian = ("HRV-indekser", "Navn", "Enhet", "Betydning", "Tidsdomenet")
    norwegian += ("RR-intervaller og 60 s",)
    for text in norwegian:
        assert text in result.stdout, text
    for english in ("HRV indices", "Meaning", "Time domain", "beats"):
        assert english not in result.stdout, english
    markdown = runner.invoke(app, ["indices", "--markdown", "--lang", "nb"]).stdout
    assert "## Frekvensdomenet" in markdown
    assert "287,9 s" in markdown  # a decimal comma in Norwegian


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            r"Correction: \d+ of \d+ intervals changed; RMSSD [\d.,]+ ms before, [\d.,]+ ms after",
        ),
        ("nb", r"Korrigering: \d+ av \d+ intervaller endret; RMSSD [\d,]+ ms før, [\d,]+ ms etter"),
    ],
)
def test_table_says_what_correction_changed(lang: str, expected: str) -> None:
    import re

    data = json.loads(runner.invoke(app, ["hrv", "--example", "--json"]).stdout)
    result = runner.invoke(app, ["hrv", "--example", "--lang", lang], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith(expected.split(":")[0]))
    assert re.fullmatch(expected, line.strip()), line
    assert f" {data['artifacts']['changed']} " in line
    assert f" {data['n_intervals']} " in line
    # With correction off nothing is changed: no such line.
    off = runner.invoke(app, ["hrv", "--example", "--no-correct", "--lang", lang])
    assert expected.split(":")[0] not in off.stdout
