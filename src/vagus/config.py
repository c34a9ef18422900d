"""Typed settings, declared once: defaults < the user's TOML file < ``VAGUS_*`` variables.

Every setting is a field of :class:`Settings` with its default, a one-line help and what a valid
value looks like. The same declarations give the environment-variable names, the error messages
and ``docs/settings.md`` (``python -m vagus.config > docs/settings.md``; a test keeps it current).

Where the layers come from:

1. the defaults declared below;
2. the TOML file named by ``VAGUS_CONFIG``, or else ``<home>/config.toml`` when it exists, where
   ``<home>`` is ``VAGUS_HOME`` or the default home;
3. environment variables ``VAGUS_<NAME>`` (an empty variable counts as unset).

A key in the TOML file or a ``VAGUS_*`` variable that is not a setting is an error that names
it, and so is a bad value (the message names the field, where it came from and what was
expected): a typo must never be silently ignored.

>>> settings = load_settings({"VAGUS_HOME": "/tmp/vagus-doc", "VAGUS_LANG": "nb"})
>>> settings.database_url
'sqlite:////tmp/vagus-doc/journal.sqlite3'
>>> settings.lang, settings.inhale_s, settings.exhale_s
('nb', 4.0, 8.0)
>>> load_settings({"VAGUS_HOME": "/tmp/vagus-doc", "VAGUS_INHALE_S": "30"})
Traceback (most recent call last):
...
vagus.config.SettingsError: inhale_s (environment variable VAGUS_INHALE_S): expected a number of seconds from 2 to 10, got '30'
"""  # noqa: E501

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from vagus.errors import UserError

Lang = Literal["nb", "en"]
SensorKind = Literal["replay", "simulated", "ble"]
#: When the web server asks for a login (vagus.web._auth).
LoginMode = Literal["auto", "always"]

APP_NAME: Final = "vagus"
ENV_PREFIX: Final = "VAGUS_"
#: Names the TOML file; the only ``VAGUS_*`` variable that is not itself a setting.
CONFIG_ENV_VAR: Final = "VAGUS_CONFIG"
#: ``VAGUS_*`` variables that are allowed without being settings. Any other ``VAGUS_*`` name is
#: taken as a mistyped setting and refused.
#: ``VAGUS_BROWSER_TESTS`` switches the project's own browser tests on (tests/browser).
NON_SETTING_ENV_VARS: Final[frozenset[str]] = frozenset({CONFIG_ENV_VAR, "VAGUS_BROWSER_TESTS"})
CONFIG_FILE_NAME: Final = "config.toml"
DATABASE_FILE_NAME: Final = "journal.sqlite3"
#: What ``lang`` accepts to mean "follow the system locale" (TOML has no null).
AUTO_LANG: Final = "auto"

# Pacer bounds. The program's example is 4 s in, 8 s out (exhale about twice the inhale), a
# 12 s breath or 5 breaths/min, close to the ~0.1 Hz resonance frequency of slow-breathing
# biofeedback (Lehrer & Gevirtz 2014, Front Psychol 5:756). A 2 s phase (2 + 2 s = 15
# breaths/min) is an ordinary resting rate, the fastest that is still a paced exercise; 10 s in
# and 20 s out (2 breaths/min) is slower than any protocol we know, so larger values are typos.
MIN_INHALE_S: Final[float] = 2.0
MAX_INHALE_S: Final[float] = 10.0
MIN_EXHALE_S: Final[float] = 2.0
MAX_EXHALE_S: Final[float] = 20.0

#: URL schemes the journal can open (vagus.journal normalises the bare PostgreSQL ones to psycopg).
DATABASE_URL_SCHEMES: Final[tuple[str, ...]] = (
    "sqlite://",
    "postgresql+psycopg://",
    "postgresql://",
    "postgres://",
)


class SettingsError(UserError):
    """A setting is unknown or has a bad value; the message names it and what was expected."""


def default_home() -> Path:
    """Where vagus keeps its data by default: the platform's user data folder for ``vagus``.

    Returns
    -------
    pathlib.Path
        ``~/.local/share/vagus`` on Linux (``$XDG_DATA_HOME/vagus`` when set),
        ``~/Library/Application Support/vagus`` on macOS, ``%LOCALAPPDATA%\\vagus`` on Windows.

    >>> default_home().name
    'vagus'
    """
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def sqlite_url(home: Path) -> str:
    """The default journal URL: an SQLite file in ``home``.

    >>> sqlite_url(Path("/data/vagus"))
    'sqlite:////data/vagus/journal.sqlite3'
    """
    return f"sqlite:///{home / DATABASE_FILE_NAME}"


def _setting(
    default: Any = None,
    *,
    help: str,
    expected: str,
    shown_default: str | None = None,
    **constraints: Any,
) -> Any:
    """Declare one setting: its default, its help and what a valid value looks like."""
    extra: dict[str, Any] = {"expected": expected}
    if shown_default is not None:
        extra["shown_default"] = shown_default
    return Field(default=default, description=help, json_schema_extra=extra, **constraints)


