"""``evidence-crawler ui``: the investigator's workbench on a local port.

The first line on stdout is the URL to open (with its token when one is needed), so a script or a
person can copy it; uvicorn's own log goes to stderr.
"""

from __future__ import annotations

import secrets
import webbrowser
from typing import Annotated

import typer

from evidence_crawler.commands.context import cli_context, fail


def ui(ctx: typer.Context,
       host: Annotated[str, typer.Option(help="address to bind; anything but loopback needs a token")] = "127.0.0.1",
       port: Annotated[int, typer.Option(help="port (0: any free port)")] = 8765,
       open_browser: Annotated[bool, typer.Option("--open", help="open the URL in a browser")] = False) -> None:
    """Serve the workbench over the store: captures, items, search, diff, schedules, export, verify."""
    import socket

    import uvicorn

    from evidence_crawler.web.app import create_app
    from evidence_crawler.web.security import Access, is_loopback

    c = cli_context(ctx)
    token = c.config.ui_token or (None if is_loopback(host) else secrets.token_urlsafe(24))
    if not c.store.root.exists():
        fail(f"no evidence store at {c.store.root} (make one with a crawl, or pass --store)")
    app = create_app(c.config, c.store, Access(token, "ui-token" if token else None))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # before the URL is printed: whoever reads it may connect at once
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    typer.echo(url)
    if open_browser:
        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
