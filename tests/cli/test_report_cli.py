"""``vagus report -o FILE.pdf``: writes the PDF; a bad date or an unwritable path is one line
naming the option or the path, exit status 2, and no file."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from fake_clock import FakeNow
from insights_journal import add_morning, add_session
from vagus.app import build_app
from vagus.cli import app as cli

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, now: FakeNow) -> dict[str, str]:
    """A journal with four sessions with rests and a morning, in February 2026."""
    variables = {"VAGUS_HOME": str(tmp_path / "home"), "VAGUS_LANG": "en"}
    app = build_app(env=variables, now=now)
    try:
        for day in range(4):
            at = datetime(2026, 2, 10, 9, 0).astimezone() + timedelta(days=day)
            add_session(app.journal, at, "humming" if day % 2 else "breathing")
        add_morning(app.journal, datetime(2026, 2, 20, 6, 30).astimezone(), 50.0)
    finally:
        app.close()
    return variables


def text_of(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_report_writes_a_pdf_in_norwegian(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = runner.invoke(cli, ["report", "-o", str(out), "--lang", "nb"], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    text = text_of(out)
    assert "Hva som er gjort" in text
    assert "4 økter i perioden (4 fullført, 0 avbrutt)" in text
    assert "Magepust" in text
    assert "Nynning og sang" in text
    assert " 50,0 3,91 " in text
    assert "vagus erstatter ikke lege." in text


def test_report_for_a_period_in_english(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "february.pdf"
    args = ["report", "-o", str(out), "--from", "2026-02-11", "--to", "2026-02-12"]
    result = runner.invoke(cli, [*args, "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    text = text_of(out)
    assert "Period: 11 February 2026 to 12 February 2026" in text
    assert "2 sessions in the period" in text


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--from", "last-week"], "--from"),
        (["--to", "2026-02-31"], "--to"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "--from"),
    ],
)
def test_a_bad_date_is_one_line_naming_the_option(
    env: dict[str, str], tmp_path: Path, args: list[str], option: str
) -> None:
    out = tmp_path / "out.pdf"
    result = runner.invoke(cli, ["report", "-o", str(out), *args], env=env)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"{option}:" in message
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_unwritable_path_is_a_user_error(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "missing" / "out.pdf"
    result = runner.invoke(cli, ["report", "-o", str(out)], env=env)
    assert result.exit_code == 2, result.output
    assert "--output:" in result.stderr
    assert str(out) in result.stderr
    assert not out.parent.exists()


def test_a_name_given_for_the_report_is_on_it_and_not_stored(
    env: dict[str, str], tmp_path: Path, now: FakeNow
) -> None:
    out = tmp_path / "named.pdf"
    result = runner.invoke(
        cli, ["report", "-o", str(out), "--name", "  Kari Nordmann ", "--lang", "nb"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Navn: Kari Nordmann" in text_of(out)
    built = build_app(env=env, now=now)
    try:
        assert "name" not in built.journal.profile()
    finally:
        built.close()
    unnamed = tmp_path / "unnamed.pdf"
    assert runner.invoke(cli, ["report", "-o", str(unnamed)], env=env).exit_code == 0
    assert "Name:" not in text_of(unnamed)
    bad = runner.invoke(cli, ["report", "-o", str(out), "--name", "x" * 101], env=env)
    assert bad.exit_code == 2
    assert "--name: expected at most 100 characters" in bad.stderr
