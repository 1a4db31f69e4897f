"""``evidence-crawler``: Typer commands, one service call each; Rich for progress and tables.

Command modules import what they need inside the command (parsel, croniter, Scrapy take a while to
import), so ``verify`` or ``--help`` do not pay for ``crawl``.

Machine-readable output (``--json``, ``items``) goes to stdout; progress, logs and errors to stderr,
so ``crawl --json | jq`` always sees exactly one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evidence_crawler.commands.archive import archive_app
from evidence_crawler.commands.capture import capture
from evidence_crawler.commands.diffcmd import diff, history
from evidence_crawler.commands.distributed import crawl_distributed, crawl_status, worker
from evidence_crawler.commands.export import export
from evidence_crawler.commands.keys import keys_app
from evidence_crawler.commands.schedule import schedule_app
from evidence_crawler.commands.schema import schema
from evidence_crawler.commands.verify import verify as verify_bundle
from evidence_crawler.config import EvidenceConfig

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Court-grade evidence captures of storefronts.")
captures_app = typer.Typer(no_args_is_help=True, help="List, inspect, verify or discard captures.")
profiles_app = typer.Typer(no_args_is_help=True, help="Check site profiles.")
app.add_typer(captures_app, name="captures")
app.add_typer(profiles_app, name="profiles")
app.add_typer(archive_app, name="archive")
app.add_typer(schedule_app, name="schedule")
app.command("diff")(diff)
app.command("history")(history)
app.command("export")(export)
app.add_typer(keys_app, name="keys")
app.command("verify")(verify_bundle)
app.command("capture")(capture)
app.command("worker")(worker)
app.command("crawl-status")(crawl_status)
app.command("schema")(schema)
err = Console(stderr=True)


class State:
    store: Path | None = None
    verbose: bool = False


def _config(**overrides) -> EvidenceConfig:
    if State.store is not None:
        overrides["store"] = State.store
    return EvidenceConfig(**{k: v for k, v in overrides.items() if v is not None})


def _store():
    from storage.local import LocalStore

    return LocalStore(_config().store)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


@app.callback()
def main(store: Annotated[Path | None, typer.Option(help="evidence store folder [env EVIDENCE_STORE]")] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Scrapy log at INFO")] = False) -> None:
    State.store, State.verbose = store, verbose


@app.command()
def crawl(profile: Annotated[Path, typer.Argument(help="site profile YAML")],
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
          as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False) -> None:
    """Crawl a storefront with a profile and seal the capture."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from evidence_crawler.profile import ProfileError, load_profile
    from evidence_crawler.services.capture import CaptureRefused, CrawlRequest, run_crawl
    from storage.index import CaptureIndex

    config = _config(allow_private=allow_private or None, ignore_robots=ignore_robots or None)
    try:
        limit = max_pages or load_profile(profile).profile.limits.max_pages
    except ProfileError as exc:
        _fail(str(exc))
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
                summary = run_crawl(config, request, on_progress, log_level="INFO" if State.verbose else "WARNING")
    except (ProfileError, CaptureRefused) as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(str(exc).strip("'\""))
    if summary.get("state") == "sealed":
        CaptureIndex(config.store).add_capture(summary["capture_id"])
    if as_json:
        _print_json(summary)
    else:
        _print_summary(summary)
    if summary.get("state") != "sealed":
        _fail(f"capture {summary['capture_id']} is {summary.get('state')}, not sealed: "
              f"{summary.get('reason', 'interrupted')}", 1)


