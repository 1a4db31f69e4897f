"""``archive push|status|verify|init-bucket`` and the archive-after-seal hook, as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.servers.moto import free_port
from tests.servers.tinyshop import PROFILE, TinyShop


@pytest.fixture(scope="module")
def shop():
    with TinyShop(items=12) as shop:
        yield shop


@pytest.fixture
def profile(shop, write_profile):
    return write_profile(PROFILE.format(url=shop.base_url))


def custody(cli, event: str, capture_id: str | None = None) -> list[dict]:
    lines = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    return [e for e in lines if e["event"] == event and (capture_id is None or e["capture_id"] == capture_id)]


@pytest.mark.slow
def test_a_sealed_capture_is_archived_write_once_and_verifies(cli, profile, s3_env, moto_server):
    init = cli.json("archive", "init-bucket", "evidence-cli", "--json")
    assert init == {"bucket": "evidence-cli", "endpoint": moto_server.url, "object_lock": True,
                    "versioning": "Enabled"}
    env = {"EVIDENCE_S3_BUCKET": "evidence-cli", "EVIDENCE_S3_PREFIX": "court"}
    summary = cli.crawl(profile, env=env)
    cid = summary["capture_id"]
    assert summary["state"] == "sealed"
    assert summary["archive"]["state"] == "archived" and summary["archive"]["failed"] == 0
    manifest = json.loads((cli.store / "captures" / cid / "manifest.json").read_text())
    manifest_sha = json.loads((cli.store / "captures" / cid / "state.json").read_text())["manifest_sha256"]
    expected = {f"court/sha256/{a['sha256']}" for a in manifest["artifacts"]}
    expected |= {f"court/sha256/{manifest_sha}", f"court/captures/{cid}/manifest.json"}
    client = moto_server.client()
    listed = {o["Key"] for o in client.list_objects_v2(Bucket="evidence-cli", Prefix="court/")["Contents"]}
    assert listed == expected
    warc = next(a for a in manifest["artifacts"] if a["role"] == "warc")
    head = client.head_object(Bucket="evidence-cli", Key=f"court/sha256/{warc['sha256']}")
    assert head["Metadata"]["blake3"] == warc["blake3"] and head["Metadata"]["capture-id"] == cid
    assert head["ObjectLockMode"] == "COMPLIANCE"
    archived = custody(cli, "object_archived", cid)
    assert {e["data"]["key"] for e in archived} == expected
    assert all({"bucket", "key", "version_id", "checksum_sha256", "retain_until"} <= e["data"].keys()
               and e["data"]["version_id"] for e in archived)
    assert len(custody(cli, "capture_archived", cid)) == 1
    status = cli.json("archive", "status", cid, "--json", env=env)
    assert (status["state"], status["archived"], status["objects"]) == ("archived", len(expected), len(expected))
    assert cli.run("archive", "verify", cid, env=env).returncode == 0
    report = cli.json("archive", "verify", cid, "--download", "--json", env=env)
    assert report["valid"] and report["checked"]["downloaded"] == len(expected)
    # pushing again is idempotent: nothing re-uploaded, no new versions
    push = cli.json("archive", "push", "--json", env=env)
    assert push["drain"]["archived"] == 0
    versions = client.list_object_versions(Bucket="evidence-cli", Prefix="court/")["Versions"]
    assert len(versions) == len(expected)
    # a second capture shares identical objects (profile.yaml): found in the bucket, not uploaded again
    second = cli.crawl(profile, env=env)
    assert second["archive"]["state"] == "archived"
    reused = [e["data"] for e in custody(cli, "object_archived", second["capture_id"]) if e["data"]["existed"]]
    assert any(d["name"] == "profile.yaml" for d in reused)
    # the local store keeps everything
    assert cli.run("captures", "verify", cid).returncode == 0


@pytest.mark.slow
def test_endpoint_down_the_capture_seals_queues_and_drains_when_it_returns(cli, profile, s3_env, moto_server):
    bucket = moto_server.locked_bucket()
    env = {"EVIDENCE_S3_BUCKET": bucket, "EVIDENCE_S3_RETRY_BASE_S": "0"}
    down = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    first = cli.crawl(profile, env=down)
    assert first["state"] == "sealed" and first["archive"]["state"] == "pending"
    assert "unreachable" in first["archive"]["reason"]
    status = cli.json("archive", "status", first["capture_id"], "--json")
    assert status["state"] == "pending" and status["pending"] == status["objects"] and "unreachable" in status["reason"]
    proc = cli.run("archive", "push", first["capture_id"], env=down)
    assert proc.returncode == 1 and "stay queued" in proc.stderr
    # the endpoint is back: the next crawl's hook drains the outbox, the earlier capture included
    second = cli.crawl(profile, env=env)
    assert second["archive"]["state"] == "archived"
    rows = {r["capture_id"]: r for r in cli.json("archive", "status", "--json")}
    assert rows[first["capture_id"]]["state"] == "archived"
    assert cli.run("archive", "verify", first["capture_id"], env=env).returncode == 0


@pytest.mark.slow
def test_unlocked_bucket_is_refused_then_allowed_recorded_and_an_overwrite_fails_verify(cli, profile, s3_env,
                                                                                       moto_server):
    bucket = moto_server.plain_bucket()  # versioned, but without Object Lock
    moto_server.client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    env = {"EVIDENCE_S3_BUCKET": bucket}
    summary = cli.crawl(profile, env=env)
    cid = summary["capture_id"]
    assert summary["archive"]["state"] == "pending" and "no Object Lock" in summary["archive"]["reason"]
    proc = cli.run("archive", "push", cid, env=env)
    assert proc.returncode == 2 and "has no Object Lock" in proc.stderr and "--allow-unlocked" in proc.stderr
    assert cli.run("archive", "push", cid, "--allow-unlocked", env=env).returncode == 0
    allowed = custody(cli, "archive_unlocked_bucket_allowed", cid)
    assert len(allowed) == 1 and allowed[0]["data"]["allowed_by"] == "--allow-unlocked"
    assert cli.json("archive", "status", cid, "--json")["unlocked_allowed"] == "--allow-unlocked"
    proc = cli.run("archive", "verify", cid, env=env)
    assert proc.returncode == 0 and "no Object Lock" in proc.stderr
    # someone overwrites archived objects behind our back: one byte flipped, same size, the metadata copied
    # and a valid SHA-256 of the forged bytes; another one replaced by a plain upload
    manifest = json.loads((cli.store / "captures" / cid / "manifest.json").read_text())
    items = next(a for a in manifest["artifacts"] if a["name"] == "items.jsonl")
    pages = next(a for a in manifest["artifacts"] if a["name"] == "pages.jsonl")
    client = moto_server.client()
    key, pages_key = f"evidence/sha256/{items['sha256']}", f"evidence/sha256/{pages['sha256']}"
    original = client.get_object(Bucket=bucket, Key=key)
    body = bytearray(original["Body"].read())
    body[len(body) // 2] ^= 1
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body), Metadata=original["Metadata"],
                      ChecksumAlgorithm="SHA256")
    client.put_object(Bucket=bucket, Key=pages_key, Body=b'{"forged": true}\n')
    report = cli.json("archive", "verify", cid, "--json", env=env, expect=1)
    assert not report["valid"]
    mine = [p for p in report["problems"] if key in p]
    assert any("S3 checksum" in p for p in mine) and any("not the archived version" in p for p in mine)
    assert not any("bytes in S3" in p or "metadata" in p for p in mine)  # only the checksum can tell
    assert any(pages_key in p and "no SHA-256 checksum" in p for p in report["problems"])
    proc = cli.run("archive", "verify", cid, "--download", env=env)
    assert proc.returncode == 1 and "downloaded bytes do not match" in proc.stderr


def test_allow_unlocked_set_for_the_crawl_goes_into_the_manifest(cli, profile, s3_env, moto_server):
    bucket = moto_server.plain_bucket()
    summary = cli.crawl(profile, env={"EVIDENCE_S3_BUCKET": bucket, "EVIDENCE_S3_ALLOW_UNLOCKED": "1"})
    assert summary["archive"]["state"] == "archived"
    manifest = json.loads((cli.store / "captures" / summary["capture_id"] / "manifest.json").read_text())
    assert manifest["settings"]["EVIDENCE_S3_ALLOW_UNLOCKED"] is True
    allowed = custody(cli, "archive_unlocked_bucket_allowed", summary["capture_id"])
    assert allowed[0]["data"]["allowed_by"] == "EVIDENCE_S3_ALLOW_UNLOCKED"


@pytest.mark.slow
def test_configuration_errors_are_clear_and_exit_2(cli, profile, s3_env, moto_server, moto_auth_server):
    summary = cli.crawl(profile)  # no bucket configured: nothing queued
    cid = summary["capture_id"]
    assert "archive" not in summary
    assert cli.json("archive", "status", cid, "--json")["state"] == "not queued"
    proc = cli.run("archive", "push", cid)
    assert proc.returncode == 2 and "EVIDENCE_S3_BUCKET" in proc.stderr
    proc = cli.run("archive", "push", cid, env={"EVIDENCE_S3_BUCKET": "missing-bucket"})
    assert proc.returncode == 2 and "bucket 'missing-bucket' does not exist" in proc.stderr
    assert "archive init-bucket missing-bucket" in proc.stderr
    wrong = {"EVIDENCE_S3_BUCKET": "any-bucket", "AWS_ENDPOINT_URL": moto_auth_server.url,
             "AWS_ACCESS_KEY_ID": "AKIANOTAREALKEY00000", "AWS_SECRET_ACCESS_KEY": "wrong"}
    proc = cli.run("archive", "push", cid, env=wrong)
    assert proc.returncode == 2 and "rejected the credentials (InvalidAccessKeyId)" in proc.stderr
    assert "wrong" not in proc.stderr.replace("wrong credentials", "")  # no secret echoed
    proc = cli.run("archive", "init-bucket", "some-bucket", env=wrong)
    assert proc.returncode == 2 and "rejected the credentials" in proc.stderr
    assert cli.json("archive", "status", cid, "--json")["state"] == "pending"  # still queued, not lost
    assert cli.run("archive", "verify", "no-such-capture", env={"EVIDENCE_S3_BUCKET": "x"}).returncode == 2
    assert cli.run("archive", "status", "no-such-capture").returncode == 2
