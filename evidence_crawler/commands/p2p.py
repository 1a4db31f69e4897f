"""``evidence-crawler p2p hub URL | --from CAPTURE_ID``: survey DirectConnect hubs as sealed captures.

Exit codes as ``crawl``: 0 sealed; 1 not sealed, or sealed but the hub never answered (the capture is kept:
it records the attempt); 2 refused before anything was recorded (bad URL or option, private address without
``--allow-private``, unknown capture, a capture without hub links). With ``--from``, 0 when every hub was
sealed, 2 when none could be, else 1.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import cli_context, fail, print_json

p2p_app = typer.Typer(no_args_is_help=True, help="Peer-to-peer evidence: DirectConnect hub surveys.")


@p2p_app.command("hub")
def hub(ctx: typer.Context,
        url: Annotated[str | None, typer.Argument(help="adc://, adcs://, dchub://, nmdc:// or nmdcs://HOST:PORT")
                       ] = None,
        search: Annotated[list[str] | None, typer.Option("--search", metavar="TERM",
                                                         help="search the hub for TERM (repeatable)")] = None,
        filelists: Annotated[int, typer.Option("--filelists", metavar="N", min=0,
                                               help="fetch the file lists of up to N users whose results "
                                                    "matched")] = 0,
        duration: Annotated[float, typer.Option("--duration", metavar="S", min=1.0,
                                                help="bound on the whole survey, in seconds")] = 120.0,
        nick: Annotated[str, typer.Option("--nick", help="the nick the survey logs in with")] = "evidence-survey",
        repertoire: Annotated[str | None, typer.Option("--repertoire", metavar="NAME",
                                                       help="one search per work (\"artist title\") of this "
                                                            "imported repertoire; shares matched to its works")
                              ] = None,
        max_searches: Annotated[int, typer.Option("--max-searches", metavar="N", min=1,
                                                  help="with --repertoire: at most N searches")] = 100,
        from_capture: Annotated[str | None, typer.Option("--from", metavar="CAPTURE_ID",
                                                         help="survey every DC hub link found in this capture")
                                ] = None,
        allow_private: Annotated[bool, typer.Option("--allow-private", help="allow private/loopback "
                                                    "destinations [env EVIDENCE_ALLOW_PRIVATE]")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False) -> None:
    """Survey a DC hub: identity, users, searches, file lists, every protocol byte; sealed as a capture."""
    from evidence_crawler.p2phub.profile import HubSurveySpec
    from evidence_crawler.services.capture import CaptureRefused
    from evidence_crawler.services.hub_repertoire import repertoire_searches
    from evidence_crawler.services.p2p_hub import hub_links
    from evidence_crawler.services.repertoire import RepertoireUnusable

    context = cli_context(ctx)
    config = context.config_with(store=context.store_root, allow_private=allow_private or None)
    if (url is None) == (from_capture is None):
        fail("give one hub URL or --from CAPTURE_ID")
    options = {"searches": [{"term": t} for t in search or []], "filelists": filelists, "duration_s": duration,
               "nick": nick, "allow_private": bool(config.allow_private), "repertoire": repertoire,
               "max_searches": max_searches}
    if repertoire:
        try:
            ref, terms = repertoire_searches(context.store, repertoire, None, max_searches)
        except RepertoireUnusable as exc:
            fail(str(exc))
        options.update(searches=[*options["searches"], *terms], repertoire_version=ref.version)
    if url is not None:
        summary = _survey(config, HubSurveySpec(url=url, **options))
        _report(summary, as_json)
        raise typer.Exit(_exit_code(summary))
    try:
        urls = hub_links(context.store, from_capture)
    except CaptureRefused as exc:
        fail(str(exc))
    if not urls:
        fail(f"capture {from_capture} has no DC hub link (p2p_server items of type hub)")
    summaries = [_survey(config, HubSurveySpec(url=u, **options), keep_going=True) for u in urls]
    codes = [_exit_code(s) for s in summaries]
    if as_json:
        print_json({"from": from_capture, "hubs": urls, "surveys": summaries})
    else:
        for s in summaries:
            _report(s, False)
    raise typer.Exit(0 if set(codes) == {0} else 2 if set(codes) == {2} else 1)


def _survey(config, spec, keep_going: bool = False) -> dict[str, Any]:
    from evidence_crawler.p2phub.profile import survey_profile
    from evidence_crawler.services.capture import CaptureRefused
    from evidence_crawler.services.p2p_hub import run_hub_survey
    from storage.index import CaptureIndex

    try:
        summary = run_hub_survey(config, survey_profile(spec))
    except (CaptureRefused, ValueError) as exc:
        if not keep_going:
            fail(str(exc))
        return {"hub": {"url": spec.url}, "state": "refused", "reason": str(exc)}
    if summary.get("state") == "sealed":
        CaptureIndex(config.store).add_capture(summary["capture_id"])
    return summary


def _exit_code(summary: dict[str, Any]) -> int:
    if summary["state"] == "refused":
        return 2
    if summary["state"] != "sealed" or summary["hub"]["end"]["reason"] == "connect_failed":
        return 1
    return 0


def _report(summary: dict[str, Any], as_json: bool) -> None:
    err = Console(stderr=True)
    if as_json:
        print_json(summary)
    elif summary["state"] == "sealed":
        hub = summary["hub"]
        Console().print(f"capture [bold]{summary['capture_id']}[/]: [green]sealed[/]  hub {escape(hub['url'])} "
                        f"({escape(hub['name'] or '-')})  users {hub['users']}  shares {hub['shares']}  "
                        f"end {hub['end']['reason']}\nmanifest: {summary['manifest']}", highlight=False)
    if summary["state"] == "refused":
        err.print(f"[bold red]error:[/] {escape(summary['reason'])}", highlight=False, soft_wrap=True)
    elif summary["state"] != "sealed":
        err.print(f"[bold red]error:[/] capture {summary['capture_id']} is {summary['state']}, not sealed: "
                  f"{escape(summary.get('reason', 'interrupted'))}", highlight=False, soft_wrap=True)
    elif summary["hub"]["end"]["reason"] == "connect_failed":
        err.print(f"[bold red]error:[/] capture {summary['capture_id']} sealed, but nothing was exchanged with "
                  f"the hub: {escape(summary['hub']['end']['detail'])}", highlight=False, soft_wrap=True)
