"""``evidence-crawler``: the Typer app; each command lives in ``evidence_crawler/commands/``.

Command modules import what they need inside the command (parsel, croniter, Scrapy take a while to
import), so ``verify`` or ``--help`` do not pay for ``crawl``.

Machine-readable output (``--json``, ``items``) goes to stdout; progress, logs and errors to stderr,
so ``crawl --json | jq`` always sees exactly one JSON object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_crawler.commands.archive import archive_app
from evidence_crawler.commands.capture import capture
from evidence_crawler.commands.captures import captures_app, items, reindex
from evidence_crawler.commands.context import CliContext
from evidence_crawler.commands.crawl import crawl
from evidence_crawler.commands.diffcmd import diff, history
from evidence_crawler.commands.distributed import crawl_status, worker
from evidence_crawler.commands.export import export
from evidence_crawler.commands.intermediaries import intermediaries
from evidence_crawler.commands.keys import keys_app
from evidence_crawler.commands.p2p import p2p_app
from evidence_crawler.commands.profiles import demo_site, profiles_app
from evidence_crawler.commands.repertoire import match, repertoire_app
from evidence_crawler.commands.schedule import schedule_app
from evidence_crawler.commands.schema import schema
from evidence_crawler.commands.ui import ui
from evidence_crawler.commands.verify import verify as verify_bundle

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Court-grade evidence captures of storefronts.")


@app.callback()
def main(ctx: typer.Context,
         store: Annotated[Path | None, typer.Option(help="evidence store folder [env EVIDENCE_STORE]")] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Scrapy log at INFO")] = False) -> None:
    ctx.obj = CliContext(store, verbose)


for name, command in (("diff", diff), ("history", history), ("export", export), ("verify", verify_bundle),
                      ("capture", capture), ("worker", worker), ("crawl-status", crawl_status), ("crawl", crawl),
                      ("items", items), ("reindex", reindex), ("demo-site", demo_site),
                      ("schema", schema), ("ui", ui), ("match", match), ("intermediaries", intermediaries)):
    app.command(name)(command)
for name, group in (("captures", captures_app), ("profiles", profiles_app), ("archive", archive_app),
                    ("schedule", schedule_app), ("keys", keys_app), ("repertoire", repertoire_app),
                    ("p2p", p2p_app)):
    app.add_typer(group, name=name)

if __name__ == "__main__":
    app()
