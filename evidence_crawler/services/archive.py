"""Archive sealed captures to S3 with Object Lock: config + outbox + S3 store + custody ledger.

1. A sealed capture is *queued*: one outbox row per artifact (``<prefix>/sha256/<hex>``) plus its manifest
   twice (content address and ``<prefix>/captures/<id>/manifest.json``); ``archive_queued`` in custody.
2. The outbox is *drained* (:class:`storage.spool.SpoolingArchiveStore`): each object is uploaded write-once
   and proven; every proven object becomes an ``object_archived`` custody event (bucket, key, version id,
   checksum, retain-until); a capture whose objects are all proven gets ``capture_archived``.
3. ``run_crawl`` queues and drains right after sealing (:func:`archive_after_seal`); ``archive push`` does
   it by hand and puts failed objects back in the queue.

The sealed manifest cannot change after sealing, so the decision to accept a bucket without Object Lock
is recorded in custody (``archive_unlocked_bucket_allowed``) and in the outbox, and, when
``EVIDENCE_S3_ALLOW_UNLOCKED`` was set during the crawl, in the manifest's settings too.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, cast
from urllib.parse import quote

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import ArchiveRecord, CaptureManifest, EventKind
from evidence_crawler.services.captures import CaptureNotFound, read_state, require_sealed
from storage.base import open_store
from storage.local import LocalStore
from storage.outbox import ARCHIVED, FAILED, PENDING, ArchiveOutbox, OutboxEntry
from storage.s3 import RetentionPolicy, S3ObjectLockStore, init_bucket
from storage.s3_client import ArchiveError, ClientSettings, make_client
from storage.s3_upload import ChecksummedUploader
from storage.spool import Backoff, SpoolingArchiveStore

log = logging.getLogger(__name__)
NOT_QUEUED = "not queued"


class ArchiveUnusable(Exception):
    """Nothing to do: S3 not configured, no such capture, capture not sealed."""


def _client(config: EvidenceConfig):
    return make_client(ClientSettings(max_attempts=config.s3_max_attempts,
                                      connect_timeout_s=config.s3_connect_timeout_s,
                                      read_timeout_s=config.s3_read_timeout_s,
                                      max_pool_connections=config.s3_max_concurrency + 2))


def s3_store(config: EvidenceConfig, store: LocalStore, bucket: str | None = None) -> S3ObjectLockStore:
    """The S3 store as configured; its refusals (delete, overwrite) go into this store's custody ledger."""
    bucket = bucket or config.s3_bucket
    if not bucket:
        raise ArchiveUnusable("S3 archiving is not configured: set EVIDENCE_S3_BUCKET (and the usual AWS_* "
                              "variables or AWS_PROFILE; AWS_ENDPOINT_URL for MinIO or a local endpoint)")
    client = _client(config)
    uploader = ChecksummedUploader(client, config.s3_multipart_threshold_bytes, config.s3_multipart_chunk_bytes,
                                   config.s3_max_concurrency)
    policy = RetentionPolicy(config.s3_retention_mode, config.s3_retention_days, config.s3_legal_hold)
    ledger = CustodyLedger(store.root)
    s3 = open_store(archive_uri(bucket, config.s3_prefix), client=client, policy=policy, uploader=uploader,
                    on_refusal=lambda event, data: ledger.append(event, None, **data))
    return cast(S3ObjectLockStore, s3)


def archive_uri(bucket: str, prefix: str) -> str:
    """``EVIDENCE_S3_BUCKET`` + ``EVIDENCE_S3_PREFIX`` as the store URI that names them."""
    return f"s3://{bucket}/{quote(prefix.strip('/'))}"


def open_archive(config: EvidenceConfig, store: LocalStore, allow_unlocked: bool = False) -> SpoolingArchiveStore:
    ledger = CustodyLedger(store.root)
    allowed_by = ("--allow-unlocked" if allow_unlocked else
                  "EVIDENCE_S3_ALLOW_UNLOCKED" if config.s3_allow_unlocked else None)
    return SpoolingArchiveStore(s3_store(config, store), ArchiveOutbox(store.root), store.root,
                                Backoff(config.s3_retry_base_s, config.s3_retry_max_s), allowed_by,
                                on_event=lambda event, cid, data: ledger.append(event, cid, **data),
                                parallel=config.s3_max_concurrency)


def sealed_state(store: LocalStore, capture_id: str) -> dict[str, Any]:
    return require_sealed(store, capture_id, ArchiveUnusable, "nothing to archive")


def capture_objects(store: LocalStore, capture_id: str, s3: S3ObjectLockStore) -> list[ArchiveRecord]:
    """Outbox rows for a sealed capture: every manifest artifact, then the manifest under two keys."""
    state = sealed_state(store, capture_id)
    manifest_sha = state["manifest_sha256"]
    manifest_path = store.object_path(manifest_sha)
    digests = digest_file(manifest_path)
    if digests.sha256 != manifest_sha:
        raise ArchiveUnusable(f"capture {capture_id}: the stored manifest does not match its sealed hash; run "
                              f"`evidence-crawler captures verify {capture_id}`")
    manifest = CaptureManifest.read(manifest_path)
    rows = [ArchiveRecord(key=s3.key_for(a.sha256), **a.model_dump()) for a in manifest.artifacts]
    rel = str(manifest_path.relative_to(store.root))
    for key in (s3.key_for(manifest_sha), s3.manifest_key(capture_id)):
        rows.append(ArchiveRecord(key=key, name="manifest.json", role="manifest", path=rel, sha256=manifest_sha,
                                  blake3=digests.blake3, size=digests.size))
    return rows


