"""The outbox and the spooling wrapper: nothing is lost when S3 is down, fails, or dies mid-upload."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storage.local import LocalStore
from storage.outbox import ARCHIVED, FAILED, PENDING, ArchiveOutbox
from storage.s3 import RetentionPolicy, S3ObjectLockStore
from storage.s3_client import ClientSettings, make_client
from storage.s3_upload import ChecksummedUploader
from storage.spool import Backoff, SpoolingArchiveStore
from tests.servers.moto import MotoServer, free_port
from tests.servers.s3proxy import S3Proxy

MIB = 1024 * 1024


class Harness:
    """A local store with a few sealed objects, and spools onto any endpoint sharing one outbox."""

    def __init__(self, tmp_path: Path, monkeypatch, sizes=(1000, 2000)) -> None:
        self.local = LocalStore(tmp_path / "store")
        self.monkeypatch = monkeypatch
        self.events: list[tuple[str, str | None, dict]] = []
        self.rows = []
        for i, size in enumerate(sizes):
            src = tmp_path / f"artifact{i}"
            src.write_bytes(os.urandom(size))
            obj = self.local.put_file(src)
            self.rows.append({"key": f"ev/sha256/{obj.digests.sha256}", "name": f"artifact{i}", "role": "warc",
                              "path": obj.key, "sha256": obj.digests.sha256, "blake3": obj.digests.blake3,
                              "size": obj.digests.size})

    def spool(self, url: str, bucket: str, attempts: int = 1, backoff: Backoff | None = None,
              allowed_by: str | None = None) -> SpoolingArchiveStore:
        self.monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        client = make_client(ClientSettings(max_attempts=attempts, connect_timeout_s=2, read_timeout_s=20))
        inner = S3ObjectLockStore(client, bucket, "ev", RetentionPolicy("COMPLIANCE", 1),
                                  ChecksummedUploader(client, 5 * MIB, 5 * MIB, 4))
        return SpoolingArchiveStore(inner, ArchiveOutbox(self.local.root), self.local.root,
                                    backoff or Backoff(60, 600), allowed_by,
                                    on_event=lambda event, cid, data: self.events.append((event, cid, data)))

    def named(self, event: str) -> list[dict]:
        return [data for name, _, data in self.events if name == event]

    def states(self) -> dict[str, str]:
        return {e.name: e.state for e in ArchiveOutbox(self.local.root).entries()}


def test_backoff_doubles_and_is_capped():
    b = Backoff(30, 300)
    assert [b.delay(n) for n in range(6)] == [30, 60, 120, 240, 300, 300]


def test_queueing_twice_adds_nothing(tmp_path, monkeypatch, s3_env, moto_server):
    h = Harness(tmp_path, monkeypatch)
    spool = h.spool(moto_server.url, "whatever")
    assert spool.enqueue("cap", h.rows) == 2
    assert spool.enqueue("cap", h.rows) == 0
    assert h.states() == {"artifact0": PENDING, "artifact1": PENDING}


def test_endpoint_down_keeps_everything_queued_with_backoff_until_it_returns(tmp_path, monkeypatch, s3_env,
                                                                             moto_server):
    h = Harness(tmp_path, monkeypatch)
    bucket = moto_server.locked_bucket()
    down = h.spool(f"http://127.0.0.1:{free_port()}", bucket)
    down.enqueue("cap", h.rows)
    report = down.drain()
    assert report.error_kind == "unavailable" and report.pending == 2 and "unreachable" in report.error
    entries = ArchiveOutbox(h.local.root).entries()
    assert {e.state for e in entries} == {PENDING} and all(e.attempts == 1 for e in entries)
    assert all(e.next_attempt_at > time.time() + 50 and "unreachable" in e.reason for e in entries)
    assert down.drain().pending == 0  # backing off: nothing is due yet
    # the endpoint is back; a new process (a restart) drains the outbox
    up = h.spool(moto_server.url, bucket)
    report = up.drain(force=True)
    assert (report.archived, report.pending, report.failed, report.error) == (2, 0, 0, None)
    assert h.states() == {"artifact0": ARCHIVED, "artifact1": ARCHIVED}
    archived = h.named("object_archived")
    assert sorted(a["key"] for a in archived) == sorted(r["key"] for r in h.rows)
    assert all(a["bucket"] == bucket and a["version_id"] and a["checksum_sha256"] and a["retain_until"]
               for a in archived)
    assert h.named("capture_archived") == [{"bucket": bucket, "endpoint": moto_server.url, "objects": 2}]
    assert all((h.local.root / r["path"]).exists() for r in h.rows)  # nothing local removed


def test_a_checksum_mismatch_marks_the_object_failed_never_archived(tmp_path, monkeypatch, s3_env, moto_server):
    h = Harness(tmp_path, monkeypatch)
    bucket = moto_server.locked_bucket()
    liar_key = h.rows[0]["key"]
    with S3Proxy(moto_server.url) as proxy:
        proxy.lie_about_checksum = lambda method, path: method == "PUT" and liar_key in path
        spool = h.spool(proxy.url, bucket)
        spool.enqueue("cap", h.rows)
        report = spool.drain()
    assert (report.archived, report.failed) == (1, 1)
    entry = {e.name: e for e in ArchiveOutbox(h.local.root).entries()}["artifact0"]
    assert entry.state == FAILED and "S3 answered checksum" in entry.reason and entry.version_id is None
    assert [a["key"] for a in h.named("object_archived")] == [h.rows[1]["key"]]
    assert h.named("archive_upload_failed")[0]["key"] == liar_key
    assert h.named("capture_archived") == []
    # failed rows wait for an operator; put back in the queue (archive push), the honest endpoint's HEAD
    # shows the bytes did arrive intact: archived without uploading again
    spool = h.spool(moto_server.url, bucket)
    assert spool.drain(force=True).archived == 0
    assert ArchiveOutbox(h.local.root).requeue_failed("cap") == 1
    report = spool.drain(force=True)
    assert (report.archived, report.already_there) == (1, 1) and h.states()["artifact0"] == ARCHIVED


def test_an_interrupted_multipart_upload_is_aborted_and_redone(tmp_path, monkeypatch, s3_env, moto_server):
    h = Harness(tmp_path, monkeypatch, sizes=(12 * MIB,))
    bucket = moto_server.locked_bucket()
    with S3Proxy(moto_server.url) as proxy:
        proxy.drop_when = lambda method, path: "partNumber=2" in path  # the connection dies on part 2
        spool = h.spool(proxy.url, bucket)
        spool.enqueue("cap", h.rows)
        report = spool.drain()
    assert report.error_kind == "unavailable" and report.archived == 0
    entry = ArchiveOutbox(h.local.root).entries()[0]
    assert entry.state == PENDING and entry.upload_id is None  # aborted: the endpoint still answered
    client = moto_server.client()
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    report = h.spool(moto_server.url, bucket).drain(force=True)
    assert report.archived == 1 and h.states() == {"artifact0": ARCHIVED}


def test_endpoint_killed_mid_multipart_leaves_no_archived_orphan_and_restarts_cleanly(tmp_path, monkeypatch,
                                                                                       s3_env):
    h = Harness(tmp_path, monkeypatch, sizes=(12 * MIB, 3000))
    server = MotoServer().start()
    try:
        bucket = server.locked_bucket()
        with S3Proxy(server.url) as proxy:
            proxy.before_forward = lambda method, path: server.kill() if "partNumber=2" in path else None
            spool = h.spool(proxy.url, bucket)
            spool.enqueue("cap", h.rows)
            report = spool.drain()
        assert report.error_kind == "unavailable" and report.archived == 0 and report.pending == 2
        entries = {e.name: e for e in ArchiveOutbox(h.local.root).entries()}
        assert entries["artifact0"].state == PENDING and entries["artifact0"].upload_id  # to abort later
        assert h.named("object_archived") == []
        # the endpoint comes back empty on the same port (state lost); the bucket is made again
        server = MotoServer(port=server.port).start()
        bucket_again = server.client().create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        assert bucket_again["ResponseMetadata"]["HTTPStatusCode"] == 200
        report = h.spool(server.url, bucket).drain(force=True)
        assert (report.archived, report.failed, report.pending) == (2, 0, 0)
        entries = {e.name: e for e in ArchiveOutbox(h.local.root).entries()}
        assert all(e.state == ARCHIVED and e.upload_id is None for e in entries.values())
        head = server.client().head_object(Bucket=bucket, Key=h.rows[0]["key"])
        assert head["ContentLength"] == 12 * MIB and head["ObjectLockMode"] == "COMPLIANCE"
    finally:
        server.stop()


def test_an_unlocked_bucket_is_used_only_when_allowed_and_that_is_recorded(tmp_path, monkeypatch, s3_env,
                                                                             moto_server):
    h = Harness(tmp_path, monkeypatch)
    bucket = moto_server.plain_bucket()
    spool = h.spool(moto_server.url, bucket)
    spool.enqueue("cap", h.rows)
    report = spool.drain()
    assert report.error_kind == "config" and "no Object Lock" in report.error and report.pending == 2
    report = h.spool(moto_server.url, bucket, allowed_by="--allow-unlocked").drain(force=True)
    assert report.archived == 2
    assert h.named("archive_unlocked_bucket_allowed")[0]["allowed_by"] == "--allow-unlocked"
    assert ArchiveOutbox(h.local.root).captures()["cap"]["unlocked_allowed"] == "--allow-unlocked"
    assert all(a["retain_until"] is None for a in h.named("object_archived"))


def test_an_outage_while_small_objects_are_in_flight_leaves_them_all_pending(tmp_path, monkeypatch, s3_env,
                                                                            moto_server):
    h = Harness(tmp_path, monkeypatch, sizes=[1500 + i for i in range(12)])
    bucket = moto_server.locked_bucket()
    with S3Proxy(moto_server.url) as proxy:
        proxy.drop_when = lambda method, path: method == "PUT"  # every upload dies; HEADs still answer
        spool = h.spool(proxy.url, bucket)
        spool.enqueue("cap", h.rows)
        report = spool.drain()
    assert (report.archived, report.failed, report.pending, report.error_kind) == (0, 0, 12, "unavailable")
    assert set(h.states().values()) == {PENDING} and h.named("object_archived") == []
    assert h.spool(moto_server.url, bucket).drain(force=True).archived == 12


def test_captures_sharing_an_object_upload_it_once(tmp_path, monkeypatch, s3_env, moto_server):
    h = Harness(tmp_path, monkeypatch, sizes=(1000, 2000, 3000))
    bucket = moto_server.locked_bucket()
    spool = h.spool(moto_server.url, bucket)
    for cid in ("cap-a", "cap-b", "cap-c"):
        spool.enqueue(cid, h.rows)  # the same content-addressed keys in three captures, drained together
    report = spool.drain()
    assert (report.archived, report.already_there) == (9, 6)
    versions = moto_server.client().list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == 3
    by_key = {}
    for e in ArchiveOutbox(h.local.root).entries():
        by_key.setdefault(e.key, set()).add(e.version_id)
    assert all(len(v) == 1 for v in by_key.values())
