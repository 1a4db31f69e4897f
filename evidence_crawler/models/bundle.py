"""The bundle manifest (``evidence/manifest.json`` of an exported bundle): what the operator signs and
every TSA timestamps. Written by ``bundle/evidence.py``, read by the offline verifier."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from evidence_crawler.models.base import Frozen, JsonDocument
from evidence_crawler.models.items import Item
from evidence_crawler.models.manifest import Counts, Environment, ProfileRef
from evidence_crawler.models.records import ArtifactRole

BUNDLE_FORMAT = "evidence-crawler/bundle/1"


class Case(Frozen):
    reference: str
    title: str
    lang: str
    exported_by: str


class MemberDigests(Frozen):
    sha256: str
    blake3: str
    size: int


class MemberRef(Frozen):
    member: str  # path inside the bundle
    sha256: str
    size: int


class ChainLink(Frozen):
    seq: int
    hash: str


class BundleArtifact(Frozen):
    """A sealed artifact as it sits in the bundle (``member``), hashed again while it was written."""

    name: str
    role: ArtifactRole
    member: str
    sha256: str
    blake3: str
    size: int


class SealAnchorFile(MemberRef):
    """A seal-time token, signature or signer key of a capture (``capture.anchor``) as it sits in the bundle;
    ``name`` is how the capture_timestamped / capture_signed custody event names it."""

    name: str


class BundleCapture(Frozen):
    """One exported capture: a summary of its sealed manifest (in the bundle too, ``manifest.member``)."""

    capture_id: str
    profile: ProfileRef
    started_at: str
    finished_at: str
    finish_reason: str | None
    counts: Counts | None
    settings: dict[str, Any] | None
    environment: Environment | None
    manifest: MemberRef
    sealed_event: ChainLink  # the capture_sealed custody event naming the manifest's sha256
    artifacts: list[BundleArtifact]
    pages_in_report: int
    seal_anchor: list[SealAnchorFile] = []  # empty: sealed without a seal-time timestamp or signature


class BundleItem(Item):
    """An item of ``items.jsonl``, with the capture it belongs to."""

    capture_id: str


class CustodyLinks(Frozen):
    """What ties the exported ledger lines to the store's chain (see ``bundle/evidence.py``)."""

    path: str
    events: int
    first_seq: int | None
    first_prev: str
    last_seq: int | None
    last_hash: str
    gaps: list[list[int]]  # [first, last] sequence numbers of other captures' events between exported lines
    store_head: ChainLink


class DiffSummary(Frozen):
    member: str
    old: str
    new: str
    added: int
    removed: int
    changed: int
    unchanged: int


class RepertoireCopy(Frozen):
    name: str
    version: int
    sha256: str
    member: str  # evidence/repertoire-<name>-v<N>.<ext>: the imported file, byte for byte


class FindingsRef(Frozen):
    """One capture's sealed findings (``match``) in the bundle, and the catalogue they were matched against."""

    capture_id: str
    member: str
    sha256: str  # the findings_computed custody event names the same
    matches: int
    repertoire: RepertoireCopy


class SigningKeyRef(Frozen):
    fingerprint: str
    public_key: str  # member holding the PEM


class PdfSignerRef(Frozen):
    """Who signs ``report.pdf`` (PAdES; ``bundle/pdfsign.py``), declared before the report is written."""

    certificate: str  # member: the signer's certificate, then its chain, PEM
    sha256: str  # of the signer certificate (DER): verify compares the PDF signature's certificate with it
    subject: str
    source: Literal["operator key", "EVIDENCE_SIGNING_CERT"]
    pades: Literal["B-T", "B-B"]  # B-T (B-LT when both chains are at hand), B-B with --no-timestamp


class TimestampRequest(Frozen):
    requested_from: list[str]
    disabled: bool
    over: str


class BundleManifest(JsonDocument):
    format: Literal["evidence-crawler/bundle/1"]
    created: str
    software: str
    case: Case
    items_only: str | None
    captures: list[BundleCapture]
    items: list[BundleItem]
    custody: CustodyLinks
    diff: DiffSummary | None
    findings: list[FindingsRef] = Field(default_factory=list)  # export --repertoire; absent otherwise
    signing_key: SigningKeyRef
    pdf_signer: PdfSignerRef | None = None  # absent in bundles made before report.pdf was signed
    timestamps: TimestampRequest
    members: dict[str, MemberDigests]  # every member written before this file
