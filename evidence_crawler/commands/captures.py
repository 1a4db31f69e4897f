"""``evidence-crawler captures list|show|verify|discard``, ``items`` and ``reindex``: what the store holds.

``captures verify`` exits 0 ok, 1 mismatch, 2 unusable; the others 0, or 2 for an unknown capture.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import cli_context, err, fail, print_json, print_plain
from evidence_crawler.commands.tables import Col, print_table

captures_app = typer.Typer(no_args_is_help=True, help="List, inspect, verify or discard captures.")


@captures_app.command("list")
def captures_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Captures in the store, oldest first; unsealed ones whose writer died show as incomplete."""
    from evidence_crawler.services.captures import list_captures

    rows = list_captures(cli_context(ctx).store)
    if as_json:
        return print_json(rows)
    table = []
    for r in rows:
        c = r.get("counts") or {}
        state = f"{r['state']} (worker part)" if r.get("part_of") else r["state"]
        table.append([r["id"], r["profile"] or "", state, r["started_at"] or "", str(c.get("pages", "")),
                      str(c.get("items", ""))])
    print_table([Col("id", copy=True), Col("profile"), Col("state"), Col("started (UTC)"),
                 Col("pages", optional=True), Col("items", optional=True)], table)


@captures_app.command("show")
def captures_show(ctx: typer.Context, capture_id: str,
                  as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Everything about one capture: state, times, WARC files, pages, errors."""
    from evidence_crawler.models import ErrorTally
    from evidence_crawler.services.captures import CaptureNotFound, show_capture

    try:
        info = show_capture(cli_context(ctx).store, capture_id)
    except CaptureNotFound as exc:
        fail(str(exc))
    if as_json:
        return print_json(info)
    out = Console()
    print_plain(f"{info['capture_id']} {info['state']}  {info['started_at']} → {info['finished_at']}", out)
    print_plain(ErrorTally.of(info["errors"]).text(), out)
    print_plain(f"manifest: {info['manifest']}", out)
    for w in info["warc_files"]:
        print_plain(f"warc: {w}", out)
    print_table([Col("status"), Col("url", copy=True), Col("ip", optional=True),
                 Col("sha256 (as received)", copy=True)],
                [[str(p["status"]), p["url"], p["ip"] or "", p["sha256"] or ""] for p in info["pages"]], console=out)


@captures_app.command("verify")
def captures_verify(ctx: typer.Context, capture_id: str,
                    as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-hash every artifact and WARC record, and check the custody chain. Exit 0 ok, 1 mismatch, 2 unusable."""
    from evidence_crawler.services.verify import Unusable, verify_capture

    try:
        report = verify_capture(cli_context(ctx).store, capture_id)
    except Unusable as exc:
        fail(str(exc), 2)
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        checked = ", ".join(f"{v} {k}" for k, v in report.checked.items())
        Console().print(f"[green]OK[/] {escape(capture_id)}: {checked}", soft_wrap=True, highlight=False)
    else:
        for p in report.problems:
            err.print(f"[red]MISMATCH[/] {escape(p)}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@captures_app.command("discard")
def captures_discard(ctx: typer.Context, capture_id: str,
                     reason: Annotated[str, typer.Option(help="why")] = "discarded by operator") -> None:
    """Mark an incomplete or failed capture as discarded (kept on disk, recorded in custody)."""
    from evidence_crawler.services.captures import CaptureNotFound, discard_capture

    try:
        state = discard_capture(cli_context(ctx).store, capture_id, reason)
    except (CaptureNotFound, ValueError) as exc:
        fail(str(exc))
    Console().print(f"{capture_id}: {state['state']}")


def items(ctx: typer.Context, capture_id: str) -> None:
    """Items of a capture as JSON lines (url, fields, offers, page_sha256, ...)."""
    from evidence_crawler.services.captures import CaptureNotFound, iter_items

    try:
        for item in iter_items(cli_context(ctx).store, capture_id):
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    except CaptureNotFound as exc:
        fail(str(exc))


def reindex(ctx: typer.Context) -> None:
    """Rebuild index.sqlite from the store's sealed captures."""
    from storage.index import CaptureIndex

    n = CaptureIndex(cli_context(ctx).config.store).rebuild()
    Console().print(f"indexed {n} sealed captures")
