"""Notices: every warning of an analysis has a code whose text exists in nb and en."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest

import vagus
from vagus.app.measurements import analysis_to_store, stored_warnings
from vagus.hrv import Notice, analyze, notice_text
from vagus.hrv._notices import notice_codes, notice_from_json, notice_messages, notice_to_json
from vagus.program.i18n import placeholders
from vagus.signals._quality import REASON_CODES

SRC = Path(vagus.__file__).parent
#: Codes built at run time from a table (f"signals.reason.{...}", f"signals.kind.{...}").
DYNAMIC = {f"signals.reason.{code}" for code in REASON_CODES.values()} | {
    "signals.kind.ecg",
    "signals.kind.ppg",
}


def _notice_calls() -> list[tuple[str, frozenset[str] | None, str]]:
    """(code, keyword names or None when **fields is passed, where) of every Notice(...) call
    in src whose code is a literal string."""
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "Notice" or not node.args:
                continue
            first = node.args[0]
            where = f"{path.relative_to(SRC)} line {node.lineno}"
            # A literal code, or one of two literals (code_a if ... else code_b).
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            names = (
                None
                if any(kw.arg is None for kw in node.keywords)
                else frozenset(kw.arg for kw in node.keywords if kw.arg is not None)
            )
            for option in options:
                # ("" is as_notice's "no code")
                if (
                    isinstance(option, ast.Constant)
                    and isinstance(option.value, str)
                    and option.value
                ):
                    found.append((option.value, names, where))
    return found


def _sample(code: str) -> Notice:
    fields = dict.fromkeys(placeholders(notice_messages().texts[code].en), 12.5)
    return Notice(code, f"English text of {code}", **fields)


@pytest.mark.parametrize("code", notice_codes())
def test_every_notice_code_renders_in_both_languages_with_its_fields(code: str) -> None:
    notice = _sample(code)
    nb, en = notice_text(notice, "nb"), notice_text(notice, "en")
    assert nb
    assert en
    assert "{" not in nb + en
    if notice.fields:
        assert "12,5" in nb, nb  # numbers as Norwegian writes them
        assert "12.5" in en, en


def test_every_notice_code_used_in_src_is_in_the_catalog_with_its_fields() -> None:
    calls = _notice_calls()
    assert len(calls) >= 25
    used = set(DYNAMIC)
    for code, names, where in calls:
        used.add(code)
        if code.startswith("hrv.undefined.") and names is not None and "index" not in names:
            # a reason, completed with its index by nonlinear's _undefined(**reason.fields)
            names = names | {"index"}
        assert code in notice_messages().texts, f"{where}: no notice {code!r}"
        if names is not None:
            expected = placeholders(notice_messages().texts[code].en)
            assert expected <= names, (where, code, sorted(expected - names))
    unused = sorted(set(notice_codes()) - used)
    assert not unused, f"notices in the catalog that src never uses: {unused}"


def test_a_short_recording_warns_in_norwegian() -> None:
    rng = np.random.default_rng(3)
    report = analyze(800 + 30 * rng.standard_normal(40))
    codes = {notice.code for notice in report.notices}
    assert "hrv.too_little_data" in codes
    assert all(notice.code for notice in report.notices), report.warnings
    texts = [notice_text(notice, "nb") for notice in report.notices]
    assert any("ikke beregnet" in text and "trenger minst" in text for text in texts), texts
    # The English strings of the report are as they were: plain text in the JSON.
    assert report.to_dict()["warnings"] == [str(w) for w in report.warnings]


def test_notices_survive_json_and_pickle() -> None:
    report = analyze(np.full(40, 800.0))
    stored = analysis_to_store(report)
    back = stored_warnings(stored)
    assert back == report.warnings
    assert [notice_text(w, "nb") for w in back] == [notice_text(w, "nb") for w in report.notices]
    notice = report.notices[0]
    assert pickle.loads(pickle.dumps(notice)).fields == notice.fields
    assert notice_from_json(notice_to_json(notice)).code == notice.code
    # An analysis stored before notices existed still shows its English warnings.
    assert stored_warnings({"warnings": ["old text"]}) == ["old text"]


def test_nested_notices_and_the_ppg_warning() -> None:
    from vagus.signals import ppg

    assert "pulsvariabilitet" in notice_text(ppg.PRV_WARNING, "nb")
    assert notice_text("plain English", "nb") == "plain English"


def test_values_no_heart_makes_are_named_in_both_languages() -> None:
    # Issue 12: each kind of impossible value has its own warning; the strap's invalid code is
    # shown as the code it is (65535, no thousands separator), with the limits in ms.
    rr = 800.0 + 20.0 * np.sin(np.arange(300) / 2.0)
    rr[[30, 130]] = 65535.0
    rr[200] = 5000.0
    rr[250] = 120.0
    report = analyze(rr, correct=False)
    by_code = {notice.code: notice for notice in report.notices}
    strap = by_code["hrv.out_of_range.invalid_code"]
    assert notice_text(strap, "nb").startswith("2 verdi(er) lik 65535,")
    assert "65535" in notice_text(strap, "en")
    long = notice_text(by_code["hrv.out_of_range.long"], "nb")
    assert "3 000 ms" in long.replace("\xa0", " ")
    assert "5 000 ms" in long.replace("\xa0", " ")
    short = notice_text(by_code["hrv.out_of_range.short"], "en")
    assert "shorter than 200 ms" in short
    assert "120 ms" in short
