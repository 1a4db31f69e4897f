"""SpoolingArchiveStore: the S3 archive behind the outbox, so that an S3 outage loses nothing.

A wrapper store around :class:`storage.s3.S3ObjectLockStore` (the style guide: "a spool for S3 outages is
a wrapper store, not a flag in s3.py"). ``enqueue`` only writes rows into the local outbox, so it cannot
fail because S3 is down; ``drain`` moves due rows into S3 one by one:

1. check the bucket (reachable, credentials, exists, Object Lock or an explicit, recorded exception);
2. abort any multipart upload a previous attempt left behind (killed process, endpoint lost mid-upload);
3. upload and prove each object (``S3ObjectLockStore.put_file``): large ones one at a time (their parts go
   in parallel), small ones several at a time, the manifests last; report each (``object_archived``) and only
   then mark the row archived, so the ledger never misses an archived object;
4. on an outage or a configuration problem stop, and keep every remaining row pending with the reason and
   a backoff; on an object-level failure (checksum mismatch, refused overwrite, damaged local object) mark
   that row failed and go on with the next.

Events go to ``on_event(event, capture_id, data)``; the service writes them into the custody ledger.

As an :class:`storage.base.ArtifactStore` it answers for what it holds: ``put_file`` queues one object
(``metadata`` names its capture), ``stat`` and ``open`` find an object whether it is archived or still
waiting in the local store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from evidence_crawler.hashing import digest_file
from evidence_crawler.models import Digests, EventKind
from storage.outbox import ARCHIVED, ArchiveOutbox, OutboxEntry
from storage.s3 import ArchivedObject, S3ObjectLockStore
from storage.s3_client import ArchiveConfigError, ArchiveError, ArchiveUnavailable, classify

EventSink = Callable[[str, str | None, dict[str, Any]], None]


@dataclass(frozen=True)
class Backoff:
    base_s: float = 30.0
    max_s: float = 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones: base, 2×base, 4×base, … capped."""
        return min(self.max_s, self.base_s * (2 ** max(0, attempts)))


