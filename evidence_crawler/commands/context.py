"""What every command module needs from the top-level app: the store (``--store``), errors, JSON out.

Read from the Click context rather than imported from ``cli.py``, so command modules do not import the
app that registers them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.config import EvidenceConfig

err = Console(stderr=True)


def store_root(ctx: typer.Context) -> Path:
    store = ctx.find_root().params.get("store")
    return (EvidenceConfig(store=store) if store is not None else EvidenceConfig()).store.absolute()


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
