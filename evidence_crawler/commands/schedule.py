"""``evidence-crawler schedule add|list|remove|run|run-once``: scheduled crawls kept in the store.

``schedule run`` is the foreground scheduler a systemd unit or a container runs; ``run-once NAME`` is
one run now (for a crontab line instead). Exit codes: ``run-once`` 0 when the capture was sealed (and
archive/export, if asked for, succeeded), 1 when the run failed, was interrupted or was skipped;
2 for unusable input (bad cron, unknown profile or schedule, a scheduler already running).
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evidence_crawler.commands.context import cli_context, fail, print_json
from evidence_crawler.commands.tables import Col, print_table
from evidence_crawler.durable import pid_alive

schedule_app = typer.Typer(no_args_is_help=True, help="Scheduled crawls: add, list, remove, run.")


def _book(ctx: typer.Context):
    from storage.schedules import ScheduleBook

    return ScheduleBook(cli_context(ctx).store_root)


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@schedule_app.command("add")
def add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="schedule name [A-Za-z0-9._-]")],
        cron: Annotated[str, typer.Option("--cron", help="cron expression in UTC, e.g. '0 */6 * * *' "
                                          "(a 6th field is seconds)")],
        profile: Annotated[Path | None, typer.Option("--profile", help="site profile YAML")] = None,
        p2p_hub: Annotated[str | None, typer.Option("--p2p-hub", metavar="URL", help="survey this DC hub "
                                                    "(p2p hub URL) instead of crawling a profile")] = None,
        search: Annotated[list[str] | None, typer.Option("--search", metavar="TERM", help="with --p2p-hub: "
                                                         "search term (repeatable)")] = None,
        filelists: Annotated[int, typer.Option("--filelists", min=0, help="with --p2p-hub")] = 0,
        duration: Annotated[float, typer.Option("--duration", min=1.0, help="with --p2p-hub: seconds")] = 120.0,
        nick: Annotated[str, typer.Option("--nick", help="with --p2p-hub")] = "evidence-survey",
        repertoire: Annotated[str | None, typer.Option("--repertoire", metavar="NAME", help="with --p2p-hub: one "
                                                       "search per work of its latest version at each run")] = None,
        max_searches: Annotated[int, typer.Option("--max-searches", min=1, help="with --repertoire")] = 100,
        start_url: Annotated[list[str] | None, typer.Option("--start-url", help="override start URLs")] = None,
        max_pages: Annotated[int | None, typer.Option(min=1, help="override limits.max_pages")] = None,
        allow_private: Annotated[bool, typer.Option("--allow-private", help="allow private/loopback "
                                                    "destinations")] = False,
        ignore_robots: Annotated[bool, typer.Option("--ignore-robots", help="archive robots.txt but do not "
                                                    "obey it")] = False,
        render: Annotated[bool, typer.Option("--render", help="render item pages in Chromium (crawl "
                                             "--render)")] = False,
        no_intermediaries: Annotated[bool, typer.Option("--no-intermediaries", help="crawl "
                                                        "--no-intermediaries")] = False,
        archive: Annotated[bool, typer.Option("--archive", help="archive push each sealed capture")] = False,
        export_to: Annotated[Path | None, typer.Option("--export-to", help="export each sealed capture "
                                                        "to DIR/<id>.wacz")] = None) -> None:
    """Add a schedule: crawl PROFILE (or survey the --p2p-hub URL) with these options at every CRON slot."""
    from pydantic import ValidationError

    from evidence_crawler.cron import CronError, check_cron  # croniter costs ~0.2 s to import: only here
    from evidence_crawler.p2phub.profile import HubSurveySpec, survey_profile
    from evidence_crawler.profile import ProfileError, check_http_url, load_profile
    from evidence_crawler.services.scheduler import next_run
    from evidence_crawler.timeutil import iso, utcnow
    from storage.schedules import Schedule, ScheduleError

    if (profile is None) == (p2p_hub is None):
        fail("give --profile FILE or --p2p-hub URL")
    try:
        cron = check_cron(cron)
        if p2p_hub is not None:
            loaded = survey_profile(HubSurveySpec(url=p2p_hub, searches=[{"term": t} for t in search or []],
                                                  filelists=filelists, duration_s=duration, nick=nick,
                                                  repertoire=repertoire, max_searches=max_searches))
        else:
            loaded = load_profile(profile)
        for url in start_url or []:
            check_http_url(url)
    except (CronError, ProfileError, ValueError) as exc:
        fail(str(exc))
    try:
        schedule = Schedule(name=name, cron=cron, profile="" if p2p_hub else loaded.path,
                            p2p_hub=loaded.profile.p2p_hub if p2p_hub else None, start_urls=list(start_url or []),
                            max_pages=max_pages, allow_private=allow_private, ignore_robots=ignore_robots,
                            render=render, intermediaries=not no_intermediaries, archive=archive,
                            export_to=str(export_to.absolute()) if export_to else None, created_at=iso())
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    try:
        _book(ctx).add(schedule)
    except ScheduleError as exc:
        fail(str(exc))
    Console().print(f"schedule [bold]{name}[/]: {loaded.profile.name} at '{cron}' (UTC); next run "
                    f"{iso(next_run(schedule, utcnow()))}" + ("; item pages rendered in Chromium" if render else ""))


@schedule_app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Schedules with their last run, its result, and the next run (UTC)."""
    from evidence_crawler.services.scheduler import next_run
    from evidence_crawler.timeutil import iso, utcnow

    now = utcnow()
    rows = []
    for s in _book(ctx).all():
        running = s.running if s.running and pid_alive(s.running.get("pid")) else None
        rows.append({**s.model_dump(), "running": running, "next_run": iso(next_run(s, now))})
    if as_json:
        return print_json(rows)
    table = []
    for r in rows:
        last = r["last_run"] or {}
        result = last.get("result", "")
        if last.get("reason"):
            reason = last["reason"]
            result += f": {reason if len(reason) <= 80 else reason[:79] + '…'}"
        target = r["p2p_hub"]["url"] if r["p2p_hub"] else Path(r["profile"]).name
        table.append([r["name"], target, r["cron"], last.get("started_at", "never"),
                      ("running now; last " if r["running"] else "") + result, last.get("capture_id") or "",
                      r["next_run"]])
    print_table([Col("name", copy=True), Col("profile"), Col("cron (UTC)"), Col("last run"), Col("result"),
                 Col("capture", copy=True), Col("next run", optional=True)], table)


