"""User errors with a message key: every key used in src exists in nb and en with its fields."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vagus
from vagus.errors import UserError
from vagus.program import error_text, unit_label
from vagus.program.i18n import DETAIL_FIELD, _messages, placeholders

SRC = Path(vagus.__file__).parent


def _keyed_calls() -> list[tuple[str, frozenset[str], str]]:
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "key" or not isinstance(kw.value, ast.Constant | ast.IfExp):
                    continue
                values = (
                    [kw.value.body, kw.value.orelse]
                    if isinstance(kw.value, ast.IfExp)
                    else [kw.value]
                )
                names = frozenset(k.arg for k in node.keywords if k.arg not in (None, "key"))
                for value in values:
                    if isinstance(value, ast.Constant) and str(value.value).startswith("errors."):
                        found.append(
                            (str(value.value), names, f"{path.relative_to(SRC)}:{node.lineno}")
                        )
    return found


def test_every_error_key_used_in_src_exists_with_its_fields() -> None:
    calls = _keyed_calls()
    assert len(calls) >= 20
    for key, names, where in calls:
        assert key in _messages().texts, f"{where}: no message {key!r}"
        needed = placeholders(_messages().texts[key].en)
        assert needed <= names - {"field", DETAIL_FIELD}, (where, key, sorted(needed - names))


@pytest.mark.parametrize(
    ("error", "nb", "en"),
    [
        (
            UserError(
                "x", key="errors.param_range", name="rate", value=12.5, low=3, high=10, unit="bpm"
            ),
            "rate må være mellom 3 og 10 slag/min (du skrev 12,5).",
            "rate must be between 3 and 10 bpm (you gave 12.5).",
        ),
        (
            UserError("file: the file is empty", key="errors.file_empty"),
            "Filen er tom.",
            "The file is empty.",
        ),
    ],
)
def test_error_text_in_both_languages(error: UserError, nb: str, en: str) -> None:
    assert error_text(error, "nb") == nb
    assert error_text(error, "en") == en


def test_unit_labels() -> None:
    assert unit_label("bpm", "nb") == "slag/min"
    assert unit_label("rounds", "nb") == "runder"
    assert unit_label("ms", "nb") == "ms"
