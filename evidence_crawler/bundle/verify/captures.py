"""The custody lines and each capture: the lines hash and link as the manifest says, each capture's sealed
manifest matches its ``capture_sealed`` event and its artifacts the manifest, every page of pages.jsonl is
the response record its WARC holds at that offset, the items listed are the sealed ones, and the capture's
seal-time anchor (``verify_seal``)."""

from __future__ import annotations

import json

from pydantic import ValidationError

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.verify.context import Bundle
from evidence_crawler.bundle.verify_seal import check_capture_anchor
from evidence_crawler.custody import event_hash
from evidence_crawler.models import BundleManifest, CaptureManifest, EventKind

LINE_FIELDS = {"seq": int, "event": str, "capture_id": (str, type(None)), "data": dict, "prev": str, "hash": str}


def first_error(exc: ValueError) -> str:
    errors = exc.errors() if isinstance(exc, ValidationError) else []
    if not errors:
        return str(exc).splitlines()[0]
    where = ".".join(str(p) for p in errors[0]["loc"])
    return f"{where}: {errors[0]['msg']}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")


def check_custody(b: Bundle) -> None:
    if b.manifest is not None:
        b.events = _custody_lines(b, b.manifest)


def _custody_lines(b: Bundle, manifest: BundleManifest) -> list[dict]:
    data = b.doc(ev.CUSTODY)
    if data is None:
        b.problem(f"{ev.CUSTODY}: missing")
        return []
    events, prev = [], None
    for lineno, line in enumerate(data.splitlines(), 1):
        try:
            e = json.loads(line)
            ok = isinstance(e, dict) and event_hash(e) == e.get("hash")
        except ValueError:
            e, ok = None, False
        if not ok:
            b.problem(f"{ev.CUSTODY} line {lineno}: content does not match its hash (edited)")
            continue
        bad = next((k for k, t in LINE_FIELDS.items() if not isinstance(e.get(k), t) or isinstance(e.get(k), bool)),
                   None)
        if bad:
            b.problem(f"{ev.CUSTODY} line {lineno}: not a custody event (field {bad!r} missing or of another type)")
            continue
        if prev is not None and e["seq"] <= prev["seq"]:
            b.problem(f"{ev.CUSTODY} line {lineno}: out of order")
        if prev is not None and e["seq"] == prev["seq"] + 1 and e["prev"] != prev["hash"]:
            b.problem(f"{ev.CUSTODY} line {lineno}: does not link to the previous line")
        events.append(e)
        prev = e
    links = manifest.custody
    if events and (links.first_prev != events[0]["prev"] or links.last_hash != events[-1]["hash"]):
        b.problem(f"{ev.CUSTODY}: first/last lines differ from the links recorded in {ev.MANIFEST}")
    if links.events != len(events):
        b.problem(f"{ev.CUSTODY}: {len(events)} events, {ev.MANIFEST} says {links.events}")
    b.report.count("custody_events", len(events))
    return events


def _jsonl(b: Bundle, name: str) -> list[dict]:
    try:
        return [json.loads(line) for line in (b.doc(name) or b"").splitlines() if line.strip()]
    except ValueError:
        b.problem(f"{name}: not valid JSON lines")
        return []


def _sealed_manifest(b: Bundle, member: str) -> CaptureManifest | None:
    try:
        return CaptureManifest.read(b.doc(member) or b"")
    except ValueError as exc:
        b.problem(f"{member}: not a sealed capture manifest ({first_error(exc)})")
        return None


def check_captures(b: Bundle) -> None:
    manifest, events = b.manifest, b.events
    if manifest is None:
        return
    b.report.info["captures"] = [c.capture_id for c in manifest.captures]
    for cap in manifest.captures:
        cid, mname = cap.capture_id, cap.manifest.member
        scan = b.scans.get(mname)
        sealed = [e for e in events if e["capture_id"] == cid and e["event"] == EventKind.CAPTURE_SEALED]
        if scan is None:
            b.problem(f"{mname or cid}: the capture's sealed manifest is missing")
            continue
        if not sealed or sealed[-1]["data"].get("manifest_sha256") != scan.sha256:
            b.problem(f"{mname}: does not match the capture_sealed custody event of {cid}")
        sealed_manifest = _sealed_manifest(b, mname)
        if sealed_manifest is not None:
            b.sealed[cid] = sealed_manifest
        written = {e["data"].get("name"): e["data"] for e in events
                   if e["capture_id"] == cid and e["event"] == EventKind.ARTIFACT_WRITTEN}
        members = {a.name: a.member for a in cap.artifacts}
        for art in sealed_manifest.artifacts if sealed_manifest else []:
            member = members.get(art.name, "")
            s = b.scans.get(member)
            if s is None:
                b.problem(f"{member or art.name}: sealed artifact of {cid} missing from the bundle")
            elif (s.sha256, s.blake3, s.size) != (art.sha256, art.blake3, art.size):
                b.problem(f"{member}: differs from the sealed manifest of {cid}")
            if (written.get(art.name) or {}).get("sha256") != art.sha256:
                b.problem(f"{member or art.name}: no matching artifact_written custody event")
            b.report.count("sealed_artifacts")
        _check_pages_and_items(b, cid, members, manifest)
        check_capture_anchor(b, cap, events, b.options.tsa_ca)


def _check_pages_and_items(b: Bundle, cid: str, members: dict[str, str], manifest: BundleManifest) -> None:
    pages_member, items_member = members.get("pages.jsonl"), members.get("items.jsonl")
    page_hashes = set()
    for page in _jsonl(b, pages_member) if pages_member else []:
        page_hashes.add(page.get("sha256"))
        warc = members.get(page.get("warc_file"), "")
        scan = b.scans.get(warc)
        if scan is None:
            continue  # already named as a missing sealed artifact
        found = scan.payloads.get(page.get("warc_offset"))
        if found != page.get("sha256"):
            b.problem(f"{pages_member}: {page.get('url')} does not match the response record at offset "
                      f"{page.get('warc_offset')} of {warc}")
        b.report.count("pages")
    sealed_items = {json.dumps(i, sort_keys=True) for i in _jsonl(b, items_member)} if items_member else set()
    for item in manifest.items:
        if item.capture_id != cid:
            continue
        body = item.model_dump(mode="json", exclude_unset=True, exclude={"capture_id"})
        if json.dumps(body, sort_keys=True) not in sealed_items:
            b.problem(f"{ev.MANIFEST}: item {item.url} is not in the sealed {items_member}")
        elif item.page_sha256 not in page_hashes:
            b.problem(f"{ev.MANIFEST}: item {item.url} points to a page not in {pages_member}")
        b.report.count("items")