@dataclass
class DrainReport:
    bucket: str
    archived: int = 0
    already_there: int = 0
    failed: int = 0
    pending: int = 0
    bytes_uploaded: int = 0
    error: str | None = None  # why the drain stopped early (outage or configuration)
    error_kind: str | None = None  # "unavailable" | "config"
    captures: list[str] = field(default_factory=list)  # captures that had due rows

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SpoolingArchiveStore:
    def __init__(self, inner: S3ObjectLockStore, outbox: ArchiveOutbox, local_root: Path,
                 backoff: Backoff | None = None, unlocked_allowed_by: str | None = None,
                 on_event: EventSink = lambda event, capture_id, data: None, parallel: int = 8) -> None:
        self.inner = inner
        self.outbox = outbox
        self.local_root = Path(local_root)
        self.backoff = backoff or Backoff()
        self.unlocked_allowed_by = unlocked_allowed_by  # "--allow-unlocked", "EVIDENCE_S3_ALLOW_UNLOCKED" or None
        self.on_event = on_event
        self.parallel = parallel  # small objects in flight at once

    @property
    def bucket(self) -> str:
        return self.inner.bucket

    def enqueue(self, capture_id: str, entries: list[dict[str, Any]]) -> int:
        return self.outbox.enqueue(capture_id, self.bucket, entries)

    def put_file(self, src: Path, digests: Digests | None = None,
                 metadata: Mapping[str, str] | None = None) -> OutboxEntry:
        """Queue ``src`` (a file in the local store) for its content address; it is uploaded at the next
        drain. ``metadata``: ``capture-id`` (required: the outbox archives captures), ``name``, ``role``."""
        meta = dict(metadata or {})
        if not meta.get("capture-id"):
            raise ValueError("the spool queues objects per capture: metadata needs a 'capture-id'")
        digests = digests or digest_file(src)
        path = Path(src).absolute().relative_to(self.local_root.absolute())  # ValueError: not in the store
        key = self.inner.key_for(digests.sha256)
        self.enqueue(meta["capture-id"], [{"key": key, "name": meta.get("name", path.name),
                                           "role": meta.get("role", "artifact"), "path": str(path),
                                           **digests.model_dump()}])
        return next(e for e in self.outbox.entries(meta["capture-id"]) if e.key == key)

    def stat(self, sha256: str) -> Digests | None:
        """From the outbox when it holds the object (no round trip); else whatever S3 has."""
        row = self.outbox.held(self.inner.key_for(sha256))
        return self.inner.stat(sha256) if row is None else row.digests

    def open(self, sha256: str) -> BinaryIO:
        """Archived objects from S3; one still waiting, from the local store it waits in."""
        row = self.outbox.held(self.inner.key_for(sha256))
        if row is not None and row.state != ARCHIVED:
            return open(self.local_root / row.path, "rb")
        return self.inner.open(sha256)

    def delete(self, key: str, version_id: str | None = None) -> None:
        self.inner.delete(key, version_id)  # always refused, and reported

    def drain(self, capture_id: str | None = None, force: bool = False) -> DrainReport:
        """Upload what is due (everything queued with ``force``), optionally only one capture's rows."""
        report = DrainReport(self.bucket)
        with self.outbox.draining():
            rows = self.outbox.due(self.bucket, capture_id, force=force)
            report.captures = sorted({r.capture_id for r in rows})
            if not rows:
                return report
            try:
                check = self.inner.require_lock(self.unlocked_allowed_by is not None)
            except ArchiveError as exc:
                self._stop(rows, exc, report)
                return report
            if not check.object_lock:
                self._record_unlocked(report.captures, check.endpoint)
            artifacts = [r for r in rows if r.role != "manifest"]
            manifests = [r for r in rows if r.role == "manifest"]  # last: their presence means the rest went first
            if self._run_once_per_key(artifacts, report):
                self._run_once_per_key(manifests, report)
            for cid in report.captures:
                if self.outbox.note_capture_archived(cid):
                    self.on_event(EventKind.CAPTURE_ARCHIVED, cid,
                                  {"bucket": self.bucket, "endpoint": self.inner.endpoint,
                                   "objects": len(self.outbox.entries(cid))})
        return report

    def _run_once_per_key(self, rows: list[OutboxEntry], report: DrainReport) -> bool:
        """Captures share content-addressed keys: never upload one key twice at once (that would make two
        versions); a later row with the same key finds the object there and is only checked."""
        while rows:
            seen: set[str] = set()
            first: list[OutboxEntry] = []
            later: list[OutboxEntry] = []
            for row in rows:
                (later if row.key in seen else first).append(row)
                seen.add(row.key)
            if not self._run(first, report):
                self._stop(later, None, report)
                return False
            rows = later
        return True

    def _run(self, rows: list[OutboxEntry], report: DrainReport) -> bool:
        """Large objects one at a time (their parts go in parallel), small ones ``parallel`` at a time.
        Results are booked on this thread. False when an outage or a configuration problem stopped it."""
        big = [r for r in rows if r.size > self.inner.uploader.threshold]
        small = [r for r in rows if r.size <= self.inner.uploader.threshold]
        for i, row in enumerate(big):
            if not self._book(row, lambda row=row: self._attempt(row), report):
                self._stop(big[i + 1:] + small, None, report)
                return False
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="s3-object") as pool:
            futures = {pool.submit(self._attempt, row): row for row in small}
            going = True
            for fut in as_completed(futures):
                if going:
                    going = self._book(futures[fut], fut.result, report)
                    if not going:
                        for other in futures:
                            other.cancel()
                elif fut.cancelled():
                    self._stop([futures[fut]], None, report)
                else:
                    self._book(futures[fut], fut.result, report)
        return going

    def _attempt(self, row: OutboxEntry) -> ArchivedObject:
        if row.upload_id:
            try:
                self.inner.uploader.abort(self.bucket, row.key, row.upload_id)
            except Exception as exc:
                raise self._classified(exc, f"abort of an old upload of {row.key}") from exc
            self.outbox.set_upload(row, None)
        return self.inner.put_file(
            self.local_root / row.path, key=row.key,
            digests=row.digests,
            metadata={"capture-id": row.capture_id, "name": row.name},
            look_first=self.outbox.is_archived(row.key),  # else a conditional PUT finds out, without a HEAD
            on_upload=lambda upload_id: self.outbox.set_upload(row, upload_id))

    def _book(self, row: OutboxEntry, outcome: Callable[[], ArchivedObject], report: DrainReport) -> bool:
        """Record the outcome of one attempt (run it, or collect it from the pool); False: stop the drain."""
        try:
            obj = outcome()
        except (ArchiveUnavailable, ArchiveConfigError) as exc:
            self._stop([row], exc, report)
            return False
        except (ArchiveError, OSError) as exc:
            reason = str(exc) if isinstance(exc, ArchiveError) else f"local object unreadable: {exc}"
            self.outbox.mark_failed(row, reason)
            self.on_event(EventKind.ARCHIVE_UPLOAD_FAILED, row.capture_id,
                          {"bucket": self.bucket, "key": row.key, "name": row.name, "reason": reason})
            report.failed += 1
            return True
        data = {**obj.as_dict(), "name": row.name, "role": row.role, "sha256": row.sha256, "blake3": row.blake3,
                "endpoint": self.inner.endpoint}
        self.on_event(EventKind.OBJECT_ARCHIVED, row.capture_id, data)  # the ledger first: never an unrecorded archive
        self.outbox.mark_archived(row, data)
        report.archived += 1
        if obj.existed:
            report.already_there += 1
        else:
            report.bytes_uploaded += obj.size
        return True

    def _classified(self, exc: Exception, action: str) -> ArchiveError:
        return classify(exc, action=action, bucket=self.bucket, endpoint=self.inner.endpoint)

    def _stop(self, rows: list[OutboxEntry], exc: ArchiveError | None, report: DrainReport) -> None:
        """An outage or a configuration problem: nothing is lost, every remaining row waits (backoff).
        ``exc`` None: rows not tried because of the error already in the report."""
        if exc is not None:
            report.error = str(exc)
            report.error_kind = ("config" if isinstance(exc, ArchiveConfigError) else
                                 "unavailable" if isinstance(exc, ArchiveUnavailable) else "error")
        for row in rows:
            self.outbox.mark_retry(row, report.error or "", self.backoff.delay(row.attempts))
        report.pending += len(rows)

    def _record_unlocked(self, capture_ids: list[str], endpoint: str) -> None:
        for cid in capture_ids:
            if self.outbox.note_unlocked(cid, self.unlocked_allowed_by or ""):
                self.on_event(EventKind.ARCHIVE_UNLOCKED_BUCKET_ALLOWED, cid,
                              {"bucket": self.bucket, "endpoint": endpoint, "allowed_by": self.unlocked_allowed_by,
                               "note": "the bucket has no Object Lock: archived objects could be deleted or "
                                       "overwritten there"})
