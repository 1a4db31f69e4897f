"""HTTPS certificates, WARC rotation, the SQLite index and the `scrapy crawl` entry point."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT
from tests.servers.tinyshop import PROFILE, TinyShop, self_signed_context


def test_https_server_certificate_is_kept_and_referenced(cli, write_profile, tmp_path):
    ctx, der = self_signed_context(tmp_path)
    with TinyShop(items=5, tls=ctx) as shop:
        summary = cli.crawl(write_profile(PROFILE.format(url=shop.base_url)))
    assert summary["state"] == "sealed" and summary["items"] == 5
    cert_sha = hashlib.sha256(der).hexdigest()
    pems, refs = [], set()
    with open(summary["warc_files"][0], "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "metadata":
                pems.append(rec.content_stream().read())
            if rec.rec_type == "response":
                refs.add(rec.rec_headers.get_header("WARC-X-TLS-Certificate-SHA256"))
    assert len(pems) == 1 and b"BEGIN CERTIFICATE" in pems[0]
    assert refs == {cert_sha}
    pages = cli.json("captures", "show", summary["capture_id"], "--json")["pages"]
    assert all(p["url"].startswith("https://") for p in pages)


def test_warc_files_rotate_and_the_capture_still_verifies(cli, write_profile):
    with TinyShop(items=30, padding=5_000) as shop:
        summary = cli.crawl(write_profile(PROFILE.format(url=shop.base_url)),
                            env={"EVIDENCE_WARC_ROTATE_BYTES": "50000"})
    assert len(summary["warc_files"]) >= 3
    warcio = Path(sys.executable).parent / "warcio"
    assert subprocess.run([str(warcio), "check", *summary["warc_files"]]).returncode == 0
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0


def test_index_is_derived_and_rebuildable(cli, write_profile):
    with TinyShop(items=12) as shop:
        summary = cli.crawl(write_profile(PROFILE.format(url=shop.base_url)))
    db_path = cli.store / "index.sqlite"
    count = lambda: sqlite3.connect(db_path).execute(  # noqa: E731
        "SELECT COUNT(*) FROM offers WHERE capture_id=? AND currency='USD'", (summary["capture_id"],)).fetchone()[0]
    assert count() == 12
    db_path.unlink()
    assert cli.run("reindex").returncode == 0
    assert count() == 12


def test_scrapy_crawl_entry_point_makes_the_same_sealed_capture(tmp_path, write_profile):
    with TinyShop(items=6) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        env = {**os.environ, "EVIDENCE_STORE": str(tmp_path / "store"), "EVIDENCE_ALLOW_PRIVATE": "1",
               "EVIDENCE_AUTOTHROTTLE": "0"}
        proc = subprocess.run([str(Path(sys.executable).parent / "scrapy"), "crawl", "storefront", "-a",
                               f"profile={profile}"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (state_file,) = (tmp_path / "store" / "captures").glob("*/state.json")
    state = json.loads(state_file.read_text())
    assert state["state"] == "sealed" and state["counts"]["items"] == 6
