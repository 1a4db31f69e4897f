"""``evidence-crawler archive push|status|verify|init-bucket``: sealed captures to S3 with Object Lock.

S3 comes from ``EVIDENCE_S3_*`` (bucket, prefix, retention) and boto3's standard chain (``AWS_PROFILE``,
``AWS_ACCESS_KEY_ID``…, ``AWS_ENDPOINT_URL``). Exit codes: ``push`` 0 when every object is archived,
1 when some are still pending (S3 unreachable) or failed, 2 for unusable input or configuration (not
configured, no such capture, wrong credentials, missing bucket, bucket without Object Lock);
``verify`` 0 valid, 1 mismatch, 2 unusable; ``init-bucket`` 0 or 2.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from evidence_crawler.commands.context import cli_context, err, fail, print_json
from evidence_crawler.commands.tables import Col, print_table

archive_app = typer.Typer(no_args_is_help=True, help="Archive sealed captures to S3 (write-once, Object Lock).")


def _config(ctx: typer.Context):
    context = cli_context(ctx)
    return context.config_with(store=context.store_root)


def _store(ctx: typer.Context):
    return cli_context(ctx).store


def _line(s: dict[str, Any]) -> str:
    color = {"archived": "green", "pending": "yellow", "failed": "red"}.get(s["state"], "white")
    counts = f"{s['archived']}/{s['objects']} objects" if s["objects"] else ""
    reason = f"  {escape(s['reason'])}" if s.get("reason") else ""
    return f"{s['capture_id']}: [{color}]{s['state']}[/] {counts}{reason}"


@archive_app.command("push")
def push(ctx: typer.Context,
         capture_id: Annotated[str | None, typer.Argument(help="one capture (default: every sealed capture)")] = None,
         allow_unlocked: Annotated[bool, typer.Option("--allow-unlocked", help="accept a bucket without Object "
                                                      "Lock (recorded in custody)")] = False,
         as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False) -> None:
    """Queue sealed captures, retry failed objects, and upload everything queued now."""
    from evidence_crawler.services.archive import ArchiveUnusable
    from evidence_crawler.services.archive import push as push_captures

    config = _config(ctx)
    try:
        result = push_captures(config, _store(ctx), capture_id, allow_unlocked)
    except ArchiveUnusable as exc:
        fail(str(exc))
    drain = result["drain"]
    if as_json:
        print_json(result)
    else:
        out = Console()
        for s in result["captures"]:
            out.print(_line(s), highlight=False, soft_wrap=True)
        out.print(f"uploaded {drain['archived'] - drain['already_there']} objects "
                  f"({drain['bytes_uploaded']} bytes), {drain['already_there']} already in the bucket, "
                  f"to s3://{drain['bucket']}")
    if drain["error_kind"] == "config":
        fail(drain["error"], 2)
    if drain["error"]:
        fail(f"{drain['error']}; {drain['pending']} objects stay queued (see `archive status`)", 1)
    if any(s["state"] != "archived" for s in result["captures"]):
        fail("not every object is archived (see `archive status`)", 1)


@archive_app.command("status")
def status(ctx: typer.Context,
           capture_id: Annotated[str | None, typer.Argument(help="one capture (default: all)")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False) -> None:
    """Per capture: archived / pending / failed (+ reason), from the local outbox (no network)."""
    from evidence_crawler.services.archive import ArchiveUnusable, capture_status

    try:
        rows = capture_status(_store(ctx), capture_id, detail=bool(capture_id))
    except ArchiveUnusable as exc:
        fail(str(exc))
    if as_json:
        return print_json(rows[0] if capture_id else rows)
    out = Console()
    if not capture_id:
        return print_table([Col("capture", copy=True), Col("state"), Col("objects"), Col("bucket", copy=True),
                            Col("reason")],
                           [[s["capture_id"], s["state"], f"{s['archived']}/{s['objects']}", s.get("bucket", ""),
                             s.get("reason", "")] for s in rows], console=out)
    s = rows[0]
    out.print(_line(s), highlight=False, soft_wrap=True)
    if s.get("unlocked_allowed"):
        out.print(f"bucket without Object Lock, accepted by {s['unlocked_allowed']}")
    print_table([Col("object"), Col("key", copy=True), Col("state"), Col("version", copy=True),
                 Col("retain until"), Col("reason")],
                [[o["name"], o["key"], o["state"], o["version_id"] or "", o["retain_until"] or "", o["reason"]]
                 for o in s.get("objects_detail", [])], console=out)


@archive_app.command("verify")
def verify(ctx: typer.Context, capture_id: str,
           download: Annotated[bool, typer.Option("--download", help="also read every object back and "
                                                  "re-hash it")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="JSON report on stdout")] = False) -> None:
    """Every object of a capture in the bucket, with the right checksum, size and retention (HEAD)."""
    from evidence_crawler.services.archive import ArchiveUnusable
    from evidence_crawler.services.archive_verify import verify_archive

    try:
        report = verify_archive(_config(ctx), _store(ctx), capture_id, download)
    except ArchiveUnusable as exc:
        fail(str(exc), 2)
    if as_json:
        print_json(report.as_dict())
    else:
        for note in report.notes:
            err.print(f"[yellow]note[/] {escape(note)}", highlight=False, soft_wrap=True)
        if report.ok:
            Console().print(f"[green]OK[/] {capture_id} in s3://{report.bucket}: "
                            + ", ".join(f"{v} {k}" for k, v in report.checked.items()), highlight=False)
        for p in report.problems:
            err.print(f"[red]MISMATCH[/] {escape(p)}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@archive_app.command("init-bucket")
def init_bucket(ctx: typer.Context, name: str,
                as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False) -> None:
    """Create a bucket with versioning and Object Lock (AWS S3, MinIO, local endpoints); check an existing one."""
    from evidence_crawler.services.archive import create_bucket
    from storage.s3_client import ArchiveError

    try:
        info = create_bucket(_config(ctx), name)
    except ArchiveError as exc:
        fail(str(exc))
    if as_json:
        return print_json(info)
    Console().print(f"bucket {name} at {info['endpoint']}: Object Lock "
                    f"{'enabled' if info['object_lock'] else 'OFF'}, versioning {info['versioning']}",
                    highlight=False)
