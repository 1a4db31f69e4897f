"""A line of the custody ledger (``custody.jsonl``) and every kind of event it records."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from evidence_crawler.models.base import Frozen


class EventKind(StrEnum):
    """Every event the ledger can hold; a new kind is added here, never spelt at a call site."""

    # a capture's life
    CAPTURE_STARTED = "capture_started"
    CAPTURE_RESUMED = "capture_resumed"
    ARTIFACT_WRITTEN = "artifact_written"
    CAPTURE_SEALED = "capture_sealed"
    CAPTURE_TIMESTAMPED = "capture_timestamped"  # an RFC 3161 token over the sealed manifest (capture.anchor)
    CAPTURE_SIGNED = "capture_signed"  # the operator's signature over the sealed manifest
    SEAL_TIMESTAMP_FAILED = "seal_timestamp_failed"  # a TSA gave no token at seal
    CAPTURE_FAILED = "capture_failed"
    CAPTURE_INTERRUPTED = "capture_interrupted"
    CAPTURE_DISCARDED = "capture_discarded"
    SCHEDULE_RUN = "schedule_run"
    EXPORTED = "exported"
    LEDGER_REPAIRED = "ledger_repaired"  # a torn last line cut: bytes_cut, sha256, text_cut (custody.py)
    # the S3 archive
    ARCHIVE_QUEUED = "archive_queued"
    OBJECT_ARCHIVED = "object_archived"
    CAPTURE_ARCHIVED = "capture_archived"
    ARCHIVE_UPLOAD_FAILED = "archive_upload_failed"
    ARCHIVE_UNLOCKED_BUCKET_ALLOWED = "archive_unlocked_bucket_allowed"
    ARCHIVE_DELETE_REFUSED = "archive_delete_refused"
    ARCHIVE_OVERWRITE_REFUSED = "archive_overwrite_refused"
    # repertoire matching
    REPERTOIRE_IMPORTED = "repertoire_imported"
    FINDINGS_COMPUTED = "findings_computed"


class CustodyEvent(Frozen):
    seq: int
    ts: str
    event: EventKind
    capture_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)  # what the event states; its keys depend on ``event``
    prev: str  # hash of the previous event ("0"*64 for the first)
    hash: str  # sha256 over the canonical JSON of every other field
