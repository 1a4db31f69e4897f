"""Distributed commands on bad input: clear errors (exit 2), nothing half-made, hostile Redis content refused."""

from __future__ import annotations

import json
import signal
import time

import pytest

from evidence_crawler.distributed.frontier import Frontier, connect
from tests.conftest import PROFILES

PROFILE = PROFILES / "allofmp3-demo.yaml"


def test_unreachable_redis_refused_before_anything_is_made(cli):
    proc = cli.run("crawl", str(PROFILE), "--allow-private", "--redis", "redis://:pw@127.0.0.1:1/0")
    assert proc.returncode == 2
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in proc.stderr and "pw" not in proc.stderr
    assert not (cli.store / "captures").exists() or not list((cli.store / "captures").iterdir())


@pytest.mark.slow
def test_worker_and_status_errors(cli, redis_url):
    proc = cli.run("worker", "--once", "--wait", "1", "--redis", redis_url)
    assert proc.returncode == 2 and "no distributed capture is being crawled" in proc.stderr
    proc = cli.run("worker", "--once", env={"EVIDENCE_REDIS_URL": ""})
    assert proc.returncode == 2 and "--redis" in proc.stderr
    proc = cli.run("crawl-status", "nope", "--redis", redis_url)
    assert proc.returncode == 2 and "no capture 'nope'" in proc.stderr
    proc = cli.run("crawl", str(PROFILE), "--redis", redis_url, "--resume", "x", "--allow-private")
    assert proc.returncode == 2 and "no capture 'x'" in proc.stderr


def test_worker_refuses_a_profile_that_does_not_match_its_hash(cli, redis_url):
    frontier = Frontier(connect(redis_url), "20260101T000000Z-evil-000000")
    frontier.create({"profile_text": PROFILE.read_text(), "profile_sha256": "0" * 64, "profile_path": "x",
                     "profile_name": "allofmp3-demo", "settings": "{}", "start_urls": "[]"})
    try:
        proc = cli.run("worker", "--once", "--wait", "5", "--redis", redis_url, "--capture", frontier.capture_id)
        assert proc.returncode == 2 and "does not match its announced sha256" in proc.stderr
    finally:
        frontier.set_state("cancelled")


def test_coordinator_sigterm_leaves_a_failed_capture_and_a_cancelled_frontier(cli, redis_url):
    store = cli.store
    proc = cli.start("crawl", str(PROFILE), "--allow-private", "--redis", redis_url, "--json")
    deadline = time.monotonic() + 60
    while not list(store.glob("captures/*/state.json")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)  # seeded and watching
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    summary = json.loads(out)
    assert summary["state"] == "failed" and "SIGTERM" in summary["reason"]
    state = json.loads(next(store.glob("captures/*/state.json")).read_text())
    assert state["state"] == "failed"
    assert Frontier(connect(redis_url), summary["capture_id"]).state() == "cancelled"
