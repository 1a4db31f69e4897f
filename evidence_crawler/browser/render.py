"""Render one page in a fresh browser context and collect the evidence the browser can give.

Every request the page makes (document, scripts, CSS, images, XHR, popups, iframes) is routed to the
``fetch`` callable, which answers from bytes the crawler fetched and archived itself, or refuses; every
WebSocket is refused (:mod:`.route`). The browser therefore never touches the network, and what it
rendered is exactly what the WARC holds.

The steps, each recorded in ``actions``: navigate (until ``load``), wait for the selector, wait for network
idle, bounded auto-scroll (:mod:`.waits`), then DOM, viewport PNG, full-page PNG (tiled, :mod:`.stitch`),
PDF, with the seconds each took in ``timings``. A step that times out marks the render *partial* and the
capture goes on with what is there; so does a script that never yields (it is terminated, :mod:`.waits`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from evidence_crawler.browser.options import RenderOptions
from evidence_crawler.browser.route import BrowserRequest, Fetch, Fetched, FetchRefused, Router, quietly
from evidence_crawler.browser.stitch import DOC_SIZE_JS, capture_png, full_page_png
from evidence_crawler.browser.waits import PageCalls, RenderHung, auto_scroll, network_idle
from evidence_crawler.browser.webrtc import WebRTCRecorder
from evidence_crawler.timeutil import iso

__all__ = ["BrowserRequest", "Fetch", "Fetched", "FetchRefused", "RenderHung", "RenderResult", "render_page"]

DOWNLOAD_LINKS_JS = ("() => Array.from(document.querySelectorAll('a[download]'))"
                     ".map(a => ({url: a.href, suggested_name: a.getAttribute('download') || null}))")
# one round trip before the capture: back to the top, then user agent, download links, document size
PAGE_FACTS_JS = (f"() => {{ window.scrollTo(0, 0); return [navigator.userAgent, ({DOWNLOAD_LINKS_JS})(), "
                 f"{DOC_SIZE_JS}]; }}")
# as Playwright's screenshot, web fonts first (bounded from Python: a page may replace setTimeout)
FONTS_FACTS_JS = (f"async () => {{ if (document.fonts) await document.fonts.ready; "
                  f"return ({PAGE_FACTS_JS})(); }}")
FONTS_WAIT_S = 2.0


@dataclass
class RenderResult:
    url: str
    final_url: str = ""
    dom: bytes = b""
    viewport_png: bytes = b""
    full_png: bytes = b""
    pdf: bytes = b""
    screenshot: dict[str, Any] = field(default_factory=dict)
    user_agent: str = ""
    partial: list[str] = field(default_factory=list)  # why the render is partial; empty = complete
    actions: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[dict[str, Any]] = field(default_factory=list)
    popups: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    websockets: list[dict[str, Any]] = field(default_factory=list)  # refused, never connected
    webrtc: dict[str, Any] = field(default_factory=dict)  # APIs disabled, attempts to use them (:mod:`.webrtc`)
    rendered_at: str = ""  # UTC, when the render started
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, and "total"

    def summary(self) -> dict[str, Any]:
        """Everything but the bytes: the line in renders.jsonl."""
        return {"url": self.url, "final_url": self.final_url, "user_agent": self.user_agent,
                "partial": bool(self.partial), "partial_reasons": self.partial, "actions": self.actions,
                "screenshot": self.screenshot, "requests": self.requests, "dialogs": self.dialogs,
                "popups": self.popups, "downloads": self.downloads, "page_errors": self.page_errors,
                "websockets": self.websockets, "webrtc": self.webrtc, "rendered_at": self.rendered_at,
                "timings": self.timings}


def _watch(context, page, result: RenderResult) -> None:
    def on_dialog(dialog) -> None:
        result.dialogs.append({"type": dialog.type, "message": dialog.message, "action": "dismissed"})
        asyncio.ensure_future(quietly(dialog.dismiss()))

    def on_download(download) -> None:
        result.downloads.append({"url": download.url, "suggested_name": download.suggested_filename,
                                 "action": "not saved, not opened"})
        asyncio.ensure_future(quietly(download.cancel()))

    async def close_popup(popup) -> None:
        entry = {"url": popup.url, "action": "closed"}
        result.popups.append(entry)
        try:
            await popup.wait_for_load_state("commit", timeout=2000)
        except Exception:  # noqa: BLE001 - a popup that closed itself, or a timeout: its URL so far is kept
            pass
        entry["url"] = popup.url
        await quietly(popup.close())

    page.on("dialog", on_dialog)
    page.on("download", on_download)
    page.on("pageerror", lambda exc: result.page_errors.append(str(exc)))
    context.on("page", lambda p: p is not page and asyncio.ensure_future(close_popup(p)))


async def _step(result: RenderResult, name: str, coro, timeout_reason: str | None = None) -> bool:
    """Run one step; a timeout marks the render partial (with the reason) and is not an error."""
    started = time.monotonic()
    try:
        ok = await coro is not False
    except PlaywrightTimeout:
        ok = False
    if not ok and timeout_reason:
        result.partial.append(timeout_reason)
    result.actions.append({"step": name, "ok": ok, "seconds": round(time.monotonic() - started, 3)})
    return ok


class _Laps:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.t0 = timings, time.monotonic()
        self.t = self.t0

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self.t, 3)
        self.t = now

    def total(self) -> None:
        self.timings["total"] = round(time.monotonic() - self.t0, 3)


async def render_page(context, url: str, doc: Fetched | None, fetch: Fetch, opts: RenderOptions) -> RenderResult:
    """Navigate ``url`` in ``context`` (fresh, owned by the caller) and capture it; see the module docstring."""
    result = RenderResult(url=url, rendered_at=iso())
    lap = _Laps(result.timings)
    router = Router(url, result.requests, result.websockets, doc, fetch)
    webrtc = WebRTCRecorder()
    await asyncio.gather(context.route("**/*", router), context.route_web_socket("**/*", router.block_websocket),
                         webrtc.install(context))
    page = await context.new_page()
    try:
        _watch(context, page, result)
        calls = PageCalls(page, await context.new_cdp_session(page), opts.script_timeout_s, result.partial,
                          result.actions)
        lap("open")
        deadline = time.monotonic() + opts.timeout_s

        def left_ms() -> float:
            return 1000 * max(0.001, deadline - time.monotonic())

        await _step(result, "navigate", page.goto(url, wait_until="load", timeout=left_ms()),
                    f"load event not reached within {opts.timeout_s}s")
        lap("navigate")
        if opts.wait_selector:
            await _step(result, f"wait_for_selector {opts.wait_selector}",
                        page.wait_for_selector(opts.wait_selector, state="attached", timeout=left_ms()),
                        f"selector {opts.wait_selector!r} not found within {opts.timeout_s}s")
        idle_s = max(0.001, min(opts.idle_s, deadline - time.monotonic()))
        await _step(result, "network_idle", network_idle(router, opts.idle_quiet_s, idle_s, since=time.monotonic()),
                    f"network not idle within {round(idle_s, 3)}s")
        lap("network_idle")
        if opts.scroll:
            await auto_scroll(calls, router, opts, result.actions)
            await _step(result, "network_idle_after_scroll",
                        network_idle(router, opts.idle_quiet_s, min(opts.idle_s, 2.0)))
            lap("scroll")
        result.final_url = page.url
        facts = None
        if not calls.scripts_terminated:  # web fonts still loading: at most FONTS_WAIT_S, then shoot anyway
            with contextlib.suppress(TimeoutError, PlaywrightError):
                facts = await asyncio.wait_for(page.evaluate(FONTS_FACTS_JS), FONTS_WAIT_S)
        result.user_agent, links, size = facts or await calls.evaluate(PAGE_FACTS_JS, "page facts")
        result.downloads += [{**d, "action": "link recorded, not followed"} for d in links]
        # both only read the page (the DOM in Playwright's isolated world, out of reach of page scripts)
        dom, result.viewport_png = await asyncio.gather(calls(page.content, "DOM"),
                                                        capture_png(calls, "viewport screenshot"))
        result.dom = dom.encode("utf-8")
        lap("dom_and_viewport")
        result.full_png, result.screenshot = await full_page_png(calls, size, opts.device_scale_factor)
        lap("screenshot")
        if opts.pdf:
            result.pdf = await calls(lambda: page.pdf(print_background=True), "PDF")
            lap("pdf")
    finally:
        result.webrtc = webrtc.record()
        await quietly(page.close())
    lap.total()
    return result
