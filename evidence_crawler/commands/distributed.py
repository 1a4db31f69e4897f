"""Distributed crawling commands: ``crawl --redis`` (coordinator), ``worker``, ``crawl-status``.

Exit codes as ``crawl``: 0 sealed / done, 1 not sealed, 2 refused (Redis unreachable, no such capture).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import cli_context, err, fail, print_json
from evidence_crawler.commands.tables import Col, print_table
from evidence_crawler.config import EvidenceConfig

RedisOption = Annotated[str | None, typer.Option("--redis", metavar="URL",
                                                 help="redis://[:password@]HOST:6379/0 [env EVIDENCE_REDIS_URL]")]


def _redis_url(config: EvidenceConfig, given: str | None) -> str:
    url = given or config.redis_url
    if not url:
        fail("no Redis: pass --redis redis://HOST:6379/0 or set EVIDENCE_REDIS_URL")
    return url


def crawl_distributed(config: EvidenceConfig, req, redis_url: str, as_json: bool) -> dict[str, Any]:
    """The coordinator side of ``crawl PROFILE --redis URL``; progress on stderr."""
    from evidence_crawler.distributed.coordinator import run_distributed_crawl

    shown: dict[str, Any] = {"line": ""}

    def on_progress(status: dict[str, Any]) -> None:
        event = status["event"]
        if event == "seeded":
            err.print(f"capture {status['capture_id']}: {status['requests']} start request(s) in the shared "
                      f"frontier; start workers with: evidence-crawler worker --redis URL", highlight=False)
        elif event == "worker_dead":
            err.print(f"[yellow]worker {escape(status['worker'])} lost (no heartbeat): {status['requeued']} "
                      "request(s) re-queued; its part is left out[/]", highlight=False)
        elif event == "finishing":
            err.print("frontier empty and every worker idle: workers are sealing their parts", highlight=False)
        elif event == "status" and not as_json and err.is_terminal:
            ws = status["workers"]
            line = (f"queue {status['queue']}  workers {sum(w['alive'] == '1' for w in ws.values())}  pages "
                    f"{sum(int(w.get('pages', 0)) for w in ws.values())}")
            if line != shown["line"]:
                shown["line"] = line
                err.print(line, highlight=False)

    return run_distributed_crawl(config, req, redis_url, on_progress)


def worker(ctx: typer.Context, redis: RedisOption = None,
           capture: Annotated[str | None, typer.Option("--capture", metavar="ID",
                                                       help="join this capture only")] = None,
           once: Annotated[bool, typer.Option("--once", help="join one capture, exit when it is over")] = False,
           wait: Annotated[float | None, typer.Option("--wait", metavar="S", help="with --once: give up after S "
                                                      "seconds without a capture to join")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="with --once: the part's summary")] = False) -> None:
    """Crawl the shared frontier of distributed captures (started with crawl PROFILE --redis URL)."""
    from evidence_crawler.distributed.worker import FrontierUnavailable, NoCapture, run_worker, serve
    from evidence_crawler.services.capture import CaptureRefused

    context = cli_context(ctx)
    store = context.store_root  # published to the coordinator, which may run elsewhere: absolute
    config = context.config_with(store=store)
    url = _redis_url(config, redis)
    try:
        if not once:
            serve(config, url, store, lambda m: err.print(escape(m), highlight=False))
            return
        summary = run_worker(config, url, capture, wait, context.log_level)
    except (FrontierUnavailable, NoCapture, CaptureRefused) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if as_json:
        print_json(summary)
    else:
        Console().print(f"part {summary['capture_id']} of {summary['part_of']}: {summary['state']}  pages "
                        f"{summary['pages']}  items {summary['items']}")
    if summary.get("state") != "sealed":
        raise typer.Exit(1)


def crawl_status(ctx: typer.Context, capture_id: str, redis: RedisOption = None,
                 as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queue length, workers (alive, rate, pages, errors) and totals of a distributed capture."""
    from evidence_crawler.distributed.status import StatusUnavailable
    from evidence_crawler.distributed.status import crawl_status as status_of

    context = cli_context(ctx)
    config = context.config_with(store=context.store_root)
    try:
        status = status_of(config, capture_id, redis or config.redis_url or None)
    except StatusUnavailable as exc:
        fail(str(exc))
    if as_json:
        return print_json(status)
    out = Console()
    out.print(f"[bold]{capture_id}[/] {status['state']}  queue {status['queue']}  pages {status['pages']}  "
              f"items {status['items']}  errors {status['errors']}  rate {status['rate']:.1f} pages/s",
              highlight=False)
    print_table([Col("worker", copy=True), Col("host"), Col("state"), Col("alive"), Col("pages/s"), Col("pages"),
                 Col("items", optional=True), Col("errors", optional=True), Col("in hand", optional=True)],
                [[wid, w["host"], w["state"], "yes" if w["alive"] else "no", f"{w['rate']:.1f}", str(w["pages"]),
                  str(w["items"]), str(w["errors"]), str(w["taken"])] for wid, w in status["workers"].items()],
                console=out)
