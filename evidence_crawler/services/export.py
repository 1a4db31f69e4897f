"""``export``: sealed captures into one signed, RFC 3161-timestamped WACZ evidence bundle.

The steps, in order (each later one depends on the hashes of the earlier ones):

1. refuse unknown or unsealed captures, and any capture whose sealed files no longer match their
   hashes in the store (fail closed: we never package evidence we cannot vouch for);
2. check the key, the TSAs and Chromium before any work;
3. stream the sealed files into the zip (WARCs to ``archive/``, the rest to ``evidence/``), hashing
   each as it is written and comparing it with its sealed hash (``bundle/sealed.py``); add the CDXJ
   index, the page list, the custody lines, the public key and the JSON Schemas of the JSON files;
4. write ``evidence/manifest.json`` (every hash so far), sign it, timestamp its sha256 at every TSA;
5. write the report (HTML, then PDF through Chromium, PAdES-signed: ``services/reportsign.py``), VERIFY.txt
   and SHA256SUMS;
6. write ``datapackage.json`` and ``datapackage-digest.json`` (WACZ signature), rename the zip into
   place, and append one ``exported`` custody event per capture with the bundle's sha256 (a store that is
   read-only, e.g. mounted so for an audit, gets a note instead: export only reads the store).
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler import __version__
from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.annexes import add_annexes
from evidence_crawler.bundle.cdxindex import index_warcs, wanted_offsets
from evidence_crawler.bundle.exhibits import DEFAULT_MAX_EXHIBITS
from evidence_crawler.bundle.exhibitset import add_exhibit_shots, choose_exhibits
from evidence_crawler.bundle.findings import FindingsEntry, add_findings, report_findings
from evidence_crawler.bundle.intermediaries import add_intermediaries, report_intermediaries
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.pages import pages_jsonl
from evidence_crawler.bundle.pdf import PdfError, find_chromium
from evidence_crawler.bundle.pdfsigcheck import PDF_SIGNER_PEM
from evidence_crawler.bundle.pdfsign import PdfSignError
from evidence_crawler.bundle.report import add_report, report_capture
from evidence_crawler.bundle.sealed import SealedCapture, SealedCopyChanged, add_capture, sealed_capture
from evidence_crawler.bundle.sign import SigningKey, SigningKeyError, create_key, load_key, signed_data
from evidence_crawler.bundle.strings import LANGS
from evidence_crawler.bundle.timestamp import TimestampError, inspect_token, request_token
from evidence_crawler.bundle.verifytext import verify_text
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import CustodyEvent, EventKind
from evidence_crawler.profile import compile_linear
from evidence_crawler.redact import redact_text, redact_url
from evidence_crawler.services.captures import require_sealed
from evidence_crawler.services.diff import DiffUnusable, diff_captures
from evidence_crawler.services.findings import findings_for
from evidence_crawler.services.repertoire import RepertoireUnusable
from evidence_crawler.services.reportsign import ReportSigning
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

SOFTWARE = f"evidence-crawler {__version__}"

READ_ONLY_ERRORS = (errno.EROFS, errno.EACCES, errno.EPERM)  # export may read a store it cannot write


class ExportUnusable(Exception):
    """Bad input or configuration (exit 2): unknown/unsealed capture, bad regex, no key, no TSA."""


class ExportFailed(Exception):
    """The export could not be completed (exit 1): no timestamp token, no PDF, damaged store copy."""


@dataclass
class ExportRequest:
    capture_ids: list[str]
    output: Path
    case_ref: str = ""
    title: str = ""
    lang: str = "en"
    items_only: str | None = None
    timestamp: bool = True
    diff: bool = False  # include evidence/diff.json + a report section: first capture vs last
    force: bool = False  # replace an existing file at ``output`` (atomically, once the new bundle is complete)
    repertoire: str | None = None  # include each capture's findings against this repertoire (latest version)
    exhibits: list[str] = field(default_factory=list)  # --exhibit URL_REGEX (RE2); empty: chosen automatically
    max_exhibits: int = DEFAULT_MAX_EXHIBITS
    notes: list[str] = field(default_factory=list)


def _load_capture(store: LocalStore, events: list[CustodyEvent], capture_id: str) -> SealedCapture:
    require_sealed(store, capture_id, ExportUnusable, "only sealed captures can be exported")
    try:
        return sealed_capture(store.capture_dir(capture_id), capture_id, events)
    except SealedCopyChanged as exc:
        raise ExportFailed(str(exc)) from None


def _timestamps(config: EvidenceConfig, digest: bytes) -> tuple[list[bytes], list[str]]:
    tokens, failures = [], []
    for url in config.tsa_urls:
        try:
            tokens.append((url, request_token(url, digest, config.tsa_timeout_s)))
        except TimestampError as exc:
            failures.append(redact_text(str(exc)))
    return tokens, failures


def _key(config: EvidenceConfig, req: ExportRequest) -> SigningKey:
    """The operator's key. Only the default path is created on demand: signing with a fresh key because
    ``EVIDENCE_KEY`` was mistyped would tie the bundle to nobody."""
    path = config.key_path
    if not path.exists() and path.absolute() != config.default_key_path.absolute():
        raise ExportUnusable(f"EVIDENCE_KEY {path}: no such file; nothing was written. Fix the path, or run "
                             "`evidence-crawler keys init` to create a new key there")
    try:
        if not path.exists():
            key = create_key(path)
            req.notes.append(f"created a new signing key at {key.path} (fingerprint {key.fingerprint})")
            return key
        return load_key(path)
    except SigningKeyError as exc:
        raise ExportUnusable(str(exc)) from None


def _exhibit_patterns(req: ExportRequest) -> list:
    if req.max_exhibits < 1:
        raise ExportUnusable(f"--max-exhibits {req.max_exhibits}: give at least 1")
    try:
        return [compile_linear(p) for p in req.exhibits]
    except ValueError as exc:
        raise ExportUnusable(f"--exhibit: {exc}") from None


def _check_request(config: EvidenceConfig, req: ExportRequest) -> re.Pattern | None:
    if req.lang not in LANGS:
        raise ExportUnusable(f"--lang {req.lang}: choose one of {', '.join(LANGS)}")
    if req.output.is_dir():
        raise ExportUnusable(f"-o {req.output}: is a folder; name the bundle file to write (e.g. case.wacz)")
    if req.output.exists() and not req.force:
        raise ExportUnusable(f"-o {req.output}: already exists; nothing was written (pass --force to replace it)")
    if len(set(req.capture_ids)) != len(req.capture_ids) or not req.capture_ids:
        raise ExportUnusable("give each capture id once")
    try:
        regex = re.compile(req.items_only) if req.items_only else None
    except re.error as exc:
        raise ExportUnusable(f"--items-only {req.items_only!r}: not a regular expression ({exc})") from None
    if req.timestamp and not config.tsa_urls:
        raise ExportUnusable("no time-stamping authority configured: set EVIDENCE_TSA_URLS (comma-separated "
                             "RFC 3161 URLs), or pass --no-timestamp to export without a trusted time (the report "
                             "will say so)")
    return regex


def export_bundle(config: EvidenceConfig, store: LocalStore, req: ExportRequest) -> dict[str, Any]:
    """The steps of the module docstring, in order; nothing is published unless every one succeeds."""
    regex = _check_request(config, req)
    patterns = _exhibit_patterns(req)
    findings = _findings(store, req)  # before the ledger is read: a match run now is a custody event to export
    ledger = ev.Ledger(CustodyLedger(store.root).path)
    captures = [_load_capture(store, ledger.events, cid) for cid in req.capture_ids]
    try:
        chromium = find_chromium(config.chromium)
    except PdfError as exc:
        raise ExportUnusable(str(exc)) from None
    key = _key(config, req)
    try:
        signing = ReportSigning(config, key, req.timestamp, req.notes)
    except (SigningKeyError, OSError) as exc:
        raise ExportUnusable(str(exc)) from None
    created = iso()
    with WaczWriter(req.output) as w, tempfile.TemporaryDirectory(prefix="evidence-export-") as tmp:
        warcs = [(a.name, store.root / a.path) for c in captures for a in c.manifest.of_role("warc")]
        index, titles = index_warcs(warcs, wanted_offsets(
            p for c in captures for p in iter_jsonl(store.root / c.manifest.by_name()["pages.jsonl"].path)))
        try:
            exported = [add_capture(w, store.root, cap, iter_jsonl, regex, titles) for cap in captures]
        except SealedCopyChanged as exc:
            raise ExportFailed(str(exc)) from None
        all_items = [i for x in exported for i in x.items]
        w.add_bytes("indexes/index.cdx", index)
        w.add_bytes("pages/pages.jsonl", pages_jsonl(e for x in exported for e in x.entries))
        diff = _diff(store, req) if req.diff else None
        if diff is not None:
            w.add_bytes(DIFF_MEMBER, json.dumps(diff, indent=2, ensure_ascii=False).encode() + b"\n")
        findings_refs = add_findings(w, findings)
        intermediaries = add_intermediaries(w, [(c.id, c.manifest) for c in captures])
        custody_lines, custody = ledger.slice(set(req.capture_ids))
        w.add_bytes(ev.CUSTODY, custody_lines)
        w.add_bytes(ev.PUBLIC_KEY, key.public_pem)
        w.add_bytes(PDF_SIGNER_PEM, signing.signer.chain_pem)
        ev.add_schemas(w)
        annexes = add_annexes(w, [e for x in exported for e in x.entries],
                              [i.model_dump(mode="json") for i in all_items])
        shown_findings = report_findings(findings)
        exhibits = choose_exhibits(exported, patterns, req.max_exhibits, {
            r["url"] for f in shown_findings for h in f["holders"] for r in h["rows"]})
        try:
            add_exhibit_shots(w, exhibits, exported, store.root, chromium, Path(tmp))
        except PdfError as exc:
            raise ExportFailed(str(exc)) from None

        mbytes = ev.bundle_manifest(
            w, created=created, software=SOFTWARE, case={"reference": req.case_ref, "title": req.title,
                                                          "lang": req.lang, "exported_by": config.operator},
            items_only=req.items_only, captures=[x.summary for x in exported], items=all_items, custody=custody,
            diff={"member": DIFF_MEMBER, "old": diff["old"], "new": diff["new"], "added": len(diff["added"]),
                  "removed": len(diff["removed"]), "changed": len(diff["changed"]),
                  "unchanged": diff["unchanged"]} if diff else None,
            **({"findings": findings_refs} if findings_refs else {}),
            signing_key={"fingerprint": key.fingerprint, "public_key": ev.PUBLIC_KEY},
            pdf_signer=signing.manifest_ref(),
            timestamps={"requested_from": [redact_url(u) for u in config.tsa_urls] if req.timestamp else [],
                        "disabled": not req.timestamp,
                        "over": "sha256 of evidence/manifest.json"}).dump_bytes()
        w.add_bytes(ev.MANIFEST, mbytes)
        digest = hashlib.sha256(mbytes).digest()
        w.add_bytes(ev.SIGNATURE, key.sign_der(mbytes))

        tokens, failures = _timestamps(config, digest) if req.timestamp else ([], [])
        if req.timestamp and not tokens:
            raise ExportFailed("no timestamp token could be obtained, so no bundle was written: "
                               + "; ".join(failures) + " (pass --no-timestamp to export without one)")
        token_info = []
        for n, (url, der) in enumerate(tokens):
            w.add_bytes(ev.token_path(n), der)
            token_info.append({"path": ev.token_path(n), "url": redact_url(url),
                               **inspect_token(der, digest).as_dict()})

        report_ctx = {
            "case": {"reference": req.case_ref, "title": req.title}, "created": created,
            "exporter": config.operator, "software": SOFTWARE, "tokens": token_info,
            "items": [i.model_dump(mode="json", exclude_unset=True) for i in all_items],
            "tsa_failures": failures, "timestamped": bool(tokens), "fingerprint": key.fingerprint,
            "manifest_sha256": digest.hex(), "custody": custody.model_dump(), "items_only": req.items_only,
            "diff": diff, "findings": shown_findings, "exhibits": exhibits, "pdf_signer": signing.manifest_ref(),
            "intermediaries": report_intermediaries(intermediaries, req.lang),
            "annexes": [{"path": a.path, "sha256": a.sha256, "size": a.size} for a in annexes],
            "captures": [report_capture(x) for x in exported]}
        try:
            add_report(w, req.lang, report_ctx, chromium, Path(tmp), signing)
        except (PdfError, PdfSignError) as exc:
            raise ExportFailed(str(exc)) from None
        w.add_bytes(ev.VERIFY_TXT, verify_text(
            lang=req.lang, bundle_format=ev.BUNDLE_FORMAT, software=SOFTWARE, created=created,
            captures=req.capture_ids, fingerprint=key.fingerprint,
            manifest_sha256=digest.hex(), tokens=token_info, timestamped=bool(tokens)))
        w.add_bytes(ev.SUMS, ev.sha256sums(w.members))
        w.add_signed_datapackage(req.title or req.case_ref or ", ".join(req.capture_ids),
                                 f"evidence bundle of {', '.join(req.capture_ids)}", created, SOFTWARE,
                                 lambda hash_text: signed_data(key, hash_text, created, SOFTWARE))
        try:
            w.commit(replace=req.force)
        except FileExistsError:
            raise ExportUnusable(f"-o {req.output}: appeared while exporting; nothing was written (pass --force "
                                 "to replace it)") from None
    bundle = digest_file(req.output)
    custody_ledger = CustodyLedger(store.root)
    try:
        for cid in req.capture_ids:
            custody_ledger.append(EventKind.EXPORTED, cid, bundle=str(req.output.absolute()),
                                  bundle_sha256=bundle.sha256, bundle_blake3=bundle.blake3, size=bundle.size,
                                  evidence_manifest_sha256=digest.hex(), captures=req.capture_ids,
                                  timestamps=len(tokens), signed_by=key.fingerprint, case_ref=req.case_ref)
    except OSError as exc:
        if exc.errno not in READ_ONLY_ERRORS:
            raise
        req.notes.append(f"the store is read-only ({exc.strerror}): this export is not recorded in its custody "
                         "ledger; the bundle is complete and verifies on its own")
    return {"bundle": str(req.output.absolute()), "sha256": bundle.sha256, "blake3": bundle.blake3,
            "size": bundle.size, "captures": req.capture_ids, "timestamps": [
                {k: t[k] for k in ("path", "url", "gen_time", "serial")} for t in token_info],
            "timestamp_failures": failures, "timestamped": bool(tokens), "signed": True,
            "key_fingerprint": key.fingerprint, "evidence_manifest_sha256": digest.hex(), "lang": req.lang,
            **signing.result(),
            "items": len(all_items), "items_only": req.items_only, "notes": req.notes,
            "exhibits": [{"n": ex["n"], "url": ex["url"], "screenshot": ex["shot"]} for ex in exhibits],
            **({"findings": [r.model_dump() for r in findings_refs]} if findings_refs else {})}


DIFF_MEMBER = "evidence/diff.json"


def _findings(store: LocalStore, req: ExportRequest) -> list[FindingsEntry]:
    """Each capture's findings against ``--repertoire``: those ``match`` stored, else a run now (defaults)."""
    if not req.repertoire:
        return []
    out = []
    for cid in req.capture_ids:
        try:
            found = findings_for(store, cid, req.repertoire)
        except RepertoireUnusable as exc:
            raise ExportUnusable(f"--repertoire: {exc}") from None
        out.append(FindingsEntry(cid, found.data, found.sha256, found.repertoire,
                                 store.object_path(found.repertoire.sha256)))
    return out


def _diff(store: LocalStore, req: ExportRequest) -> dict[str, Any]:
    """What changed between the first and the last capture given (same rules as ``evidence-crawler diff``)."""
    if len(req.capture_ids) < 2:
        raise ExportUnusable("--diff needs two captures: export OLD_ID NEW_ID --diff")
    try:
        return diff_captures(store, req.capture_ids[0], req.capture_ids[-1])
    except DiffUnusable as exc:
        raise ExportUnusable(f"--diff: {exc}") from None
