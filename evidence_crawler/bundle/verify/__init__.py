"""``evidence-crawler verify case.wacz``: check an evidence bundle offline, without the store or Scrapy.

Checks, each failure named (file, record or check), registered in order in ``checks.STEPS``: the zip's
own structure (``bundle/ziplayout.py``, via ``SafeZip``); datapackage.json and its digest (read first,
capped, shape-checked: ``shape``); every member's sha256 and size against datapackage.json, no member
missing or added (``listing``); datapackage.json's hash and WACZ signature in datapackage-digest.json;
the operator's signature of evidence/manifest.json and the manifest's own hashes (``manifest``,
``signer``); each RFC 3161 token (intact, imprint = sha256 of the manifest, chain to ``--tsa-ca`` when
given) and every genTime against the bundle's creation and the captures' ends (``tokens``); every WARC
record's block and payload digests; each capture's sealed manifest against its ``capture_sealed`` custody
event and its artifacts against the manifest; the custody lines' hashes and links; that every page of
pages.jsonl is the response record its WARC holds at that offset; that the items listed are the sealed
ones (``captures``); and the signer against the pinned keys (``signer``). Exit 0 valid, 1 invalid,
2 unusable input.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import DATAPACKAGE, DIGEST
from evidence_crawler.bundle.safezip import SafeZip, UnusableBundle
from evidence_crawler.bundle.verify.checks import MEMBER_CHECKS, STEPS, MemberCheck
from evidence_crawler.bundle.verify.context import Bundle, BundleReport, VerifyOptions
from evidence_crawler.bundle.verify.signer import TRUSTED_KEYS_ENV, parse_fingerprint, pins_for, read_trusted_keys
from evidence_crawler.bundle.verify.tokens import ACCEPT_FLAG, TIME_TOLERANCE

__all__ = ["ACCEPT_FLAG", "MEMBER_CHECKS", "STEPS", "TIME_TOLERANCE", "TRUSTED_KEYS_ENV", "BundleReport",
           "MemberCheck", "UnusableBundle", "VerifyOptions", "parse_fingerprint", "pins_for", "read_trusted_keys",
           "verify_bundle"]


def verify_bundle(path: Path, tsa_ca: Path | None = None, *, expect_keys: Iterable[str] = (), pin_source: str = "",
                  accept_untimestamped: bool = False) -> BundleReport:
    """Raises UnusableBundle (exit 2); otherwise the report's ``problems`` decide (empty = exit 0).
    ``expect_keys``: pinned signer fingerprints (``sha256:<hex>``); none given, the signer is unpinned."""
    if tsa_ca is not None and not Path(tsa_ca).is_file():
        raise UnusableBundle(f"--tsa-ca {tsa_ca}: no such file")
    pins = frozenset(parse_fingerprint(k, pin_source or "--expect-key") for k in expect_keys)
    options = VerifyOptions(tsa_ca=tsa_ca, expect_keys=pins, pin_source=pin_source or ("--expect-key" if pins else ""),
                            accept_untimestamped=accept_untimestamped)
    report = BundleReport(str(path))
    with SafeZip(path) as z:
        if DATAPACKAGE not in z.members and DIGEST not in z.members and ev.MANIFEST not in z.members:
            raise UnusableBundle(f"{Path(path).name}: a zip, but not an evidence bundle (no {DATAPACKAGE}, "
                                 f"{DIGEST} or {ev.MANIFEST})")
        b = Bundle(z, report, options)
        try:
            for step in STEPS:
                step(b)
        finally:
            if b.pdf_validations is not None:
                b.pdf_validations.close()
    return report
