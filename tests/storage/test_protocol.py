"""The store protocol: the local store, the S3 store (on moto_server) and the spool behave alike.

Each backend must put a file once under its sha256 (putting the same bytes again changes nothing), stat it
with the same digests, and open the same bytes; an unknown object stats as None.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence_crawler.hashing import digest_file, digest_stream
from storage.base import ArtifactStore, StoredObject, open_store
from storage.local import LocalStore
from storage.outbox import ARCHIVED, PENDING, ArchiveOutbox
from storage.s3 import RetentionPolicy
from storage.s3_client import ClientSettings, make_client
from storage.spool import Backoff, SpoolingArchiveStore

META = {"capture-id": "cap-1", "name": "part.warc.gz", "role": "warc"}


def _s3(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    client = make_client(ClientSettings(max_attempts=1, connect_timeout_s=2, read_timeout_s=20))
    return open_store(f"s3://{moto_server.locked_bucket()}/ev", client=client, policy=RetentionPolicy("COMPLIANCE", 1))


@pytest.fixture(params=["local", "s3", "spool"])
def backend(request, tmp_path, monkeypatch) -> tuple[ArtifactStore, Path]:
    """(store, folder its source files must be in): the spool queues files that are in its local store."""
    local = LocalStore(tmp_path / "store")
    if request.param == "local":
        return local, tmp_path
    request.getfixturevalue("s3_env")
    s3 = _s3(request.getfixturevalue("moto_server"), monkeypatch)
    if request.param == "s3":
        return s3, tmp_path
    local.root.mkdir()
    return SpoolingArchiveStore(s3, ArchiveOutbox(local.root), local.root, Backoff(60, 600)), local.root


def test_every_store_puts_stats_and_opens_by_sha256(backend):
    store, folder = backend
    assert isinstance(store, ArtifactStore)
    src = folder / "blob"
    src.write_bytes(os.urandom(50_000))
    digests = digest_file(src)
    assert store.stat(digests.sha256) is None
    obj = store.put_file(src, digests, META)
    assert isinstance(obj, StoredObject) and obj.digests == digests and digests.sha256 in obj.key
    assert store.put_file(src, metadata=META).key == obj.key  # the same bytes again: the same object
    assert store.stat(digests.sha256) == digests
    with store.open(digests.sha256) as fh:
        assert digest_stream(fh) == digests


def test_the_spool_answers_for_an_object_before_and_after_it_is_drained(s3_env, moto_server, tmp_path, monkeypatch):
    local = LocalStore(tmp_path / "store")
    spool = SpoolingArchiveStore(_s3(moto_server, monkeypatch), ArchiveOutbox(local.root), local.root)
    src = local.root / "captures" / "cap-1" / "part.warc.gz"
    src.parent.mkdir(parents=True)
    src.write_bytes(os.urandom(20_000))
    digests = digest_file(src)
    assert spool.put_file(src, digests, META).state == PENDING
    assert spool.inner.stat(digests.sha256) is None  # nothing sent yet: only queued
    with spool.open(digests.sha256) as fh:
        assert digest_stream(fh) == digests  # read from the local store it waits in
    assert spool.drain().archived == 1
    [row] = ArchiveOutbox(local.root).entries("cap-1")
    assert (row.state, row.name, row.role, row.path) == (ARCHIVED, "part.warc.gz", "warc",
                                                         "captures/cap-1/part.warc.gz")
    assert spool.inner.stat(digests.sha256) == digests
    with spool.open(digests.sha256) as fh:
        assert digest_stream(fh) == digests  # now from S3


def test_the_spool_refuses_objects_without_a_capture_or_outside_its_store(tmp_path):
    local = LocalStore(tmp_path / "store")
    spool = SpoolingArchiveStore(open_store("s3://b/ev"), ArchiveOutbox(local.root), local.root)
    outside = tmp_path / "elsewhere"
    outside.write_bytes(b"x")
    with pytest.raises(ValueError, match="capture-id"):
        spool.put_file(outside)
    with pytest.raises(ValueError):
        spool.put_file(outside, metadata=META)
    assert ArchiveOutbox(local.root).entries() == []
