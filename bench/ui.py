#!/usr/bin/env python3
"""``make bench``, workbench round: capture, search and item pages on a 10,000-item capture (issue 14).

A benchmark, not a test: it prints numbers and exits 0 (1 only if the capture fails). The shop is
generated (``--items`` album pages, 100 per list page, Cyrillic and Latin artists, a price table each).
By default its pages go through the real capture core without a network crawl (``capture.session``:
the WARC writer, pages.jsonl, the profile's own field and offer extraction, item tally, seal), because a
10,000-page crawl on a loaded 2-core machine takes longer than the rest of ``make bench``; ``--crawl``
serves the shop on loopback and runs ``evidence-crawler crawl`` on it instead. Then ``evidence-crawler ui``
serves the store and each page is requested ``--requests`` times over keep-alive HTTP (one warm-up
request first; the first search builds the search index and is timed apart). Printed: median and p95
per page against the 500 ms target, the server's CPU time per request (user+system, which a loaded
machine inflates less than wall time), and the machine load (1-minute load average, cores).

Options: --items N, --requests N, --crawl, --keep (keep the temp folder), --store DIR (time a kept store).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
EC = [sys.executable, "-m", "evidence_crawler.cli"]
TARGET_MS = 500
PROFILE = """\
name: ui-bench
start_urls: [{url}]
follow: ["a.list"]
item_pages: '/album/\\d+$'
fields: {{title: h1::text, artist: .artist::text}}
offers: {{selector: tr.offer, fields: {{format: td.format::text, price: td.price::text}}, currency: USD, key: format}}
limits: {{max_pages: {pages}, max_depth: 5}}
"""
SYLLABLES = ["ка", "ри", "но", "зем", "фи", "ра", "ма", "ша", "ло", "ве", "tor", "lin", "das", "mé", "rö", "ka"]


def name(r: random.Random) -> str:
    return " ".join("".join(r.choice(SYLLABLES) for _ in range(r.randint(2, 3))).capitalize() for _ in range(2))


class Shop:
    """``n`` album pages, 100 links per list page; deterministic from the seed."""

    def __init__(self, n: int) -> None:
        r = random.Random(14)
        self.albums = [(name(r), name(r), r.randint(50, 500) / 100) for _ in range(n)]
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                body = shop.page(self.path).encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str) -> str:
        n = len(self.albums)
        if path == "/robots.txt":
            return "User-agent: *\nAllow: /\n"
        if path == "/":
            return "".join(f'<a class="list" href="/list/{k}">{k}</a> ' for k in range((n + 99) // 100))
        if path.startswith("/list/"):
            k = int(path.rsplit("/", 1)[1])
            return "".join(f'<a href="/album/{i}">{i}</a> ' for i in range(k * 100, min(n, k * 100 + 100)))
        if path.startswith("/album/"):
            i = int(path.rsplit("/", 1)[1])
            if i < n:
                artist, title, price = self.albums[i]
                rows = "".join(f'<tr class="offer"><td class="format">{f}</td><td class="price">${price * m:.2f}'
                               "</td></tr>" for f, m in (("mp3-192", 1), ("mp3-320", 1.5), ("flac", 2.5)))
                return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
                        f'<p class="artist">{artist}</p><table>{rows}</table></body></html>')
        return ""


def synthesize(store_root: Path, profile_path: Path, shop: Shop) -> dict:
    """Every shop page recorded as the crawler records it, items extracted by the profile, sealed."""
    from parsel import Selector

    from evidence_crawler.capture.seal import seal_capture
    from evidence_crawler.capture.session import CaptureSession
    from evidence_crawler.extract import extract_fields, extract_offers
    from evidence_crawler.models import Item, PageRecord
    from evidence_crawler.profile import load_profile
    from evidence_crawler.timeutil import iso
    from evidence_crawler.warc import Exchange
    from storage.local import LocalStore

    loaded = load_profile(profile_path)
    spec = loaded.profile
    session = CaptureSession(LocalStore(store_root), loaded, {"EVIDENCE_WARC_ROTATE_BYTES": 1 << 30,
                                                               "USER_AGENT": "bench-ui", "EVIDENCE_OPERATOR": "bench"})
    session.open()
    n = len(shop.albums)
    paths = ["/"] + [f"/list/{k}" for k in range((n + 99) // 100)] + [f"/album/{i}" for i in range(n)]
    for path in paths:
        url, body, fetched_at = shop.url.rstrip("/") + path, shop.page(path).encode(), iso()

        def on_written(w, url=url, fetched_at=fetched_at) -> None:
            session.pages.append(PageRecord(
                url=url, status=200, fetched_at=fetched_at, received_at=iso(), ip="127.0.0.1",
                sha256=w.body.sha256, blake3=w.body.blake3, size=w.body.size, warc_file=w.warc_file,
                warc_offset=w.offset, warc_length=w.length, record_id=w.record_id,
                request_record_id=w.request_record_id, content_type="text/html; charset=utf-8",
            ).model_dump(exclude_none=True))

        _rid, sha = session.warc.write_exchange(Exchange(
            url=url, method="GET", request_headers=[("Host", shop.url.split("/")[2])], request_body=b"",
            status=200, protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                                ("Content-Length", str(len(body)))],
            body=body, fetched_at=fetched_at, ip="127.0.0.1", extra_warc_headers={}), on_written)
        if path.startswith("/album/"):
            page = Selector(text=body.decode())
            session.record_item(Item(url=url, key=url, fields=extract_fields(page, spec.fields),
                                     offers=extract_offers(page, spec.offers), page_sha256=sha,
                                     fetched_at=fetched_at))
    seal_capture(session, finish_reason="finished")
    return {**session.summary(), "capture_id": session.capture_id}


def timed(conn: http.client.HTTPConnection, path: str) -> float:
    t0 = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit(f"GET {path}: {r.status}")
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--crawl", action="store_true", help="crawl the shop over loopback HTTP instead")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--store", type=Path, help="time the pages of this store's first capture (from --keep)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVIDENCE_STORE": str(tmp / "store")}
    try:
        shop = Shop(args.items)
        profile = tmp / "shop.yaml"
        profile.write_text(PROFILE.format(url=shop.url, pages=args.items + args.items // 100 + 10))
        t0 = time.perf_counter()
        if args.store:
            env["EVIDENCE_STORE"] = str(args.store)
            cid = sorted(p.name for p in (args.store / "captures").iterdir())[0]
            summary = {"capture_id": cid, "items": args.items, "pages": "?"}
        elif args.crawl:
            crawl = subprocess.run([*EC, "crawl", str(profile), "--allow-private", "--json"], env=env, cwd=ROOT,
                                   capture_output=True, text=True)
            if crawl.returncode != 0:
                print(f"crawl failed ({crawl.returncode}): {crawl.stderr[-2000:]}")
                return 1
            summary = json.loads(crawl.stdout)
        else:
            summary = synthesize(tmp / "store", profile, shop)
        print(f"capture {summary['capture_id']}: {summary['items']} items, {summary['pages']} pages, "
              f"{'crawled' if args.crawl else 'captured through the capture core'} in "
              f"{time.perf_counter() - t0:.0f} s")
        ui = subprocess.Popen([*EC, "ui", "--port", "0"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(ui.stdout.readline().strip().rsplit(":", 1)[1].strip("/"))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            cid = summary["capture_id"]
            artist = shop.albums[args.items // 2][0].split()[0]
            first_search = timed(conn, "/search?q=" + urlquote(artist))
            pages = {"capture page": f"/captures/{cid}", "capture page, filtered": f"/captures/{cid}?q=flac&sort=key",
                     "item page": f"/captures/{cid}/items/{args.items // 2}",
                     "search (Cyrillic)": "/search?q=" + urlquote(artist),
                     "search (Latin)": "/search?q=" + urlquote(latin(artist)), "API search": "/api/search?q=ka"}
            print(f"first search (builds the index of {summary['items']} items): {first_search:.0f} ms")
            load = os.getloadavg()[0]
            server = psutil.Process(ui.pid)
            print(f"\n{'page':26} {'median ms':>10} {'p95 ms':>8} {'server CPU ms':>14}   target < {TARGET_MS} ms")
            for label, path in pages.items():
                timed(conn, path)  # warm-up
                cpu0 = sum(server.cpu_times()[:2])
                ms = sorted(timed(conn, path) for _ in range(args.requests))
                cpu = (sum(server.cpu_times()[:2]) - cpu0) * 1000 / args.requests
                p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
                print(f"{label:26} {statistics.median(ms):10.0f} {p95:8.0f} {cpu:14.0f}   "
                      f"{'ok' if p95 < TARGET_MS else 'SLOW'}")
            print(f"\nload average {load:.2f} -> {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores; "
                  f"{args.requests} requests per page, one keep-alive connection")
        finally:
            ui.terminate()
            ui.wait(10)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def urlquote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def latin(text: str) -> str:
    table = dict(zip("абвгдеёжзийклмнопрстуфхцчшщыэюя", "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh "
                     "shch y e yu ya".split(), strict=True))
    return "".join(table.get(c.lower(), c) for c in text)


if __name__ == "__main__":
    sys.exit(main())
