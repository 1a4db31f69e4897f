"""``evidence-crawler``: the Typer app; each command lives in ``evidence_crawler/commands/``.

Commands are loaded lazily (:class:`LazyGroup`): the app knows each command's name and where it lives,
and imports a command module only when that command runs (or when ``--help`` lists them all). Command
modules in turn import what they need inside the command (parsel, croniter, Scrapy take a while to
import), so ``verify`` starts without loading ``crawl``, ``archive`` (boto3) or the config (pydantic-settings).

Machine-readable output (``--json``, ``items``) goes to stdout; progress, logs and errors to stderr,
so ``crawl --json | jq`` always sees exactly one JSON object.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

# pydantic looks for plugins in every installed distribution's entry points (importlib.metadata) when the
# first model is built; this tool uses none. PYDANTIC_DISABLE_PLUGINS= (empty) lets them load again.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# name -> (module in evidence_crawler.commands, attribute); a Typer attribute is a command group.
# The order is that of --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "diff": ("diffcmd", "diff"), "history": ("diffcmd", "history"), "export": ("export", "export"),
    "verify": ("verify", "verify"), "capture": ("capture", "capture"), "worker": ("distributed", "worker"),
    "crawl-status": ("distributed", "crawl_status"), "crawl": ("crawl", "crawl"), "items": ("captures", "items"),
    "reindex": ("captures", "reindex"), "demo-site": ("profiles", "demo_site"), "schema": ("schema", "schema"),
    "ui": ("ui", "ui"), "match": ("repertoire", "match"), "intermediaries": ("intermediaries", "intermediaries"),
    "captures": ("captures", "captures_app"), "profiles": ("profiles", "profiles_app"),
    "archive": ("archive", "archive_app"), "schedule": ("schedule", "schedule_app"), "keys": ("keys", "keys_app"),
    "repertoire": ("repertoire", "repertoire_app"), "p2p": ("p2p", "p2p_app"),
}


def load_command(name: str):
    """The click command (or group) of ``name``, built by Typer from its function (or Typer app)."""
    module, attr = COMMANDS[name]
    obj = getattr(importlib.import_module(f"evidence_crawler.commands.{module}"), attr)
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a group of one, so that Typer builds the command under its own name
    if isinstance(obj, typer.Typer):
        holder.add_typer(obj, name=name)
    else:
        holder.command(name)(obj)
    return typer.main.get_group(holder).commands[name]


class _LazyCommands(MutableMapping):
    """The group's ``commands``: names known up front, each command built on first lookup."""

    def __init__(self) -> None:
        self._loaded: dict = {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (n for n in self._loaded if n not in COMMANDS)

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._loaded))


class LazyGroup(TyperGroup):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lazy = _LazyCommands()
        for name, command in self.commands.items():
            lazy[name] = command
        self.commands = lazy

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)  # names only: nothing imported until a command is looked up


app = typer.Typer(cls=LazyGroup, add_completion=False, no_args_is_help=True,
                  help="Court-grade evidence captures of storefronts.")


@app.callback()
def main(ctx: typer.Context,
         store: Annotated[Path | None, typer.Option(help="evidence store folder [env EVIDENCE_STORE]")] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Scrapy log at INFO")] = False) -> None:
    from evidence_crawler.commands.context import CliContext

    ctx.obj = CliContext(store, verbose)


def entry() -> None:
    """The console script (pyproject.toml): the app, then an exit without the heap's teardown
    (``processexit``)."""
    from evidence_crawler.processexit import run

    run(app)


if __name__ == "__main__":
    entry()
