"""S3ObjectLockStore against a real moto_server over HTTP (no in-process mocks of boto3)."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from evidence_crawler.hashing import digest_file
from evidence_crawler.models import Digests
from storage.s3 import RetentionPolicy, S3ObjectLockStore, init_bucket
from storage.s3_client import (
    ArchiveConfigError,
    ArchiveIntegrityError,
    ArchiveUnavailable,
    ClientSettings,
    WriteOnceRefused,
    make_client,
)
from storage.s3_upload import ChecksummedUploader, composite_checksum
from tests.servers.moto import free_port
from tests.servers.s3proxy import FAKE_CHECKSUM, S3Proxy

MIB = 1024 * 1024


def make_store(monkeypatch, url: str, bucket: str, policy: RetentionPolicy | None = None,
               events: list | None = None, attempts: int = 1) -> S3ObjectLockStore:
    """The store as the service builds it: boto3's standard chain, endpoint from AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    client = make_client(ClientSettings(max_attempts=attempts, connect_timeout_s=2, read_timeout_s=20))
    sink = events if events is not None else []
    return S3ObjectLockStore(client, bucket, "ev", policy or RetentionPolicy("COMPLIANCE", 30),
                             ChecksummedUploader(client, 5 * MIB, 5 * MIB, 4),
                             on_refusal=lambda event, data: sink.append((event, data)))


def write(tmp_path: Path, size: int, name: str = "blob") -> tuple[Path, Digests]:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path, digest_file(path)