@schedule_app.command("remove")
def remove(ctx: typer.Context, name: str) -> None:
    """Remove a schedule (its captures and run history stay)."""
    from storage.schedules import ScheduleError

    try:
        _book(ctx).remove(name)
    except ScheduleError as exc:
        fail(str(exc))
    Console().print(f"schedule {name} removed")


@schedule_app.command("run")
def run(ctx: typer.Context,
        tick: Annotated[float, typer.Option(min=0.05, help="longest sleep between looks at the store, "
                                            "in seconds")] = 30.0) -> None:
    """Run the scheduler in the foreground until SIGTERM/Ctrl-C (what a systemd unit runs)."""
    from evidence_crawler.services.scheduler import Scheduler, SchedulerBusy

    _log_to_stderr()
    try:
        code = Scheduler(cli_context(ctx).store_root, tick_s=tick).run_forever()
    except SchedulerBusy as exc:
        fail(str(exc), 1)
    raise typer.Exit(code)


@schedule_app.command("run-once")
def run_once(ctx: typer.Context, name: str, as_json: Annotated[bool, typer.Option("--json")] = False,
             no_intermediaries: Annotated[bool, typer.Option("--no-intermediaries", help="this run only: crawl "
                                                             "--no-intermediaries")] = False) -> None:
    """Run one schedule now, in the foreground (what a crontab line runs)."""
    from evidence_crawler.services.scheduled_run import ScheduledRunner
    from storage.schedules import ScheduleError

    _log_to_stderr()
    runner = ScheduledRunner(cli_context(ctx).store_root)
    try:
        schedule = runner.book.get(name)
    except ScheduleError as exc:
        fail(str(exc))
    previous = {sig: signal.signal(sig, lambda *_: runner.terminate()) for sig in (signal.SIGTERM, signal.SIGINT)}
    if no_intermediaries:
        schedule = schedule.model_copy(update={"intermediaries": False})
    try:
        record = runner.run(schedule, trigger="manual")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if as_json:
        print_json(record)
    else:
        Console().print(f"{name}: {record['result']} {record.get('capture_id') or ''} {record.get('reason') or ''}")
    raise typer.Exit(0 if record["result"] == "sealed" and not record.get("reason") else 1)
