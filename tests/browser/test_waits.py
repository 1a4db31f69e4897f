"""Network idle and time-limited page calls, against stand-ins for the router, the page and CDP (no browser)."""

from __future__ import annotations

import asyncio
import time

import pytest

from evidence_crawler.browser.waits import PageCalls, RenderHung, network_idle


class FakeRouter:
    def __init__(self) -> None:
        self.inflight = 0
        self.started = 0
        self.last_activity = time.monotonic()


def test_network_idle_waits_for_the_quiet_window_after_the_last_request():
    async def scenario() -> tuple[bool, float]:
        router = FakeRouter()

        async def traffic() -> None:  # a request 0.1 s in, answered at 0.2 s
            await asyncio.sleep(0.1)
            router.inflight, router.last_activity = 1, time.monotonic()
            await asyncio.sleep(0.1)
            router.inflight, router.last_activity = 0, time.monotonic()

        started = time.monotonic()
        task = asyncio.ensure_future(traffic())
        idle = await network_idle(router, 0.15, 5.0, since=started)
        await task
        return idle, time.monotonic() - started

    idle, took = asyncio.run(scenario())
    assert idle is True and 0.35 <= took < 1.5  # answered at 0.2 s + 0.15 s quiet


def test_network_idle_gives_up_at_its_timeout_when_requests_keep_coming():
    async def scenario() -> tuple[bool, float]:
        router = FakeRouter()
        router.inflight = 1  # never answered
        started = time.monotonic()
        return await network_idle(router, 0.1, 0.3), time.monotonic() - started

    idle, took = asyncio.run(scenario())
    assert idle is False and 0.3 <= took < 1.5


class FakePage:
    """``evaluate`` hangs while ``spinning``; terminating the scripts (CDP) stops the spin."""

    def __init__(self, spinning: bool, unstoppable: bool = False) -> None:
        self.spinning, self.unstoppable = spinning, unstoppable

    async def evaluate(self, js: str):
        while self.spinning:
            await asyncio.sleep(0.01)
        return "answered"


class FakeCdp:
    def __init__(self, page: FakePage) -> None:
        self.page, self.sent = page, []

    async def send(self, method: str, params=None):
        self.sent.append(method)
        if method == "Runtime.terminateExecution" and not self.page.unstoppable:
            self.page.spinning = False


def _calls(page: FakePage, partial: list, actions: list) -> tuple[PageCalls, FakeCdp]:
    cdp = FakeCdp(page)
    return PageCalls(page, cdp, 0.2, partial, actions), cdp


def test_a_spinning_page_is_terminated_once_and_the_call_answered(monkeypatch):
    monkeypatch.setattr("evidence_crawler.browser.waits.PROBE_S", 0.1)
    partial, actions = [], []
    calls, cdp = _calls(FakePage(spinning=True), partial, actions)

    async def two_calls_at_once():
        return await asyncio.gather(calls.evaluate("a", "DOM"), calls.evaluate("b", "viewport screenshot"))

    assert asyncio.run(two_calls_at_once()) == ["answered", "answered"]
    assert cdp.sent == ["Runtime.terminateExecution", "Emulation.setScriptExecutionDisabled"]  # once, not twice
    assert [a["step"] for a in actions] == ["terminate_scripts"] and len(partial) == 1
    assert "script did not yield" in partial[0] and calls.scripts_terminated


def test_a_page_that_answers_is_never_terminated():
    partial, actions = [], []
    calls, cdp = _calls(FakePage(spinning=False), partial, actions)
    assert asyncio.run(calls.evaluate("x")) == "answered"
    assert cdp.sent == [] and partial == [] and actions == []


def test_a_page_that_still_hangs_after_termination_raises_render_hung(monkeypatch):
    monkeypatch.setattr("evidence_crawler.browser.waits.PROBE_S", 0.1)
    calls, cdp = _calls(FakePage(spinning=True, unstoppable=True), [], [])
    with pytest.raises(RenderHung, match="even with its scripts terminated"):
        asyncio.run(calls.evaluate("x", "DOM"))
    assert "Runtime.terminateExecution" in cdp.sent
