"""Settings: defaults < TOML file < VAGUS_* variables; typos and bad values are named errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from vagus.config import (
    SETTINGS,
    Settings,
    SettingsError,
    default_home,
    load_settings,
    settings_markdown,
)
from vagus.program import resolve_lang

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def write_toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(home: Path) -> None:
    settings = load_settings({"VAGUS_HOME": str(home), "LANG": "en_GB.UTF-8"})
    assert settings.home == home
    assert settings.database_url == f"sqlite:///{home}/journal.sqlite3"
    assert settings.lang is None
    assert resolve_lang(settings.lang, {"LANG": "en_GB.UTF-8"}) == "en"
    assert settings.sensor == "replay"
    assert settings.inhale_s == 4.0
    assert settings.exhale_s == 8.0
    assert settings.config_file == home / "config.toml"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG data folder is Linux's convention")
def test_default_home_is_the_platform_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_home() == tmp_path / "data" / "vagus"
    settings = load_settings({})
    assert settings.home == tmp_path / "data" / "vagus"
    assert settings.database_url == f"sqlite:///{tmp_path}/data/vagus/journal.sqlite3"


def test_precedence_defaults_then_toml_then_environment(home: Path) -> None:
    write_toml(home / "config.toml", 'lang = "nb"\ninhale_s = 5\nsensor = "simulated"\n')
    settings = load_settings(
        {"VAGUS_HOME": str(home), "VAGUS_INHALE_S": "6.5", "VAGUS_SENSOR": "ble"}
    )
    assert settings.lang == "nb"  # from the file
    assert settings.inhale_s == 6.5  # the environment beats the file
    assert settings.sensor == "ble"  # the environment beats the file
    assert settings.exhale_s == 8.0  # the default


def test_vagus_config_names_the_file(tmp_path: Path, home: Path) -> None:
    # A file named by VAGUS_CONFIG is read instead of <home>/config.toml.
    write_toml(home / "config.toml", "inhale_s = 3\n")
    other = write_toml(tmp_path / "elsewhere" / "vagus.toml", "inhale_s = 7\n")
    settings = load_settings({"VAGUS_HOME": str(home), "VAGUS_CONFIG": str(other)})
    assert settings.inhale_s == 7.0


def test_a_missing_vagus_config_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_CONFIG": str(missing)})
    assert str(error.value) == (
        f"environment variable VAGUS_CONFIG: expected an existing TOML file, got '{missing}'"
    )


def test_a_missing_default_config_file_is_fine(home: Path) -> None:
    assert not (home / "config.toml").exists()
    assert load_settings({"VAGUS_HOME": str(home)}).inhale_s == 4.0


def test_home_and_database_from_the_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "conf" / "vagus.toml", 'home = "data"\n')
    settings = load_settings({"VAGUS_CONFIG": str(config)})
    # A relative home is relative to the file's folder.
    assert settings.home == tmp_path / "conf" / "data"
    assert settings.database_url == f"sqlite:///{tmp_path}/conf/data/journal.sqlite3"
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    write_toml(config, f'database_url = "{url}"\n')
    assert load_settings({"VAGUS_CONFIG": str(config)}).database_url == url


def test_an_unknown_key_in_the_file_is_named(home: Path) -> None:
    config = write_toml(home / "config.toml", 'lang = "nb"\ninhale = 4\n')
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home)})
    message = str(error.value)
    assert message.startswith(
        f"{config}: unknown setting 'inhale' (did you mean inhale_s?); known:"
    )
    assert "exhale_s" in message


def test_a_table_in_the_file_is_an_unknown_key(home: Path) -> None:
    write_toml(home / "config.toml", "[pacer]\ninhale_s = 4\n")
    with pytest.raises(SettingsError, match=r"config\.toml: unknown setting 'pacer'"):
        load_settings({"VAGUS_HOME": str(home)})


def test_bad_toml_names_the_file_and_line(home: Path) -> None:
    config = write_toml(home / "config.toml", 'lang = "nb"\ninhale_s = \n')
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home)})
    assert str(error.value).startswith(f"{config}: not valid TOML: ")
    assert "line 2" in str(error.value)


def test_an_unknown_vagus_variable_is_named(home: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home), "VAGUS_LANGUAGE": "nb"})
    assert str(error.value).startswith(
        "environment variable VAGUS_LANGUAGE is not a vagus setting (did you mean VAGUS_LANG?)"
    )


def test_a_lower_case_vagus_variable_counts_too(home: Path) -> None:
    assert load_settings({"VAGUS_HOME": str(home), "vagus_lang": "nb"}).lang == "nb"
    with pytest.raises(SettingsError, match=r"^environment variable vagus_sensr is not a"):
        load_settings({"VAGUS_HOME": str(home), "vagus_sensr": "ble"})


def test_other_variables_are_ignored(home: Path) -> None:
    env = {"VAGUS_HOME": str(home), "PATH": "/bin", "VAGUSNERVE": "x", "HOME": "/root"}
    assert load_settings(env).home == home


def test_an_empty_variable_counts_as_unset(home: Path) -> None:
    write_toml(home / "config.toml", 'lang = "nb"\n')
    assert load_settings({"VAGUS_HOME": str(home), "VAGUS_LANG": ""}).lang == "nb"


@pytest.mark.parametrize(
    ("env", "toml", "message"),
    [
        pytest.param(
            {"VAGUS_LANG": "de"},
            "",
            'lang (environment variable VAGUS_LANG): expected "nb", "en" or "auto", got \'de\'',
            id="lang",
        ),
        pytest.param(
            {"VAGUS_SENSOR": "polar"},
            "",
            'sensor (environment variable VAGUS_SENSOR): expected "replay", "simulated" or "ble", '
            "got 'polar'",
            id="sensor",
        ),
        pytest.param(
            {"VAGUS_INHALE_S": "30"},
            "",
            "inhale_s (environment variable VAGUS_INHALE_S): expected a number of seconds from 2 "
            "to 10, got '30'",
            id="inhale too long",
        ),
        pytest.param(
            {"VAGUS_INHALE_S": "four"},
            "",
            "inhale_s (environment variable VAGUS_INHALE_S): expected a number of seconds from 2 "
            "to 10, got 'four'",
            id="inhale text",
        ),
        pytest.param(
            {"VAGUS_EXHALE_S": "nan"},
            "",
            "exhale_s (environment variable VAGUS_EXHALE_S): expected a number of seconds from 2 "
            "to 20, got 'nan'",
            id="exhale nan",
        ),
        pytest.param(
            {"VAGUS_EXHALE_S": "1.5"},
            "",
            "exhale_s (environment variable VAGUS_EXHALE_S): expected a number of seconds from 2 "
            "to 20, got '1.5'",
            id="exhale too short",
        ),
        pytest.param(
            {"VAGUS_DATABASE_URL": "mysql://me@db/vagus"},
            "",
            "database_url (environment variable VAGUS_DATABASE_URL): expected a URL starting with "
            "sqlite:/// or postgresql+psycopg://, got 'mysql://me@db/vagus'",
            id="database",
        ),
        pytest.param(
            {},
            "inhale_s = 25\n",
            "inhale_s ({config}, key 'inhale_s'): expected a number of seconds from 2 to 10, "
            "got 25",
            id="toml inhale",
        ),
        pytest.param(
            {},
            "lang = 1\n",
            'lang ({config}, key \'lang\'): expected "nb", "en" or "auto", got 1',
            id="toml lang number",
        ),
        pytest.param(
            {},
            "sensor = true\n",
            'sensor ({config}, key \'sensor\'): expected "replay", "simulated" or "ble", got True',
            id="toml sensor bool",
        ),
    ],
)
def test_a_bad_value_names_the_field_its_source_and_what_was_expected(
    home: Path, env: dict[str, str], toml: str, message: str
) -> None:
    config = write_toml(home / "config.toml", toml)
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home), **env})
    assert str(error.value) == message.format(config=config)


def test_several_bad_values_are_named_together(home: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home), "VAGUS_INHALE_S": "0", "VAGUS_SENSOR": "x"})
    assert str(error.value).count("expected") == 2
    assert "inhale_s (" in str(error.value)
    assert "sensor (" in str(error.value)


@pytest.mark.parametrize(
    ("lang", "locale_env", "language"),
    [
        ("auto", {"LANG": "nb_NO.UTF-8"}, "nb"),
        ("auto", {"LANG": "nn_NO.UTF-8"}, "nb"),
        ("auto", {"LC_ALL": "no_NO", "LANG": "en_US.UTF-8"}, "nb"),
        ("auto", {"LANGUAGE": "en:nb", "LANG": "nb_NO.UTF-8"}, "en"),
        ("auto", {"LANG": "de_DE.UTF-8"}, "en"),
        ("auto", {"LANG": "C"}, "en"),
        ("en", {"LANG": "nb_NO.UTF-8"}, "en"),
        ("nb", {"LANG": "en_US.UTF-8"}, "nb"),
    ],
)
def test_language_follows_the_setting_or_the_locale(
    home: Path, lang: str, locale_env: dict[str, str], language: str
) -> None:
    settings = load_settings({"VAGUS_HOME": str(home), "VAGUS_LANG": lang, **locale_env})
    assert settings.lang == (None if lang == "auto" else lang)
    # One resolution for both faces (vagus.program.resolve_lang, used by App.prefs.lang).
    assert resolve_lang(settings.lang, locale_env) == language


def test_the_real_environment_is_read_when_none_is_given(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAGUS_HOME", str(home))
    monkeypatch.setenv("VAGUS_EXHALE_S", "9")
    settings = load_settings()
    assert settings.home == home
    assert settings.exhale_s == 9.0


def test_allowed_hosts_from_the_file_and_the_environment(home: Path) -> None:
    assert load_settings({"VAGUS_HOME": str(home)}).allowed_hosts == ()
    write_toml(home / "config.toml", 'allowed_hosts = ["Clinic.Local", "[fd00::1]"]\n')
    assert load_settings({"VAGUS_HOME": str(home)}).allowed_hosts == ("clinic.local", "[fd00::1]")
    env = {"VAGUS_HOME": str(home), "VAGUS_ALLOWED_HOSTS": "a.example, b.example"}
    assert load_settings(env).allowed_hosts == ("a.example", "b.example")
    # A round trip through JSON (how `vagus serve --workers N` hands settings to its workers).
    settings = load_settings(env)
    assert Settings.model_validate_json(settings.model_dump_json()) == settings


@pytest.mark.parametrize("value", ["evil.example:8000", "*", "http://a.example", "a b"])
def test_allowed_hosts_refuses_what_is_not_a_host_name(home: Path, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home), "VAGUS_ALLOWED_HOSTS": value})
    assert "allowed_hosts (environment variable VAGUS_ALLOWED_HOSTS)" in str(error.value)
    assert "host names" in str(error.value)


def test_login_setting(home: Path) -> None:
    assert load_settings({"VAGUS_HOME": str(home)}).login == "auto"
    write_toml(home / "config.toml", 'login = "always"\n')
    settings = load_settings({"VAGUS_HOME": str(home)})
    assert settings.login == "always"
    # Handed to `vagus serve --workers N` processes as JSON, like every setting.
    assert Settings.model_validate_json(settings.model_dump_json()).login == "always"
    with pytest.raises(SettingsError) as error:
        load_settings({"VAGUS_HOME": str(home), "VAGUS_LOGIN": "never"})
    assert 'login (environment variable VAGUS_LOGIN): expected "auto" or "always"' in str(
        error.value
    )


def test_settings_are_frozen(home: Path) -> None:
    settings = load_settings({"VAGUS_HOME": str(home)})
    with pytest.raises(ValidationError):
        settings.inhale_s = 5.0  # type: ignore[misc]


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_every_setting_is_declared_with_help_and_valid_values() -> None:
    assert [info.name for info in SETTINGS] == list(Settings.model_fields)
    for info in SETTINGS:
        assert info.env_var == "VAGUS_" + info.name.upper()
        assert info.help.endswith(".")
        assert info.expected
        assert info.default


def test_docs_settings_is_generated_from_the_declarations() -> None:
    assert DOCS.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is out of date: run `python -m vagus.config > docs/settings.md`"
    )
    for info in SETTINGS:
        assert f"| `{info.name}` | `{info.env_var}` |" in settings_markdown()
