"""``evidence-crawler crawl PROFILE``: crawl a storefront and seal the capture (``--redis``: distributed).

Exit codes: 0 sealed; 1 not sealed (the summary says why), or sealed without the seal-time timestamp
``EVIDENCE_SEAL_TIMESTAMP=required`` asks for; 2 refused before anything was fetched (bad
profile, refused start URL, unknown capture to resume).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evidence_crawler.capture.anchor import describe, required_missing
from evidence_crawler.commands.context import cli_context, err, fail, print_json, print_plain
from evidence_crawler.commands.distributed import crawl_distributed


def crawl(ctx: typer.Context, profile: Annotated[Path, typer.Argument(help="site profile YAML")],
          start_url: Annotated[list[str] | None, typer.Option("--start-url", help="override start URLs")] = None,
          max_pages: Annotated[int | None, typer.Option(min=1, help="override limits.max_pages")] = None,
          allow_private: Annotated[bool, typer.Option("--allow-private", help="allow private/loopback "
                                                      "destinations [env EVIDENCE_ALLOW_PRIVATE]")] = False,
          ignore_robots: Annotated[bool, typer.Option("--ignore-robots", help="archive robots.txt but do "
                                                      "not obey it (recorded in the manifest)")] = False,
          resume: Annotated[str | None, typer.Option(help="resume an incomplete capture by id (with --redis: take "
                                                   "over a distributed one whose coordinator died)")] = None,
          render: Annotated[bool, typer.Option("--render", help="render item pages in Chromium even if the "
                                               "profile says render: false")] = False,
          redis: Annotated[str | None, typer.Option("--redis", metavar="URL", help="distributed: seed a shared "
                                                    "frontier in Redis for `worker`s, then merge and seal their "
                                                    "parts")] = None,
          no_intermediaries: Annotated[bool, typer.Option("--no-intermediaries", help="skip the intermediaries "
                                                          "step (DNS, RDAP, CA, CDN, payments)")] = False,
          as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False) -> None:
    """Crawl a storefront with a profile and seal the capture."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from evidence_crawler.profile import ProfileError, load_profile
    from evidence_crawler.services.capture import CaptureRefused, CrawlRequest, run_crawl
    from storage.index import CaptureIndex

    context = cli_context(ctx)
    config = context.config_with(allow_private=allow_private or None, ignore_robots=ignore_robots or None,
                                 intermediaries=False if no_intermediaries else None)
    try:
        limit = max_pages or load_profile(profile).profile.limits.max_pages
    except ProfileError as exc:
        fail(str(exc))
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("items {task.fields[items]}"), TimeElapsedColumn(),
                        console=err, transient=as_json, disable=not err.is_terminal)
    task = progress.add_task("capturing", total=limit, items=0)
    counts = {"item": 0}

    def on_progress(kind: str, n: int) -> None:
        if kind == "page":
            progress.advance(task, n)
        else:
            counts["item"] += n
            progress.update(task, items=counts["item"])

    request = CrawlRequest(str(profile), list(start_url or []), max_pages, resume, render=render)
    try:
        if redis:
            summary = crawl_distributed(config, request, redis, as_json)
        else:
            with progress:
                summary = run_crawl(config, request, on_progress, log_level=context.log_level)
    except (ProfileError, CaptureRefused) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(str(exc).strip("'\""))
    if summary.get("state") == "sealed":
        CaptureIndex(config.store).add_capture(summary["capture_id"])
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)
    if summary.get("state") != "sealed":
        fail(f"capture {summary['capture_id']} is {summary.get('state')}, not sealed: "
             f"{summary.get('reason', 'interrupted')}", 1)
    if missing := required_missing(summary):
        fail(missing, 1)


def _print_summary(s: dict) -> None:
    from evidence_crawler.models import ErrorTally

    out = Console()
    color = "green" if s["state"] == "sealed" else "red"
    out.print(f"capture [bold]{s['capture_id']}[/]: [{color}]{s['state']}[/]  pages {s['pages']}  "
              f"items {s['items']}  offers {s['offers']}  p2p {s.get('p2p', 0)}", soft_wrap=True)
    print_plain(ErrorTally.of(s["errors"]).text(), out)
    if s.get("manifest"):
        print_plain(f"manifest: {s['manifest']}", out)
    if anchored := describe(s.get("seal_anchor")):
        out.print(anchored, highlight=False, markup=False)
