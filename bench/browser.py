#!/usr/bin/env python3
"""Browser round of the benchmark: rendered captures by the evidence pipeline vs a bare Playwright loop.

Serves N item pages (HTML + CSS + a script that writes the price table + an XHR) on 127.0.0.1, then:
(a) bare: a Playwright loop doing ``goto`` + full-page screenshot, one fresh context per page, at the same
    concurrency (PLAYWRIGHT_MAX_CONTEXTS);
(b) same work: plain Playwright making the outputs of an evidence render (scroll, DOM, viewport and
    full-page screenshots, PDF; see ``_bare``), without its safeguards (routing, WebRTC guard, waits, WARC);
(c) evidence: ``evidence-crawler crawl`` of a ``render: all`` profile listing the N pages (raw bytes of
    every request in the WARC, DOM conversion record, full-page PNG, viewport PNG, PDF, sealed);
(d) with ``--no-pdf-run``, the evidence crawl again with ``EVIDENCE_RENDER_PDF=0``, and what the PDF costs.
(a) and (b) each run half their captures before (c) and half after (A B C B A), so a drift of the machine's
speed weighs on every side.
Prints captures/min of each and the ratios (target >= 0.85 in steady state), end to end (process start to exit for the
evidence crawl, browser launch to close for the bare loop) and in steady state (first render started to
last render finished), the concurrency each side achieved (render-seconds / wall-seconds), the median
seconds per step of an evidence render, and the RSS of the evidence crawl's Python process and, separately,
of its browser (Playwright driver + Chromium processes: RSS summed, which over-counts shared pages, and PSS)
after 100 and after N captures (target: growth < 10%). The browser's "after N" figure is taken at N - 2 x
concurrency captures, while pages are still being rendered: at N the crawl is already closing its
contexts, and comparing an idle browser with a busy one would flatter the growth.

``run_browser_round(tmp)`` returns the figures as a dict (for ``bench/run.py``); ``python bench/browser.py
[--captures N] [--concurrency C]`` prints them. Skips (with the reason) when no Chromium is found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
sys.path.insert(0, str(ROOT))

from loopback import reply, serve  # noqa: E402 - bench/ is the script's folder

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
            reply(self, 200 if body else 404, ctype, body)

    return serve(Handler)


def _rss(proc: psutil.Process) -> dict[str, float]:
    """MiB: the crawl's Python process; its descendants (the browser: Playwright's driver and Chromium)
    as summed RSS (over-counts pages Chromium's processes share) and summed PSS (shared pages split)."""
    rss = pss = 0
    for p in proc.children(recursive=True):
        try:
            info = p.memory_full_info()
            rss, pss = rss + info.rss, pss + info.pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return {"python_mib": round(proc.memory_info().rss / 2**20, 1), "browser_rss_mib": round(rss / 2**20, 1),
            "browser_pss_mib": round(pss / 2**20, 1)}


def _sampled_rss(proc: psutil.Process, samples: int = 5, every_s: float = 0.1) -> dict[str, float]:
    """Median of a few samples: Chromium's renderer processes come and go with the pages being rendered."""
    taken = []
    for _ in range(samples):
        taken.append(_rss(proc))
        time.sleep(every_s)
    return {k: statistics.median(t[k] for t in taken) for k in taken[0]}


def _spans(starts_ends: list[tuple[float, float]]) -> dict:
    """Steady state: first start to last end; concurrency achieved = busy seconds / those seconds."""
    first, last = min(s for s, _ in starts_ends), max(e for _, e in starts_ends)
    busy = sum(e - s for s, e in starts_ends)
    return {"first_start": first, "last_end": last, "steady_s": round(last - first, 2),
            "steady_per_min": round(len(starts_ends) / (last - first) * 60, 1),
            "concurrency_achieved": round(busy / (last - first), 2)}


def _render_spans(renders: list[dict]) -> list[tuple[float, float]]:
    from datetime import datetime

    out = []
    for r in renders:
        t = r["timings"]  # the browser slot is held from opening the context to closing it
        start = datetime.fromisoformat(r["rendered_at"].replace("Z", "+00:00")).timestamp() - t["context_open"]
        out.append((start, start + t["context_open"] + t["total"] + t["context_close"]))
    return out


def run_evidence(tmp: Path, urls: list[str], concurrency: int, pdf: bool = True) -> dict:
    store = tmp / ("store" if pdf else "store-no-pdf")
    profile = tmp / "bench-browser.yaml"
    profile.write_text(json.dumps({"name": "bench-browser", "start_urls": urls, "follow": [], "render": "all",
                                   "item_pages": "/item/", "fields": {"title": "h1::text"},
                                   "offers": {"selector": "table.buy tr", "fields": {"price": "td.price::text"},
                                              "currency": "USD"},
                                   "limits": {"max_pages": len(urls) * 10, "max_per_pattern": len(urls) + 1}}))
    env = {**os.environ, "EVIDENCE_AUTOTHROTTLE": "0", "EVIDENCE_RENDER_MAX_CONTEXTS": str(concurrency),
           "EVIDENCE_CONCURRENCY": str(concurrency * 4)}
    exe = Path(sys.executable).parent / "evidence-crawler"
    cmd = [str(exe), "--store", str(store), "crawl", str(profile), "--allow-private", "--json"]
    if not pdf:  # the render options are Scrapy settings: the same crawl through `scrapy crawl -s`
        env.update(EVIDENCE_STORE=str(store), EVIDENCE_ALLOW_PRIVATE="1",
                   SCRAPY_SETTINGS_MODULE="evidence_crawler.settings")
        cmd = [str(exe.parent / "scrapy"), "crawl", "storefront", "-a", f"profile={profile}",
               "-s", "EVIDENCE_RENDER_PDF=False", "-s", "LOG_LEVEL=WARNING"]
    started_wall, started = time.time(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    rss_at: dict[int, dict] = {}
    first = min(100, len(urls))
    marks = sorted({first, max(first, len(urls) - 2 * concurrency), len(urls)})
    done = threading.Event()

    def watch() -> None:
        count, fh = 0, None
        while not done.is_set() and len(rss_at) < len(marks):
            if fh is None:
                found = list(store.glob("captures/*/work/renders.jsonl"))
                fh = open(found[0], "rb") if found else None  # noqa: SIM115 - read as it grows
            if fh is not None:
                count += sum(1 for line in fh.readlines() if line.endswith(b"\n"))
            for m in marks:
                if count >= m and m not in rss_at:
                    rss_at[m] = _sampled_rss(ps) if m < len(urls) else _rss(ps)  # at N the crawl is closing
            time.sleep(0.05)
        if fh is not None:
            fh.close()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    out, err = proc.communicate()
    elapsed = time.monotonic() - started
    done.set()
    t.join()
    if proc.returncode != 0:
        raise RuntimeError(f"evidence crawl failed: {err[-2000:]}")
    summary = json.loads(out) if pdf else _summary_of_store(exe, store, env)
    failed = sum(1 for e in summary["errors"] if e["kind"] == "render_failed")
    renders_file = Path(summary["manifest"]).parent / "artifacts" / "renders.jsonl"
    renders = [json.loads(line) for line in renders_file.read_text().splitlines()]
    spans = _spans(_render_spans(renders))
    steps = {k: round(statistics.median(r["timings"].get(k, 0.0) for r in renders), 3)
             for k in renders[0]["timings"]}
    return {"seconds": round(elapsed, 2), "captures": len(urls) - failed, "render_failed": failed,
            "offers": summary["offers"], "pages_recorded": summary["pages"],
            "captures_per_min": round((len(urls) - failed) / elapsed * 60, 1),
            "steady_per_min": spans["steady_per_min"], "concurrency_achieved": spans["concurrency_achieved"],
            "startup_s": round(spans["first_start"] - started_wall, 2),
            "after_last_render_s": round(started_wall + elapsed - spans["last_end"], 2),
            "median_step_s": steps, "rss_at": {str(k): v for k, v in sorted(rss_at.items())}}


def _summary_of_store(exe: Path, store: Path, env: dict) -> dict:
    """What ``crawl --json`` prints, for a crawl run through ``scrapy crawl``: from ``captures show``."""
    def cli(*args: str):
        return json.loads(subprocess.run([str(exe), "--store", str(store), *args], capture_output=True, text=True,
                                         env=env, cwd=ROOT, check=True).stdout)

    (capture,) = cli("captures", "list", "--json")
    shown = cli("captures", "show", capture["capture_id"], "--json")
    counts = shown.get("counts") or {}
    return {"errors": shown["errors"], "manifest": shown["manifest"], "offers": counts.get("offers"),
            "pages": counts.get("pages", len(shown["pages"]))}


SAME_WORK_SCROLL_JS = ("async (pause) => { const step = window.innerHeight; for (let i = 0; i < 30; i++) {"
                       " const y = window.scrollY; window.scrollBy(0, step);"
                       " if (window.scrollY + step >= document.documentElement.scrollHeight || window.scrollY === y)"
                       " break; } await new Promise(r => setTimeout(r, pause)); window.scrollTo(0, 0); }")


async def _bare(urls: list[str], concurrency: int, binary, same_work: bool = False) -> tuple[float, dict]:
    """goto + full-page screenshot, one fresh context per page. ``same_work``: what an evidence render makes
    besides its safeguards, done by plain Playwright calls: the evidence crawl's context options, scroll to
    the bottom a viewport at a time (one pause there, as the render's auto-scroll), back to the top, DOM,
    viewport screenshot, full-page screenshot, PDF. No routing (the browser fetches from the server
    itself), no WebRTC guard, no network-idle wait, no WARC."""
    from playwright.async_api import async_playwright

    from evidence_crawler.browser.options import RenderOptions
    from evidence_crawler.browser.pool import BrowserPool

    opts = RenderOptions()
    context_options = (BrowserPool(binary, opts).context_options() if same_work  # the pool launches nothing here
                       else {"viewport": {"width": 1280, "height": 800}})
    started = time.monotonic()
    spans: list[tuple[float, float]] = []
    pdf_s: list[float] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(**binary.launch_kwargs())
        queue: asyncio.Queue = asyncio.Queue()
        for u in urls:
            queue.put_nowait(u)

        async def worker() -> None:
            while not queue.empty():
                url = queue.get_nowait()
                t0 = time.time()
                context = await browser.new_context(**context_options)
                page = await context.new_page()
                await page.goto(url, wait_until="load")
                if same_work:
                    await page.evaluate(SAME_WORK_SCROLL_JS, opts.scroll_pause_s * 1000)
                    await asyncio.gather(page.content(), page.screenshot())
                await page.screenshot(full_page=True)
                if same_work:
                    t_pdf = time.monotonic()
                    await page.pdf(print_background=True)
                    pdf_s.append(time.monotonic() - t_pdf)
                await page.close()
                await context.close()
                spans.append((t0, time.time()))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await browser.close()
    out = _spans(spans)
    if pdf_s:
        out["pdf_step_median_s"] = round(statistics.median(pdf_s), 3)
    return time.monotonic() - started, out


def _sandwich(urls: list[str], concurrency: int, binary, same_work: bool, halves: list) -> None:
    """One half of a baseline's captures (the first call) or the other half (the second): each baseline runs
    before and after the evidence crawl (A B A), so a drift of the machine's speed weighs on both sides."""
    part = urls[: len(urls) // 2] if not halves else urls[len(urls) // 2:]
    seconds, spans = asyncio.run(_bare(part, concurrency, binary, same_work))
    halves.append({"captures": len(part), "seconds": round(seconds, 2), **spans})


def _combined(halves: list[dict]) -> dict:
    captures = sum(h["captures"] for h in halves)
    steady = sum(h["steady_s"] for h in halves)
    seconds = sum(h["seconds"] for h in halves)
    out = {"seconds": round(seconds, 2), "captures": captures, "captures_per_min": round(captures / seconds * 60, 1),
           "steady_per_min": round(captures / steady * 60, 1),
           "concurrency_achieved": round(statistics.mean(h["concurrency_achieved"] for h in halves), 2),
           "halves_steady_per_min": [h["steady_per_min"] for h in halves]}
    if all("pdf_step_median_s" in h for h in halves):
        out["pdf_step_median_s"] = round(statistics.mean(h["pdf_step_median_s"] for h in halves), 3)
    return out


def run_browser_round(tmp: Path, captures: int = 1000, concurrency: int = 4, with_no_pdf: bool = False) -> dict:
    """Two baselines, each half before and half after the evidence crawl (A B C B A): the bare loop (goto +
    full-page screenshot) and the same-work loop (the same outputs as an evidence render, by plain
    Playwright calls; see ``_bare``). ``with_no_pdf`` adds the evidence crawl with ``EVIDENCE_RENDER_PDF=0``."""
    try:
        binary = locate_chromium(os.environ.get("EVIDENCE_CHROMIUM") or None)
    except BrowserNotFound as exc:
        return {"skipped": str(exc)}
    httpd = _server()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    urls = [f"{base}/item/{n}" for n in range(1, captures + 1)]
    bare_halves: list[dict] = []
    same_halves: list[dict] = []
    try:
        _sandwich(urls, concurrency, binary, False, bare_halves)
        _sandwich(urls, concurrency, binary, True, same_halves)
        evidence = run_evidence(tmp, urls, concurrency)
        no_pdf = run_evidence(tmp, urls, concurrency, pdf=False) if with_no_pdf else None
        _sandwich(urls, concurrency, binary, True, same_halves)
        _sandwich(urls, concurrency, binary, False, bare_halves)
    finally:
        httpd.shutdown()
        httpd.server_close()
    bare, same = _combined(bare_halves), _combined(same_halves)
    rss = evidence["rss_at"]
    first = rss.get(str(min(100, captures)))
    steady_mark = str(max(min(100, captures), captures - 2 * concurrency))

    def growth(key: str) -> float | None:
        last = rss.get(str(captures) if key == "python_mib" else steady_mark)
        return round((last[key] - first[key]) / first[key] * 100, 1) if first and last and first[key] else None

    pdf_part = {}
    if no_pdf is not None:
        pdf_part = {"evidence_no_pdf": no_pdf,
                    "ratio_no_pdf": round(no_pdf["captures_per_min"] / bare["captures_per_min"], 3),
                    "ratio_steady_no_pdf": round(no_pdf["steady_per_min"] / bare["steady_per_min"], 3),
                    # what the PDF adds per capture, in wall seconds of the whole pool (steady state)
                    "pdf_cost_s_per_capture": round(60 / evidence["steady_per_min"] - 60 / no_pdf["steady_per_min"], 3)}
    return {**pdf_part, "browser": binary.executable, "concurrency": concurrency, "captures": captures,
            "bare": bare, "same_work": same, "load_avg_1min": round(os.getloadavg()[0], 2),
            "evidence": evidence, "ratio": round(evidence["captures_per_min"] / bare["captures_per_min"], 3),
            "ratio_steady": round(evidence["steady_per_min"] / bare["steady_per_min"], 3),
            "ratio_steady_same_work": round(evidence["steady_per_min"] / same["steady_per_min"], 3),
            # what the outputs cost plain Playwright, and what the pipeline adds on top (pool seconds per capture)
            "work_cost_s_per_capture": round(60 / same["steady_per_min"] - 60 / bare["steady_per_min"], 3),
            "pipeline_cost_s_per_capture": round(60 / evidence["steady_per_min"] - 60 / same["steady_per_min"], 3),
            "pdf_step_median_s": {"evidence": evidence["median_step_s"].get("pdf"),
                                  "same_work": same.get("pdf_step_median_s")},
            "browser_rss_mark": int(steady_mark),
            "rss_growth_pct": {k.removesuffix("_mib"): growth(k) for k in
                               ("python_mib", "browser_rss_mib", "browser_pss_mib")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captures", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--no-pdf-run", action=argparse.BooleanOptionalAction, default=False,
                    help="also run the evidence crawl with EVIDENCE_RENDER_PDF=0 (default: no; the same-work "
                         "loop prints a PDF and times it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        result = run_browser_round(Path(tmp), args.captures, args.concurrency, args.no_pdf_run)
    print(json.dumps(result, indent=2))
    if "skipped" not in result:
        ev, bare, same = result["evidence"], result["bare"], result["same_work"]
        print(f"browser round: evidence {ev['captures_per_min']} captures/min (screenshot + DOM + PDF + WARC, "
              f"sealed) vs bare Playwright {bare['captures_per_min']} (goto + full-page screenshot): ratio "
              f"{result['ratio']}; steady state {ev['steady_per_min']} vs "
              f"{bare['steady_per_min']}: {result['ratio_steady']}; concurrency achieved "
              f"{ev['concurrency_achieved']} vs {bare['concurrency_achieved']} of {args.concurrency} "
              f"(target: steady ratio >= 0.85); load average {result['load_avg_1min']}", file=sys.stderr)
        print(f"same work by plain Playwright (scroll, DOM, viewport + full-page screenshots, PDF; no routing, no "
              f"WARC): steady {same['steady_per_min']} captures/min; evidence/same-work "
              f"{result['ratio_steady_same_work']}. Per capture of pool time: the outputs cost "
              f"{result['work_cost_s_per_capture']} s over the bare loop, the evidence pipeline (routing through "
              f"the crawler, WARC, WebRTC guard, network-idle waits, sealing) {result['pipeline_cost_s_per_capture']} "
              f"s over the same work; PDF step median {result['pdf_step_median_s']} s. Baseline halves before/after "
              f"the evidence crawl: bare {bare['halves_steady_per_min']}, same work {same['halves_steady_per_min']}",
              file=sys.stderr)
        if "evidence_no_pdf" in result:
            nop = result["evidence_no_pdf"]
            print(f"without the PDF (EVIDENCE_RENDER_PDF=0): {nop['captures_per_min']} "
                  f"captures/min, ratio {result['ratio_no_pdf']}, steady {nop['steady_per_min']}: "
                  f"{result['ratio_steady_no_pdf']}; the PDF costs {result['pdf_cost_s_per_capture']} s of pool "
                  f"time per capture", file=sys.stderr)
        print(f"RSS (MiB) after N captures: {ev['rss_at']}; growth % {result['rss_growth_pct']} (Python: "
              f"{min(100, args.captures)} -> {args.captures}; browser: {min(100, args.captures)} -> "
              f"{result['browser_rss_mark']}, still rendering) (target < 10%)", file=sys.stderr)


if __name__ == "__main__":
    main()
