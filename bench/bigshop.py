#!/usr/bin/env python3
"""Memory of a long evidence crawl: RSS at 5,000 and at 20,000 pages of a generated shop served by nginx.

A benchmark, not a test. It generates a static shop of ``--products`` product pages (20,000 by default)
plus listing pages (20 products each, a pager, category links) and a robots.txt in a temp folder,
serves it with a private Debian nginx (as ``bench/run.py`` does), and runs one
``evidence-crawler crawl --json`` over it. Every 0.25 s it samples the RSS of the crawl's process tree
and the number of lines in the capture's ``pages.jsonl``. It prints the RSS when the crawl had recorded
5,000 pages and when it had recorded 20,000, the growth between the two (target < 10 %), the peak RSS,
pages/s and the machine's load average, then checks the capture (``warcio check`` + ``captures verify``).

Options: --products N (default 20000), --keep. Exit 1 when the crawl or its checks failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peer  # noqa: E402
from run import ROOT, VENV_BIN, Nginx, RssPoller, crawl_env, ensure_nginx, finish, log  # noqa: E402

PER_LISTING = 20
CATEGORIES = 10
TARGET_GROWTH = 0.10
MARKS = (5_000, 20_000)
FILLER = " ".join(f"word{i}" for i in range(600))  # ~5 KB of description per product, as real shops have

PROFILE = """name: bigshop-bench
start_urls: [{url}]
allowed_domains: [127.0.0.1]
follow:
  - ul.cats a
  - li.next a
  - article h3 a
item_pages: '/p/\\d+/index\\.html$'
render: false
key: sku
fields:
  title: h1::text
  price: p.price::text
  sku: td.sku::text
limits: {{max_pages: {max_pages}, max_depth: {max_depth}, max_per_pattern: {max_pages}}}
"""


def generate(root: Path, products: int) -> int:
    """The shop's files; returns how many HTML pages it has."""
    per_cat = -(-products // CATEGORIES)
    pages = 0
    cats = "".join(f'<li><a href="/c/{c}/page-1.html">Category {c}</a></li>' for c in range(CATEGORIES))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "index.html").write_text(f"<!doctype html><meta charset=utf-8><title>shop</title>"
                                     f"<ul class=cats>{cats}</ul>")
    pages += 1
    for c in range(CATEGORIES):
        ids = range(c * per_cat, min(products, (c + 1) * per_cat))
        listings = -(-len(ids) // PER_LISTING)
        folder = root / "c" / str(c)
        folder.mkdir(parents=True)
        for k in range(listings):
            chunk = ids[k * PER_LISTING:(k + 1) * PER_LISTING]
            arts = "".join(f'<article><h3><a href="/p/{i}/index.html">Book {i}</a></h3></article>' for i in chunk)
            nxt = f'<li class=next><a href="page-{k + 2}.html">next</a></li>' if k + 1 < listings else ""
            (folder / f"page-{k + 1}.html").write_text(
                f"<!doctype html><meta charset=utf-8><title>cat {c} page {k + 1}</title>{arts}<ul>{nxt}</ul>")
            pages += 1
            for i in chunk:
                p = root / "p" / str(i)
                p.mkdir(parents=True)
                (p / "index.html").write_text(
                    f"<!doctype html><meta charset=utf-8><title>Book {i}</title><h1>Book {i}</h1>"
                    f"<p class=price>£{10 + i % 90}.{i % 100:02d}</p><table><tr><td class=sku>SKU{i:08d}</td>"
                    f"</tr></table><p>{FILLER}</p><ul class=cats>{cats}</ul>")
                pages += 1
    return pages


class Sampler(RssPoller):
    """(seconds, RSS bytes of the process tree, pages recorded) every 0.25 s."""

    def __init__(self, pid: int, store: Path) -> None:
        super().__init__(pid, every_s=0.25)
        self.store, self.samples, self.t0 = store, [], time.monotonic()
        self._pages_file: Path | None = None

    def _pages(self) -> int:
        if self._pages_file is None:
            self._pages_file = next(self.store.rglob("pages.jsonl"), None) if self.store.exists() else None
            if self._pages_file is None:
                return 0
        try:
            with open(self._pages_file, "rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        except OSError:
            return self.samples[-1][2] if self.samples else 0

    def sampled(self, rss: int) -> None:
        super().sampled(rss)
        self.samples.append((time.monotonic() - self.t0, rss, self._pages()))

    def at(self, pages: int) -> tuple[float, int, int] | None:
        return next((s for s in self.samples if s[2] >= pages), None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=20_000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="evidence-bigshop-"))
    site, store = tmp / "site", tmp / "store"
    site.mkdir()
    server = Nginx(ensure_nginx(), site, tmp / "nginx")
    try:
        total = generate(site, args.products)
        url = server.start()
        log(f"generated shop: {total} pages at {url}")
        profile = tmp / "bigshop.yaml"
        profile.write_text(PROFILE.format(url=url, max_pages=total + 10, max_depth=total), encoding="utf-8")
        load0 = os.getloadavg()
        cmd = [str(VENV_BIN / "evidence-crawler"), "--store", str(store), "crawl", str(profile), "--allow-private",
               "--json"]
        t0 = time.perf_counter()
        with open(tmp / "crawl.out", "wb") as out, open(tmp / "crawl.err", "wb") as err:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(store), stdout=out, stderr=err)
            sampler = Sampler(proc.pid, store)
            sampler.start()
            _, status, ru = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        sampler.stop()
        load1 = os.getloadavg()
        try:
            summary = json.loads((tmp / "crawl.out").read_text(encoding="utf-8"))
        except ValueError:
            log("crawl wrote no JSON summary: " + (tmp / "crawl.err").read_text(errors="replace")[-1500:])
            return 1
        problem = peer.check_capture(store, summary.get("capture_id"), summary.get("warc_files", []),
                                     crawl_env(store))
        return report(summary, sampler, seconds, ru.ru_maxrss, (load0, load1), problem,
                      os.waitstatus_to_exitcode(status))
    finally:
        finish(server, tmp, args.keep)


