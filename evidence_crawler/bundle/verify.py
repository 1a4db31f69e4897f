"""``evidence-crawler verify case.wacz``: check an evidence bundle offline, without the store or Scrapy.

Checks, each failure named (file, record or check): every member's sha256 and size against
datapackage.json, no member missing or added; datapackage.json's hash and WACZ signature in
datapackage-digest.json; the operator's signature of evidence/manifest.json and the manifest's own
hashes; each RFC 3161 token (intact, imprint = sha256 of the manifest, chain to ``--tsa-ca`` when
given); every WARC record's block and payload digests; each capture's sealed manifest against its
``capture_sealed`` custody event and its artifacts against the manifest; the custody lines' hashes
and links; that every page of pages.jsonl is the response record its WARC holds at that offset; and
that the items listed are the sealed ones. Exit 0 valid, 1 invalid, 2 unusable input.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import ZipInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.findingscheck import check_findings
from evidence_crawler.bundle.intermediaries import check_intermediaries
from evidence_crawler.bundle.memberscan import MemberScan, scan_member
from evidence_crawler.bundle.package import DATAPACKAGE, DIGEST, digest_bytes
from evidence_crawler.bundle.safezip import SafeZip, UnusableBundle
from evidence_crawler.bundle.sign import fingerprint, verify_signed_data
from evidence_crawler.bundle.timestamp import check_chain, inspect_token
from evidence_crawler.bundle.verify_seal import check_capture_anchor
from evidence_crawler.custody import event_hash
from evidence_crawler.models import BundleManifest, CaptureManifest, EventKind

MAX_DOC_BYTES = 512 << 20  # JSON/JSONL members parsed in memory


@dataclass
class BundleReport:
    bundle: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "valid": self.ok, "problems": self.problems, "warnings": self.warnings,
                "checked": self.checked, **self.info}


class _Bundle:
    """The scanned members and the small documents, shared by the checks below."""

    def __init__(self, z: SafeZip, report: BundleReport) -> None:
        self.z, self.report = z, report
        self.scans: dict[str, MemberScan] = {}
        self.docs: dict[str, bytes] = {}

    def doc(self, name: str) -> bytes | None:
        return self.docs.get(name)

    def json(self, name: str) -> Any:
        data = self.docs.get(name)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            self.report.problems.append(f"{name}: not valid JSON ({exc})")
            return None

    def problem(self, text: str) -> None:
        self.report.problems.append(text)


def _scan_all(b: _Bundle) -> None:
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="warc-records") as pool:
        for name, info in b.z.members.items():
            _scan_one(b, name, info, pool)


def _scan_one(b: _Bundle, name: str, info: ZipInfo, pool: Executor) -> None:
    small = (".json", ".jsonl", ".pem", ".sig", ".tsr", ".yaml", ".txt")
    is_warc = name.startswith("archive/") and name.endswith((".warc.gz", ".warc"))
    try:
        with b.z.open(name) as raw:
            if not is_warc and name.endswith(small) and info.file_size <= MAX_DOC_BYTES:
                data = raw.read()
                b.docs[name] = data
                scan = scan_member(_Bytes(data), name, False)
            else:
                scan = scan_member(raw, name, is_warc, pool)
    except Exception as exc:  # noqa: BLE001 - zipfile errors on one member name that member
        b.problem(f"{name}: unreadable member ({type(exc).__name__}: {exc}); content altered?")
        return
    b.scans[name] = scan
    b.report.problems.extend(scan.problems)
    b.report.count("members")
    b.report.count("bytes", scan.size)
    b.report.count("warc_records", scan.records)


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        out, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return out


def _check_package(b: _Bundle) -> None:
    """Members against datapackage.json, and datapackage.json against its signed digest."""
    package = b.json(DATAPACKAGE)
    listed: dict[str, dict] = {}
    if package is None:
        b.problem(f"{DATAPACKAGE}: missing or unreadable: no member can be checked against it")
    else:
        names = set()
        for res in package.get("resources", []):
            path = res.get("path")
            if path in listed:
                b.problem(f"{DATAPACKAGE}: {path} listed twice")
            if res.get("name") in names:
                b.problem(f"{DATAPACKAGE}: resource name {res.get('name')!r} used twice")
            names.add(res.get("name"))
            listed[path] = res
    for name, scan in b.scans.items():
        if name in (DATAPACKAGE, DIGEST):
            continue
        res = listed.get(name)
        if res is None:
            if package is not None:
                b.problem(f"{name}: not listed in {DATAPACKAGE} (member added)")
        elif res.get("hash") != f"sha256:{scan.sha256}" or res.get("bytes") != scan.size:
            b.problem(f"{name}: sha256/size differ from {DATAPACKAGE} (content altered)")
    for path in listed:
        if path not in b.z.members:
            b.problem(f"{path}: listed in {DATAPACKAGE} but missing from the bundle (member removed)")
    b.report.count("listed", len(listed))
    digest = b.json(DIGEST)
    if digest is None:
        b.problem(f"{DIGEST}: missing or unreadable: the package is not signed")
        return
    if digest_bytes(digest) != b.doc(DIGEST):
        b.problem(f"{DIGEST}: not as written by the exporter (altered)")
    sd = digest.get("signedData") or {}
    dp = b.scans.get(DATAPACKAGE)
    if dp is not None and digest.get("hash") != f"sha256:{dp.sha256}":
        b.problem(f"{DATAPACKAGE}: its sha256 differs from the hash in {DIGEST} (altered)")
    if digest.get("path") != DATAPACKAGE or sd.get("hash") != digest.get("hash"):
        b.problem(f"{DIGEST}: signed hash and package hash differ")
    why = verify_signed_data(sd)
    if why:
        b.problem(f"{DIGEST}: WACZ signature: {why}")
    if package is not None and (sd.get("created") != package.get("created")
                                or sd.get("software") != package.get("software")):
        b.problem(f"{DIGEST}: created/software differ from {DATAPACKAGE}")
    b.report.info["signature"] = {"public_key_fingerprint": _fp(sd.get("publicKey")), "created": sd.get("created"),
                                  "software": sd.get("software")}


def _fp(public_b64: str | None) -> str | None:
    import base64

    try:
        return fingerprint(base64.b64decode(public_b64 or "", validate=True)) if public_b64 else None
    except ValueError:
        return None


def _check_manifest(b: _Bundle, tsa_ca: Path | None) -> BundleManifest | None:
    """Hashes, signature and tokens on the JSON as it is (each problem named); then the typed manifest
    for the checks that follow, None if the document is not one (say why)."""
    manifest = b.json(ev.MANIFEST)
    if manifest is None:
        b.problem(f"{ev.MANIFEST}: missing or unreadable")
        return None
    if manifest.get("format") != ev.BUNDLE_FORMAT:
        b.problem(f"{ev.MANIFEST}: unknown format {manifest.get('format')!r}")
    for path, h in (manifest.get("members") or {}).items():
        scan = b.scans.get(path)
        if scan is None:
            b.problem(f"{path}: listed in {ev.MANIFEST} but missing (member removed)")
        elif (scan.sha256, scan.blake3, scan.size) != (h.get("sha256"), h.get("blake3"), h.get("size")):
            b.problem(f"{path}: sha256/blake3/size differ from {ev.MANIFEST} (content altered)")
    mbytes = b.doc(ev.MANIFEST) or b""
    digest = hashlib.sha256(mbytes).digest()
    pem, sig = b.doc(ev.PUBLIC_KEY), b.doc(ev.SIGNATURE)
    key_fp = None
    try:
        public = serialization.load_pem_public_key(pem or b"")
        key_fp = fingerprint(public.public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo))
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError("not an EC key")
        public.verify(sig or b"", mbytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        b.problem(f"{ev.SIGNATURE}: the signature of {ev.MANIFEST} does not verify with {ev.PUBLIC_KEY}")
    except (ValueError, TypeError) as exc:
        b.problem(f"{ev.PUBLIC_KEY}/{ev.SIGNATURE}: unusable ({exc})")
    declared = (manifest.get("signing_key") or {}).get("fingerprint")
    if key_fp and declared != key_fp:
        b.problem(f"{ev.PUBLIC_KEY}: fingerprint {key_fp} is not the one in {ev.MANIFEST}")
    pkg_fp = (b.report.info.get("signature") or {}).get("public_key_fingerprint")
    if key_fp and pkg_fp and pkg_fp != key_fp:
        b.problem(f"{DIGEST}: signed with a different key than {ev.SIGNATURE}")
    b.report.info.update(key_fingerprint=key_fp, evidence_manifest_sha256=digest.hex(),
                         created=manifest.get("created"), case=manifest.get("case"))
    _check_tokens(b, manifest, digest, tsa_ca)
    try:
        return BundleManifest.read(mbytes)
    except ValueError as exc:
        b.problem(f"{ev.MANIFEST}: not a bundle manifest ({_first_error(exc)})")
        return None


def _first_error(exc: ValueError) -> str:
    errors = exc.errors() if isinstance(exc, ValidationError) else []
    if not errors:
        return str(exc).splitlines()[0]
    where = ".".join(str(p) for p in errors[0]["loc"])
    return f"{where}: {errors[0]['msg']}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")


def _check_tokens(b: _Bundle, manifest: dict, digest: bytes, tsa_ca: Path | None) -> None:
    names = sorted(n for n in b.z.members if n.startswith("evidence/timestamp-") and n.endswith(".tsr"))
    tokens = []
    for name in names:
        der = b.doc(name) or b""
        try:
            info = inspect_token(der, digest)
        except ValueError as exc:
            b.problem(f"{name}: not a timestamp response ({exc})")
            continue
        b.report.problems.extend(f"{name}: {p}" for p in info.problems)
        if tsa_ca is not None and not info.problems:
            b.report.problems.extend(f"{name}: {p}" for p in check_chain(der, tsa_ca))
        tokens.append({"path": name, **info.as_dict(), "chain_checked": tsa_ca is not None})
        b.report.count("timestamps")
    ts = manifest.get("timestamps") or {}
    if ts.get("disabled"):
        b.report.warnings.append("NOT TIMESTAMPED: exported with --no-timestamp; no trusted time attests "
                                 "when this bundle existed")
    elif not names:
        b.problem("no timestamp token in evidence/ (removed?)")
    elif tsa_ca is None:
        b.report.warnings.append("timestamp tokens are intact and cover the manifest, but the TSA's certificate "
                                 "chain was not checked: pass --tsa-ca with the TSA's root certificate")
    b.report.info["timestamps"] = tokens


def _check_custody(b: _Bundle, manifest: BundleManifest) -> list[dict]:
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


def _jsonl(b: _Bundle, name: str) -> list[dict]:
    try:
        return [json.loads(line) for line in (b.doc(name) or b"").splitlines() if line.strip()]
    except ValueError:
        b.problem(f"{name}: not valid JSON lines")
        return []


def _sealed_manifest(b: _Bundle, member: str) -> CaptureManifest | None:
    try:
        return CaptureManifest.read(b.doc(member) or b"")
    except ValueError as exc:
        b.problem(f"{member}: not a sealed capture manifest ({_first_error(exc)})")
        return None


def _check_captures(b: _Bundle, manifest: BundleManifest, events: list[dict], tsa_ca: Path | None = None) -> None:
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
        check_capture_anchor(b, cap, events, tsa_ca)


def _check_pages_and_items(b: _Bundle, cid: str, members: dict[str, str], manifest: BundleManifest) -> None:
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


def verify_bundle(path: Path, tsa_ca: Path | None = None) -> BundleReport:
    """Raises UnusableBundle (exit 2); otherwise the report's ``problems`` decide (empty = exit 0)."""
    if tsa_ca is not None and not Path(tsa_ca).is_file():
        raise UnusableBundle(f"--tsa-ca {tsa_ca}: no such file")
    report = BundleReport(str(path))
    with SafeZip(path) as z:
        if DATAPACKAGE not in z.members and DIGEST not in z.members and ev.MANIFEST not in z.members:
            raise UnusableBundle(f"{Path(path).name}: a zip, but not an evidence bundle (no {DATAPACKAGE}, "
                                 f"{DIGEST} or {ev.MANIFEST})")
        b = _Bundle(z, report)
        _scan_all(b)
        _check_package(b)
        manifest = _check_manifest(b, tsa_ca)
        if manifest is not None:
            events = _check_custody(b, manifest)
            _check_captures(b, manifest, events, tsa_ca)
            check_findings(b, manifest, events)
            check_intermediaries(b, manifest)
            report.info["captures"] = [c.capture_id for c in manifest.captures]
    return report
