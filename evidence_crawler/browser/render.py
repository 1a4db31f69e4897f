"""Render one page in a fresh browser context and collect the evidence the browser can give.

Every request the page makes (document, scripts, CSS, images, XHR, popups, iframes) is routed to the
``fetch`` callable, which answers from bytes the crawler fetched and archived itself, or refuses. The
browser therefore never touches the network, and what it rendered is exactly what the WARC holds.

The steps, each recorded in ``actions``: navigate (until ``load``), wait for the selector, wait for network
idle, bounded auto-scroll, then DOM, viewport PNG, full-page PNG (tiled, :mod:`.stitch`), PDF. A step that
times out marks the render *partial* and the capture goes on with what is there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from evidence_crawler.browser.options import RenderOptions
from evidence_crawler.browser.stitch import full_page_png

DROP_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
DOWNLOAD_LINKS_JS = ("() => Array.from(document.querySelectorAll('a[download]'))"
                     ".map(a => ({url: a.href, suggested_name: a.getAttribute('download') || null}))")
SCROLL_JS = ("() => { window.scrollBy(0, window.innerHeight); return [Math.round(window.scrollY), "
             "document.documentElement.scrollHeight, window.innerHeight]; }")


class FetchRefused(Exception):
    """The crawler would not or could not fetch this request; ``kind`` is an errors.jsonl kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class BrowserRequest:
    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None
    resource_type: str
    navigation: bool


@dataclass(frozen=True)
class Fetched:
    """What to hand the browser: status, headers, and the body *decoded* (the WARC has it as received)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    redirected_to: str | None = None  # the crawler followed redirects to this URL (every hop is in the WARC)


Fetch = Callable[[BrowserRequest], Awaitable[Fetched]]


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

    def summary(self) -> dict[str, Any]:
        """Everything but the bytes: the line in renders.jsonl."""
        return {"url": self.url, "final_url": self.final_url, "user_agent": self.user_agent,
                "partial": bool(self.partial), "partial_reasons": self.partial, "actions": self.actions,
                "screenshot": self.screenshot, "requests": self.requests, "dialogs": self.dialogs,
                "popups": self.popups, "downloads": self.downloads, "page_errors": self.page_errors}


def _header_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers:
        if k.lower() in DROP_HEADERS:
            continue
        key = k.lower()
        out[key] = f"{out[key]}\n{v}" if key in out else v  # Playwright splits Set-Cookie on newlines
    return out


class _Router:
    """The context's route handler: the document from ``doc``, everything else through ``fetch``."""

    def __init__(self, result: RenderResult, doc: Fetched | None, fetch: Fetch) -> None:
        self.result, self.doc, self.fetch = result, doc, fetch
        self.inflight = 0  # requests being fetched: auto-scroll waits for them before it calls a page done

    async def __call__(self, route) -> None:
        self.inflight += 1
        try:
            await self._answer(route)
        finally:
            self.inflight -= 1

    async def _answer(self, route) -> None:
        req = route.request
        entry: dict[str, Any] = {"url": req.url, "method": req.method, "resource_type": req.resource_type}
        self.result.requests.append(entry)
        try:
            if self.doc is not None and req.is_navigation_request() and _same_url(req.url, self.result.url):
                answer, self.doc = self.doc, None
                entry["from"] = "document"
            else:
                answer = await self.fetch(BrowserRequest(req.url, req.method, req.headers, req.post_data_buffer,
                                                         req.resource_type, req.is_navigation_request()))
            entry["status"] = answer.status
            if answer.redirected_to:
                entry["redirected_to"] = answer.redirected_to
            await route.fulfill(status=answer.status, headers=_header_dict(answer.headers), body=answer.body)
        except FetchRefused as exc:
            entry["error"] = {"kind": exc.kind, "message": str(exc)}
            await _quietly(route.abort("blockedbyclient"))
        except PlaywrightError:
            pass  # the page or context closed while this was in flight: the fetch is recorded anyway


