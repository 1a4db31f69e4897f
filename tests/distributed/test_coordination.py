"""Coordination across machines and failures: parts merged through S3 when the coordinator cannot read
the workers' stores, a coordinator that dies is replaced, a cancelled capture stops its workers.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from evidence_crawler.demo import DemoSite, expected_items
from evidence_crawler.distributed.frontier import Frontier, active_captures, connect
from tests.conftest import PROFILES, Cli

PROFILE = PROFILES / "allofmp3-demo.yaml"
pytestmark = pytest.mark.slow


def _cli(store: Path, *args: str, env: dict) -> subprocess.Popen:
    return Cli(store, env).start(*args)


def _done(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out)


def _crawl_then_unplug(stores: dict, site: str, redis_url: str, env: dict, tmp_path: Path):
    """Freeze the coordinator the moment the crawl ends, let the workers seal (and archive) their parts, then
    take the workers' stores away, as if they were on other machines; returns (coordinator, part summaries)."""
    coord = _cli(stores["coordinator"], "crawl", str(PROFILE), "--start-url", site, "--allow-private",
                 "--redis", redis_url, "--json", env=env)
    workers = [_cli(stores[m], "worker", "--redis", redis_url, "--once", "--wait", "30", "--json", env=env)
               for m in ("machine-a", "machine-b")]
    deadline = time.monotonic() + 120
    while True:
        ids = active_captures(connect(redis_url))
        if ids and Frontier(connect(redis_url), ids[0]).state() == "finishing":
            coord.send_signal(signal.SIGSTOP)
            break
        assert time.monotonic() < deadline and coord.poll() is None
        time.sleep(0.01)
    parts = [_done(w) for w in workers]
    for m in ("machine-a", "machine-b"):
        stores[m].rename(tmp_path / f"{m}-unplugged")
    coord.send_signal(signal.SIGCONT)
    return coord, parts


def test_parts_in_separate_stores_are_merged_through_s3(tmp_path, redis_url, s3_env, moto_server):
    bucket = moto_server.locked_bucket("parts")
    env = {"EVIDENCE_S3_BUCKET": bucket, "EVIDENCE_WORKER_HEARTBEAT_S": "0.5", "EVIDENCE_WORKER_DEAD_AFTER_S": "5"}
    stores = {name: tmp_path / name for name in ("coordinator", "machine-a", "machine-b")}
    with DemoSite("allofmp3") as site:
        coord, parts = _crawl_then_unplug(stores, site.base_url, redis_url, env, tmp_path)
        summary = _done(coord)
    assert summary["state"] == "sealed" and summary["items"] > 0
    assert all(p["archive"]["state"] == "archived" for p in parts), [p.get("archive") for p in parts]
    cid = summary["capture_id"]
    # the parts never reached the coordinator's store by the file system
    assert not list(stores["coordinator"].glob("captures/*.part-*"))
    manifest = json.loads((stores["coordinator"] / "captures" / cid / "manifest.json").read_text())
    workers_entries = manifest["distributed"]["workers"]
    assert {w["part_store"] for w in workers_entries} == {str(stores[m].resolve()) for m in ("machine-a", "machine-b")}
    verify = Cli(stores["coordinator"], env).run("captures", "verify", cid)
    assert verify.returncode == 0, verify.stderr
    assert summary["archive"]["state"] == "archived"  # and the merged capture itself went to S3 as well


def test_unreachable_parts_without_s3_fail_the_merge_clearly(tmp_path, redis_url):
    env = {"EVIDENCE_S3_BUCKET": ""}
    stores = {name: tmp_path / name for name in ("coordinator", "machine-a", "machine-b")}
    with DemoSite("allofmp3") as site:
        coord, _parts = _crawl_then_unplug(stores, site.base_url, redis_url, env, tmp_path)
        _out, err = coord.communicate(timeout=300)
    assert coord.returncode == 2
    assert "which this machine cannot read" in err and "EVIDENCE_S3_BUCKET" in err and "machine-" in err
    state = json.loads(next(stores["coordinator"].glob("captures/*/state.json")).read_text())
    assert state["state"] == "failed"  # never sealed with parts missing


def _crawling(store: Path, site: str, redis_url: str, env: dict, workers: int):
    """A coordinator and workers on one store, returned once a worker has recorded its first page."""
    coord = _cli(store, "crawl", str(PROFILE), "--start-url", site, "--allow-private", "--redis", redis_url,
                 "--json", env=env)
    procs = [_cli(store, "worker", "--redis", redis_url, "--once", "--wait", "30", "--json", env=env)
             for _ in range(workers)]
    deadline = time.monotonic() + 60
    while not list(store.glob("captures/*.part-*/work/pages.jsonl")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return coord, procs


def test_a_new_coordinator_takes_over_after_kill_9(tmp_path, redis_url):
    env = {"EVIDENCE_WORKER_HEARTBEAT_S": "0.5", "EVIDENCE_WORKER_DEAD_AFTER_S": "5"}
    store = tmp_path / "store"
    with DemoSite("allofmp3") as site:
        first, workers = _crawling(store, site.base_url, redis_url, env, workers=2)
        first.kill()  # the coordinator dies; the workers crawl on and then wait, idle
        first.wait()
        cid = next(p.name for p in store.glob("captures/*") if ".part-" not in p.name)
        status = Cli(store, env).run("crawl-status", cid, "--redis", redis_url, "--json")
        assert json.loads(status.stdout)["state"] == "crawling"
        second = _cli(store, "crawl", str(PROFILE), "--redis", redis_url, "--resume", cid, "--json", env=env)
        summary = _done(second)
        for w in workers:
            _done(w)
    assert summary["capture_id"] == cid and summary["state"] == "sealed"
    assert summary["items"] == 40 and summary["offers"] == sum(len(i["offers"]) for i in expected_items("allofmp3"))
    verify = Cli(store, env).run("captures", "verify", cid)
    assert verify.returncode == 0, verify.stderr


def test_cancelling_the_coordinator_stops_the_workers(tmp_path, redis_url):
    env = {"EVIDENCE_DOWNLOAD_DELAY_S": "0.2", "EVIDENCE_CONCURRENCY": "1"}
    store = tmp_path / "store"
    with DemoSite("allofmp3") as site:
        coord, (worker,) = _crawling(store, site.base_url, redis_url, env, workers=1)
        coord.send_signal(signal.SIGTERM)
        assert coord.wait(60) == 1
        worker.communicate(timeout=60)  # stops on its own: the capture it works for was cancelled
    assert worker.returncode == 1
