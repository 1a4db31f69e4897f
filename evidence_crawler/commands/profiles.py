"""``evidence-crawler profiles check FILE...`` and ``demo-site``: profiles and the shops they were written for.

``profiles check`` exits 0 when every profile is valid, 1 otherwise (each problem as file:line: field: reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import err

profiles_app = typer.Typer(no_args_is_help=True, help="Check site profiles.")


@profiles_app.command("check")
def profiles_check(paths: list[Path]) -> None:
    """Validate profiles; prints file:line: field: reason for each problem."""
    from evidence_crawler.profile import ProfileError, load_profile

    bad = 0
    for path in paths:
        try:
            loaded = load_profile(path)
            Console().print(f"[green]ok[/] {path} ({loaded.profile.name}, sha256 {loaded.sha256[:16]}…)")
        except ProfileError as exc:
            bad += 1
            err.print(escape(str(exc)), highlight=False, soft_wrap=True)
    raise typer.Exit(1 if bad else 0)


def demo_site(shop: Annotated[str, typer.Option(help="allofmp3 | mp3sugar")] = "allofmp3",
              host: Annotated[str, typer.Option()] = "127.0.0.1",
              port: Annotated[int | None, typer.Option(help="default: the shop's own port (the "
                                                          "profiles' start URLs); 0 = any free port")] = None
              ) -> None:
    """Serve a bundled demo storefront on loopback (for demos and tests)."""
    from evidence_crawler.demo.server import serve_forever

    serve_forever(shop, host, port)