def report(summary: dict, sampler: Sampler, seconds: float, maxrss_kib: int, loads, problem, code: int) -> int:
    pages = summary.get("pages", 0)
    print("=" * 78)
    print(f"bigshop: evidence crawl of a generated shop, {pages} pages recorded in {seconds:.1f} s "
          f"({pages / seconds:.1f} pages/s), exit {code}, state {summary.get('state')}")
    print(f"load average (1 min) at start / end: {loads[0][0]:.2f} / {loads[1][0]:.2f} on {os.cpu_count()} cores")
    print(f"peak RSS: {maxrss_kib / 1024:.0f} MiB (kernel ru_maxrss of the crawl process), "
          f"{max((s[1] for s in sampler.samples), default=0) / 2**20:.0f} MiB (process tree, sampled)")
    lo, hi = (sampler.at(m) for m in MARKS)
    ok = problem is None and code == 0
    if lo and hi:
        growth = hi[1] / lo[1] - 1
        print(f"RSS at {MARKS[0]} pages: {lo[1] / 2**20:.1f} MiB (t={lo[0]:.0f} s); at {MARKS[1]} pages: "
              f"{hi[1] / 2**20:.1f} MiB (t={hi[0]:.0f} s)")
        print(f"RSS GROWTH {MARKS[0]} -> {MARKS[1]} pages: {growth * 100:+.1f} %   target < "
              f"{TARGET_GROWTH * 100:.0f} %: {'MET' if growth < TARGET_GROWTH else 'NOT MET'}")
    else:
        print(f"RSS growth: not measured (the crawl recorded fewer than {MARKS[1]} pages)")
    print(f"correctness: {'warcio check + captures verify passed' if problem is None else 'FAILED: ' + problem}")
    print("=" * 78)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