def _same_url(a: str, b: str) -> bool:
    """Same document, ignoring the fragment and an empty path (the browser writes ``/``)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path or "/", pa.query) == (pb.scheme, pb.netloc, pb.path or "/", pb.query)


async def _quietly(coro) -> None:
    try:
        await coro
    except PlaywrightError:
        pass


def _watch(context, page, result: RenderResult) -> None:
    def on_dialog(dialog) -> None:
        result.dialogs.append({"type": dialog.type, "message": dialog.message, "action": "dismissed"})
        asyncio.ensure_future(_quietly(dialog.dismiss()))

    def on_download(download) -> None:
        result.downloads.append({"url": download.url, "suggested_name": download.suggested_filename,
                                 "action": "not saved, not opened"})
        asyncio.ensure_future(_quietly(download.cancel()))

    async def close_popup(popup) -> None:
        entry = {"url": popup.url, "action": "closed"}
        result.popups.append(entry)
        try:
            await popup.wait_for_load_state("commit", timeout=2000)
        except PlaywrightError:
            pass
        entry["url"] = popup.url
        await _quietly(popup.close())

    page.on("dialog", on_dialog)
    page.on("download", on_download)
    page.on("pageerror", lambda exc: result.page_errors.append(str(exc)))
    context.on("page", lambda p: p is not page and asyncio.ensure_future(close_popup(p)))


async def _step(result: RenderResult, name: str, coro, timeout_reason: str | None = None) -> bool:
    """Run one step; a timeout marks the render partial (with the reason) and is not an error."""
    started = time.monotonic()
    try:
        await coro
        ok = True
    except PlaywrightTimeout:
        ok = False
        if timeout_reason:
            result.partial.append(timeout_reason)
    result.actions.append({"step": name, "ok": ok, "seconds": round(time.monotonic() - started, 3)})
    return ok


async def _settled_height(page, router: _Router, deadline: float) -> int:
    """The document height once the requests the last scroll triggered are answered (lazy loaders)."""
    while router.inflight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # let the page's own callbacks insert what arrived
    return await page.evaluate("() => document.documentElement.scrollHeight")


async def _auto_scroll(page, router: _Router, opts: RenderOptions, result: RenderResult) -> None:
    """Scroll a viewport at a time until the bottom stays put, at most ``scroll_max_steps``/``scroll_max_s``."""
    deadline = time.monotonic() + opts.scroll_max_s
    steps: list[dict[str, int]] = []
    reason = "max_steps"
    for _ in range(opts.scroll_max_steps):
        if time.monotonic() >= deadline:
            reason = "max_time"
            break
        y, height, inner = await page.evaluate(SCROLL_JS)
        await asyncio.sleep(opts.scroll_pause_s)
        after = await page.evaluate("() => document.documentElement.scrollHeight")
        steps.append({"y": y, "scroll_height": after})
        if y + inner >= after and after == height:
            after = await _settled_height(page, router, deadline)
            if after == height:
                reason = "bottom"
                break
            steps[-1]["scroll_height"] = after
    await page.evaluate("() => window.scrollTo(0, 0)")
    result.actions.append({"step": "scroll", "steps": len(steps), "stopped": reason, "positions": steps,
                           "max_steps": opts.scroll_max_steps, "max_s": opts.scroll_max_s})


async def render_page(context, url: str, doc: Fetched | None, fetch: Fetch, opts: RenderOptions) -> RenderResult:
    """Navigate ``url`` in ``context`` (fresh, owned by the caller) and capture it; see the module docstring."""
    result = RenderResult(url=url)
    router = _Router(result, doc, fetch)
    await context.route("**/*", router)
    page = await context.new_page()
    try:
        _watch(context, page, result)
        deadline = time.monotonic() + opts.timeout_s

        def left_ms(cap_s: float | None = None) -> float:
            left = max(0.001, deadline - time.monotonic())
            return 1000 * (min(left, cap_s) if cap_s is not None else left)

        await _step(result, "navigate", page.goto(url, wait_until="load", timeout=left_ms()),
                    f"load event not reached within {opts.timeout_s}s")
        if opts.wait_selector:
            await _step(result, f"wait_for_selector {opts.wait_selector}",
                        page.wait_for_selector(opts.wait_selector, state="attached", timeout=left_ms()),
                        f"selector {opts.wait_selector!r} not found within {opts.timeout_s}s")
        await _step(result, "network_idle", page.wait_for_load_state("networkidle", timeout=left_ms(opts.idle_s)),
                    f"network not idle within {min(opts.idle_s, opts.timeout_s)}s")
        if opts.scroll:
            await _auto_scroll(page, router, opts, result)
            await _step(result, "network_idle_after_scroll",
                        page.wait_for_load_state("networkidle", timeout=1000 * min(opts.idle_s, 2.0)))
        result.final_url = page.url
        result.user_agent = await page.evaluate("() => navigator.userAgent")
        result.downloads += [{**d, "action": "link recorded, not followed"}
                             for d in await page.evaluate(DOWNLOAD_LINKS_JS)]
        result.dom = (await page.content()).encode("utf-8")
        result.viewport_png = await page.screenshot()
        result.full_png, result.screenshot = await full_page_png(page, opts.device_scale_factor)
        if opts.pdf:
            result.pdf = await page.pdf(print_background=True)
    finally:
        await _quietly(page.close())
    return result
