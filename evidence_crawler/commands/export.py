"""``evidence-crawler export ID [ID...] -o case.wacz``: sealed captures into a signed, timestamped WACZ.

Exit codes: 0 the bundle is written (its path and sha256 printed; with ``--json`` one JSON object on
stdout); 1 the export failed and no bundle was written (no timestamp token from any TSA, Chromium could
not print the report, a store file no longer matches its sealed hash); 2 unusable input (unknown or
unsealed capture, bad option, no TSA configured without ``--no-timestamp``, no Chromium, bad key, or
the output file already exists and ``--force`` was not given: an existing file is never overwritten
silently; with ``--force`` it is replaced atomically once the new bundle is complete).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import cli_context, err, fail, print_json


def export(ctx: typer.Context,
           capture_ids: Annotated[list[str], typer.Argument(help="sealed capture ids", show_default=False)],
           output: Annotated[Path, typer.Option("-o", "--output", help="the bundle to write (.wacz)")],
           case_ref: Annotated[str, typer.Option("--case-ref", help="case reference, into the report")] = "",
           title: Annotated[str, typer.Option("--title", help="report title")] = "",
           lang: Annotated[str, typer.Option("--lang", help="report language: en | fr")] = "en",
           items_only: Annotated[str | None, typer.Option("--items-only", metavar="URL_REGEX",
                                                          help="only items whose URL matches (re.search), and the "
                                                               "pages leading to them, in the manifest and report; "
                                                               "the sealed files and WARCs stay whole")] = None,
           diff: Annotated[bool, typer.Option("--diff", help="add what changed between the first and the last "
                                              "capture (evidence/diff.json and a report section)")] = False,
           repertoire: Annotated[str | None, typer.Option("--repertoire", metavar="NAME", help="add each capture's "
                                                          "findings against this repertoire (evidence/findings.json, "
                                                          "the catalogue file, a report section)")] = None,
           exhibit: Annotated[list[str] | None, typer.Option("--exhibit", metavar="URL_REGEX", help="show the pages "
                                                             "whose URL matches as exhibits (RE2, repeatable); "
                                                             "default: chosen automatically")] = None,
           max_exhibits: Annotated[int, typer.Option("--max-exhibits", metavar="N", help="at most N exhibits in "
                                                     "the report")] = 20,
           force: Annotated[bool, typer.Option("--force", help="replace the output file if it exists (the old "
                                               "file stays until the new bundle is complete)")] = False,
           no_timestamp: Annotated[bool, typer.Option("--no-timestamp", help="export without an RFC 3161 token "
                                                      "(the report says so prominently)")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False) -> None:
    """Export sealed captures as a signed, RFC 3161-timestamped WACZ evidence bundle with a report."""
    from evidence_crawler.services.export import ExportFailed, ExportRequest, ExportUnusable, export_bundle

    context = cli_context(ctx)
    config = context.config_with(store=context.store_root)
    req = ExportRequest(capture_ids=list(capture_ids), output=output.absolute(), case_ref=case_ref, title=title,
                        lang=lang, items_only=items_only, timestamp=not no_timestamp, diff=diff,
                        force=force, repertoire=repertoire, exhibits=list(exhibit or []), max_exhibits=max_exhibits)
    try:
        result = export_bundle(config, context.store, req)
    except ExportUnusable as exc:
        fail(str(exc), 2)
    except ExportFailed as exc:
        fail(str(exc), 1)
    for note in result["notes"]:
        err.print(f"[yellow]note[/] {escape(note)}", highlight=False, soft_wrap=True)
    for failure in result["timestamp_failures"]:
        err.print(f"[yellow]warning[/] {escape(failure)}", highlight=False, soft_wrap=True)
    if not result["timestamped"]:
        err.print("[bold red]NOT TIMESTAMPED[/] (--no-timestamp): the report says so", highlight=False)
    if as_json:
        return print_json(result)
    out = Console()
    out.print(f"bundle: {result['bundle']}", highlight=False, soft_wrap=True)
    out.print(f"sha256: {result['sha256']}  ({result['size']} bytes)", highlight=False)
    for t in result["timestamps"]:
        out.print(f"timestamp: {t['gen_time']} from {escape(t['url'])} ({t['path']})", highlight=False)
    out.print(f"signed by {result['key_fingerprint']}", highlight=False)
