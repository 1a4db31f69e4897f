"""What a court relies on: bytes as received, sha256 digests, warcio check, tamper detection."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.tinyshop import PROFILE, TinyShop

WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """One sealed capture of a gzip-serving shop, shared by the read-only checks below."""
    from tests.conftest import Cli

    tmp = tmp_path_factory.mktemp("sealed")
    cli = Cli(tmp / "store")
    with TinyShop(items=25, gzip=True) as shop:
        profile = tmp / "p.yaml"
        profile.write_text(PROFILE.format(url=shop.base_url))
        summary = cli.crawl(profile)
        served = dict(shop.served)
        base = shop.base_url[:-1]
    return cli, summary, served, base


def test_capture_is_sealed_with_all_items(sealed):
    cli, summary, _, _ = sealed
    assert summary["state"] == "sealed" and summary["items"] == 25 and summary["offers"] == 25
    items = cli.items(summary["capture_id"])
    assert {i["fields"]["title"] for i in items} == {f"Item {n}" for n in range(1, 26)}
    assert all(i["offers"][0]["currency"] == "USD" for i in items)


def test_page_digest_is_sha256_of_the_compressed_bytes_the_server_sent(sealed):
    cli, summary, served, base = sealed
    pages = cli.json("captures", "show", summary["capture_id"], "--json")["pages"]
    checked = 0
    for page in pages:
        path = page["url"].removeprefix(base)
        if path in served and page["status"] == 200:
            assert page["sha256"] == hashlib.sha256(served[path]).hexdigest(), path
            checked += 1
    assert checked >= 25
    for item in cli.items(summary["capture_id"]):
        raw = served[item["url"].removeprefix(base)]
        assert item["page_sha256"] == hashlib.sha256(raw).hexdigest()
        assert gzip.decompress(raw)  # stored still gzip-encoded, exactly as received


def test_warc_records_carry_sha256_digests_and_pass_warcio_check(sealed):
    from warcio.archiveiterator import ArchiveIterator

    _, summary, _, _ = sealed
    for warc in summary["warc_files"]:
        proc = subprocess.run([str(WARCIO), "check", "-v", warc], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest pass" in proc.stdout
        with open(warc, "rb") as fh:
            records = list((r.rec_type, r.rec_headers) for r in ArchiveIterator(fh))
        assert records[0][0] == "warcinfo"
        for rec_type, headers in records:
            if rec_type in ("request", "response"):
                assert headers.get_header("WARC-Block-Digest").startswith("sha256:")
                assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
                assert len(headers.get_header("WARC-Date")) == len("2026-01-01T00:00:00.000000Z")
            if rec_type == "response":
                assert headers.get_header("WARC-Payload-Digest").startswith("sha256:")
                assert headers.get_header("WARC-X-Payload-BLAKE3").startswith("blake3:")


def test_manifest_lists_artifacts_profile_and_environment(sealed):
    _, summary, _, _ = sealed
    manifest = json.loads(Path(summary["manifest"]).read_text())
    roles = {a["role"] for a in manifest["artifacts"]}
    assert {"warc", "pages", "items", "errors", "profile"} <= roles
    for art in manifest["artifacts"]:
        assert len(art["sha256"]) == 64 and len(art["blake3"]) == 64 and art["size"] > 0 or art["role"] == "errors"
    env = manifest["environment"]
    assert env["tool"]["name"] == "evidence-crawler" and "scrapy" in env["dependencies"]
    assert "127.0.0.1" in env["dns"] and env["hostname"] and env["user_agent"]
    assert manifest["settings"]["EVIDENCE_ALLOW_PRIVATE"] is True
    assert not os.access(summary["manifest"], os.W_OK) or os.geteuid() == 0
    assert stat.S_IMODE(os.stat(summary["manifest"]).st_mode) == 0o444


def test_verify_passes_on_an_untouched_capture(sealed):
    cli, summary, _, _ = sealed
    report = cli.json("captures", "verify", summary["capture_id"], "--json")
    assert report["valid"] and report["checked"]["pages"] >= 25


def _flip(path: Path, offset: int) -> bytes:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    original = bytes(data)
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return original


def _restore(path: Path, original: bytes) -> None:
    path.write_bytes(original)
    os.chmod(path, 0o444)


def test_a_flipped_byte_in_any_artifact_is_named(sealed):
    cli, summary, _, _ = sealed
    manifest = json.loads(Path(summary["manifest"]).read_text())
    store = cli.store
    targets = [(store / a["path"], a["name"]) for a in manifest["artifacts"] if a["size"]]
    targets.append((Path(summary["manifest"]), "manifest.json"))
    for path, name in targets:
        original = _flip(path, len(path.read_bytes()) // 2)
        try:
            proc = cli.run("captures", "verify", summary["capture_id"])
            assert proc.returncode == 1, name
            assert name in proc.stderr, (name, proc.stderr[:500])
        finally:
            _restore(path, original)
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0


def test_a_tampered_custody_line_is_detected(sealed):
    cli, summary, _, _ = sealed
    ledger = cli.store / "custody.jsonl"
    original = ledger.read_bytes()
    lines = original.splitlines(keepends=True)
    event = json.loads(lines[1])
    event["data"]["sha256"] = "0" * 64
    try:
        ledger.write_bytes(lines[0] + (json.dumps(event) + "\n").encode() + b"".join(lines[2:]))
        proc = cli.run("captures", "verify", summary["capture_id"])
        assert proc.returncode == 1 and "custody.jsonl line 2" in proc.stderr
        ledger.write_bytes(b"".join(lines[:1] + lines[2:]))  # a deleted line breaks the chain too
        proc = cli.run("captures", "verify", summary["capture_id"])
        assert proc.returncode == 1 and "custody.jsonl line 2" in proc.stderr
    finally:
        ledger.write_bytes(original)


def test_verify_of_unknown_capture_is_unusable_input(cli):
    proc = cli.run("captures", "verify", "no-such-capture")
    assert proc.returncode == 2 and "no capture" in proc.stderr
