"""What every command gets from the top-level app: one ``CliContext`` (config, store, verbosity), errors, JSON out.

The app's callback puts the context on ``ctx.obj``; commands read it with ``cli_context(ctx)`` rather than
importing ``cli.py``, so command modules do not import the app that registers them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from evidence_crawler.config import EvidenceConfig
    from storage.local import LocalStore

err = Console(stderr=True)


@dataclass
class CliContext:
    """Global options of one invocation; config and store are made on first use, once.

    Lazily, so that ``verify BUNDLE`` and ``--help`` neither read ``EVIDENCE_*`` nor touch a store.
    """

    store_option: Path | None = None  # --store, wins over EVIDENCE_STORE
    verbose: bool = False

    @cached_property
    def config(self) -> EvidenceConfig:
        """``EVIDENCE_*`` read once. The store path stays as given: a crawl records it so in its manifest."""
        from evidence_crawler.config import EvidenceConfig  # pydantic-settings: only for commands that need it

        return EvidenceConfig() if self.store_option is None else EvidenceConfig(store=self.store_option)

    @cached_property
    def store(self) -> LocalStore:
        from storage.local import LocalStore

        return LocalStore(self.config.store)

    @property
    def store_root(self) -> Path:
        """The store folder as an absolute path, for what outlives the working directory or leaves the process."""
        return self.store.root

    @property
    def log_level(self) -> str:
        return "INFO" if self.verbose else "WARNING"

    def config_with(self, **flags: Any) -> EvidenceConfig:
        """The config with a command's flags applied; a flag left unset (None) keeps the environment's value."""
        return self.config.model_copy(update={k: v for k, v in flags.items() if v is not None})


def cli_context(ctx: typer.Context) -> CliContext:
    return ctx.ensure_object(CliContext)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_plain(text: str, console: Console | None = None) -> None:
    """A line holding ids or paths a user copies: never wrapped or cut, no markup read into it."""
    (console or Console()).print(text, soft_wrap=True, highlight=False, markup=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
