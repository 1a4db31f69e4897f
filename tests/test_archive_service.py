"""The archive service's refusals land in the custody ledger (delete, overwrite), in-process on a real endpoint."""

from __future__ import annotations

import os

import pytest

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.services.archive import open_archive
from storage.local import LocalStore
from storage.outbox import FAILED, ArchiveOutbox
from storage.s3_client import WriteOnceRefused


def _archive(tmp_path, moto_server):
    store = LocalStore(tmp_path / "store")
    bucket = moto_server.locked_bucket()
    config = EvidenceConfig(store=store.root, s3_bucket=bucket, s3_max_attempts=1)
    src = tmp_path / "artifact"
    src.write_bytes(os.urandom(3000))
    obj = store.put_file(src)
    row = {"key": f"evidence/sha256/{obj.digests.sha256}", "name": "artifact", "role": "warc", "path": obj.key,
           "sha256": obj.digests.sha256, "blake3": obj.digests.blake3, "size": obj.digests.size}
    return store, open_archive(config, store), row


def events(store: LocalStore, name: str) -> list:
    return [e for e in CustodyLedger(store.root).events() if e.event == name]


def test_deleting_an_archived_object_is_refused_and_written_to_custody(tmp_path, s3_env, moto_server):
    store, archive, row = _archive(tmp_path, moto_server)
    archive.enqueue("cap", [row])
    assert archive.drain().archived == 1
    with pytest.raises(WriteOnceRefused, match="never deleted"):
        archive.delete(row["key"])
    refused = events(store, "archive_delete_refused")
    assert len(refused) == 1 and refused[0].data["key"] == row["key"] and refused[0].data["bucket"] == archive.bucket
    assert archive.inner.head(row["key"]) is not None
    assert (store.root / row["path"]).exists()
    assert CustodyLedger(store.root).verify() == []


def test_overwriting_a_key_is_refused_marked_failed_and_written_to_custody(tmp_path, s3_env, moto_server):
    store, archive, row = _archive(tmp_path, moto_server)
    moto_server.client().put_object(Bucket=archive.bucket, Key=row["key"], Body=b"not the sealed bytes")
    archive.enqueue("cap", [row])
    report = archive.drain()
    assert (report.archived, report.failed) == (0, 1)
    entry = ArchiveOutbox(store.root).entries("cap")[0]
    assert entry.state == FAILED and "write-once: not overwritten" in entry.reason
    assert events(store, "archive_overwrite_refused")[0].data["key"] == row["key"]
    assert events(store, "archive_upload_failed")[0].data["key"] == row["key"]
    assert events(store, "object_archived") == []
