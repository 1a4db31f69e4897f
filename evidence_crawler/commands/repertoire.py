"""``repertoire import|list|show`` and ``match``: rights holders' catalogues, and which works a capture offered.

Exit codes: 0 ok; 2 unusable input (bad file or row, unknown name/version, unknown or unsealed capture, bad
``--fx``), with the line(s) on stderr and nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evidence_crawler.commands.context import cli_context, fail, print_json

repertoire_app = typer.Typer(no_args_is_help=True, help="Rights holders' catalogues (repertoires) in the store.")
JSON = Annotated[bool, typer.Option("--json", help="one JSON object on stdout")]


def _fold(table: Table) -> Table:
    for column in table.columns:
        column.overflow = "fold"  # ids, URLs, hashes are copied: wrapped, never cut
    return table


@repertoire_app.command("import")
def import_(ctx: typer.Context, file: Path,
            name: Annotated[str, typer.Option("--name", help="the repertoire's name; again = a new version")],
            skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="import the good rows, list the "
                                                        "bad ones")] = False,
            as_json: JSON = False) -> None:
    """Import a catalogue (CSV or XLSX) as the next version of NAME."""
    from evidence_crawler.services.repertoire import RepertoireUnusable, import_repertoire

    cli = cli_context(ctx)
    try:
        result = import_repertoire(cli.store, cli.config.operator, file, name, skip_bad_rows)
    except RepertoireUnusable as exc:
        fail(str(exc))
    if as_json:
        return print_json(result)
    print(f"{result['name']} v{result['version']}: {result['works']} works from {result['rows']} rows "
          f"(sha256 {result['sha256']})")
    for skipped in result["skipped"]:
        print(f"skipped {file}:{skipped['row']}: {skipped['reason']}", file=sys.stderr)
    if result["skipped_count"] > len(result["skipped"]):
        print(f"... {result['skipped_count']} rows skipped in all", file=sys.stderr)


@repertoire_app.command("list")
def list_(ctx: typer.Context, as_json: JSON = False) -> None:
    """Every imported version: name, version, works, rows, sha256, import time."""
    from evidence_crawler.services.repertoire import list_repertoires

    rows = list_repertoires(cli_context(ctx).store)
    if as_json:
        return print_json(rows)
    table = _fold(Table("name", "version", "works", "rows", "skipped", "imported (UTC)", "file", "sha256"))
    for r in rows:
        table.add_row(escape(r["name"]), str(r["version"]), str(r["works"]), str(r["rows"]),
                      str(r["skipped_count"]), r["imported_at"], escape(r["file"]), r["sha256"])
    Console().print(table)


@repertoire_app.command("show")
def show(ctx: typer.Context, name: str,
         version: Annotated[int | None, typer.Option("--version", help="default: the latest")] = None,
         as_json: JSON = False) -> None:
    """One version (default: the latest) and its works."""
    from evidence_crawler.services.repertoire import RepertoireUnusable, show_repertoire

    try:
        result = show_repertoire(cli_context(ctx).store, name, version)
    except RepertoireUnusable as exc:
        fail(str(exc))
    if as_json:
        return print_json(result)
    print(f"{result['name']} v{result['version']} (versions {', '.join(map(str, result['versions']))}): "
          f"{result['works']} works, {result['file']}, sha256 {result['sha256']}, imported {result['imported_at']}")
    table = _fold(Table("row", "artist", "title", "kind", "isrc", "upc", "rights holder", "ref. price"))
    for w in result["catalogue"]:
        price = f"{w['ref_price']} {w['ref_currency'] or ''}".strip() if w["ref_price"] else ""
        table.add_row(str(w["row"]), *(escape(w[k] or "") for k in ("artist", "title", "kind", "isrc", "upc",
                                                                     "rights_holder")), price)
    Console().print(table)


def match(ctx: typer.Context, capture_id: str,
          repertoire: Annotated[str, typer.Option("--repertoire", help="repertoire name")],
          version: Annotated[int | None, typer.Option("--version", help="default: the latest")] = None,
          min_score: Annotated[int, typer.Option("--min-score", help="fuzzy matches under this are dropped")] = 80,
          review_below: Annotated[int, typer.Option("--review-below", help="fuzzy matches under this need "
                                                    "review")] = 97,
          fx: Annotated[list[str] | None, typer.Option("--fx", help="exchange rate FROM:TO=RATE, e.g. "
                                                       "USD:EUR=0.92 (1 USD = 0.92 EUR); repeatable")] = None,
          as_json: JSON = False) -> None:
    """Which works of a repertoire a sealed capture offered; the findings are stored as evidence."""
    from evidence_crawler.services.findings import MatchRequest, match_capture
    from evidence_crawler.services.repertoire import RepertoireUnusable

    store = cli_context(ctx).store
    try:
        stored = match_capture(store, MatchRequest(capture_id, repertoire, version, min_score, review_below,
                                                   fx or []))
    except RepertoireUnusable as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.buffer.write(stored.data)
        return
    f = stored.findings
    print(f"{capture_id} against {f.repertoire.name} v{f.repertoire.version}: {len(f.matches)} matches, "
          f"{f.unmatched_works} of {f.repertoire.works} works unmatched")
    print(f"findings: {store.root / stored.object} (sha256 {stored.sha256})")
    out = Console()
    for holder, totals in f.by_rights_holder.items():
        table = _fold(Table("work", "as shown on the site", "method", "score", "cheapest", "ref.", "ratio", "url",
                            title=f"{holder}: {totals.works} works, {totals.offers} offers"
                                  + (f", {totals.review} to review" if totals.review else "")))
        for m in f.matches:
            if (m.work.rights_holder or "(no rights_holder)") != holder:
                continue
            shown = " - ".join(str(v) for k, v in sorted(m.item.fields.items()) if k in ("artist", "title", "name"))
            cheap, ref = m.price.cheapest, m.price.reference
            table.add_row(escape(f"{m.work.row}: {m.work.artist or ''} - {m.work.title or ''}"), escape(shown),
                          m.method + (" (review)" if m.review else ""), str(m.score),
                          escape(f"{cheap.amount} {cheap.currency or ''}") if cheap else "",
                          escape(f"{ref.amount} {ref.currency or ''}") if ref else "",
                          "" if m.price.ratio is None else f"{m.price.ratio:g}", escape(m.item.url))
        out.print(table)
