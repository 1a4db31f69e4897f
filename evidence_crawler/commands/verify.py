"""``evidence-crawler verify case.wacz [--json] [--tsa-ca FILE] [--expect-key FP]... [--accept-untimestamped]``:
check an evidence bundle offline.

Needs neither the store nor Scrapy; of the environment it reads only ``EVIDENCE_TRUSTED_KEYS`` (a file of
pinned fingerprints). Exit codes: 0 valid; 1 invalid, with every failing file, record or check named (a
signer that is not a pinned key included); 2 unusable input (not a zip, truncated, unsafe names or zip
structure, zip bomb, a document of the wrong shape or over its size cap, not a bundle, a bad fingerprint or
trusted keys file). Without a pinned key the first line of output says so and how to pin.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import err, fail, print_json


def verify(bundle: Annotated[Path, typer.Argument(help="the .wacz bundle")],
           tsa_ca: Annotated[Path | None, typer.Option("--tsa-ca", help="PEM root certificate(s) of the TSA: "
                                                       "also check each token's certificate chain")] = None,
           expect_key: Annotated[list[str] | None, typer.Option(
               "--expect-key", metavar="FINGERPRINT", help="the operator key's fingerprint (sha256:<hex>), "
               "obtained apart from the bundle; repeatable. A bundle or capture signed by another key fails. "
               "Also: EVIDENCE_TRUSTED_KEYS=FILE (one per line, # comments)")] = None,
           accept_untimestamped: Annotated[bool, typer.Option(
               "--accept-untimestamped", help="accept a bundle without a timestamp token (export --no-timestamp); "
               "without it such a bundle fails: a stripped token looks the same")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="JSON report on stdout")] = False) -> None:
    """Check an evidence bundle offline: hashes, WARC records, signatures and signer, timestamps, custody."""
    from evidence_crawler.bundle.safezip import UnusableBundle
    from evidence_crawler.bundle.verify import pins_for, verify_bundle
    from evidence_crawler.bundle.verify.signer import unpinned_notice

    try:
        keys, source = pins_for(expect_key or [], os.environ)
        report = verify_bundle(bundle, tsa_ca, expect_keys=keys, pin_source=source,
                               accept_untimestamped=accept_untimestamped)
    except UnusableBundle as exc:
        if as_json:
            print_json({"bundle": str(bundle), "valid": False, "unusable": str(exc), "signer_pinned": False})
        fail(str(exc), 2)
    result = report.as_dict()
    notice = unpinned_notice(result, str(bundle))
    if as_json:
        if notice:
            err.print(f"[bold yellow]{escape(notice)}[/]", highlight=False, soft_wrap=True)
        print_json(result)
    else:
        out = Console()
        if notice:
            out.print(f"[bold yellow]{escape(notice)}[/]", highlight=False, soft_wrap=True)
            out.file.flush()
        for w in report.warnings:
            err.print(f"[bold yellow]warning[/] {escape(w)}", highlight=False, soft_wrap=True)
        for p in report.problems:
            err.print(f"[red]INVALID[/] {escape(p)}", highlight=False, soft_wrap=True)
        if report.ok:
            ts = ", ".join(f"{t['gen_time']} ({t['tsa_name'] or t['signer']})"
                           for t in report.info.get("timestamps", [])) or "none"
            pinned = " (pinned)" if result.get("signer_pinned") else " (unpinned)"
            pdfs = "".join(f"; {p['path']}: PAdES {p['level']}" for p in report.info.get("pdf_signatures", []))
            out.print(f"[green]VALID[/] {escape(str(bundle))}: "
                      + ", ".join(f"{v} {k}" for k, v in report.checked.items())
                      + f"; signed by {report.info.get('key_fingerprint')}{pinned}; timestamps: {escape(ts)} "
                      f"(genTime checked within {report.info.get('time_tolerance')}){pdfs}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)
