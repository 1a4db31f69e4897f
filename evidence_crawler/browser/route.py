"""The browser's only way out: every request is answered by the crawler, every WebSocket is refused.

``Router`` is the context's ``route("**/*")`` handler: the document from the bytes the crawler already
fetched, everything else through ``fetch`` (which fetches through the crawler's downloader and archives
the bytes as received), or aborted when the crawler refuses. It also counts the requests in flight and
the time of the last network activity, which is what :mod:`.waits` calls network idle.

WebSockets are not HTTP requests and ``route`` never sees them; unrouted, Chromium would open them
itself, straight to the network, unrecorded and past the SSRF guard. ``block_websocket`` is the
context's ``route_web_socket("**/*")`` handler: it never connects to the server, closes the page's
socket (code 1008, policy violation) and records the URL, the subprotocol and what the page tried to
send before the close reached it. The WARC cannot hold what was never fetched, so nothing is fetched.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError

DROP_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
WS_CLOSE_CODE = 1008  # policy violation
WS_CLOSE_REASON = "blocked by evidence-crawler: WebSocket traffic cannot be fetched and archived"
WS_MAX_MESSAGES = 5  # what the page sent before the close: at most this many, each cut at WS_MAX_CHARS
WS_MAX_CHARS = 500


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


def header_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers:
        if k.lower() in DROP_HEADERS:
            continue
        key = k.lower()
        out[key] = f"{out[key]}\n{v}" if key in out else v  # Playwright splits Set-Cookie on newlines
    return out


def same_url(a: str, b: str) -> bool:
    """Same document, ignoring the fragment and an empty path (the browser writes ``/``)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path or "/", pa.query) == (pb.scheme, pb.netloc, pb.path or "/", pb.query)


async def quietly(coro) -> None:
    try:
        await coro
    except PlaywrightError:
        pass


class Router:
    """The context's route handler; ``requests``/``websockets`` are the render's lists (appended to)."""

    def __init__(self, url: str, requests: list, websockets: list, doc: Fetched | None, fetch: Fetch) -> None:
        self.url, self.requests, self.websockets, self.doc, self.fetch = url, requests, websockets, doc, fetch
        self.inflight = 0  # requests being fetched for the browser
        self.started = 0  # requests routed so far (a scroll that started none triggered no lazy loading)
        self.last_activity = time.monotonic()  # a request routed or answered

    def _touch(self) -> None:
        self.last_activity = time.monotonic()

    async def __call__(self, route) -> None:
        self.inflight += 1
        self.started += 1
        self._touch()
        try:
            await self._answer(route)
        finally:
            self.inflight -= 1
            self._touch()

    async def _answer(self, route) -> None:
        req = route.request
        entry: dict[str, Any] = {"url": req.url, "method": req.method, "resource_type": req.resource_type}
        self.requests.append(entry)
        try:
            if self.doc is not None and req.is_navigation_request() and same_url(req.url, self.url):
                answer, self.doc = self.doc, None
                entry["from"] = "document"
            else:
                answer = await self.fetch(BrowserRequest(req.url, req.method, req.headers, req.post_data_buffer,
                                                         req.resource_type, req.is_navigation_request()))
            entry["status"] = answer.status
            if answer.redirected_to:
                entry["redirected_to"] = answer.redirected_to
            await route.fulfill(status=answer.status, headers=header_dict(answer.headers), body=answer.body)
        except FetchRefused as exc:
            entry["error"] = {"kind": exc.kind, "message": str(exc)}
            await quietly(route.abort("blockedbyclient"))
        except PlaywrightError:
            pass  # the page or context closed while this was in flight: the fetch is recorded anyway

    async def block_websocket(self, ws) -> None:
        """Refuse the page's WebSocket without connecting to the server (see the module docstring)."""
        entry: dict[str, Any] = {"url": ws.url, "action": "blocked, never connected", "close_code": WS_CLOSE_CODE,
                                 "page_sent": []}
        self.websockets.append(entry)

        def sent(message: str | bytes) -> None:
            if len(entry["page_sent"]) < WS_MAX_MESSAGES:
                text = message if isinstance(message, str) else f"<{len(message)} bytes>"
                entry["page_sent"].append(text[:WS_MAX_CHARS])

        ws.on_message(sent)
        self._touch()
        await quietly(ws.close(code=WS_CLOSE_CODE, reason=WS_CLOSE_REASON))
