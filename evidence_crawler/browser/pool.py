"""BrowserPool: one Chromium, at most ``max_contexts`` fresh contexts at once, relaunched after a crash.

A context lives for one render (no cookies, cache or storage carried from one capture to the next);
its page is closed before the context, and the context before the slot is released, so memory stays
flat over thousands of captures. Launch is lazy: a crawl that never renders never starts a browser.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from evidence_crawler.browser.locate import BrowserBinary
from evidence_crawler.browser.options import RenderOptions
from evidence_crawler.browser.render import Fetch, Fetched, RenderResult, render_page
from evidence_crawler.cleanstate import browser_statement

CLOSE_TIMEOUT_S = 10.0
RENDER_SLACK_S = 60.0  # DOM, screenshots (tiled) and PDF of a very tall page, after the timed steps


class BrowserPool:
    CONTEXT_PER_RENDER = True  # render() opens a new context for each page and closes it after
    def __init__(self, binary: BrowserBinary, opts: RenderOptions) -> None:
        self.binary = binary
        self.opts = opts
        self.launches = 0
        self.info: dict[str, Any] = {}
        self._pw = None
        self._browser = None
        self._lock: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None

    @property
    def connected(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    def _loop_objects(self) -> None:
        if self._lock is None:  # created on the running loop (the reactor's), not at construction
            self._lock, self._slots = asyncio.Lock(), asyncio.Semaphore(self.opts.max_contexts)

    async def _ensure(self):
        self._loop_objects()
        async with self._lock:
            if not self.connected:
                if self._browser is not None:  # crashed or killed: drop it and start a new one
                    try:
                        await self._browser.close()
                    except PlaywrightError:
                        pass
                if self._pw is None:
                    self._pw = await async_playwright().start()
                self._browser = await self._pw.chromium.launch(**self.binary.launch_kwargs())
                self.launches += 1
                self.info = {"name": "chromium", "version": self._browser.version,
                             "executable": self.binary.executable, "source": self.binary.source,
                             "launch_args": self.binary.launch_kwargs()["args"]}
            return self._browser

    def context_options(self) -> dict[str, Any]:
        o = self.opts
        return {"viewport": {"width": o.viewport_width, "height": o.viewport_height},
                "device_scale_factor": o.device_scale_factor, "locale": o.locale, "timezone_id": o.timezone,
                "accept_downloads": False, "service_workers": "block", "java_script_enabled": True}

    def clean_state(self) -> str:
        """The clean-state sentence for this pool's browser, from the options it really launches with."""
        return browser_statement(self.binary.launch_kwargs(), self.context_options(), self.CONTEXT_PER_RENDER)

    async def render(self, url: str, doc: Fetched | None, fetch: Fetch) -> RenderResult:
        self._loop_objects()
        async with self._slots:
            browser = await self._ensure()
            started = time.monotonic()
            context = await browser.new_context(**self.context_options())
            opened = time.monotonic()
            try:
                # Every call into the page is time-limited and a spinning script is terminated (waits.PageCalls);
                # the whole render is bounded too, as a backstop: past it the render fails (and is retried).
                result = await asyncio.wait_for(render_page(context, url, doc, fetch, self.opts), self.budget_s)
            finally:
                closing = time.monotonic()
                try:
                    await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_S)
                except (PlaywrightError, TimeoutError):
                    await self._discard_browser()  # a context that will not close: start afresh
            result.timings["context_open"] = round(opened - started, 3)
            result.timings["context_close"] = round(time.monotonic() - closing, 3)
            return result

    @property
    def budget_s(self) -> float:
        o = self.opts
        return o.timeout_s + (o.scroll_max_s + 5 if o.scroll else 0) + 2 * o.script_timeout_s + RENDER_SLACK_S

    async def _discard_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            try:
                await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_S)
            except (PlaywrightError, TimeoutError):
                pass

    async def close(self) -> None:
        if self._browser is not None:
            try:
                await self._browser.close()
            except PlaywrightError:
                pass
            self._browser = None
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None
