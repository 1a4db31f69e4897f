"""``match``: a sealed capture's items against one repertoire version, the result kept as evidence.

The findings file (``repertoire.findings.findings_bytes``: same capture, same repertoire version, same
options, same bytes) becomes a read-only content-addressed object, tied to the capture and to the
catalogue by a ``findings_computed`` custody event (capture id, repertoire name/version/sha256, findings
sha256, options). The ledger is the index of findings: ``stored_findings`` finds the latest run for a
capture and a repertoire there, and re-hashes the object before using it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import atomic_write, iter_jsonl, temp_name
from evidence_crawler.hashing import digest_bytes, digest_file
from evidence_crawler.models import EventKind, Findings, Item, PageRecord, RepertoireVersion
from evidence_crawler.p2phub.profile import HEADER as SURVEY_HEADER
from evidence_crawler.profile import ProfileError, parse_profile
from evidence_crawler.repertoire.findings import RepertoireRef, build_findings, findings_bytes
from evidence_crawler.repertoire.match import FieldMapping, MatchOptions, WorkIndex, match_items
from evidence_crawler.repertoire.pricing import parse_fx
from evidence_crawler.services.captures import capture_file, require_sealed
from evidence_crawler.services.repertoire import RepertoireUnusable, load_version
from storage.local import LocalStore

MATCHED_KINDS = ("product", "p2p", "p2p_share")  # what can be a recording; hubs and servers are not


@dataclass(frozen=True)
class MatchRequest:
    capture_id: str
    repertoire: str
    version: int | None = None
    min_score: int = MatchOptions().min_score
    review_below: int = MatchOptions().review_below
    fx: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredFindings:
    findings: Findings
    data: bytes  # the sealed bytes
    sha256: str
    object: str  # relative to the store root
    repertoire: RepertoireVersion


def _options(req: MatchRequest) -> tuple[MatchOptions, dict[str, str]]:
    for flag, value in (("--min-score", req.min_score), ("--review-below", req.review_below)):
        if not 0 <= value <= 100:
            raise RepertoireUnusable(f"{flag} {value}: a score is 0 to 100")
    if req.min_score > req.review_below:
        raise RepertoireUnusable(f"--min-score {req.min_score} is above --review-below {req.review_below}")
    try:
        fx = parse_fx(req.fx)
    except ValueError as exc:
        raise RepertoireUnusable(str(exc)) from None
    return MatchOptions(min_score=req.min_score, review_below=req.review_below), fx


def _mapping(store: LocalStore, capture_id: str) -> FieldMapping:
    path = capture_file(store, capture_id, "profile.yaml")
    text = path.read_text("utf-8")
    if text.startswith(SURVEY_HEADER):  # a hub survey (p2p hub): its shares are named by their paths
        return FieldMapping()
    try:
        profile = parse_profile(text, str(path))
    except ProfileError as exc:
        raise RepertoireUnusable(f"capture {capture_id}: its profile.yaml no longer parses: {exc}") from None
    return FieldMapping(**(profile.match or {}))


def match_capture(store: LocalStore, req: MatchRequest) -> StoredFindings:
    """Match, store the findings object, record ``findings_computed``; RepertoireUnusable for bad input."""
    options, fx = _options(req)
    require_sealed(store, req.capture_id, RepertoireUnusable, "only sealed captures can be matched")
    record, catalogue = load_version(store, req.repertoire, req.version)
    items = [Item.model_validate(i) for i in iter_jsonl(capture_file(store, req.capture_id, "items.jsonl"))
             if i.get("kind", "product") in MATCHED_KINDS]
    pages = [PageRecord.model_validate(p) for p in iter_jsonl(capture_file(store, req.capture_id, "pages.jsonl"))]
    works = list(catalogue.works)
    run = match_items(WorkIndex(works), items, _mapping(store, req.capture_id), options)
    ref = RepertoireRef(name=record.name, version=record.version, sha256=record.sha256, works=len(works))
    findings = build_findings(req.capture_id, ref, works, items, pages, run, options, fx)
    data = findings_bytes(findings)
    digests = digest_bytes(data)
    staged = temp_name(store.root / "repertoires" / "findings")
    try:
        atomic_write(staged, data)
        obj = store.put_file(staged, digests)
    finally:
        staged.unlink(missing_ok=True)
    CustodyLedger(store.root).append(
        EventKind.FINDINGS_COMPUTED, req.capture_id, repertoire=record.name, repertoire_version=record.version,
        repertoire_sha256=record.sha256, findings_sha256=digests.sha256, findings_blake3=digests.blake3,
        size=digests.size, object=obj.key, matches=len(findings.matches), min_score=options.min_score,
        review_below=options.review_below, fx=fx)
    return StoredFindings(findings, data, digests.sha256, obj.key, record)


def stored_findings(store: LocalStore, capture_id: str, name: str, version: int | None = None
                    ) -> StoredFindings | None:
    """The latest findings of ``capture_id`` against ``name`` (that version, else its latest), or None."""
    record, _catalogue = load_version(store, name, version)
    last = None
    for ev in CustodyLedger(store.root).events(capture_id):
        if ev.event == EventKind.FINDINGS_COMPUTED and ev.data.get("repertoire") == name \
                and ev.data.get("repertoire_version") == record.version:
            last = ev
    if last is None:
        return None
    sha = last.data["findings_sha256"]
    path = store.object_path(sha)
    if not path.is_file() or digest_file(path).sha256 != sha:
        raise RepertoireUnusable(f"findings {sha} of capture {capture_id}: the stored object is missing or no "
                                 "longer matches its sha256 (the store is damaged)")
    data = path.read_bytes()
    return StoredFindings(Findings.model_validate_json(data), data, sha, last.data["object"], record)


def findings_for(store: LocalStore, capture_id: str, name: str, version: int | None = None) -> StoredFindings:
    """Stored findings if ``match`` was run (its options kept), else a run with the default options."""
    require_sealed(store, capture_id, RepertoireUnusable, "only sealed captures can be matched")
    found = stored_findings(store, capture_id, name, version)
    return found or match_capture(store, MatchRequest(capture_id, name, version))


def match_summary(stored: StoredFindings, store: LocalStore) -> dict[str, Any]:
    return {"findings": str(store.root / stored.object), "sha256": stored.sha256,
            "matches": len(stored.findings.matches)}
