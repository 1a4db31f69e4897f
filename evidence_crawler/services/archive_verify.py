"""``archive verify ID``: is every object of a sealed capture in the bucket, as we archived it?

For each artifact and the manifest (both keys), a HEAD of the object as S3 serves it now:

- present, with the manifest's size and the checksum S3 keeps (plain SHA-256, or composite for a multipart
  upload, recomputed from the local object and the part size in the object's metadata);
- sha256 and blake3 in its metadata equal to the manifest's;
- still the version we archived (a newer version means it was overwritten or re-created after archiving);
- in a locked bucket: a retention at least until the recorded retain-until, and the legal hold if we set one.

``--download`` also reads every object and re-hashes the bytes (sha256 and blake3): servers that do not
check checksums (emulators) are caught only this way. Exit codes as for ``captures verify``: 0 valid,
1 mismatch (every problem named), 2 unusable (no such capture, not sealed, S3 not configured or unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.hashing import digest_stream
from evidence_crawler.models import ArchiveRecord, Digests
from evidence_crawler.services.archive import ArchiveUnusable, capture_objects, s3_store, sealed_state
from storage.local import LocalStore
from storage.outbox import ArchiveOutbox
from storage.s3 import S3ObjectLockStore
from storage.s3_client import ArchiveError
from storage.s3_upload import same_checksum


@dataclass
class ArchiveVerifyReport:
    capture_id: str
    bucket: str
    endpoint: str
    object_lock: bool = False
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "bucket": self.bucket, "endpoint": self.endpoint,
                "object_lock": self.object_lock, "valid": self.ok, "checked": self.checked,
                "problems": self.problems, "notes": self.notes}

    def count(self, what: str) -> None:
        self.checked[what] = self.checked.get(what, 0) + 1


def verify_archive(config: EvidenceConfig, store: LocalStore, capture_id: str,
                   download: bool = False) -> ArchiveVerifyReport:
    sealed_state(store, capture_id)
    archived = {e.key: e for e in ArchiveOutbox(store.root).entries(capture_id)}
    bucket = next((e.bucket for e in archived.values() if e.state == "archived"), None) or config.s3_bucket
    s3 = s3_store(config, store, bucket=bucket)
    try:
        check = s3.check_bucket()
        rows = capture_objects(store, capture_id, s3)
    except ArchiveError as exc:
        raise ArchiveUnusable(str(exc)) from None
    report = ArchiveVerifyReport(capture_id, s3.bucket, s3.endpoint, check.object_lock)
    if not check.object_lock:
        report.notes.append(f"bucket {s3.bucket!r} has no Object Lock (accepted with --allow-unlocked / "
                            "EVIDENCE_S3_ALLOW_UNLOCKED): its objects could be deleted or overwritten")
    for row in rows:
        rec = archived.get(row.key)
        if rec is None or rec.state != "archived":
            report.notes.append(f"{row.key}: the outbox says {rec.state if rec else 'not queued'}")
        try:
            _check_object(s3, store, row, rec, check.object_lock, download, report)
        except ArchiveError as exc:
            raise ArchiveUnusable(f"cannot check {row.key}: {exc}") from None
    return report


def _check_object(s3: S3ObjectLockStore, store: LocalStore, row: ArchiveRecord, rec: Any, locked: bool,
                  download: bool, report: ArchiveVerifyReport) -> None:
    key, label = row.key, f"{row.name} (s3://{s3.bucket}/{row.key})"
    report.count("objects")
    head = s3.head(key)
    if head is None:
        report.problems.append(f"{label}: missing from the bucket")
        return
    local = store.root / row.path
    digests = Digests(sha256=row.sha256, blake3=row.blake3, size=row.size)
    if head["ContentLength"] != row.size:
        report.problems.append(f"{label}: {head['ContentLength']} bytes in S3, {row.size} in the manifest")
    if head.get("ChecksumSHA256") is None:  # we upload nothing without one: replaced, or a server that keeps none
        if download:
            report.notes.append(f"{label}: S3 reports no SHA-256 checksum; checked by downloading it")
        else:
            report.problems.append(f"{label}: S3 reports no SHA-256 checksum (replaced by an upload without one, "
                                   "or a server that keeps none): check its bytes with --download")
    elif local.exists():
        expected = s3.expected_checksum(local, digests, head)
        if not same_checksum(head.get("ChecksumSHA256"), expected):
            report.problems.append(f"{label}: S3 checksum {head.get('ChecksumSHA256')} != {expected} of the "
                                   "sealed bytes")
    if not local.exists():
        report.problems.append(f"{label}: the local object {row.path} is missing; run captures verify")
    meta = head.get("Metadata", {})
    for algo in ("sha256", "blake3"):
        if meta.get(algo) != getattr(row, algo):
            report.problems.append(f"{label}: {algo} in the object metadata is {meta.get(algo)!r}, "
                                   f"not the manifest's")
    if rec is not None and rec.version_id and head.get("VersionId") != rec.version_id:
        report.problems.append(f"{label}: the current version {head.get('VersionId')} is not the archived "
                               f"version {rec.version_id} (overwritten or re-created after archiving)")
    if locked:
        _check_retention(head, rec, label, report)
    if download:
        with s3.open_key(key, head.get("VersionId")) as body:
            got = digest_stream(body)
        report.count("downloaded")
        if (got.sha256, got.blake3, got.size) != (row.sha256, row.blake3, row.size):
            report.problems.append(f"{label}: the downloaded bytes do not match the manifest (sha256 "
                                   f"{got.sha256[:16]}…, blake3 {got.blake3[:16]}…, {got.size} bytes)")


def _check_retention(head: dict[str, Any], rec: Any, label: str, report: ArchiveVerifyReport) -> None:
    until = head.get("ObjectLockRetainUntilDate")
    if until is None:
        report.problems.append(f"{label}: no Object Lock retention")
        return
    if until <= datetime.now(UTC):
        report.problems.append(f"{label}: retention expired on {until.isoformat()}")
    recorded = getattr(rec, "retain_until", None)
    if recorded and until < datetime.fromisoformat(recorded.replace("Z", "+00:00")):
        report.problems.append(f"{label}: retained until {until.isoformat()}, earlier than the {recorded} recorded "
                               "when it was archived")
    if rec is not None and rec.retention_mode and head.get("ObjectLockMode") != rec.retention_mode:
        report.problems.append(f"{label}: retention mode {head.get('ObjectLockMode')}, archived as "
                               f"{rec.retention_mode}")
    if rec is not None and rec.legal_hold and head.get("ObjectLockLegalHoldStatus") != "ON":
        report.problems.append(f"{label}: the legal hold set when archiving is gone")
    report.count("retention")
