"""`vagus hrv --lang nb` and `vagus info --lang nb`: warnings and labels in Norwegian."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from vagus.cli import app

runner = CliRunner()


def short_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    path = tmp_path / "short.txt"
    path.write_text("\n".join(f"{x:.1f}" for x in 800 + 30 * rng.standard_normal(40)))
    return path


def test_hrv_in_norwegian_prints_norwegian_warnings_and_labels(
    tmp_path: Path, vagus_env: dict[str, str]
) -> None:
    result = runner.invoke(app, ["hrv", str(short_file(tmp_path)), "--lang", "nb"], env=vagus_env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Tidsdomenet", "Verdi", "Enhet", "slag/min", "advarsel:", "ikke beregnet"):
        assert text in out, text
    assert "not computed" not in out
    assert "bpm" not in out


def test_hrv_in_english_is_as_before(tmp_path: Path, vagus_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["hrv", str(short_file(tmp_path)), "--lang", "en"], env=vagus_env)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stdout
    assert "not computed, needs at least" in result.stdout


def test_hrv_user_error_in_norwegian(tmp_path: Path, vagus_env: dict[str, str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["hrv", str(empty), "--lang", "nb"], env=vagus_env)
    assert result.exit_code == 2
    assert "feil:" in result.output
    assert "filen er tom" in result.output


def test_info_in_norwegian(tmp_path: Path, vagus_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["info", str(short_file(tmp_path)), "--lang", "nb"], env=vagus_env)
    assert result.exit_code == 0, result.output
