"""What the pages show, read from the store through the CLI's services (never a second way to read it)."""

from __future__ import annotations

import json
from typing import Any

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.models import RenderRecord
from evidence_crawler.models.errorkinds import ErrorTally
from evidence_crawler.services.captures import (
    CaptureNotFound,
    capture_file,
    iter_items,
    list_captures,
    load_manifest,
    show_capture,
)
from evidence_crawler.services.history import HistoryUnusable, history
from storage.local import LocalStore


def split_errors(errors) -> dict[str, Any]:
    """Failures apart from pages not followed by policy (the one classification, ``models.errorkinds``)."""
    tally = ErrorTally.of(errors)
    return {"failures": tally.failures, "policy_stops": tally.policy_stops, "failed": tally.failed,
            "not_followed": tally.stopped}


def _errors(store: LocalStore, capture_id: str) -> list[dict[str, Any]]:
    try:
        return list(iter_jsonl(capture_file(store, capture_id, "errors.jsonl")))
    except CaptureNotFound:
        return []


def _schedule(store: LocalStore, capture_id: str) -> str | None:
    manifest = load_manifest(store, capture_id)
    return manifest.settings.get("EVIDENCE_SCHEDULE") if manifest else None


def captures(store: LocalStore, profile: str = "", schedule: str = "", state: str = "") -> list[dict[str, Any]]:
    """Every capture, newest first, with errors split into failures and policy stops; filtered when asked."""
    rows = []
    for c in reversed(list_captures(store)):
        if c.get("part_of"):
            continue  # a distributed worker's part is inside its capture
        row = {**c, "schedule": _schedule(store, c["id"]), **split_errors(_errors(store, c["id"]))}
        if (profile and row["profile"] != profile) or (schedule and row["schedule"] != schedule) \
                or (state and row["state"] != state):
            continue
        rows.append(row)
    return rows


def renders_by_document(store: LocalStore, capture_id: str) -> dict[str, RenderRecord]:
    """The capture's browser renders, by the sha256 of the document they rendered (last render wins)."""
    try:
        path = capture_file(store, capture_id, "renders.jsonl")
    except CaptureNotFound:
        return {}
    out = {}
    for line in iter_jsonl(path):
        record = RenderRecord.model_validate(line)
        if record.document_sha256:
            out[record.document_sha256] = record
    return out


def capture(store: LocalStore, capture_id: str) -> dict[str, Any]:
    shown = show_capture(store, capture_id)
    manifest = load_manifest(store, capture_id)
    items = [dict(i, n=n) for n, i in enumerate(iter_items(store, capture_id))]
    renders = renders_by_document(store, capture_id)
    shots = [{"url": p["url"], "name": renders[p["sha256"]].screenshot_name()} for p in shown["pages"]
             if p.get("sha256") in renders and renders[p["sha256"]].screenshot_name()]
    haystack = [json.dumps(i.get("fields", {}), ensure_ascii=False).casefold() for i in items]  # the page filter
    return {**shown, "items": items, "screenshots": shots, "manifest_model": manifest, "renders": renders,
            "haystack": haystack,
            "artifacts": manifest.artifacts if manifest else [],
            **split_errors(shown["errors"])}


def navigation_path(pages: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """The referrer chain from the start page to ``url`` (first fetch of each URL), start page first."""
    first: dict[str, dict[str, Any]] = {}
    for p in pages:
        first.setdefault(p["url"], p)
        if p.get("redirect_to"):
            first.setdefault(p["redirect_to"], {**p, "url": p["redirect_to"], "referrer": p["url"]})
    path, seen = [], set()
    while url in first and url not in seen:
        seen.add(url)
        path.append(first[url])
        url = first[url].get("referrer") or ""
    return list(reversed(path))


def response_headers(store: LocalStore, capture_id: str, page: dict[str, Any]) -> list[tuple[str, str]]:
    """The response record's HTTP status line and headers, read from the WARC at the page's offset."""
    from warcio.archiveiterator import ArchiveIterator

    try:
        path = capture_file(store, capture_id, page["warc_file"])
    except (CaptureNotFound, KeyError):
        return []
    with open(path, "rb") as fh:
        fh.seek(int(page.get("warc_offset", 0)))
        for record in ArchiveIterator(fh):
            if record.rec_type == "response" and record.http_headers is not None:
                return [("", record.http_headers.statusline)] + list(record.http_headers.headers)[:200]
            break
    return []


def item(store: LocalStore, capture_id: str, n: int, read: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``n``-th line of the capture's items, with its page, path, screenshot and price history.
    ``read``: the capture's ``capture()`` when the caller has it (kept for sealed captures)."""
    shown = read or capture(store, capture_id)
    found = shown["items"][n] if 0 <= n < len(shown["items"]) else None
    if found is None:
        raise CaptureNotFound(f"capture {capture_id} has no item {n}")
    found = {k: v for k, v in found.items() if k != "n"}
    page = next((p for p in shown["pages"] if p.get("sha256") == found.get("page_sha256")
                 and p.get("url") == found.get("url")), None) or \
        next((p for p in shown["pages"] if p.get("sha256") == found.get("page_sha256")), None)
    render = shown["renders"].get(found.get("page_sha256", ""))
    rows: list[dict[str, Any]] = []
    if shown.get("profile") and found.get("kind", "product") == "product":
        try:
            rows = [r for r in history(store, shown["profile"], item=found["key"])["rows"] if r.get("present")]
        except HistoryUnusable:
            rows = []
    return {"capture_id": capture_id, "n": n, "item": found, "page": page,
            "path": navigation_path(shown["pages"], found["url"]) if page else [],
            "headers": response_headers(store, capture_id, page) if page else [],
            "screenshot": render.screenshot_name() if render else None, "history": rows,
            "state": shown["state"]}
