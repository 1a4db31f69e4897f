"""Two workers, one frontier, one capture: the books corpus end to end, and a worker killed with -9.

Uses the command line only (``crawl --redis``, ``worker``, ``crawl-status``, ``captures verify``, ``export``,
``verify``), a real redis-server and the books.toscrape.com mirror from ../shared/corpus (skipped with the
reason when absent).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import PROFILES, Cli
from tests.servers.static import BOOKS

PROFILE = PROFILES / "books-toscrape.yaml"
ENV = {"EVIDENCE_WORKER_HEARTBEAT_S": "0.5", "EVIDENCE_WORKER_DEAD_AFTER_S": "3"}

pytestmark = [pytest.mark.corpus, pytest.mark.slow, pytest.mark.timeout(900)]


def start(store: Path, *args: str, out: Path) -> subprocess.Popen:
    return Cli(store, ENV).start(*args, stdout=open(out, "wb"), stderr=open(out.with_suffix(".err"), "wb"),
                                 text=False)


def run(store: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    proc = Cli(store, ENV).run(*args)
    assert proc.returncode == expect, f"{args}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def finish(proc: subprocess.Popen, out: Path, timeout: float = 600) -> dict:
    assert proc.wait(timeout) == 0, out.with_suffix(".err").read_text()[-4000:]
    return json.loads(out.read_text())


def truth() -> dict[str, dict]:
    rows = map(json.loads, (BOOKS / "ground_truth.jsonl").read_text("utf-8").splitlines())
    return {row["upc"]: row for row in rows}


def products(store: Path, capture_id: str) -> list[dict]:
    lines = run(store, "items", capture_id).stdout.splitlines()
    return [i for i in map(json.loads, lines) if i["kind"] == "product" and not i.get("duplicate_of")]


def pages(store: Path, capture_id: str) -> list[dict]:
    path = store / "captures" / capture_id / "artifacts" / "pages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def coordinator(store: Path, redis_url: str, site: str, tmp: Path) -> subprocess.Popen:
    return start(store, "crawl", str(PROFILE), "--start-url", site, "--allow-private", "--redis", redis_url,
                 "--json", out=tmp / "coord.json")


def worker(store: Path, redis_url: str, tmp: Path, name: str) -> subprocess.Popen:
    return start(store, "worker", "--redis", redis_url, "--once", "--wait", "30", "--json", out=tmp / f"{name}.json")


def test_two_workers_one_capture(redis_url, books_site, tmp_path):
    store = tmp_path / "store"
    coord = coordinator(store, redis_url, books_site, tmp_path)
    workers = [worker(store, redis_url, tmp_path, f"w{n}") for n in (1, 2)]
    summary = finish(coord, tmp_path / "coord.json")
    parts = [finish(w, tmp_path / f"w{n}.json") for n, w in enumerate(workers, 1)]
    cid = summary["capture_id"]
    assert summary["state"] == "sealed" and summary["items"] == 1000

    found = products(store, cid)
    assert len(found) == 1000
    want = truth()
    assert {i["fields"]["upc"] for i in found} == set(want)
    for item in found:
        row = want[item["fields"]["upc"]]
        assert (item["fields"]["title"], item["fields"]["price"]) == (row["title"], row["price_text"])

    rows = pages(store, cid)
    fetched = Counter(p["url"] for p in rows if not p["url"].endswith("/robots.txt"))
    assert max(fetched.values()) == 1, [u for u, n in fetched.items() if n > 1][:5]  # no page fetched twice
    robots = [p for p in rows if p["url"].endswith("/robots.txt")]
    assert len(robots) == 2 and sum("duplicate_of" in p for p in robots) == 1  # each worker's own, flagged
    by_worker = Counter(p["worker"] for p in rows)
    assert set(by_worker) == {p["worker"] for p in parts} and min(by_worker.values()) > 50, by_worker
    assert all(p["host"] for p in rows)
    assert sum(p["pages"] for p in parts) == len(rows)

    manifest = json.loads((store / "captures" / cid / "manifest.json").read_text())
    assert [w["state"] for w in manifest["distributed"]["workers"]] == ["merged", "merged"]
    assert sum(a["role"] == "part_manifest" for a in manifest["artifacts"]) == 2
    # the intermediaries step ran once, at the merge, over every part's pages (a loopback site: no lookups)
    assert manifest["intermediaries"]["pages_analysed"] == 200 and "error" not in manifest["intermediaries"]
    assert "OK" in run(store, "captures", "verify", cid).stdout
    for part in parts:  # each worker's part is a sealed capture of its own, with its own custody events
        run(store, "captures", "verify", part["capture_id"])

    history = json.loads(run(store, "history", "books-toscrape", "--json").stdout)
    assert len(history["rows"]) == 1  # the workers' parts are inside the capture, not captures of their own
    run(store, "reindex")

    status = json.loads(run(store, "crawl-status", cid, "--redis", redis_url, "--json").stdout)
    assert status["state"] == "sealed" and status["queue"] == 0 and len(status["workers"]) == 2
    assert status["pages"] == len(rows) and status["items"] == 1000

    run(store, "keys", "init")
    bundle = tmp_path / "case.wacz"
    run(store, "export", cid, "-o", str(bundle), "--no-timestamp")
    run(store, "verify", str(bundle), "--accept-untimestamped")


def _pages_done(store: Path, part_prefix: str) -> int:
    total = 0
    for work in (store / "captures").glob(f"{part_prefix}*/work/pages.jsonl"):
        total += work.read_bytes().count(b"\n")
    return total


# a chaos test: where the SIGKILL lands depends on the machine's load (failed once in a full run, passes alone);
# rerun rather than loosen what it asserts
@pytest.mark.flaky(reruns=2)
def test_worker_killed_mid_crawl_loses_nothing(redis_url, books_site, tmp_path):
    store = tmp_path / "store"
    coord = coordinator(store, redis_url, books_site, tmp_path)
    survivor = worker(store, redis_url, tmp_path, "w1")
    victim = worker(store, redis_url, tmp_path, "w2")
    deadline = time.monotonic() + 300
    while True:  # let the victim record a good share of the crawl, then kill it without warning
        mine = [p for p in store.glob(f"captures/*.part-*-{victim.pid}-*") if p.is_dir()]
        if mine and _pages_done(store, mine[0].name) >= 150:
            break
        assert time.monotonic() < deadline and victim.poll() is None, "victim never got going"
        time.sleep(0.05)
    live = json.loads(run(store, "crawl-status", _capture_of(mine[0].name), "--redis", redis_url, "--json").stdout)
    assert live["live"] and live["state"] == "crawling" and len(live["workers"]) == 2
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    summary = finish(coord, tmp_path / "coord.json")
    finish(survivor, tmp_path / "w1.json")
    cid = summary["capture_id"]
    assert summary["state"] == "sealed" and summary["items"] == 1000
    assert len(products(store, cid)) == 1000
    assert {i["fields"]["upc"] for i in products(store, cid)} == set(truth())
    manifest = json.loads((store / "captures" / cid / "manifest.json").read_text())
    entries = {w["worker"]: w for w in manifest["distributed"]["workers"]}
    dead = [w for w in entries.values() if w["state"] == "salvaged"]
    assert len(dead) == 1 and f"-{victim.pid}-" in dead[0]["worker"] and dead[0]["requeued_requests"] >= 150
    assert dead[0]["pages"] >= 150  # what the victim recorded is kept: its part was sealed by the coordinator
    part_state = json.loads((store / "captures" / dead[0]["part_capture_id"] / "state.json").read_text())
    assert part_state["state"] == "sealed" and part_state["part_of"] == cid
    run(store, "captures", "verify", dead[0]["part_capture_id"])
    rows = pages(store, cid)
    assert {p["worker"] for p in rows} == set(entries)
    fetched = Counter(p["url"] for p in rows if not p["url"].endswith("/robots.txt"))
    twice = [u for u, n in fetched.items() if n > 1]
    # only what the victim had in flight (fetched, not yet written) can be fetched again: flagged, rare
    assert len(twice) <= 16 * 2, twice
    flagged = [p for p in rows if p.get("duplicate_of") and not p["url"].endswith("/robots.txt")]
    assert len(flagged) == len(twice)  # each second fetch is flagged (same bytes), never counted twice
    assert "OK" in run(store, "captures", "verify", cid).stdout


def _capture_of(part_name: str) -> str:
    return part_name.split(".part-")[0]
