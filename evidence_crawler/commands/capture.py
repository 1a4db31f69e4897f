"""``evidence-crawler capture URL``: one page, rendered in Chromium, sealed like a crawl.

Exit codes as ``crawl``: 0 sealed (a partial render is sealed too, and says so), 1 not sealed or sealed with
no page (the capture is kept: it records the attempt and its errors, but it is not the page asked for),
2 refused before anything was fetched (bad URL, private address without ``--allow-private``, no Chromium).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from evidence_crawler.capture.anchor import describe, required_missing
from evidence_crawler.commands.context import cli_context, fail, print_json, print_plain


def capture(ctx: typer.Context, url: Annotated[str, typer.Argument(help="the page to capture")],
            as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False,
            wait: Annotated[str | None, typer.Option("--wait", metavar="SELECTOR",
                                                     help="also wait for this CSS selector")] = None,
            scroll: Annotated[bool, typer.Option("--scroll/--no-scroll", help="bounded auto-scroll to reveal "
                                                 "lazy content (recorded)")] = True,
            timeout: Annotated[float, typer.Option("--timeout", metavar="S", min=1.0, help="seconds for load, "
                                                   "selector and network idle; then what is there is kept, "
                                                   "marked partial")] = 30.0,
            allow_private: Annotated[bool, typer.Option("--allow-private", help="allow private/loopback "
                                                        "destinations [env EVIDENCE_ALLOW_PRIVATE]")] = False,
            no_intermediaries: Annotated[bool, typer.Option("--no-intermediaries", help="skip the intermediaries "
                                                            "step (DNS, RDAP, CA, CDN, payments)")] = False,
            ) -> None:
    """Capture one URL in a fresh browser: server bytes (WARC), DOM, screenshots, PDF; sealed."""
    from evidence_crawler.models import ErrorTally
    from evidence_crawler.services.browser_capture import CaptureOptions, run_capture
    from evidence_crawler.services.capture import CaptureRefused
    from storage.index import CaptureIndex

    context = cli_context(ctx)
    config = context.config_with(store=context.store_root, allow_private=allow_private or None,
                                 intermediaries=False if no_intermediaries else None)
    try:
        summary = run_capture(config, url, CaptureOptions(wait, scroll, timeout), log_level=context.log_level)
    except CaptureRefused as exc:
        fail(str(exc))
    if summary.get("state") == "sealed":
        CaptureIndex(config.store).add_capture(summary["capture_id"])
    if as_json:
        print_json(summary)
    else:
        out = Console()
        color = "green" if summary["state"] == "sealed" else "red"
        out.print(f"capture [bold]{summary['capture_id']}[/]: [{color}]{summary['state']}[/]"
                  f"{' (partial render)' if summary.get('partial') else ''}  pages {summary['pages']}",
                  soft_wrap=True)
        print_plain(ErrorTally.of(summary["errors"]).text(), out)
        if summary.get("manifest"):
            print_plain(f"manifest: {summary['manifest']}", out)
        if anchored := describe(summary.get("seal_anchor")):
            out.print(anchored, highlight=False, markup=False)
    if summary.get("state") != "sealed":
        fail(f"capture {summary['capture_id']} is {summary.get('state')}, not sealed: "
             f"{summary.get('reason', 'interrupted')}", 1)
    if missing := required_missing(summary):
        fail(missing, 1)
    if not summary["pages"]:
        first = summary["errors"][0]["message"] if summary["errors"] else "no response"
        fail(f"capture {summary['capture_id']} sealed 0 pages: nothing was fetched ({first})", 1)