class Settings(BaseSettings):
    """Every vagus setting, with its default. Build it with :func:`load_settings`.

    The instance is frozen: the app reads settings once at start and passes them on.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    home: Path = _setting(
        None,
        help="Folder where vagus keeps its data: the journal database and config.toml.",
        expected="a folder path",
        shown_default="the user data folder for `vagus` (Linux: `~/.local/share/vagus`)",
    )
    database_url: str = _setting(
        "",
        help="Where the journal is stored: an SQLite file, or PostgreSQL "
        "(`postgresql+psycopg://user@host/db`).",
        expected="a URL starting with sqlite:/// or postgresql+psycopg://",
        shown_default=f"`sqlite:///<home>/{DATABASE_FILE_NAME}`",
    )
    lang: Lang | None = _setting(
        None,
        help='Language of the user interface: "nb" (Norwegian bokmål), "en", or "auto" to '
        "follow the system locale.",
        expected='"nb", "en" or "auto"',
        shown_default='`"auto"` (the system locale)',
    )
    sensor: SensorKind = _setting(
        "replay",
        help='Heart-beat source: "replay" (a recording played back), "simulated", or "ble" '
        "(a Bluetooth chest strap).",
        expected='"replay", "simulated" or "ble"',
    )
    inhale_s: float = _setting(
        4.0,
        help="Breathing pacer: seconds to breathe in.",
        expected=f"a number of seconds from {MIN_INHALE_S:g} to {MAX_INHALE_S:g}",
        ge=MIN_INHALE_S,
        le=MAX_INHALE_S,
        allow_inf_nan=False,
    )
    exhale_s: float = _setting(
        8.0,
        help="Breathing pacer: seconds to breathe out (the program's example is 8, twice 4).",
        expected=f"a number of seconds from {MIN_EXHALE_S:g} to {MAX_EXHALE_S:g}",
        ge=MIN_EXHALE_S,
        le=MAX_EXHALE_S,
        allow_inf_nan=False,
    )
    allowed_hosts: tuple[str, ...] = _setting(
        (),
        help="Host names the web server answers besides `localhost`, `127.0.0.1`, `[::1]` and "
        "the address it listens on (any port); a request naming another host is refused, "
        "which stops DNS-rebinding attacks.",
        expected="a list of host names (in the environment variable: separated by commas)",
        shown_default="none",
    )

    login: LoginMode = _setting(
        "auto",
        help="When the web server asks for a login (the password set with `vagus serve "
        '--set-password`, or the token it prints): "auto" on connections from or to an '
        'address that is not loopback, "always" on every request (for a reverse proxy on the '
        "same machine). `vagus serve --host` with another address than loopback uses "
        '"always".',
        expected='"auto" or "always"',
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only explicit values: :func:`load_settings` layers the sources itself.

        pydantic-settings reads ``os.environ`` directly; the layering is done in
        :func:`load_settings` so that the environment can be injected (tests) and every bad
        value can be traced to the file or variable it came from.
        """
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _derive_defaults(cls, data: Any) -> Any:
        # The default database lives in the (possibly user-chosen) home folder.
        if isinstance(data, dict):
            data = dict(data)
            if data.get("home") in (None, ""):
                data["home"] = default_home()
            if data.get("database_url") in (None, "") and isinstance(data["home"], str | Path):
                data["database_url"] = sqlite_url(Path(data["home"]).expanduser())
        return data

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("database_url", mode="after")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(DATABASE_URL_SCHEMES):
            raise ValueError("unsupported database")
        return value

    @field_validator("lang", mode="before")
    @classmethod
    def _auto_lang(cls, value: Any) -> Any:
        return None if value == AUTO_LANG else value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        # An environment variable holds one string: "a.example, b.example".
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_hosts", mode="after")
    @classmethod
    def _plain_host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(name.strip().lower() for name in value)
        for name in names:
            bare = name.removeprefix("[").removesuffix("]")
            if not bare or any(c.isspace() or c in "/\\@?#,*" for c in bare):
                raise ValueError(f"not a host name: {name!r}")
            if ":" in bare and not name.startswith("[") and bare.count(":") == 1:
                raise ValueError(f"a host name without a port: {name!r}")
        return names

    @property
    def config_file(self) -> Path:
        """The default place of the TOML file for this home (it need not exist)."""
        return self.home / CONFIG_FILE_NAME


@dataclass(frozen=True)
class SettingInfo:
    """One setting as documented: name, environment variable, default, help, valid values."""

    name: str
    env_var: str
    default: str
    help: str
    expected: str


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _shown_default(field: FieldInfo) -> str:
    shown = _extra(field).get("shown_default")
    if isinstance(shown, str):
        return shown
    default = field.default
    return f'`"{default}"`' if isinstance(default, str) else f"`{default!r}`"