def test_upload_carries_sha256_checksum_metadata_and_compliance_retention(s3_env, moto_server, tmp_path,
                                                                          monkeypatch):
    bucket = moto_server.locked_bucket()
    store = make_store(monkeypatch, moto_server.url, bucket)
    path, d = write(tmp_path, 70_000)
    obj = store.put_file(path, digests=d, metadata={"capture-id": "cap-1"})
    assert obj.key == f"ev/sha256/{d.sha256}" and not obj.existed and obj.parts == 0
    assert obj.checksum_sha256 == base64.b64encode(bytes.fromhex(d.sha256)).decode()
    assert obj.retention_mode == "COMPLIANCE" and obj.version_id
    until = datetime.fromisoformat(obj.retain_until.replace("Z", "+00:00"))
    assert abs(until - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    head = moto_server.client().head_object(Bucket=bucket, Key=obj.key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == obj.checksum_sha256 and head["ContentLength"] == d.size
    assert head["Metadata"] == {"sha256": d.sha256, "blake3": d.blake3, "capture-id": "cap-1"}
    assert store.stat(d.sha256) == d
    with store.open(d.sha256) as body:
        assert hashlib.sha256(body.read()).hexdigest() == d.sha256


def test_pushing_the_same_bytes_again_is_skipped_not_reuploaded(s3_env, moto_server, tmp_path, monkeypatch):
    bucket = moto_server.locked_bucket()
    store = make_store(monkeypatch, moto_server.url, bucket)
    path, d = write(tmp_path, 1000)
    first = store.put_file(path, digests=d)
    again = store.put_file(path, digests=d)
    assert again.existed and again.version_id == first.version_id and again.checksum_sha256 == first.checksum_sha256
    versions = moto_server.client().list_object_versions(Bucket=bucket, Prefix=first.key)["Versions"]
    assert len(versions) == 1


def test_a_conditional_put_never_replaces_an_existing_key(s3_env, moto_server, tmp_path, monkeypatch):
    """Without looking first, If-None-Match makes S3 refuse the PUT; the HEAD then decides."""
    bucket = moto_server.locked_bucket()
    events: list = []
    store = make_store(monkeypatch, moto_server.url, bucket, events=events)
    path, d = write(tmp_path, 1000)
    first = store.put_file(path, digests=d, look_first=False)
    again = store.put_file(path, digests=d, look_first=False)
    assert again.existed and again.version_id == first.version_id
    other, d2 = write(tmp_path, 1000, "other")
    moto_server.client().put_object(Bucket=bucket, Key=store.key_for(d2.sha256), Body=b"forged")
    with pytest.raises(WriteOnceRefused):
        store.put_file(other, digests=d2, look_first=False)
    client = moto_server.client()
    assert len(client.list_object_versions(Bucket=bucket)["Versions"]) == 2
    assert client.get_object(Bucket=bucket, Key=store.key_for(d2.sha256))["Body"].read() == b"forged"
    assert [e for e, _ in events] == ["archive_overwrite_refused"]


def test_multipart_checksum_is_composite_and_dropped_retention_is_set_again(s3_env, moto_server, tmp_path,
                                                                          monkeypatch):
    """moto drops Object Lock headers on CreateMultipartUpload: the read-back must notice and fix it."""
    bucket = moto_server.locked_bucket()
    store = make_store(monkeypatch, moto_server.url, bucket, RetentionPolicy("GOVERNANCE", 7, legal_hold=True))
    path, d = write(tmp_path, 12 * MIB + 123)
    obj = store.put_file(path, digests=d)
    assert obj.parts == 3 and obj.checksum_sha256 == composite_checksum(path, 5 * MIB)
    assert obj.checksum_sha256.endswith("-3")
    head = moto_server.client().head_object(Bucket=bucket, Key=obj.key)
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockLegalHoldStatus"] == "ON"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=6)
    assert head["Metadata"]["part-size"] == str(5 * MIB)
    again = store.put_file(path, digests=d)  # idempotent for multipart objects too (composite recomputed)
    assert again.existed and again.parts == 3
    assert moto_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_overwriting_a_key_with_other_content_is_refused_and_reported(s3_env, moto_server, tmp_path, monkeypatch):
    bucket = moto_server.locked_bucket()
    events: list = []
    store = make_store(monkeypatch, moto_server.url, bucket, events=events)
    path, d = write(tmp_path, 2000)
    key = store.key_for(d.sha256)
    moto_server.client().put_object(Bucket=bucket, Key=key, Body=b"something else")
    with pytest.raises(WriteOnceRefused, match="already holds other content"):
        store.put_file(path, digests=d)
    assert [e for e, _ in events] == ["archive_overwrite_refused"] and events[0][1]["key"] == key
    assert moto_server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == b"something else"


def test_delete_through_our_api_is_refused_and_reported_and_the_lock_holds(s3_env, moto_server, tmp_path,
                                                                            monkeypatch):
    bucket = moto_server.locked_bucket()
    events: list = []
    store = make_store(monkeypatch, moto_server.url, bucket, events=events)
    path, d = write(tmp_path, 500)
    obj = store.put_file(path, digests=d)
    with pytest.raises(WriteOnceRefused, match="write-once"):
        store.delete(obj.key, obj.version_id)
    assert events == [("archive_delete_refused", {"bucket": bucket, "key": obj.key, "version_id": obj.version_id,
                                                  "reason": events[0][1]["reason"]})]
    # and behind our API, the server's Object Lock refuses it as well
    with pytest.raises(ClientError, match="AccessDenied"):
        moto_server.client().delete_object(Bucket=bucket, Key=obj.key, VersionId=obj.version_id)
    assert store.head(obj.key, obj.version_id) is not None


def test_a_server_answering_another_checksum_is_an_integrity_failure(s3_env, moto_server, tmp_path, monkeypatch):
    bucket = moto_server.locked_bucket()
    path, d = write(tmp_path, 4000)
    with S3Proxy(moto_server.url) as proxy:
        proxy.lie_about_checksum = lambda method, p: method == "PUT"
        store = make_store(monkeypatch, proxy.url, bucket)
        with pytest.raises(ArchiveIntegrityError, match=f"S3 answered checksum {FAKE_CHECKSUM}"):
            store.put_file(path, digests=d)
    path2, d2 = write(tmp_path, 4000, "second")
    with S3Proxy(moto_server.url) as proxy:  # the PUT answer is right, the HEAD afterwards is not
        proxy.lie_about_checksum = lambda method, p: method == "HEAD"
        store = make_store(monkeypatch, proxy.url, bucket)
        with pytest.raises(ArchiveIntegrityError, match="HEAD reports checksum"):
            store.put_file(path2, digests=d2)


def test_a_server_that_keeps_no_checksum_is_read_back_and_rehashed(s3_env, moto_server, tmp_path, monkeypatch):
    bucket = moto_server.locked_bucket()
    path, d = write(tmp_path, 5000)
    with S3Proxy(moto_server.url) as proxy:
        proxy.hide_checksum = lambda method, p: True
        store = make_store(monkeypatch, proxy.url, bucket)
        obj = store.put_file(path, digests=d)
        assert not obj.existed and ("GET", f"/{bucket}/{obj.key}?versionId={obj.version_id}") in proxy.requests
        assert store.put_file(path, digests=d).existed  # and the same way when it is already there


def test_a_damaged_local_object_is_never_uploaded(s3_env, moto_server, tmp_path, monkeypatch):
    bucket = moto_server.locked_bucket()
    store = make_store(monkeypatch, moto_server.url, bucket)
    for size in (3000, 11 * MIB):
        path, d = write(tmp_path, size, f"f{size}")
        with open(path, "r+b") as fh:  # one flipped byte after hashing
            fh.seek(size // 2)
            byte = fh.read(1)
            fh.seek(size // 2)
            fh.write(bytes([byte[0] ^ 1]))
        with pytest.raises(ArchiveIntegrityError, match="does not match its manifest entry"):
            store.put_file(path, digests=d)
        assert store.head(store.key_for(d.sha256)) is None
    assert moto_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_bucket_problems_are_clear_errors(s3_env, moto_server, moto_auth_server, monkeypatch):
    store = make_store(monkeypatch, moto_server.url, "no-such-bucket-here")
    with pytest.raises(ArchiveConfigError, match="does not exist .*archive init-bucket no-such-bucket-here"):
        store.check_bucket()
    unlocked = moto_server.plain_bucket()
    store = make_store(monkeypatch, moto_server.url, unlocked)
    with pytest.raises(ArchiveConfigError, match="has no Object Lock"):
        store.require_lock(allow_unlocked=False)
    assert store.require_lock(allow_unlocked=True).object_lock is False
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    store = make_store(monkeypatch, moto_auth_server.url, "any-bucket")
    with pytest.raises(ArchiveConfigError, match="rejected the credentials"):
        store.check_bucket()
    store = make_store(monkeypatch, f"http://127.0.0.1:{free_port()}", "any-bucket")
    with pytest.raises(ArchiveUnavailable, match="unreachable"):
        store.check_bucket()


def test_init_bucket_creates_versioning_and_object_lock(s3_env, moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    client = make_client(ClientSettings())
    check = init_bucket(client, "made-by-init-bucket")
    assert (check.object_lock, check.versioning) == (True, "Enabled")
    assert init_bucket(client, "made-by-init-bucket").object_lock  # again: checked, not changed
    unlocked = moto_server.plain_bucket()
    with pytest.raises(ArchiveConfigError, match="without Object Lock"):
        init_bucket(client, unlocked)
