"""The local content-addressed store and the URI scheme map that picks a store."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from evidence_crawler.hashing import digest_file
from storage.base import STORE_SCHEMES, open_store, scheme_of
from storage.local import LocalStore
from storage.s3 import S3ObjectLockStore


def test_put_places_bytes_under_their_sha256_read_only(tmp_path):
    store = LocalStore(tmp_path / "store")
    src = tmp_path / "page.html"
    src.write_bytes(b"<p>offer</p>")
    obj = store.put_file(src)
    d = digest_file(src)
    assert obj.digests == d and obj.key == f"objects/sha256/{d.sha256[:2]}/{d.sha256}"
    assert stat.S_IMODE(os.stat(store.root / obj.key).st_mode) == 0o444
    assert store.stat(d.sha256) == d
    with store.open(d.sha256) as fh:
        assert fh.read() == b"<p>offer</p>"


def test_same_bytes_twice_are_one_object_and_a_damaged_object_is_refused(tmp_path):
    store = LocalStore(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert store.put_file(a).key == store.put_file(b).key
    assert len([p for p in (tmp_path / "objects").rglob("*") if p.is_file()]) == 1
    digests = digest_file(a)
    obj_path = store.object_path(digests.sha256)
    os.chmod(obj_path, 0o644)
    obj_path.write_bytes(b"same, but longer")
    with pytest.raises(OSError, match="different size"):
        store.put_file(a, digests)


def test_stat_of_an_unknown_object_is_none(tmp_path):
    assert LocalStore(tmp_path).stat("0" * 64) is None


def test_plain_paths_and_file_uris_open_a_local_store(tmp_path):
    for uri in (tmp_path, str(tmp_path), f"file://{tmp_path}", f"file://localhost{tmp_path}"):
        store = open_store(uri)
        assert isinstance(store, LocalStore) and store.root == tmp_path
    assert open_store("relative/store").root == Path.cwd() / "relative" / "store"
    assert open_store(f"file://{tmp_path}/with%20space").root == tmp_path / "with space"
    with pytest.raises(ValueError, match="on this machine"):
        open_store("file://otherhost/srv/store")


def test_s3_uris_open_an_s3_store_with_bucket_and_prefix():
    store = open_store("s3://evidence/court/2024")  # a client from the standard chain
    assert isinstance(store, S3ObjectLockStore)
    assert (store.bucket, store.prefix) == ("evidence", "court/2024")
    assert store.key_for("ab" * 32) == f"court/2024/sha256/{'ab' * 32}"
    assert open_store("s3://evidence").prefix == ""


def test_unknown_schemes_are_refused_by_name():
    assert set(STORE_SCHEMES) == {"file", "s3"}
    assert scheme_of("C:/evidence") == "file" and scheme_of("S3://b/p") == "s3"
    with pytest.raises(ValueError, match="no store for scheme 'gs'.*file, s3"):
        open_store("gs://bucket/prefix")
