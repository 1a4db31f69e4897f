"""The ``evidence/`` folder's own documents: the bundle manifest, the custody slice, SHA256SUMS (VERIFY.txt:
:mod:`evidence_crawler.bundle.verifytext`).

Layout of a bundle (every path is one folder deep, as WACZ validators require)::

    archive/<capture>-NNNNN.warc.gz       the sealed WARC files, byte for byte
    indexes/index.cdx                     CDXJ over them (cdxj-indexer, sorted)
    pages/pages.jsonl                     the HTML pages (replay entry points), titles decoded
    evidence/<capture>.manifest.json      each capture's sealed manifest, byte for byte
    evidence/<capture>.<artifact>         its other sealed artifacts (pages, items, errors, profile, ...)
    evidence/custody.jsonl                the custody ledger lines of these captures, byte for byte
    evidence/public-key.pem               the operator's public key
    evidence/pdf-signer.pem               the certificate (and chain) that signs report.pdf (PAdES)
    evidence/<name>.schema.json           JSON Schema of each kind of JSON file above (``evidence-crawler schema``)
    evidence/manifest.json                this file's output: captures, environments, items, every hash
    evidence/manifest.sig                 ECDSA P-256/SHA-256 signature (DER) of manifest.json
    evidence/timestamp-N.tsr              RFC 3161 responses over sha256(manifest.json), one per TSA
    evidence/report.html, report.pdf      the report; VERIFY.txt, SHA256SUMS
    datapackage.json, datapackage-digest.json   WACZ 1.1.1 package + its signed digest

Why the timestamp covers ``manifest.json`` and not ``datapackage.json``: datapackage.json lists the
tokens (so a flipped byte in one is named) and the report that prints their times; a token cannot
cover the file that lists it. manifest.json lists the hash of every captured byte, so the token still
dates all of it; the WACZ signature in datapackage-digest.json then covers everything, tokens included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.custody import GENESIS
from evidence_crawler.durable import complete_lines
from evidence_crawler.models import BUNDLE_FORMAT, BundleManifest, CustodyEvent, CustodyLinks
from evidence_crawler.models.schemas import SCHEMAS, schema_bytes

MANIFEST = "evidence/manifest.json"
SIGNATURE = "evidence/manifest.sig"
CUSTODY = "evidence/custody.jsonl"
PUBLIC_KEY = "evidence/public-key.pem"
SUMS = "evidence/SHA256SUMS"
REPORT_HTML, REPORT_PDF, VERIFY_TXT = "evidence/report.html", "evidence/report.pdf", "evidence/VERIFY.txt"


def token_path(n: int) -> str:
    return f"evidence/timestamp-{n}.tsr"


def capture_member(capture_id: str, artifact_name: str) -> str:
    """Where a sealed non-WARC artifact goes: ``evidence/<capture>.<name>`` (no sub-folders)."""
    return f"evidence/{capture_id}.{artifact_name.replace('/', '_')}"


def schema_member(name: str) -> str:
    return f"evidence/{name}.schema.json"


def add_schemas(w: WaczWriter) -> list[str]:
    """The JSON Schema of every kind of JSON document the bundle holds, so any JSON Schema tool can check
    them without this software; the members written."""
    return [w.add_bytes(schema_member(name), schema_bytes(name)).path for name in SCHEMAS]


class Ledger:
    """The store's custody ledger as export reads it: complete lines (byte for byte) and their events."""

    def __init__(self, path: Path) -> None:
        self.lines = list(complete_lines(path)) if path.exists() else []  # a torn last line is not an event
        self.events = [CustodyEvent.model_validate_json(line) for line in self.lines]

    def slice(self, capture_ids: set[str]) -> tuple[bytes, CustodyLinks]:
        """The lines of these captures, and what ties them to the store's chain (:func:`custody_links`)."""
        mine = [(line, e) for line, e in zip(self.lines, self.events, strict=True) if e.capture_id in capture_ids]
        head = (self.events[-1].seq, self.events[-1].hash) if self.events else (0, GENESIS)
        return b"".join(line for line, _e in mine), custody_links([e for _line, e in mine], head)


def custody_links(events: list[CustodyEvent], head: tuple[int, str]) -> CustodyLinks:
    """What ties the exported ledger lines to the store's chain.

    ``first_prev`` is the hash the first exported line links back to, ``last_hash`` the last line's own
    hash; ``gaps`` are the sequence ranges of other captures' events (not exported: they may belong to
    other cases) that sit between exported lines; ``store_head`` is the ledger's last line at export time.
    """
    gaps = [[a.seq + 1, b.seq - 1] for a, b in zip(events, events[1:], strict=False) if b.seq != a.seq + 1]
    return CustodyLinks(path=CUSTODY, events=len(events),
                        first_seq=events[0].seq if events else None,
                        first_prev=events[0].prev if events else GENESIS,
                        last_seq=events[-1].seq if events else None,
                        last_hash=events[-1].hash if events else GENESIS,
                        gaps=gaps, store_head={"seq": head[0], "hash": head[1]})


def bundle_manifest(w: WaczWriter, **fields: Any) -> BundleManifest:
    """``evidence/manifest.json`` over every member written so far (``members``), in the bundle format."""
    return BundleManifest(format=BUNDLE_FORMAT, **fields, members={
        p: {"sha256": m.sha256, "blake3": m.blake3, "size": m.size} for p, m in w.members.items()})


def sha256sums(members: dict[str, Any]) -> bytes:
    """``sha256sum -c`` input, paths relative to the unzipped bundle's root."""
    return "".join(f"{m.sha256}  {path}\n" for path, m in sorted(members.items())).encode()
