"""RenderMiddleware: pages chosen by the profile's ``render`` are rendered in Chromium from archived bytes.

Off (``NotConfigured``, nothing of Playwright imported) unless the profile says ``render: true`` (item
pages) or ``render: all`` (every HTML page). At 500 in the downloader order its ``process_response``
runs after the WARC recorder (950), redirects (600) and content decoding (590): the document's raw bytes
are already in the WARC, and the decoded body is what the browser gets for the navigation. Every other
request the browser makes goes through ``engine.download_async``, i.e. the same guard (SSRF), robots,
retry, redirect and WARC recorder as any crawled page, so each sub-resource has its request/response
records (every redirect hop too). Redirects are followed here, not by the browser: Chromium does not
follow a redirect answered from a route, so the browser gets the final body under the URL it asked for.
The spider then parses the rendered DOM; its items still point at the document's raw ``page_sha256``.

A browser that crashes (or is killed) mid-render is relaunched and the page is rendered once more; a
second failure drops the page (``render_failed`` in errors; its raw bytes stay in the WARC) and the
crawl goes on. A page that still does not answer after its scripts were terminated (``RenderHung``) is
dropped at once: a second attempt would hang the same way. WebSockets the page opened were refused by
the browser package; each is listed in errors as ``websocket_blocked``.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse

from evidence_crawler.failures import classify
from pipelines.session import capture_session

log = logging.getLogger(__name__)

BROWSER_REQUEST_HEADERS_DROPPED = {"accept-encoding"}  # Scrapy asks for what it can decode, and records it


def _header_list(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in headers.items() for v in vs]


class RenderMiddleware:
    def __init__(self, crawler, mode, pool, opts) -> None:
        self.crawler = crawler
        self.mode = mode
        self.pool = pool
        self.opts = opts
        self.evidence = None

    @classmethod
    def from_crawler(cls, crawler):
        profile = getattr(crawler.spider, "profile", None)
        mode = getattr(profile, "render", False)
        if not mode:
            raise NotConfigured  # no message: Scrapy would log every non-rendering crawl as a WARNING
        from evidence_crawler.browser.locate import locate_chromium
        from evidence_crawler.browser.options import RenderOptions
        from evidence_crawler.browser.pool import BrowserPool

        opts = RenderOptions.from_settings(crawler.settings)
        pool = BrowserPool(locate_chromium(crawler.settings.get("EVIDENCE_CHROMIUM")), opts)
        mw = cls(crawler, mode, pool, opts)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    async def spider_closed(self, spider=None):
        await self.pool.close()

    def _wants(self, request, response) -> bool:
        meta = request.meta
        if meta.get("evidence_subresource") or "dataloss" in response.flags or response.url.endswith("/robots.txt"):
            return False  # robots.txt: the spider's and RobotsTxtMiddleware's (a 404 page can be HTML)
        if not isinstance(response, HtmlResponse) or 300 <= response.status < 400:
            return False
        if self.mode == "all":  # error pages too: a one-off capture of a 404 shows what the visitor saw
            return True
        return 200 <= response.status < 300 and self.crawler.spider.is_item_page(response.url)

    async def process_response(self, request, response, spider=None):
        if not self._wants(request, response):
            return response
        from evidence_crawler.browser.render import Fetched, RenderHung

        session = capture_session(self.crawler)
        doc = Fetched(response.status, _header_list(response.headers), response.body)
        page = request.meta.get("evidence_page")
        for attempt in (1, 2):
            try:
                result = await self.pool.render(response.url, doc, self._fetcher(response.url))
                break
            except Exception as exc:  # noqa: BLE001 - Playwright raises many types; a crash shows as any of them
                crashed = not self.pool.connected
                what = "browser crashed" if crashed else "render failed"
                if isinstance(exc, RenderHung):  # the same page would hang the same way: not retried
                    session.record_error(response.url, "render_failed", f"{exc}; page not rendered, not "
                                         "retried, its raw bytes are in the WARC")
                    raise IgnoreRequest(f"render hung: {response.url}") from exc
                if attempt == 2:
                    session.record_error(response.url, "render_failed", f"{what} twice ({type(exc).__name__}: "
                                         f"{exc}); page not rendered, its raw bytes are in the WARC")
                    raise IgnoreRequest(f"render failed: {response.url}") from exc
                session.record_error(response.url, "render_retry", f"{what} ({type(exc).__name__}: "
                                     f"{str(exc)[:300]}); rendering once more")
        self._evidence(session).update_browser(self.pool.info)
        self.evidence.keep(result, page, attempt)
        if result.partial:
            session.record_error(response.url, "render_partial", "; ".join(result.partial) +
                                 " (captured what was there; marked partial)")
        for ws in result.websockets:
            session.record_error(ws["url"], "websocket_blocked", f"WebSocket opened by {response.url} refused: "
                                 "never connected, nothing fetched (recorded in renders.jsonl)")
        headers = response.headers.copy()
        headers["Content-Type"] = "text/html; charset=utf-8"
        return response.replace(cls=HtmlResponse, body=result.dom, encoding="utf-8", headers=headers,
                                flags=[*response.flags, "rendered"])

    def _evidence(self, session):
        if self.evidence is None:
            from pipelines.render_record import RenderEvidence

            o = self.opts
            context = {"viewport": {"width": o.viewport_width, "height": o.viewport_height},
                       "device_scale_factor": o.device_scale_factor, "locale": o.locale, "timezone": o.timezone,
                       "render": self.mode, "fresh_context_per_page": self.pool.CONTEXT_PER_RENDER}
            self.evidence = RenderEvidence(session, self.pool.info, o.as_dict(), context)
            session.browser_clean_state = self.pool.clean_state()
        return self.evidence

    def _fetcher(self, page_url: str):
        from evidence_crawler.browser.render import Fetched, FetchRefused

        async def fetch(breq):
            if not breq.url.startswith(("http://", "https://")):
                raise FetchRefused("unsupported", f"not an http(s) URL: {breq.url[:200]}")
            headers = {k: v for k, v in breq.headers.items() if k.lower() not in BROWSER_REQUEST_HEADERS_DROPPED}
            req = Request(breq.url, method=breq.method, headers=headers, body=breq.body or b"", dont_filter=True,
                          meta={"evidence_subresource": True, "evidence_rendered_page": page_url,
                                "allow_offsite": True, "dont_merge_cookies": True})
            try:
                resp = await self.crawler.engine.download_async(req)
            except Exception as exc:  # noqa: BLE001 - transport failures are recorded by the WARC recorder
                kind, message = classify(exc)
                if isinstance(exc, IgnoreRequest):  # refusals (SSRF guard, robots) are recorded here
                    capture_session(self.crawler).record_error(
                        breq.url, kind, f"browser request from {page_url}: {message}")
                raise FetchRefused(kind, message) from None
            return Fetched(resp.status, _header_list(resp.headers), resp.body,
                           resp.url if resp.url != breq.url else None)

        return fetch
