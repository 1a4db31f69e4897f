"""Sealed captures into a bundle: every artifact byte for byte, hashed again as it is written and
compared with its sealed hash (a copy that differs stops the export: we never package evidence we
cannot vouch for), its seal-time token(s) and signature likewise against their custody events, then its
page list, items and the summary the bundle manifest holds.

The store's JSONL reader is passed in (``read_jsonl``): ``bundle/`` knows nothing of the store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.pages import Titles, page_entries
from evidence_crawler.models import (
    BundleArtifact,
    BundleCapture,
    BundleItem,
    CaptureManifest,
    CustodyEvent,
    EventKind,
    RenderRecord,
    SealAnchorFile,
)

ReadJsonl = Callable[[Path], Iterator[dict[str, Any]]]


class SealedCopyChanged(Exception):
    """A sealed file (or the manifest) no longer matches what custody or the manifest says of it."""


@dataclass
class SealedCapture:
    id: str
    dir: Path  # captures/<id>/ in the store
    manifest_bytes: bytes
    manifest: CaptureManifest
    sealed: CustodyEvent  # the capture_sealed event naming the manifest's sha256
    anchor: list[CustodyEvent] = field(default_factory=list)  # capture_timestamped / capture_signed events


@dataclass
class ExportedCapture:
    """One capture as packaged: its manifest summary, its pages (report order) and its items."""

    sealed: SealedCapture
    summary: BundleCapture
    entries: list[dict[str, Any]]
    items: list[BundleItem] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # errors.jsonl: the report counts them by kind
    archived: list[dict[str, Any]] = field(default_factory=list)  # every exchange, before --items-only (replay)


def sealed_capture(capture_dir: Path, capture_id: str, events: list[CustodyEvent]) -> SealedCapture:
    data = (capture_dir / "manifest.json").read_bytes()
    sealed = [e for e in events if e.capture_id == capture_id and e.event == EventKind.CAPTURE_SEALED]
    if not sealed or sealed[-1].data.get("manifest_sha256") != hashlib.sha256(data).hexdigest():
        raise SealedCopyChanged(f"capture {capture_id}: its manifest does not match the capture_sealed custody "
                                f"event; run `evidence-crawler captures verify {capture_id}`")
    anchor = [e for e in events if e.capture_id == capture_id
              and e.event in (EventKind.CAPTURE_TIMESTAMPED, EventKind.CAPTURE_SIGNED)]
    return SealedCapture(capture_id, capture_dir, data, CaptureManifest.read(data), sealed[-1], anchor)


def _add_anchor(w: WaczWriter, cap: SealedCapture) -> list[SealAnchorFile]:
    """The seal-time token(s) and signature beside the manifest, as ``evidence/<capture>.seal_<name>``."""
    out = []
    for event in cap.anchor:
        files = [(event.data["name"], event.data["sha256"])]
        if event.event == EventKind.CAPTURE_SIGNED:
            files.append((event.data["public_key"], event.data["public_key_sha256"]))
        for name, sha256 in files:
            if not name.startswith("seal/") or ".." in name:
                raise SealedCopyChanged(f"capture {cap.id}: custody names {name!r} as a seal file")
            m = w.add_file(ev.capture_member(cap.id, name), cap.dir / name)
            if m.sha256 != sha256:
                raise SealedCopyChanged(f"capture {cap.id}: {name} no longer matches its {event.event} custody "
                                        f"event; run `evidence-crawler captures verify {cap.id}`")
            out.append(SealAnchorFile(name=name, member=m.path, sha256=m.sha256, size=m.size))
    return out


def _add_sealed(w: WaczWriter, root: Path, cap: SealedCapture) -> list[BundleArtifact]:
    out = []
    for art in cap.manifest.artifacts:
        member = f"archive/{art.name}" if art.role == "warc" else ev.capture_member(cap.id, art.name)
        m = w.add_file(member, root / art.path)
        if (m.sha256, m.blake3, m.size) != (art.sha256, art.blake3, art.size):
            raise SealedCopyChanged(f"capture {cap.id}: {art.name} in the store no longer matches its sealed "
                                    f"hash; run `evidence-crawler captures verify {cap.id}`")
        out.append(BundleArtifact(name=art.name, role=art.role, member=member, sha256=m.sha256,
                                  blake3=m.blake3, size=m.size))
    return out


def select(entries: list[dict], items: list[BundleItem], regex: re.Pattern | None
           ) -> tuple[list[dict], list[BundleItem]]:
    """``--items-only``: items whose URL matches, and the pages that lead to them (their referrer chain)."""
    if regex is None:
        return entries, items
    items = [i for i in items if regex.search(i.url)]
    by_url = {e["url"]: e for e in entries}
    keep: set[str] = set()
    for url in [e["url"] for e in entries if regex.search(e["url"])]:
        while url and url not in keep:
            keep.add(url)
            url = (by_url.get(url) or {}).get("referrer")
    return [e for e in entries if e["url"] in keep], items


def link_screenshots(renders: Iterable[dict[str, Any]], entries: list[dict]) -> None:
    """Browser renders (``renders.jsonl``) name the full-page screenshot of each document they rendered."""
    shots = {}
    for row in renders:
        render = RenderRecord(**row)
        if render.screenshot_name() and render.document_record_id:
            shots[render.document_record_id] = render.screenshot_name()
    for e in entries:
        e["screenshot"] = shots.get(e["record_id"], e.get("screenshot"))


def add_capture(w: WaczWriter, root: Path, cap: SealedCapture, read_jsonl: ReadJsonl,
                regex: re.Pattern | None, titles: Titles | None = None) -> ExportedCapture:
    """One capture's sealed files and its manifest into the zip; what the bundle says of it. ``titles``: the
    page titles the index pass read (:mod:`.cdxindex`)."""
    arts = _add_sealed(w, root, cap)
    manifest_member = w.add_bytes(ev.capture_member(cap.id, "manifest.json"), cap.manifest_bytes)
    m = cap.manifest
    by_name = m.by_name()
    entries = page_entries(cap.id, read_jsonl(root / by_name["pages.jsonl"].path), cap.dir / "artifacts", titles)
    for renders in m.of_role("renders")[:1]:
        link_screenshots(read_jsonl(root / renders.path), entries)
    items = [BundleItem(capture_id=cap.id, **i) for i in read_jsonl(root / by_name["items.jsonl"].path)]
    archived = entries
    entries, items = select(entries, items, regex)
    summary = BundleCapture(
        capture_id=cap.id, profile=m.profile, started_at=m.started_at, finished_at=m.finished_at,
        finish_reason=m.finish_reason, counts=m.counts, settings=m.settings, environment=m.environment,
        manifest={"member": manifest_member.path, "sha256": manifest_member.sha256, "size": manifest_member.size},
        sealed_event={"seq": cap.sealed.seq, "hash": cap.sealed.hash}, artifacts=arts,
        pages_in_report=len(entries), seal_anchor=_add_anchor(w, cap))
    errors = list(read_jsonl(root / by_name["errors.jsonl"].path)) if "errors.jsonl" in by_name else []
    return ExportedCapture(cap, summary, entries, items, errors, archived)
