"""Capture lifecycle: kill -9 leaves an incomplete capture that resumes without refetching; disk full fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.servers.tinyshop import PROFILE, TinyShop


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_kill_9_leaves_incomplete_capture_that_resumes_without_refetching(cli, write_profile, tmp_path):
    with TinyShop(items=120, delay_s=0.05) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        proc = cli.start("crawl", str(profile), "--allow-private", "--json", env={"EVIDENCE_CONCURRENCY": "4"})
        deadline = time.time() + 60
        pages_file = None
        while time.time() < deadline:
            found = list((cli.store / "captures").glob("*/work/pages.jsonl")) if cli.store.exists() else []
            if found and _lines(found[0]) >= 40:
                pages_file = found[0]
                break
            time.sleep(0.05)
        assert pages_file is not None, "crawl never got going"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        listed = cli.json("captures", "list", "--json")
        assert [c["state"] for c in listed] == ["incomplete"]
        capture_id = listed[0]["id"]
        assert cli.run("captures", "verify", capture_id).returncode == 2  # not sealed: unusable, not "valid"
        recorded_before = {json.loads(line)["url"] for line in pages_file.read_bytes().splitlines()}
        hits_before = dict(shop.hits)

        summary = cli.crawl(profile, "--resume", capture_id, env={"EVIDENCE_CONCURRENCY": "4"})
        assert summary["capture_id"] == capture_id and summary["state"] == "sealed"
        assert summary["items"] == 120
        refetched = [u for u in recorded_before
                     if shop.hits[u.removeprefix(shop.base_url[:-1])] > hits_before.get(
                         u.removeprefix(shop.base_url[:-1]), 0)]
        assert refetched == [], f"recorded pages fetched again on resume: {refetched[:5]}"
        items = [i for i in cli.items(capture_id) if i["kind"] == "product" and not i.get("duplicate_of")]
        assert sorted(int(i["fields"]["title"].split()[1]) for i in items) == list(range(1, 121))
        assert cli.run("captures", "verify", capture_id).returncode == 0
        events = [json.loads(line)["event"] for line in (cli.store / "custody.jsonl").read_text().splitlines()]
        assert "capture_resumed" in events and events[-1] == "capture_sealed"


@pytest.mark.slow
def test_incomplete_capture_can_be_discarded_and_is_kept_on_disk(cli, write_profile):
    with TinyShop(items=200, delay_s=0.05) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        # AutoThrottle on, as a user's default: slow enough to be killed mid-crawl
        proc = cli.start("crawl", str(profile), "--allow-private", env={"EVIDENCE_AUTOTHROTTLE": "1"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and not list(cli.store.glob("captures/*/work/warc/*.warc.gz")):
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    capture_id = cli.json("captures", "list", "--json")[0]["id"]
    assert cli.run("captures", "discard", capture_id).returncode == 0
    assert cli.json("captures", "list", "--json")[0]["state"] == "discarded"
    assert list(cli.store.glob(f"captures/{capture_id}/work/warc/*.warc.gz")), "discarding deleted evidence"
    assert cli.run("crawl", str(profile), "--allow-private", "--resume", capture_id).returncode != 0


@pytest.fixture
def tiny_disk(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and tmpfs to simulate a full disk")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_while_writing_marks_capture_failed_not_sealed(tiny_disk, write_profile):
    from tests.conftest import Cli

    cli = Cli(tiny_disk / "store")
    with TinyShop(items=60, padding=20_000) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        proc = cli.run("crawl", str(profile), "--allow-private", "--json")
    assert proc.returncode != 0
    assert "No space left" in proc.stdout + proc.stderr
    states = [c["state"] for c in json.loads(cli.run("captures", "list", "--json").stdout)]
    assert states and "sealed" not in states