def _print_summary(s: dict) -> None:
    out = Console()
    color = "green" if s["state"] == "sealed" else "red"
    out.print(f"capture [bold]{s['capture_id']}[/]: [{color}]{s['state']}[/]  pages {s['pages']}  "
              f"items {s['items']}  offers {s['offers']}  p2p {s.get('p2p', 0)}  errors {len(s['errors'])}")
    if s.get("manifest"):
        out.print(f"manifest: {s['manifest']}")
    by_kind: dict[str, int] = {}
    for e in s["errors"]:
        by_kind[e["kind"]] = by_kind.get(e["kind"], 0) + 1
    if by_kind:
        out.print("errors by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))


@captures_app.command("list")
def captures_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Captures in the store, oldest first; unsealed ones whose writer died show as incomplete."""
    from evidence_crawler.services.captures import list_captures

    rows = list_captures(_store())
    if as_json:
        return _print_json(rows)
    table = Table("id", "profile", "state", "started (UTC)", "pages", "items")
    for r in rows:
        c = r.get("counts") or {}
        state = f"{r['state']} (worker part)" if r.get("part_of") else r["state"]
        table.add_row(r["id"], r["profile"], state, r["started_at"], str(c.get("pages", "")),
                      str(c.get("items", "")))
    Console().print(table)


@captures_app.command("show")
def captures_show(capture_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Everything about one capture: state, times, WARC files, pages, errors."""
    from evidence_crawler.services.captures import CaptureNotFound, show_capture

    try:
        info = show_capture(_store(), capture_id)
    except CaptureNotFound as exc:
        _fail(str(exc))
    if as_json:
        return _print_json(info)
    out = Console()
    out.print(f"[bold]{info['capture_id']}[/] {info['state']}  {info['started_at']} → {info['finished_at']}")
    out.print(f"manifest: {info['manifest']}")
    for w in info["warc_files"]:
        out.print(f"warc: {w}")
    table = Table("status", "url", "ip", "sha256 (as received)")
    for p in info["pages"]:
        table.add_row(str(p["status"]), p["url"], p["ip"] or "", p["sha256"][:16] + "…")
    out.print(table)


@captures_app.command("verify")
def captures_verify(capture_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-hash every artifact and WARC record, and check the custody chain. Exit 0 ok, 1 mismatch, 2 unusable."""
    from evidence_crawler.services.verify import Unusable, verify_capture

    try:
        report = verify_capture(_store(), capture_id)
    except Unusable as exc:
        _fail(str(exc), 2)
    if as_json:
        _print_json(report.as_dict())
    elif report.ok:
        Console().print(f"[green]OK[/] {capture_id}: " + ", ".join(f"{v} {k}" for k, v in report.checked.items()))
    else:
        for p in report.problems:
            err.print(f"[red]MISMATCH[/] {escape(p)}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@captures_app.command("discard")
def captures_discard(capture_id: str, reason: Annotated[str, typer.Option(help="why")] = "discarded by operator"
                     ) -> None:
    """Mark an incomplete or failed capture as discarded (kept on disk, recorded in custody)."""
    from evidence_crawler.services.captures import CaptureNotFound, discard_capture

    try:
        state = discard_capture(_store(), capture_id, reason)
    except (CaptureNotFound, ValueError) as exc:
        _fail(str(exc))
    Console().print(f"{capture_id}: {state['state']}")


@app.command()
def items(capture_id: str) -> None:
    """Items of a capture as JSON lines (url, fields, offers, page_sha256, ...)."""
    from evidence_crawler.services.captures import CaptureNotFound, iter_items

    try:
        for item in iter_items(_store(), capture_id):
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    except CaptureNotFound as exc:
        _fail(str(exc))


@app.command()
def reindex() -> None:
    """Rebuild index.sqlite from the store's sealed captures."""
    from storage.index import CaptureIndex

    n = CaptureIndex(_config().store).rebuild()
    Console().print(f"indexed {n} sealed captures")


@profiles_app.command("check")
def profiles_check(paths: list[Path]) -> None:
    """Validate profiles; prints file:line: field: reason for each problem."""
    from evidence_crawler.profile import ProfileError, load_profile

    bad = 0
    for path in paths:
        try:
            loaded = load_profile(path)
            Console().print(f"[green]ok[/] {path} ({loaded.profile.name}, sha256 {loaded.sha256[:16]}…)")
        except ProfileError as exc:
            bad += 1
            err.print(escape(str(exc)), highlight=False, soft_wrap=True)
    raise typer.Exit(1 if bad else 0)


@app.command("demo-site")
def demo_site(shop: Annotated[str, typer.Option(help="allofmp3 | mp3sugar")] = "allofmp3",
              host: Annotated[str, typer.Option()] = "127.0.0.1",
              port: Annotated[int | None, typer.Option(help="default: the shop's own port (the "
                                                          "profiles' start URLs); 0 = any free port")] = None
              ) -> None:
    """Serve a bundled demo storefront on loopback (for demos and tests)."""
    from evidence_crawler.demo.server import serve_forever

    serve_forever(shop, host, port)


if __name__ == "__main__":
    app()
