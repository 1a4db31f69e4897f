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

import json
from typing import Any

from evidence_crawler.custody import GENESIS

BUNDLE_FORMAT = "evidence-crawler/bundle/1"
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


def custody_links(lines: list[bytes], head: tuple[int, str]) -> dict[str, Any]:
    """What ties the exported ledger lines to the store's chain.

    ``first_prev`` is the hash the first exported line links back to, ``last_hash`` the last line's own
    hash; ``gaps`` are the sequence ranges of other captures' events (not exported: they may belong to
    other cases) that sit between exported lines; ``store_head`` is the ledger's last line at export time.
    """
    events = [json.loads(line) for line in lines]
    gaps = [[a["seq"] + 1, b["seq"] - 1] for a, b in zip(events, events[1:], strict=False) if b["seq"] != a["seq"] + 1]
    return {"path": CUSTODY, "events": len(events),
            "first_seq": events[0]["seq"] if events else None,
            "first_prev": events[0]["prev"] if events else GENESIS,
            "last_seq": events[-1]["seq"] if events else None,
            "last_hash": events[-1]["hash"] if events else GENESIS,
            "gaps": gaps, "store_head": {"seq": head[0], "hash": head[1]}}


def sha256sums(members: dict[str, Any]) -> bytes:
    """``sha256sum -c`` input, paths relative to the unzipped bundle's root."""
    return "".join(f"{m.sha256}  {path}\n" for path, m in sorted(members.items())).encode()
