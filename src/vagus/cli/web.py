"""``vagus serve``: the web app on this machine, with uvicorn.

It listens on localhost by default. Binding another address lets other machines reach the
journal, which holds health data, so that prints a warning first and turns the login on for
every request (:mod:`vagus.web._auth`): with the password set by ``vagus serve --set-password``,
or else a token made and printed once (like Jupyter's). ``--ssl-certfile``/``--ssl-keyfile``
serve HTTPS (docs/https.md).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from vagus.cli._base import app, fail, open_app, user_errors

if TYPE_CHECKING:
    from fastapi import FastAPI
    from rich.console import Console

#: Addresses that only this machine can reach.
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000


def is_local(host: str) -> bool:
    """True for loopback addresses and ``localhost``.

    >>> is_local("127.0.0.1"), is_local("::1"), is_local("0.0.0.0"), is_local("192.168.1.5")
    (True, True, False, False)
    >>> is_local("0:0:0:0:0:0:0:1"), is_local("example.org")
    (True, False)
    """
    if host in LOCAL_HOSTS:
        return True
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        try:
            return kind(host).is_loopback
        except ipaddress.AddressValueError:
            continue  # not an address of this kind: a name, or the other kind
    return False


def address(host: str, port: int, scheme: str = "http") -> str:
    """The URL to open in a browser.

    >>> address("127.0.0.1", 8000), address("::1", 8080, "https")
    ('http://127.0.0.1:8000/', 'https://[::1]:8080/')
    """
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/"


#: Bind addresses that mean "every interface": no browser can open them.
ANY_HOSTS: Final = frozenset({"0.0.0.0", "::", ""})


def network_address() -> str | None:
    """This machine's address on the local network, for the login link, or None.

    Connecting a UDP socket sends no packet; it only asks the kernel which interface would
    route to a TEST-NET-1 address (RFC 5737), whose address is the one a phone can reach.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            found = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if found in ANY_HOSTS or is_local(found) else found


