"""evidence/manifest.json: its shape, the members it hashes (sha256, blake3, size), the operator's signature
over it (``signer``), then the typed manifest the later checks read (None, with the reason, if it is not one)."""

from __future__ import annotations

import hashlib

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.verify.captures import first_error
from evidence_crawler.bundle.verify.context import Bundle
from evidence_crawler.bundle.verify.shape import ManifestShape, load_shaped
from evidence_crawler.bundle.verify.signer import check_manifest_signature
from evidence_crawler.models import BundleManifest


def check_manifest(b: Bundle) -> None:
    manifest = load_shaped(b.docs, ev.MANIFEST, ManifestShape, b.report.problems)
    if manifest is None:
        not_read = ev.MANIFEST in b.z.members and ev.MANIFEST not in b.docs
        b.problem(f"{ev.MANIFEST}: " + ("not read: its size differs from the listing in datapackage.json" if not_read
                                        else "missing or unreadable") + "; nothing it lists can be checked")
        return
    b.manifest_raw = manifest
    if manifest.get("format") != ev.BUNDLE_FORMAT:
        b.problem(f"{ev.MANIFEST}: unknown format {manifest.get('format')!r}")
    for path, h in (manifest.get("members") or {}).items():
        scan = b.scans.get(path)
        if scan is None:
            b.problem(f"{path}: listed in {ev.MANIFEST} but missing (member removed)")
        elif (scan.sha256, scan.blake3, scan.size) != (h.get("sha256"), h.get("blake3"), h.get("size")):
            b.problem(f"{path}: sha256/blake3/size differ from {ev.MANIFEST} (content altered)")
    mbytes = b.doc(ev.MANIFEST) or b""
    b.manifest_digest = hashlib.sha256(mbytes).digest()
    key_fp = check_manifest_signature(b)
    b.report.info.update(key_fingerprint=key_fp, evidence_manifest_sha256=b.manifest_digest.hex(),
                         created=manifest.get("created"), case=manifest.get("case"))
    try:
        b.manifest = BundleManifest.read(mbytes)
    except ValueError as exc:
        b.problem(f"{ev.MANIFEST}: not a bundle manifest ({first_error(exc)})")