#: Every setting, in declaration order: what docs/settings.md and error messages are made from.
SETTINGS: Final[tuple[SettingInfo, ...]] = tuple(
    SettingInfo(
        name=name,
        env_var=f"{ENV_PREFIX}{name.upper()}",
        default=_shown_default(field),
        help=field.description or "",
        expected=str(_extra(field)["expected"]),
    )
    for name, field in Settings.model_fields.items()
)
_BY_NAME: Final[dict[str, SettingInfo]] = {info.name: info for info in SETTINGS}
_BY_ENV_VAR: Final[dict[str, SettingInfo]] = {info.env_var: info for info in SETTINGS}


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _read_env(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The ``VAGUS_*`` settings in ``env``: field -> (value, variable name)."""
    found: dict[str, tuple[str, str]] = {}
    for raw_name, value in env.items():
        name = raw_name.upper()
        if not name.startswith(ENV_PREFIX) or name in NON_SETTING_ENV_VARS:
            continue
        info = _BY_ENV_VAR.get(name)
        if info is None:
            known = sorted([*_BY_ENV_VAR, *NON_SETTING_ENV_VARS])
            raise SettingsError(
                f"environment variable {raw_name} is not a vagus setting"
                f"{_suggest(name, known)}; known: {', '.join(known)}"
            )
        if info.name in found:
            raise SettingsError(
                f"environment variable {info.env_var} is set twice ({found[info.name][1]} and "
                f"{raw_name}); expected it once"
            )
        if value != "":
            found[info.name] = (value, raw_name)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    """The settings in a TOML file, refusing bad syntax and unknown keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{path}: cannot read the settings file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: expected a UTF-8 TOML file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message names the line and column.
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    for key in data:
        if key not in _BY_NAME:
            known = list(_BY_NAME)
            raise SettingsError(
                f"{path}: unknown setting {key!r}{_suggest(key, known)}; known: {', '.join(known)}"
            )
    if isinstance(data.get("home"), str) and data["home"]:
        # A relative home in the file means relative to the file, not to today's directory.
        data["home"] = path.parent / Path(data["home"]).expanduser()
    return data


def _config_path(env: Mapping[str, str], env_values: Mapping[str, tuple[str, str]]) -> Path | None:
    """The TOML file to read, or None when there is none at the default place."""
    named = next((v for k, v in env.items() if k.upper() == CONFIG_ENV_VAR and v), None)
    if named is not None:
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(
                f"environment variable {CONFIG_ENV_VAR}: expected an existing TOML file, "
                f"got {named!r}"
            )
        return path
    home = Path(env_values["home"][0]).expanduser() if "home" in env_values else default_home()
    path = home / CONFIG_FILE_NAME
    return path if path.is_file() else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings: defaults < the user's TOML file < ``VAGUS_*`` variables.

    Parameters
    ----------
    env : Mapping[str, str], optional
        The environment to read; ``os.environ`` when omitted (tests inject their own).

    Returns
    -------
    Settings
        Frozen, validated settings.

    Raises
    ------
    SettingsError
        For an unknown ``VAGUS_*`` variable or TOML key, unreadable or invalid TOML, or a bad
        value; the message names the setting, where it came from and what was expected.

    >>> load_settings({"VAGUS_HOME": "/tmp/x", "VAGUS_SENSOR": "simulated"}).sensor
    'simulated'
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    env_values = _read_env(environ)
    config_path = _config_path(environ, env_values)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if config_path is not None:
        for key, value in _read_toml(config_path).items():
            values[key] = value
            origins[key] = f"{config_path}, key {key!r}"
    for key, (value, variable) in env_values.items():
        values[key] = value
        origins[key] = f"environment variable {variable}"
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise SettingsError(_describe(error, values, origins)) from None
    return settings


def _describe(error: ValidationError, values: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "settings"
        info = _BY_NAME.get(name)
        expected = info.expected if info else item["msg"]
        origin = origins.get(name, "default")
        got = values.get(name, item.get("input"))
        problems.append(f"{name} ({origin}): expected {expected}, got {got!r}")
    return "; ".join(problems)


def settings_markdown() -> str:
    """``docs/settings.md``: every setting with its variable, default, help and valid values.

    >>> "`VAGUS_INHALE_S`" in settings_markdown()
    True
    """
    lines = [
        "# Settings",
        "",
        "Generated from the declarations in `src/vagus/config.py` by",
        "`python -m vagus.config > docs/settings.md`; a test keeps it current.",
        "",
        "Each setting comes from, in rising order of precedence: its default, the TOML file",
        f"(`{CONFIG_ENV_VAR}`, or else `<home>/{CONFIG_FILE_NAME}` when it exists), and the",
        "environment variable. An empty variable counts as unset. A key or `VAGUS_*` variable",
        "that is not listed here is an error, and so is a value outside what is expected.",
        "",
        "```toml",
        f"# {CONFIG_FILE_NAME}",
        'lang = "nb"',
        "inhale_s = 4",
        "exhale_s = 8",
        "```",
        "",
        "| setting | environment variable | default | valid values | meaning |",
        "|---|---|---|---|---|",
    ]
    for info in SETTINGS:
        lines.append(
            f"| `{info.name}` | `{info.env_var}` | {info.default} | {info.expected} | {info.help} |"
        )
    lines += [
        "",
        f"`{CONFIG_ENV_VAR}` names the TOML file itself; it is not a setting. A relative `home`",
        "in the file is taken relative to the file's folder.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_markdown(), end="")
