"""Language choice, UI messages and the strict data-file reader (vagus.program.i18n)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from vagus.hrv import _registry
from vagus.program import plan
from vagus.program.i18n import (
    LANGS,
    DataFileError,
    Fields,
    Messages,
    Text,
    load_messages,
    message_fields,
    message_keys,
    placeholders,
    read_toml,
    resolve_lang,
    t,
)

# (setting, environment, expected): the setting wins, then LC_ALL, LC_MESSAGES, LANG (POSIX
# order, first non-empty); nb, nn, no and any *_NO give bokmål, everything else English.
RESOLVE_CASES = [
    ("nb", {"LANG": "en_US.UTF-8"}, "nb"),
    ("en", {"LANG": "nb_NO.UTF-8"}, "en"),
    ("NB", {}, "nb"),
    ("nn", {}, "nb"),
    ("no", {}, "nb"),
    ("nb_NO", {}, "nb"),
    ("en-GB", {}, "en"),
    (None, {"LANG": "nb_NO.UTF-8"}, "nb"),
    (None, {"LANG": "nn_NO.utf8"}, "nb"),
    (None, {"LANG": "no_NO"}, "nb"),
    (None, {"LANG": "se_NO.UTF-8"}, "nb"),  # Northern Sami in Norway: territory NO
    (None, {"LANG": "en_NO.UTF-8"}, "nb"),  # English in Norway: territory NO, as specified
    (None, {"LANG": "de_DE.UTF-8"}, "en"),
    (None, {"LANG": "C"}, "en"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {"LANG": "POSIX"}, "en"),
    (None, {}, "en"),
    (None, {"LC_ALL": "nb_NO.UTF-8", "LC_MESSAGES": "en_US", "LANG": "en_US"}, "nb"),
    (None, {"LC_ALL": "", "LC_MESSAGES": "nb_NO", "LANG": "en_US"}, "nb"),
    (None, {"LC_ALL": "en_US.UTF-8", "LANG": "nb_NO.UTF-8"}, "en"),
    (None, {"LC_MESSAGES": "", "LANG": "nb_NO@euro"}, "nb"),
    ("auto", {"LANG": "nb_NO.UTF-8"}, "nb"),
    ("", {"LANG": "nb_NO.UTF-8"}, "nb"),
    (" Auto ", {"LANG": "en_US"}, "en"),
]


@pytest.mark.parametrize(("setting", "env", "expected"), RESOLVE_CASES)
def test_resolve_lang(setting: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_lang(setting, env) == expected


@pytest.mark.parametrize("setting", ["de", "fr_FR", "xx", "bokmål"])
def test_resolve_lang_refuses_an_unknown_setting(setting: str) -> None:
    with pytest.raises(ValueError, match=f"language setting '{setting}'"):
        resolve_lang(setting, {"LANG": "nb_NO.UTF-8"})


def test_every_message_exists_in_both_languages_with_its_fields() -> None:
    keys = message_keys()
    assert len(keys) >= 40
    for key in keys:
        fields = {name: f"<{name}>" for name in message_fields(key)}
        texts = {lang: t(key, lang, **fields) for lang in LANGS}
        for lang, text in texts.items():
            assert text.strip(), (key, lang)
            for value in fields.values():
                assert value in text, (key, lang, value)


# The message keys other parts of vagus rely on: removing one must fail a test.
REQUIRED_KEYS = [
    "purpose.statement",
    "purpose.not_a_doctor",
    "purpose.red_flags",
    "first_run.welcome",
    "first_run.screening_invite",
    "screening.intro",
    "screening.status.ok",
    "screening.status.adapt",
    "screening.status.clinician",
    "screening.status.cleared",
    "screening.status.stop",
    "screening.reason.stop",
    "screening.reason.clinician",
    "screening.reason.cleared",
    "screening.reason.adapt",
    "safety.stop_generic",
    "safety.if_emergency",
    "safety.red_flags_intro",
    "safety.level.emergency",
    "questionnaire.not_diagnosis",
    "questionnaire.translation_note",
]


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_required_message_is_present(key: str) -> None:
    assert key in message_keys()


def test_purpose_says_what_vagus_is_not() -> None:
    assert t("purpose.not_a_doctor", "en") == "vagus does not replace a doctor."
    assert t("purpose.not_a_doctor", "nb") == "vagus erstatter ikke lege."
    assert "does not diagnose or treat" in t("purpose.statement", "en")
    assert "stiller ingen diagnose" in t("purpose.statement", "nb")
    for lang in LANGS:
        assert "113" in t("purpose.red_flags", lang)
        assert "113" in t("safety.if_emergency", lang)


def test_t_fills_fields() -> None:
    text = t("questionnaire.progress", "nb", number=2, total=7)
    assert text == "Spørsmål 2 av 7"


def test_t_names_a_missing_key() -> None:
    with pytest.raises(KeyError, match=r"no message 'screening\.nope' in messages\.toml"):
        t("screening.nope", "en")
    with pytest.raises(KeyError, match=r"screening\.nope"):
        message_fields("screening.nope")


def test_t_names_a_missing_field() -> None:
    with pytest.raises(KeyError, match="needs the field 'total'"):
        t("questionnaire.progress", "en", number=1)


def test_t_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="language 'de'"):
        t("purpose.not_a_doctor", "de")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="language 'se'"):
        Text(nb="a", en="b").get("se")  # type: ignore[arg-type]


# --- broken messages files: one clear error naming the file and the key --------------------------
BROKEN_MESSAGES = [
    ('[a]\nb.nb = "Hei"\n', "a.b: missing the 'en' translation"),
    ('[a]\nb.nb = "Hei"\nb.en = "Hi"\nb.de = "Hallo"\n', "a.b.de: unknown key"),
    ('[a]\nb.nb = "Hei {navn}"\nb.en = "Hi {name}"\n', "a.b: nb uses the fields ['navn']"),
    ('[a]\nb.nb = "Hei {}"\nb.en = "Hi {}"\n', "a.b: fields must be names"),
    ('[a]\nb.nb = "Hei {"\nb.en = "Hi {"\n', "a.b: bad {field}"),
    ('[a]\nb.nb = ""\nb.en = "Hi"\n', "a.b.nb: expected a non-empty string"),
    ('[a]\nb.nb = 3\nb.en = "Hi"\n', "a.b.nb: expected a non-empty string"),
    ('[a]\nb = "Hi"\n', "a.b: expected a message"),
    ('[a]\nb.nb = "Hei"\nb.en = "Hi"\nb.c.nb = "x"\n', "a.b.c: unknown key"),
    ("[a]\nb.nb = \n", "not valid TOML"),
]


@pytest.mark.parametrize(("source", "expected"), BROKEN_MESSAGES)
def test_broken_messages_file_names_file_and_key(
    tmp_path: Path, source: str, expected: str
) -> None:
    path = tmp_path / "messages.toml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_messages(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_messages_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "messages.toml"
    path.write_bytes('[a]\nb.nb = "Hei på deg"\n'.encode("latin-1"))
    with pytest.raises(DataFileError, match="not UTF-8"):
        load_messages(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        read_toml(tmp_path / "nope.toml")


# --- the strict reader -------------------------------------------------------------------------
def test_fields_reports_unknown_keys_with_their_dotted_path() -> None:
    root = Fields({"a": {"b": 1, "typo": 2}}, "f.toml")
    inner = root.table("a")
    assert inner.integer("b") == 1
    with pytest.raises(DataFileError, match=r"^f\.toml: a\.typo: unknown key$"):
        inner.finish()


def test_fields_checks_types_and_ranges() -> None:
    f = Fields({"n": 0, "flag": "yes", "s": " ", "xs": [1, "a"], "b": True}, "f.toml")
    with pytest.raises(DataFileError, match=r"n: expected an integer in 1\.\.60, got 0"):
        f.integer("n", minimum=1, maximum=60)
    with pytest.raises(DataFileError, match="flag: expected true or false"):
        f.boolean("flag")
    with pytest.raises(DataFileError, match="s: expected a non-empty string"):
        f.string("s")
    with pytest.raises(DataFileError, match="xs: expected a list of integers"):
        f.integers("xs")
    with pytest.raises(DataFileError, match="b: expected an integer"):
        f.integer("b")  # a TOML boolean is not an integer
    with pytest.raises(DataFileError, match="missing: missing"):
        f.string("missing")


def test_text_lists_need_the_same_length_in_both_languages() -> None:
    f = Fields({"steps": {"nb": ["a", "b"], "en": ["a"]}}, "f.toml")
    with pytest.raises(DataFileError, match="steps: nb has 2 items and en has 1"):
        f.text_list("steps")


# --- the other catalogs: the plan's reasons and the HRV index meanings ---------------------------
def _catalog_fields(messages: Messages, key: str) -> dict[str, frozenset[str]]:
    return {lang: placeholders(messages.texts[key].get(lang)) for lang in LANGS}


def _plan_message_calls() -> list[tuple[str, frozenset[str], int]]:
    """(key, keyword names, line) of every ``_msg("key", ...)`` and ``kept_because("key", ...)``
    in plan.py; ``kept_because`` adds the ``dose`` field itself."""
    tree = ast.parse(inspect.getsource(plan))
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in ("_msg", "kept_because"):
            continue
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Name) and first.id == "key":
            continue  # kept_because passing its own key on to _msg
        where = f"plan.py line {node.lineno}: the message key must be a literal string"
        assert isinstance(first, ast.Constant), where
        assert isinstance(first.value, str), where
        names = {kw.arg for kw in node.keywords if kw.arg is not None}
        assert all(kw.arg is not None for kw in node.keywords), node.lineno  # no **fields
        if node.func.id == "kept_because":
            names.add("dose")
        calls.append((first.value, frozenset(names), node.lineno))
    return calls


def test_plan_messages_has_every_key_plan_uses_with_its_fields_in_both_languages() -> None:
    messages = load_messages(Path(inspect.getfile(plan)).parent / "data" / plan.MESSAGES_FILE)
    calls = _plan_message_calls()
    assert len(calls) >= 40
    for key, names, line in calls:
        assert key in messages.texts, f"plan.py line {line}: no message {key!r}"
        for lang, fields in _catalog_fields(messages, key).items():
            assert fields == names, (line, key, lang, sorted(fields), sorted(names))
    unused = sorted(set(messages.texts) - {key for key, _, _ in calls})
    assert not unused, f"messages in {plan.MESSAGES_FILE} that plan.py never uses: {unused}"
    assert plan.plan_messages().texts == messages.texts  # the package reads the same file


def test_every_hrv_index_has_its_meaning_in_both_languages() -> None:
    path = Path(inspect.getfile(_registry)).parent / _registry.MEANINGS_FILE
    messages = load_messages(path)
    names = [index.name for index in _registry.INDICES]
    assert sorted(messages.texts) == sorted(names)
    assert set(_registry.MEANING_FIELDS) <= set(names)
    for index in _registry.INDICES:
        wanted = set(_registry.MEANING_FIELDS.get(index.name, {}))
        for lang, fields in _catalog_fields(messages, index.name).items():
            assert fields == wanted, (index.name, lang)
            text = index.meaning(lang)
            assert text.strip(), (index.name, lang)
            assert "{" not in text, (index.name, lang)
        assert index.meaning_nb == index.meaning("nb") != index.meaning("en") == index.meaning_en
