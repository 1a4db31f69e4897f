"""The ``evidence/`` folder's own documents: the bundle manifest, the custody slice, SHA256SUMS, VERIFY.txt.

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


VERIFY_TEMPLATE = """\
HOW TO CHECK THIS EVIDENCE BUNDLE
=================================

Bundle format {format}, WACZ {wacz_version}, written by {software} on {created}.
Captures: {captures}
Operator's public key: evidence/public-key.pem, fingerprint {fingerprint}
(sha256 of the DER public key: `openssl pkey -pubin -in evidence/public-key.pem -outform DER | sha256sum`).
Compare it with the fingerprint the operator declared, independently of this bundle.

Every step below uses standard tools only (unzip, sha256sum, openssl) and works offline.

1. Unpack into an empty folder and go there ("case.wacz" stands for this bundle's file name):

     mkdir case && unzip -q case.wacz -d case && cd case

2. Every file's sha256 (all but datapackage.json, datapackage-digest.json and SHA256SUMS itself):

     sha256sum -c evidence/SHA256SUMS

   Every line must say OK. datapackage.json lists the same hashes (WACZ), and its own sha256 is the
   "hash" in datapackage-digest.json:

     sha256sum datapackage.json

3. The operator's signature over the evidence manifest (which lists the hash of every captured file):

     openssl dgst -sha256 -verify evidence/public-key.pem -signature evidence/manifest.sig evidence/manifest.json

   It must print "Verified OK".

4. The trusted timestamp(s). {timestamp_intro}
{timestamp_steps}
5. The WACZ package (py-wacz, `pip install wacz`):

     wacz validate -f ../case.wacz

6. All of the above and more (every WARC record digest, the custody chain, that the manifest agrees
   with the WARC files, the WACZ signature in datapackage-digest.json), with this project's verifier:

     evidence-crawler verify ../case.wacz [--tsa-ca tsa-ca.pem] [--json]

   Exit 0: valid. 1: invalid (every failing file, record or check is named). 2: not a usable bundle.

What each file is: evidence/manifest.json lists the captures, their environment statements, the
items and offers, and the sha256/blake3 of every file; evidence/<capture>.manifest.json is each
capture's manifest as sealed in the evidence store, and its sha256 is named by the capture_sealed
event in evidence/custody.jsonl, a hash-chained ledger: each line's "hash" is the sha256 of the line's
canonical JSON without "hash", and "prev" is the previous line's hash in the store's ledger.
"""

TIMESTAMP_STEP = """
     openssl ts -verify -digest {digest} -in {token} -CAfile tsa-ca.pem
     (or: openssl ts -verify -data evidence/manifest.json -in {token} -CAfile tsa-ca.pem)

   {token}: from {url}, time {gen_time}. It must print "Verification: OK".
"""


def verify_text(*, software: str, created: str, captures: list[str], fingerprint: str,
                manifest_sha256: str, tokens: list[dict[str, Any]], timestamped: bool) -> bytes:
    if timestamped:
        intro = ("Each token is an RFC 3161 answer over the sha256 of evidence/manifest.json,\n"
                 f"   {manifest_sha256}.\n"
                 "   tsa-ca.pem is the root certificate of the time-stamping authority: get it from the TSA itself,\n"
                 "   never from this bundle.")
        steps = "".join(TIMESTAMP_STEP.format(digest=manifest_sha256, token=t["path"], url=t["url"],
                                              gen_time=t["gen_time"]) for t in tokens)
    else:
        intro = ("NONE. This bundle was exported with --no-timestamp: no trusted third party\n"
                 "   attests when it existed. Only the operator's signature and the capture times it states remain.\n")
        steps = ""
    return VERIFY_TEMPLATE.format(format=BUNDLE_FORMAT, wacz_version="1.1.1", software=software, created=created,
                                  captures=", ".join(captures), fingerprint=fingerprint,
                                  timestamp_intro=intro, timestamp_steps=steps).encode()