def read_new_password() -> str:
    """The new password: asked twice without echo at a terminal; one line of stdin otherwise
    (scripts and tests). Refused when short or different (NIST SP 800-63B, 5.1.1.2)."""
    from vagus.web._auth import MAX_SECRET_LENGTH, MIN_PASSWORD_LENGTH

    if sys.stdin.isatty():
        password = str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        fail(f"password: expected at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_SECRET_LENGTH:
        fail(f"password: expected at most {MAX_SECRET_LENGTH} characters")
    return password


def _login_notice(
    console: Console, home: Path, *, host: str, port: int, scheme: str, renew: bool
) -> None:
    """Make sure a login secret exists, and say how to log in; a new token is shown here,
    once (only its hash is kept)."""
    from vagus.web._auth import LOGIN_FILE_NAME, load_credential, new_token

    credential = load_credential(home)
    if renew or credential is None:
        token = new_token(home)
        shown = (network_address() or "127.0.0.1") if host in ANY_HOSTS else host
        link = f"{address(shown, port, scheme)}login?token={token}"
        console.print(
            "A login is required. Log in with this link (shown once; vagus keeps only a hash "
            "of the token, and `vagus serve --new-token` makes a new one):",
            highlight=False,
        )
        console.print(f"    {link}", highlight=False, soft_wrap=True)
        return
    what = "password" if credential.kind == "password" else "token printed when it was made"
    console.print(
        f"A login is required: use the {what} (stored as a hash in {home / LOGIN_FILE_NAME}). "
        "`vagus serve --new-token` makes a new token, `--set-password` sets a password.",
        highlight=False,
    )


#: Seconds uvicorn waits for open connections (a live stream) before it stops anyway.
GRACEFUL_SHUTDOWN_S = 3
#: Most server processes ``--workers`` allows (far more than a personal journal needs).
MAX_WORKERS: Final = 16
#: What each worker process calls to build its server (``--workers`` above 1).
APP_FACTORY: Final = "vagus.cli.web:worker_app"
#: The settings the command resolved (config file, VAGUS_* variables, --sensor), handed to each
#: worker process whole, as JSON: a worker builds its app from them, not from its own reading of
#: the environment (uvicorn starts workers by import string; its environment is the one channel).
WORKER_SETTINGS_VAR: Final = "_VAGUS_WORKER_SETTINGS"  # not a VAGUS_* setting


def worker_app() -> FastAPI:
    """The server of one worker process, from the settings its parent resolved."""
    from vagus.app import build_app
    from vagus.config import Settings
    from vagus.web import create_app

    settings = Settings.model_validate_json(os.environ[WORKER_SETTINGS_VAR])
    return create_app(build_app(settings))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    sensor: Annotated[
        str | None,
        typer.Option(help="replay, replay:FILE, simulated or ble[:ADDRESS] (default: setting)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help=(
                "Server processes. More than 1 answers more journal requests at once on a "
                "multi-core machine, but the live heart view needs 1: its sensor and its "
                "browser-strap recordings live in one process."
            ),
        ),
    ] = 1,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Serve HTTPS with this certificate (PEM); with --ssl-keyfile. See docs/https.md.",
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="The certificate's private key (PEM)."),
    ] = None,
    set_password: Annotated[
        bool,
        typer.Option(
            "--set-password",
            help=(
                "Set the login password (asked twice; read from stdin when it is not a "
                "terminal), store only its argon2id hash, and exit. Logs every browser out."
            ),
        ),
    ] = False,
    new_token: Annotated[
        bool,
        typer.Option(
            "--new-token",
            help="Replace the login secret with a new random token, printed once.",
        ),
    ] = False,
) -> None:
    """Start the web app (FastAPI + uvicorn) and print its address."""
    import uvicorn
    from rich.console import Console

    from vagus.app import SensorError
    from vagus.web import create_app
    from vagus.web._auth import LOGIN_FILE_NAME, save_credential

    vagus = open_app()
    console = Console(stderr=True)
    if set_password:
        save_credential(vagus.settings.home, "password", read_new_password())
        console.print(
            f"Password set (its argon2id hash is in {vagus.settings.home / LOGIN_FILE_NAME}); "
            "every browser must log in again. Start the server with vagus serve.",
            highlight=False,
        )
        return
    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile: expected both, or neither")
    scheme = "https" if ssl_certfile is not None else "http"
    if sensor is not None:
        with user_errors():
            try:
                # Checks the spec (and reads a replay's file) now; the live view connects later.
                vagus.live.make_sensor(sensor)
            except SensorError as error:
                fail(str(error))
        vagus.settings = vagus.settings.model_copy(update={"sensor": sensor})
    if not is_local(host):
        console.print(
            f"[bold yellow]warning:[/] listening on {host}: other machines on the network can "
            "reach your journal, which holds health data, after a login. Use 127.0.0.1 "
            "unless you need it.",
            highlight=False,
        )
        if scheme == "http":
            console.print(
                "[bold yellow]warning:[/] without --ssl-certfile/--ssl-keyfile the password "
                "and the journal cross the network unencrypted (docs/https.md).",
                highlight=False,
            )
        # Every request needs the login, from this machine too (a reverse proxy on it would
        # look local); carried to --workers processes with the settings.
        vagus.settings = vagus.settings.model_copy(update={"login": "always"})
    if vagus.settings.login == "always" or new_token:
        _login_notice(
            console, vagus.settings.home, host=host, port=port, scheme=scheme, renew=new_token
        )
    if workers > 1:
        console.print(
            f"[bold yellow]note:[/] {workers} server processes: the live heart view needs "
            "--workers 1.",
            highlight=False,
        )
    console.print(
        f"vagus is running at {address(host, port, scheme)}  (Ctrl+C stops it)", highlight=False
    )
    # uvicorn's loop="auto" and http="auto" (the defaults) take uvloop and httptools, which
    # vagus depends on, over asyncio and h11. An open live stream (server-sent events) must
    # not keep Ctrl+C from stopping the server.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }
    if ssl_certfile is not None and ssl_keyfile is not None:
        options["ssl_certfile"] = str(ssl_certfile)
        options["ssl_keyfile"] = str(ssl_keyfile)
    if workers == 1:
        uvicorn.run(create_app(vagus), **options)
        return
    # Each worker process builds its own app from the same resolved settings (the journal is
    # open and migrated already).
    os.environ[WORKER_SETTINGS_VAR] = vagus.settings.model_dump_json()
    vagus.close()
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)
