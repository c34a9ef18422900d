"""``vagus serve``: the web app on this machine, with uvicorn.

It listens on localhost by default. Binding another address lets other machines reach the
journal, which holds health data, so that prints a warning first.
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.console import Console

from vagus.app import SensorError, build_app
from vagus.cli._base import app, fail, open_app, user_errors
from vagus.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

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


def address(host: str, port: int) -> str:
    """The URL to open in a browser.

    >>> address("127.0.0.1", 8000), address("::1", 8080)
    ('http://127.0.0.1:8000/', 'http://[::1]:8080/')
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


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
) -> None:
    """Start the web app (FastAPI + uvicorn) and print its address."""
    import uvicorn

    from vagus.web import create_app

    vagus = open_app()
    if sensor is not None:
        with user_errors():
            try:
                # Checks the spec (and reads a replay's file) now; the live view connects later.
                vagus.live.make_sensor(sensor)
            except SensorError as error:
                fail(str(error))
        vagus.settings = vagus.settings.model_copy(update={"sensor": sensor})
    console = Console(stderr=True)
    if not is_local(host):
        console.print(
            f"[bold yellow]warning:[/] listening on {host}: other machines on the network can "
            "reach your journal, which holds health data. Use 127.0.0.1 unless you are sure.",
            highlight=False,
        )
    if workers > 1:
        console.print(
            f"[bold yellow]note:[/] {workers} server processes: the live heart view needs "
            "--workers 1.",
            highlight=False,
        )
    console.print(f"vagus is running at {address(host, port)}  (Ctrl+C stops it)", highlight=False)
    # uvicorn's loop="auto" and http="auto" (the defaults) take uvloop and httptools, which
    # vagus depends on, over asyncio and h11. An open live stream (server-sent events) must
    # not keep Ctrl+C from stopping the server.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }
    if workers == 1:
        uvicorn.run(create_app(vagus), **options)
        return
    # Each worker process builds its own app from the same resolved settings (the journal is
    # open and migrated already).
    os.environ[WORKER_SETTINGS_VAR] = vagus.settings.model_dump_json()
    vagus.close()
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)
