"""``evidence-crawler ui``: the investigator's workbench on a local port.

The first line on stdout is the URL to open (with its token when one is needed), so a script or a
person can copy it; uvicorn's own log goes to stderr.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import webbrowser
from typing import Annotated

import typer

from evidence_crawler.commands.context import cli_context, fail


def ui(ctx: typer.Context,
       host: Annotated[str, typer.Option(help="address to bind; anything but loopback needs a token")] = "127.0.0.1",
       port: Annotated[int, typer.Option(help="port (0: any free port)")] = 8765,
       replay_port: Annotated[int, typer.Option(help="port of the replay origin, same host (0: any free port)")] = 0,
       open_browser: Annotated[bool, typer.Option("--open", help="open the URL in a browser")] = False) -> None:
    """Serve the workbench over the store: captures, items, search, diff, schedules, export, verify."""
    import uvicorn

    from evidence_crawler.web.app import create_app
    from evidence_crawler.web.replay import ReplayOrigin, assets_dir, create_replay_app
    from evidence_crawler.web.security import Access, is_loopback

    c = cli_context(ctx)
    token = c.config.ui_token or (None if is_loopback(host) else secrets.token_urlsafe(24))
    if not c.store.root.exists():
        fail(f"no evidence store at {c.store.root} (make one with a crawl, or pass --store)")
    sock, replay_sock = _listen(host, port), _listen(host, replay_port)
    access = Access(token, "ui-token" if token else None)
    assets = assets_dir()
    replay = ReplayOrigin(replay_sock.getsockname()[1], assets, access)
    app = create_app(c.config, c.store, access, replay)
    replay_app = create_replay_app(c.store, access, sock.getsockname()[1], assets)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    typer.echo(url)
    typer.echo(f"replay origin: http://{shown}:{replay.port}/" + ("" if assets else " (ReplayWeb.page missing: "
               "run make setup)"), err=True)
    if open_browser:
        webbrowser.open(url)
    servers = [uvicorn.Server(uvicorn.Config(a, log_level="warning", access_log=False)) for a in (app, replay_app)]
    asyncio.run(_serve_both(servers, [sock, replay_sock]))


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, before the URL is printed: whoever reads it may connect at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    return sock


async def _serve_both(servers: list, socks: list[socket.socket]) -> None:
    """The app and the replay origin in one event loop; when one stops (a signal), both stop."""
    tasks = [asyncio.create_task(s.serve(sockets=[k])) for s, k in zip(servers, socks, strict=True)]
    _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for s in servers:
        s.should_exit = True
    await asyncio.gather(*pending)
