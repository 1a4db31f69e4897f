#!/usr/bin/env python3
"""Distributed round of ``make bench``: pages/s of one capture crawled by 1 and by 2 workers (Redis frontier).

The books.toscrape.com mirror (../shared/corpus) is served by a private nginx (as bench/run.py), a private
redis-server runs on a free loopback port, and each run is ``crawl PROFILE --redis URL`` plus N
``worker --once`` processes, all on this machine. Interleaved for --rounds rounds (order alternating), with a
plain local crawl (no Redis) as the baseline in the same rounds. Figures per run:

- crawl pages/s: pages / (last response received - first request sent), from the merged pages.jsonl;
- end-to-end pages/s: pages / wall clock of the coordinator (seed, crawl, workers sealing, merge, seal).

On a 2-core machine two workers share the cores with nginx, Redis and the coordinator, so the 2-worker
ratio is bounded well below 2; it is printed as measured. Prints a summary and writes bench/out/distributed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import CORPUS, Nginx, crawl_env, ensure_nginx, free_port, log  # noqa: E402 - bench/ is not a package

ROOT = HERE.parent
BIN = Path(sys.executable).parent / "evidence-crawler"
PROFILE = ROOT / "bench" / "profiles" / "books-bench.yaml"
OUT = HERE / "out" / "distributed.json"


def _epoch(iso_z: str) -> float:
    return datetime.fromisoformat(iso_z.replace("Z", "+00:00")).timestamp()


def _pages(store: Path, capture_id: str) -> list[dict]:
    path = store / "captures" / capture_id / "artifacts" / "pages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _figures(store: Path, summary: dict, wall: float) -> dict:
    pages = _pages(store, summary["capture_id"])
    span = max(_epoch(p["received_at"]) for p in pages) - min(_epoch(p["fetched_at"]) for p in pages)
    return {"pages": len(pages), "items": summary["items"], "wall_s": round(wall, 2),
            "crawl_s": round(span, 2), "crawl_pages_per_s": round(len(pages) / span, 1),
            "end_to_end_pages_per_s": round(len(pages) / wall, 1)}


def run_local(site: str, tmp: Path, tag: str) -> dict:
    store = tmp / f"store-{tag}"
    t0 = time.monotonic()
    proc = subprocess.run([str(BIN), "--store", str(store), "crawl", str(PROFILE), "--start-url", site,
                           "--allow-private", "--json"], capture_output=True, text=True, env=crawl_env(store),
                          timeout=900)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench: local crawl failed:\n{proc.stderr[-3000:]}")
    return _figures(store, json.loads(proc.stdout), wall)


def run_distributed(site: str, redis_url: str, workers: int, tmp: Path, tag: str) -> dict:
    store = tmp / f"store-{tag}"
    env = {**crawl_env(store), "EVIDENCE_WORKER_HEARTBEAT_S": "1", "EVIDENCE_WORKER_DEAD_AFTER_S": "10"}
    t0 = time.monotonic()
    coord = subprocess.Popen([str(BIN), "--store", str(store), "crawl", str(PROFILE), "--start-url", site,
                              "--allow-private", "--redis", redis_url, "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    procs = [subprocess.Popen([str(BIN), "--store", str(store), "worker", "--redis", redis_url, "--once",
                               "--wait", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(workers)]
    out, err = coord.communicate(timeout=900)
    wall = time.monotonic() - t0
    for p in procs:
        p.wait(120)
    if coord.returncode != 0:
        raise SystemExit(f"bench: distributed crawl failed:\n{err[-3000:]}")
    summary = json.loads(out)
    figures = _figures(store, summary, wall)
    pages = _pages(store, summary["capture_id"])
    figures["pages_by_worker"] = sorted(sum(1 for p in pages if p["worker"] == w)
                                        for w in {p["worker"] for p in pages})
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if not (CORPUS / "index.html").is_file():
        log(f"distributed bench skipped: no corpus at {CORPUS}")
        return 0
    redis_exe = shutil.which("redis-server")
    if redis_exe is None:
        log("distributed bench skipped: redis-server is not installed (scripts/system-deps.sh installs it)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    nginx = Nginx(ensure_nginx(), CORPUS, tmp / "nginx")
    port = free_port()
    redis = subprocess.Popen([redis_exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                              "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{port}/0"
    runs: dict[str, list[dict]] = {"local": [], "1 worker": [], "2 workers": []}
    try:
        site = nginx.start()
        time.sleep(0.3)
        for rnd in range(args.rounds):
            order = list(runs) if rnd % 2 == 0 else list(reversed(runs))
            for name in order:
                tag = f"{name.replace(' ', '')}-{rnd}"
                fig = run_local(site, tmp, tag) if name == "local" else \
                    run_distributed(site, redis_url, int(name[0]), tmp, tag)
                runs[name].append(fig)
                log(f"round {rnd + 1} {name}: {fig}")
    finally:
        nginx.stop()
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    result = {"cpus": os.cpu_count(), "rounds": args.rounds, "runs": runs,
              "median": {n: {k: med(n, k) for k in ("crawl_pages_per_s", "end_to_end_pages_per_s", "wall_s")}
                         for n in runs}}
    m = result["median"]

    def ratio(a: str, b: str, key: str) -> float:
        return round(m[a][key] / m[b][key], 2)

    result["ratio_2_vs_1_workers_crawl"] = ratio("2 workers", "1 worker", "crawl_pages_per_s")
    result["ratio_2_vs_1_workers_end_to_end"] = ratio("2 workers", "1 worker", "end_to_end_pages_per_s")
    result["ratio_1_worker_vs_local_crawl"] = ratio("1 worker", "local", "crawl_pages_per_s")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"distributed crawl, books corpus ({runs['local'][0]['pages']} pages), {os.cpu_count()} CPUs, "
          f"median of {args.rounds} interleaved rounds:")
    for name in runs:
        print(f"  {name:10s} crawl {m[name]['crawl_pages_per_s']:7.1f} pages/s   end to end "
              f"{m[name]['end_to_end_pages_per_s']:7.1f} pages/s   wall {m[name]['wall_s']:.1f} s")
    print(f"  2 workers / 1 worker: crawl {result['ratio_2_vs_1_workers_crawl']}, end to end "
          f"{result['ratio_2_vs_1_workers_end_to_end']} (bounded by {os.cpu_count()} cores shared with nginx, "
          f"Redis and the coordinator)")
    print(f"  1 worker / local crawl (cost of the Redis frontier): {result['ratio_1_worker_vs_local_crawl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
