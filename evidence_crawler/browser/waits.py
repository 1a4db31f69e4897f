"""How long a render waits, and what it does when the page will not answer.

- ``network_idle``: no request in flight and none routed or answered for ``quiet_s``, measured by the
  :class:`~.route.Router` that answers every request (so the browser cannot have traffic we do not see).
  Playwright's ``networkidle`` is the same rule with a fixed 500 ms quiet period; ours is an option
  (``idle_quiet_s``) recorded in the manifest.
- ``auto_scroll``: a viewport at a time, bounded by steps and seconds. After each scroll a short settle;
  only when the page reacted (its height changed, or it started a request) does the scroll pause and wait
  for those requests; at the bottom it always pauses once more, so a debounced lazy loader is not missed.
  A page that fits the viewport is not scrolled (no scroll event can fire).
- ``PageCalls``: every call into the page (evaluate, DOM, screenshot, PDF) has a time limit. A call past it
  while the page no longer answers a trivial ``evaluate`` means a script is spinning (``while(true){}``
  blocks the renderer's main thread, and Playwright's evaluate/content have no timeout of their own): the
  scripts are terminated (``Runtime.terminateExecution``) and switched off
  (``Emulation.setScriptExecutionDisabled``) through a CDP session opened before navigation (one opened
  afterwards would queue behind the spinning script), the render is marked partial, and the capture goes
  on with what is there. A page that still does not answer raises :class:`RenderHung`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from evidence_crawler.browser.route import Router

SCROLL_JS = ("() => { window.scrollBy(0, window.innerHeight); return [Math.round(window.scrollY), "
             "document.documentElement.scrollHeight, window.innerHeight]; }")
HEIGHT_JS = "() => document.documentElement.scrollHeight"
SETTLE_S = 0.05  # after a scroll, for the page's scroll handlers / observers to run and start their requests
POLL_S = 0.025
PROBE_S = 2.0  # a page that cannot evaluate ``1`` in this long is not answering
CDP_TIMEOUT_S = 5.0


class RenderHung(RuntimeError):
    """The page did not answer even after its scripts were terminated; retrying would hang the same way."""


async def network_idle(router: Router, quiet_s: float, timeout_s: float, since: float | None = None) -> bool:
    """True once nothing is in flight and nothing moved for ``quiet_s`` (counted from ``since`` at the
    earliest); False at ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    floor = since if since is not None else 0.0
    while True:
        now = time.monotonic()
        quiet_for = now - max(router.last_activity, floor)
        if router.inflight == 0 and quiet_for >= quiet_s:
            return True
        if now >= deadline:
            return False
        wait = quiet_s - quiet_for if router.inflight == 0 else POLL_S
        await asyncio.sleep(max(0.005, min(wait, POLL_S * 4, deadline - now)))


class PageCalls:
    """Time-limited calls into one page; see the module docstring."""

    def __init__(self, page, cdp, timeout_s: float, partial: list[str], actions: list[dict[str, Any]]) -> None:
        self.page, self.cdp, self.timeout_s = page, cdp, timeout_s
        self.partial, self.actions = partial, actions
        self.scripts_terminated = False

    async def __call__(self, make: Callable[[], Awaitable[Any]], what: str) -> Any:
        task = asyncio.ensure_future(make())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception never retrieved"
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.timeout_s)
        except TimeoutError:
            pass
        if await self._answers():
            return await task  # slow (a huge screenshot), not stuck: the pool's render budget still bounds it
        if not self.scripts_terminated:
            await self.terminate_scripts(what)
        try:  # the call was queued behind the script: it runs now
            return await asyncio.wait_for(asyncio.shield(task), self.timeout_s)
        except TimeoutError:
            pass
        task.cancel()
        raise RenderHung(f"page did not answer {what} within {self.timeout_s}s, even with its scripts terminated")

    async def evaluate(self, js: str, what: str | None = None) -> Any:
        return await self(lambda: self.page.evaluate(js), what or "evaluate")

    async def _answers(self) -> bool:
        try:
            await asyncio.wait_for(self.page.evaluate("1"), PROBE_S)
            return True
        except TimeoutError:
            return False

    async def terminate_scripts(self, what: str) -> None:
        self.scripts_terminated = True  # first: a concurrent call that also timed out waits instead of repeating
        started = time.monotonic()
        done = []
        for method, params in (("Runtime.terminateExecution", None), ("Emulation.setScriptExecutionDisabled",
                                                                        {"value": True})):
            try:
                await asyncio.wait_for(self.cdp.send(method, params), CDP_TIMEOUT_S)
                done.append(method)
            except Exception:  # noqa: BLE001 - a dead session or a timeout: the retry below decides
                pass
        self.partial.append(f"page script did not yield for {self.timeout_s}s ({what}): scripts terminated and "
                            "disabled, captured what was there")
        self.actions.append({"step": "terminate_scripts", "during": what, "sent": done,
                             "seconds": round(time.monotonic() - started, 3)})


async def auto_scroll(calls: PageCalls, router: Router, opts, actions: list[dict[str, Any]]) -> None:
    """Scroll a viewport at a time until the bottom stays put, at most ``scroll_max_steps``/``scroll_max_s``.
    The render scrolls back to the top in its next call into the page."""
    deadline = time.monotonic() + opts.scroll_max_s
    steps: list[dict[str, Any]] = []
    reason = "max_steps"
    for _ in range(opts.scroll_max_steps):
        if time.monotonic() >= deadline:
            reason = "max_time"
            break
        if calls.scripts_terminated:  # nothing on the page can react to a scroll any more
            reason = "scripts_terminated"
            break
        started = router.started
        y, height, inner = await calls.evaluate(SCROLL_JS, "scroll")
        scrolled_at = time.monotonic()
        if not steps and y == 0 and height <= inner:  # nothing to scroll: no scroll event, nothing to react
            reason = "fits_viewport"
            break
        if y + inner >= height:  # at the bottom: one last look (pause, requests settled) before calling it
            after, waited = height, False
        else:  # mid-page: did the page react (a lazy loader's request, new content)?
            await asyncio.sleep(SETTLE_S)
            after = await calls.evaluate(HEIGHT_JS, "scroll")
            waited = after != height or router.started != started or router.inflight > 0
        if waited or y + inner >= after:
            await asyncio.sleep(max(0.0, scrolled_at + opts.scroll_pause_s - time.monotonic()))
            await network_idle(router, opts.idle_quiet_s, max(0.0, deadline - time.monotonic()))
            settled = await calls.evaluate(HEIGHT_JS, "scroll")
            waited = waited or settled != after or router.started != started
            after = settled
        steps.append({"y": y, "scroll_height": after, "waited": waited})
        if y + inner >= after and after == height and not waited:
            reason = "bottom"
            break
    actions.append({"step": "scroll", "steps": len(steps), "stopped": reason, "positions": steps,
                    "max_steps": opts.scroll_max_steps, "max_s": opts.scroll_max_s})
