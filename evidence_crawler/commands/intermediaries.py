"""``evidence-crawler intermediaries CAPTURE_ID [--json]``: who hosts, names, secures, serves and pays (issue 18)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from evidence_crawler.commands.context import cli_context, fail, print_json, print_plain
from evidence_crawler.commands.tables import Col, print_table


def _evidence_line(ev) -> str:
    where = (f"{ev.warc_file}@{ev.warc_offset}" if ev.warc_file else
             f"sha256:{ev.page_sha256}" if ev.page_sha256 else ev.record_id or "")
    return f"{ev.kind} {ev.target}: {ev.detail}" + (f" [{where}]" if where else "")


def intermediaries(ctx: typer.Context, capture_id: str,
                   as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False) -> None:
    """The intermediaries of a sealed capture: role, name, abuse contact, country, and the evidence of each."""
    from evidence_crawler.services.intermediaries import NoIntermediaries, capture_intermediaries
    from evidence_crawler.services.intermediaries import as_json as to_json

    try:
        section = capture_intermediaries(cli_context(ctx).store, capture_id)
    except NoIntermediaries as exc:
        fail(str(exc))
    if as_json:
        print_json(to_json(capture_id, section))
        return
    rows = [[i.role, i.name, i.abuse_contact or "", i.country or "",
             "\n".join(_evidence_line(e) for e in i.evidence[:3])
             + (f"\n(+{i.evidence_total - 3} more)" if i.evidence_total > 3 else "")] for i in section.intermediaries]
    print_table([Col("role"), Col("name"), Col("abuse contact", copy=True), Col("country", optional=True),
                 Col("evidence")], rows, title=f"intermediaries of {capture_id}")
    failed = [lk for lk in section.lookups if lk.outcome not in ("ok", "nodata")]
    out = Console()
    print_plain(f"{len(section.lookups)} lookups, {len(failed)} without an answer"
                + ("; time budget exhausted" if section.budget_exhausted else "")
                + (f"; step failed: {section.error}" if section.error else ""), out)
