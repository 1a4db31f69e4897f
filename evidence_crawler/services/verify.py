"""``captures verify``: re-hash every artifact, re-check every WARC record and the custody chain, the
seal-time anchor (token over the manifest, signature: ``bundle.sealcheck``), and that the ledger seals the
capture only once.

Besides content, the form of what was sealed: every object, every ``artifacts/`` name and the manifest
must be a regular, read-only file (0444). A symlink could later point elsewhere, and a writable file was
made so by someone after the seal: both are named even when the bytes still match.

Exit codes follow the verifier convention used throughout: 0 valid, 1 mismatch (every problem named),
2 unusable input (no such capture, not sealed, manifest unreadable).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from evidence_crawler.bundle.sealcheck import check_signature, check_tokens, file_reader
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import Artifact, CaptureManifest, Digests, EventKind
from evidence_crawler.services.captures import require_sealed
from evidence_crawler.warc import WarcFindings, check_warc
from storage.local import LocalStore

WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class Unusable(Exception):
    pass


@dataclass
class VerifyReport:
    capture_id: str
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seal_anchor: dict = field(default_factory=dict)  # seal-time tokens (gen_time, tsa) and signer

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"capture_id": self.capture_id, "valid": self.ok, "checked": self.checked,
                "problems": self.problems, "seal_anchor": self.seal_anchor}


def _check_file(path: Path, art: Digests | Artifact, label: str, report: VerifyReport) -> None:
    if not path.exists():
        report.problems.append(f"{label}: missing ({path})")
        return
    d = digest_file(path)
    if d.size != art.size:
        report.problems.append(f"{label}: size {d.size} != {art.size} in the manifest")
    if d.sha256 != art.sha256:
        report.problems.append(f"{label}: sha256 mismatch (content changed)")
    if d.blake3 != art.blake3:
        report.problems.append(f"{label}: blake3 mismatch (content changed)")


def _check_form(path: Path, label: str, report: VerifyReport) -> None:
    """A sealed file is a regular file with no write permission for anyone."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return  # named as missing by _check_file
    if stat.S_ISLNK(st.st_mode):
        report.problems.append(f"{label}: is a symlink (to {os.readlink(path)}), not the sealed file")
    elif not stat.S_ISREG(st.st_mode):
        report.problems.append(f"{label}: is not a regular file")
    elif st.st_mode & WRITE_BITS:
        report.problems.append(f"{label}: is writable (mode {stat.S_IMODE(st.st_mode):04o}; sealed files "
                               "are 0444): made so after the seal")


def _check_warc(path: Path, name: str, pages: dict[tuple[str, int], dict], report: VerifyReport) -> None:
    """Every record through the WARC checker; each page of pages.jsonl held against its response record."""
    found = WarcFindings()
    try:
        with open(path, "rb") as fh:
            check_warc(fh, name, found)
    except Exception as exc:  # noqa: BLE001 - a WARC that cannot be read is itself the finding
        report.problems.append(f"{name}: unreadable WARC ({type(exc).__name__}: {exc})")
    report.checked["warc_records"] = report.checked.get("warc_records", 0) + found.records
    report.problems += found.problems
    for offset in found.payloads.keys() | found.named:  # a named record's page is not blamed twice
        page = pages.pop((name, offset), None)
        if page is not None and offset in found.payloads and page["sha256"] != found.payloads[offset]:
            report.problems.append(f"{name} record at offset {offset} ({page['url']}): body sha256 "
                                   "differs from pages.jsonl")


def verify_capture(store: LocalStore, capture_id: str) -> VerifyReport:
    require_sealed(store, capture_id, Unusable, "nothing to verify")
    d = store.capture_dir(capture_id)
    report = VerifyReport(capture_id)
    ledger = CustodyLedger(store.root)
    report.problems += ledger.verify()
    sealed = [e for e in ledger.events(capture_id)
              if e.event == EventKind.CAPTURE_SEALED] if not report.problems else []
    manifest_path = d / "manifest.json"
    if not manifest_path.exists():
        raise Unusable(f"capture {capture_id}: manifest.json is missing")
    _check_form(manifest_path, "manifest.json", report)
    if sealed:
        ev = sealed[-1].data
        _check_file(manifest_path, Digests(size=ev["manifest_size"], sha256=ev["manifest_sha256"],
                                           blake3=ev["manifest_blake3"]), "manifest.json", report)
    elif not report.problems:
        report.problems.append("custody.jsonl: no capture_sealed event for this capture")
    if len(sealed) > 1:
        report.problems.append(f"custody.jsonl: capture {capture_id} is sealed {len(sealed)} times (events "
                               + ", ".join(f"#{e.seq}" for e in sealed) + "); a capture is sealed once")
    try:
        artifacts = CaptureManifest.read(manifest_path).artifacts
    except ValueError as exc:
        report.problems.append(f"manifest.json: unreadable ({exc})")
        return report
    written = {e.data.get("name"): e.data for e in ledger.events(capture_id) if e.event == EventKind.ARTIFACT_WRITTEN}
    for art in artifacts:
        _check_file(store.root / art.path, art, f"{art.name} (object {art.path})", report)
        named = d / "artifacts" / art.name
        obj = store.root / art.path
        _check_form(obj, f"{art.name} (object {art.path})", report)
        _check_form(named, f"artifacts/{art.name}", report)
        if named.exists() and obj.exists() and named.stat().st_ino != obj.stat().st_ino:
            _check_file(named, art, f"artifacts/{art.name}", report)
        ev = written.get(art.name)
        if ev is None or ev.get("sha256") != art.sha256:
            report.problems.append(f"{art.name}: manifest entry does not match its artifact_written custody event")
        report.checked["artifacts"] = report.checked.get("artifacts", 0) + 1
    by_name = {a.name: a for a in artifacts}
    pages: dict[tuple[str, int], dict] = {}
    if "pages.jsonl" in by_name and (store.root / by_name["pages.jsonl"].path).exists():
        for p in iter_jsonl(store.root / by_name["pages.jsonl"].path):
            pages[(p["warc_file"], p["warc_offset"])] = p
    report.checked["pages"] = len(pages)
    for art in artifacts:
        if art.role == "warc" and (store.root / art.path).exists():
            _check_warc(store.root / art.path, art.name, pages, report)
    for (name, offset), page in sorted(pages.items()):
        report.problems.append(f"pages.jsonl: {page['url']} points to {name} offset {offset}, "
                               "where no response record is")
    if sealed:
        _check_anchor(ledger, capture_id, d, manifest_path.read_bytes(), report)
    return report


def _check_anchor(ledger: CustodyLedger, capture_id: str, folder: Path, manifest: bytes, report: VerifyReport) -> None:
    """The token(s) and signature custody names for this capture, checked against the manifest's bytes."""
    events = list(ledger.events(capture_id))
    tokens = [e.data for e in events if e.event == EventKind.CAPTURE_TIMESTAMPED]
    signatures = [e.data for e in events if e.event == EventKind.CAPTURE_SIGNED]
    read = file_reader(folder)
    report.problems += check_tokens(manifest, tokens, read)
    for sig in signatures:
        report.problems += check_signature(manifest, sig, read)
    report.checked["seal_timestamps"] = len(tokens)
    report.checked["seal_signatures"] = len(signatures)
    report.seal_anchor = {"timestamps": [{"gen_time": t.get("gen_time"), "tsa": t.get("tsa")} for t in tokens],
                          "signed_by": [s.get("fingerprint") for s in signatures]}
