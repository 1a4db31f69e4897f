"""``evidence-crawler schema [NAME]``: the JSON Schema of a record we write, so the other side can check
our files with its own tools. Without NAME, the names (one a line) and the file each describes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evidence_crawler.commands.context import fail

DESCRIBES = {"manifest": "captures/<id>/manifest.json, evidence/<capture>.manifest.json",
             "bundle-manifest": "evidence/manifest.json of a bundle",
             "custody-event": "each line of custody.jsonl",
             "page": "each line of pages.jsonl (a capture's)",
             "item": "each line of items.jsonl",
             "findings": "the findings of `match` (stored in the store; evidence/findings.json of a bundle)"}


def schema(name: Annotated[str | None, typer.Argument(help="manifest, bundle-manifest, custody-event, page, "
                                                           "item or findings; none: list them")] = None) -> None:
    """Print the JSON Schema (2020-12) of a record: the capture manifest, the bundle manifest, ..."""
    from evidence_crawler.models.schemas import SCHEMAS, schema_bytes

    if name is None:
        sys.stdout.write("".join(f"{n}\t{DESCRIBES[n]}\n" for n in SCHEMAS))
        return
    if name not in SCHEMAS:
        fail(f"no schema {name!r}; choose one of {', '.join(SCHEMAS)}")
    sys.stdout.write(schema_bytes(name).decode())
