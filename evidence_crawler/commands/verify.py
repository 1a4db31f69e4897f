"""``evidence-crawler verify case.wacz [--json] [--tsa-ca FILE]``: check an evidence bundle offline.

Needs neither the store nor Scrapy. Exit codes: 0 valid; 1 invalid, with every failing file, record
or check named; 2 unusable input (not a zip, truncated, unsafe names, zip bomb, not a bundle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import err, fail, print_json


def verify(bundle: Annotated[Path, typer.Argument(help="the .wacz bundle")],
           tsa_ca: Annotated[Path | None, typer.Option("--tsa-ca", help="PEM root certificate(s) of the TSA: "
                                                       "also check each token's certificate chain")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="JSON report on stdout")] = False) -> None:
    """Check an evidence bundle offline: hashes, WARC records, signatures, timestamps, custody."""
    from evidence_crawler.bundle.safezip import UnusableBundle
    from evidence_crawler.bundle.verify import verify_bundle

    try:
        report = verify_bundle(bundle, tsa_ca)
    except UnusableBundle as exc:
        if as_json:
            print_json({"bundle": str(bundle), "valid": False, "unusable": str(exc)})
        fail(str(exc), 2)
    if as_json:
        print_json(report.as_dict())
    else:
        for w in report.warnings:
            err.print(f"[bold yellow]warning[/] {escape(w)}", highlight=False, soft_wrap=True)
        for p in report.problems:
            err.print(f"[red]INVALID[/] {escape(p)}", highlight=False, soft_wrap=True)
        if report.ok:
            ts = ", ".join(f"{t['gen_time']} ({t['tsa_name'] or t['signer']})"
                           for t in report.info.get("timestamps", [])) or "none"
            pdfs = "".join(f"; {p['path']}: PAdES {p['level']}" for p in report.info.get("pdf_signatures", []))
            Console().print(f"[green]VALID[/] {escape(str(bundle))}: "
                            + ", ".join(f"{v} {k}" for k, v in report.checked.items())
                            + f"; signed by {report.info.get('key_fingerprint')}; timestamps: {escape(ts)}{pdfs}",
                            highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)
