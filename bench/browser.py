#!/usr/bin/env python3
"""Browser round of the benchmark: rendered captures by the evidence pipeline vs a bare Playwright loop.

Serves N item pages (HTML + CSS + a script that writes the price table + an XHR) on 127.0.0.1, then:
(a) evidence: ``evidence-crawler crawl`` of a ``render: all`` profile listing the N pages (raw bytes of
    every request in the WARC, DOM conversion record, full-page PNG, viewport PNG, PDF, sealed);
(b) bare: a Playwright loop doing ``goto`` + full-page screenshot, one fresh context per page, at the same
    concurrency (PLAYWRIGHT_MAX_CONTEXTS).
Prints captures/min of both and the ratio (target >= 0.80), and the RSS of the evidence crawl's process
tree (Python + Chromium) after 100 and after N captures (target: growth < 10%).

``run_browser_round(tmp)`` returns the figures as a dict (for ``bench/run.py``); ``python bench/browser.py
[--captures N] [--concurrency C]`` prints them. Skips (with the reason) when no Chromium is found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence_crawler.browser.locate import BrowserNotFound, locate_chromium  # noqa: E402

PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Item {n}</title>"
        "<link rel=stylesheet href='/style.css'></head><body><h1>Album {n}</h1><div id=buy></div>"
        "<script src='/buy.js' data-n='{n}'></script>" + "<p>Track listing and notes.</p>" * 40 + "</body></html>")
BUY_JS = (b"var n=document.currentScript.dataset.n;fetch('/api/'+n).then(r=>r.json()).then(d=>{"
          b"document.getElementById('buy').innerHTML='<table class=buy>'+d.map(o=>'<tr data-format='+o.f+"
          b"'><td class=price>'+o.p+'</td></tr>').join('')+'</table>'})")


def _server() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            path = self.path
            if path.startswith("/item/"):
                body, ctype = PAGE.format(n=int(path[6:])).encode(), "text/html; charset=utf-8"
            elif path.startswith("/api/"):
                n = int(path[5:])
                body = json.dumps([{"f": f, "p": f"${(n % 97 + k) / 10:.2f}"} for k, f in
                                   enumerate(("mp3-128", "mp3-320"))]).encode()
                ctype = "application/json"
            elif path == "/buy.js":
                body, ctype = BUY_JS, "application/javascript"
            elif path == "/style.css":
                body, ctype = b"body{font:14px sans-serif}.price{color:#a00}", "text/css"
            else:
                body, ctype = b"", "text/plain"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _rss(proc: psutil.Process) -> dict[str, float]:
    """RSS of the crawl's Python process, and of its whole tree (Chromium's processes share pages, so the
    tree figure over-counts; it is the upper bound)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return {"python_mib": round(proc.memory_info().rss / 2**20, 1), "tree_mib": round(total / 2**20, 1)}


def run_evidence(tmp: Path, urls: list[str], concurrency: int) -> dict:
    store = tmp / "store"
    profile = tmp / "bench-browser.yaml"
    profile.write_text(json.dumps({"name": "bench-browser", "start_urls": urls, "follow": [], "render": "all",
                                   "item_pages": "/item/", "fields": {"title": "h1::text"},
                                   "offers": {"selector": "table.buy tr", "fields": {"price": "td.price::text"},
                                              "currency": "USD"},
                                   "limits": {"max_pages": len(urls) * 10, "max_per_pattern": len(urls) + 1}}))
    env = {**os.environ, "EVIDENCE_AUTOTHROTTLE": "0", "EVIDENCE_RENDER_MAX_CONTEXTS": str(concurrency),
           "EVIDENCE_CONCURRENCY": str(concurrency * 4)}
    exe = Path(sys.executable).parent / "evidence-crawler"
    started = time.monotonic()
    proc = subprocess.Popen([str(exe), "--store", str(store), "crawl", str(profile), "--allow-private", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    rss_at: dict[int, dict] = {}
    marks = sorted({min(100, len(urls)), len(urls)})
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            renders = list(store.glob("captures/*/work/renders.jsonl"))
            count = sum(1 for _ in open(renders[0], "rb")) if renders else 0
            for m in marks:
                if count >= m and m not in rss_at:
                    rss_at[m] = _rss(ps)
            time.sleep(0.2)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    out, err = proc.communicate()
    elapsed = time.monotonic() - started
    done.set()
    t.join()
    if proc.returncode != 0:
        raise RuntimeError(f"evidence crawl failed: {err[-2000:]}")
    summary = json.loads(out)
    failed = sum(1 for e in summary["errors"] if e["kind"] == "render_failed")
    return {"seconds": round(elapsed, 2), "captures": len(urls) - failed, "render_failed": failed,
            "offers": summary["offers"], "pages_recorded": summary["pages"],
            "captures_per_min": round((len(urls) - failed) / elapsed * 60, 1),
            "rss_at": {str(k): v for k, v in sorted(rss_at.items())}}


async def _bare(urls: list[str], concurrency: int, executable: str, launch: dict) -> float:
    from playwright.async_api import async_playwright

    started = time.monotonic()
    async with async_playwright() as p:
        browser = await p.chromium.launch(**launch)
        queue: asyncio.Queue = asyncio.Queue()
        for u in urls:
            queue.put_nowait(u)

        async def worker() -> None:
            while not queue.empty():
                url = queue.get_nowait()
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                page = await context.new_page()
                await page.goto(url, wait_until="load")
                await page.screenshot(full_page=True)
                await page.close()
                await context.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await browser.close()
    return time.monotonic() - started


def run_browser_round(tmp: Path, captures: int = 1000, concurrency: int = 4) -> dict:
    try:
        binary = locate_chromium(os.environ.get("EVIDENCE_CHROMIUM") or None)
    except BrowserNotFound as exc:
        return {"skipped": str(exc)}
    httpd = _server()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    urls = [f"{base}/item/{n}" for n in range(1, captures + 1)]
    try:
        bare_s = asyncio.run(_bare(urls, concurrency, binary.executable, binary.launch_kwargs()))
        evidence = run_evidence(tmp, urls, concurrency)
    finally:
        httpd.shutdown()
        httpd.server_close()
    bare = {"seconds": round(bare_s, 2), "captures": captures, "captures_per_min": round(captures / bare_s * 60, 1)}
    rss = evidence["rss_at"]
    first, last = rss.get(str(min(100, captures))), rss.get(str(captures))

    def growth(key: str) -> float | None:
        return round((last[key] - first[key]) / first[key] * 100, 1) if first and last else None

    return {"browser": binary.executable, "concurrency": concurrency, "captures": captures, "bare": bare,
            "evidence": evidence, "ratio": round(evidence["captures_per_min"] / bare["captures_per_min"], 3),
            "rss_growth_pct": {"python": growth("python_mib"), "tree": growth("tree_mib")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captures", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        result = run_browser_round(Path(tmp), args.captures, args.concurrency)
    print(json.dumps(result, indent=2))
    if "skipped" not in result:
        print(f"browser round: evidence {result['evidence']['captures_per_min']} captures/min (screenshot + DOM "
              f"+ PDF + WARC, sealed) vs bare Playwright {result['bare']['captures_per_min']} (goto + full-page "
              f"screenshot): ratio {result['ratio']} (target >= 0.80); RSS after "
              f"{min(100, args.captures)}/{args.captures} captures {result['evidence']['rss_at']}, "
              f"growth {result['rss_growth_pct']}% (target < 10%)", file=sys.stderr)


if __name__ == "__main__":
    main()