def queue_capture(archive: SpoolingArchiveStore, store: LocalStore, capture_id: str) -> int:
    rows = capture_objects(store, capture_id, archive.inner)
    added = archive.enqueue(capture_id, [r.model_dump() for r in rows])
    if added:
        CustodyLedger(store.root).append(EventKind.ARCHIVE_QUEUED, capture_id, bucket=archive.bucket,
                                         endpoint=archive.inner.endpoint, objects=added,
                                         bytes=sum(r.size for r in rows))
    return added


def push(config: EvidenceConfig, store: LocalStore, capture_id: str | None = None,
         allow_unlocked: bool = False) -> dict[str, Any]:
    """Queue (one capture, or every sealed capture not yet queued), retry failed objects, drain now."""
    archive = open_archive(config, store, allow_unlocked)
    outbox = archive.outbox
    if capture_id:
        ids = [capture_id]
        queue_capture(archive, store, capture_id)
    else:
        queued = outbox.captures()
        ids = [cid for cid in store.capture_ids() if cid in queued or _is_sealed(store, cid)]
        for cid in ids:
            if cid not in queued:
                queue_capture(archive, store, cid)
    outbox.requeue_failed(capture_id)
    report = archive.drain(capture_id, force=True)
    return {"drain": report.as_dict(), "captures": capture_status(store, capture_id) if capture_id else
            [s for s in capture_status(store) if s["capture_id"] in set(ids)]}


def _is_sealed(store: LocalStore, capture_id: str) -> bool:
    try:
        return read_state(store, capture_id)["state"] == "sealed"
    except CaptureNotFound:
        return False


def archive_after_seal(config: EvidenceConfig, store: LocalStore, capture_id: str) -> dict[str, Any]:
    """Queue the capture just sealed and drain what is due. Never raises: the capture is sealed locally
    whatever S3 does; the returned ``state`` (archived / pending / failed) and ``reason`` say what happened."""
    try:
        archive = open_archive(config, store)
        queue_capture(archive, store, capture_id)
        report = archive.drain()
        error = report.error
    except Exception as exc:  # noqa: BLE001 - reported in the summary and the log; the outbox keeps the rest
        error = str(exc) if isinstance(exc, ArchiveError | ArchiveUnusable) else f"{type(exc).__name__}: {exc}"
    if _safe_queued(store, capture_id):
        status = capture_status(store, capture_id)[0]
    else:
        status = {"capture_id": capture_id, "state": NOT_QUEUED}
    if error and status["state"] != ARCHIVED:
        status["reason"] = error
    if status["state"] != ARCHIVED:
        log.warning("archive of %s: %s: %s", capture_id, status["state"], status.get("reason", ""))
    return status


def _safe_queued(store: LocalStore, capture_id: str) -> bool:
    try:
        return capture_id in ArchiveOutbox(store.root).captures()
    except Exception:  # noqa: BLE001 - the outbox itself is unreadable: "not queued" says enough
        return False


def capture_status(store: LocalStore, capture_id: str | None = None, detail: bool = False) -> list[dict[str, Any]]:
    """Per capture: archived / pending / failed (+ reason) from the outbox; sealed but never queued
    captures show as "not queued". Works offline."""
    outbox = ArchiveOutbox(store.root)
    queued = outbox.captures()
    if capture_id:
        sealed_state(store, capture_id)
        ids = [capture_id]
    else:
        ids = sorted(set(queued) | {c for c in store.capture_ids() if _is_sealed(store, c)})
    by_capture: dict[str, list[OutboxEntry]] = {cid: [] for cid in ids}
    for e in outbox.entries(capture_id):
        by_capture.setdefault(e.capture_id, []).append(e)
    return [_summarize(cid, by_capture.get(cid, []), queued.get(cid), detail) for cid in ids]


def _summarize(capture_id: str, entries: list[OutboxEntry], meta: dict[str, Any] | None,
               detail: bool) -> dict[str, Any]:
    if meta is None or not entries:
        return {"capture_id": capture_id, "state": NOT_QUEUED, "objects": 0, "archived": 0, "pending": 0,
                "failed": 0, "reason": "sealed before S3 archiving was configured, or never pushed"}
    counts = Counter(e.state for e in entries)
    state = FAILED if counts[FAILED] else PENDING if counts[PENDING] else ARCHIVED
    problems = [e for e in entries if e.state == state and e.reason] if state != ARCHIVED else []
    out: dict[str, Any] = {
        "capture_id": capture_id, "state": state, "bucket": ", ".join(sorted({e.bucket for e in entries})),
        "objects": len(entries),
        "archived": counts[ARCHIVED], "pending": counts[PENDING], "failed": counts[FAILED],
        "reason": problems[0].reason if problems else "", "queued_at": meta["queued_at"],
        "archived_at": meta["archived_at"], "unlocked_allowed": meta["unlocked_allowed"],
        "attempts": max(e.attempts for e in entries),
    }
    if detail:
        out["objects_detail"] = [{"name": e.name, "key": e.key, "state": e.state, "size": e.size,
                                  "version_id": e.version_id, "checksum_sha256": e.checksum_sha256,
                                  "retention_mode": e.retention_mode, "retain_until": e.retain_until,
                                  "attempts": e.attempts, "reason": e.reason} for e in entries]
    return out


def create_bucket(config: EvidenceConfig, name: str) -> dict[str, Any]:
    check = init_bucket(_client(config), name)
    return {"bucket": check.bucket, "endpoint": check.endpoint, "object_lock": check.object_lock,
            "versioning": check.versioning}
