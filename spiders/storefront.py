"""The one generic spider: what to follow and what to extract comes from a SiteProfile.

Run it via ``evidence-crawler crawl PROFILE`` or ``scrapy crawl storefront -a profile=FILE``. It yields
requests and plain item dicts only, and reports what the capture must list as errors (limits reached,
nothing to extract, refusals) as the ``capture_error`` signal; recording, hashing and sealing are the
pipelines' business. Spider
traps are bounded here, where links are chosen: depth, page count, and a cap per URL pattern (path with
digit runs folded, plus the *names* of query parameters) for non-item pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qsl, urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.url import canonicalize_url

from evidence_crawler import signals as evidence_signals
from evidence_crawler.charset import choose_encoding
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.extract import extract_fields, extract_offers, select
from evidence_crawler.failures import classify
from evidence_crawler.linktext import META_KEY, AnchorTexts, link_text
from evidence_crawler.p2p import link_kind, p2p_links
from evidence_crawler.profile import LoadedProfile, check_http_url, load_profile
from evidence_crawler.schemaorg import schema_org_products

_DIGITS = re.compile(r"\d+")


def url_pattern(url: str) -> str:
    parts = urlsplit(url)
    keys = ",".join(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return f"{parts.hostname}{_DIGITS.sub('#', parts.path)}?{keys}"


# verdict of a shared admission (url canonical, URL pattern, cap per pattern, page budget): "ok", "seen",
# "page_limit" or "trap_guard"
Admission = Callable[[str, str, int, int], str]


class StorefrontSpider(scrapy.Spider):
    name = "storefront"
    # set by a distributed worker (one Redis script): the page budget and the per-pattern caps then hold for
    # the whole capture, not per worker
    admission: Admission | None = None

    def __init__(self, profile: str | None = None, start_url: str | None = None,
                 max_pages: str | int | None = None, loaded_profile: LoadedProfile | None = None, **kw):
        super().__init__(**kw)
        if loaded_profile is None:
            if not profile:
                raise ValueError("the storefront spider needs a profile: -a profile=FILE.yaml")
            loaded_profile = load_profile(profile)
        if start_url:
            urls = [check_http_url(u) for u in (start_url if isinstance(start_url, list)
                                                 else start_url.split(","))]
            loaded_profile = loaded_profile.model_copy(
                update={"profile": loaded_profile.profile.with_start_urls(urls)})
        self.loaded_profile = loaded_profile
        self.profile = loaded_profile.profile
        self.allowed_domains = list(self.profile.allowed_domains)
        self.max_pages = int(max_pages) if max_pages else self.profile.limits.max_pages
        self.max_parse_bytes = EvidenceConfig.model_fields["max_parse_bytes"].default  # from_crawler: the setting
        self.item_re = self.profile.item_pages_regex()
        # scope is checked by _in_scope: LinkExtractor's allow_domains compares netlocs, so ports break it
        self._links = LinkExtractor(tags=("a", "area"), attrs=("href",), unique=True)
        self._scheduled: set[str] = set()
        self._patterns: Counter[str] = Counter()
        self._trap_reported: set[str] = set()
        self._limit_reported = False
        self._depth_reported = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_parse_bytes = crawler.settings.getint("EVIDENCE_MAX_PARSE_BYTES", spider.max_parse_bytes)
        return spider

    async def start(self):
        if self.settings.get("EVIDENCE_DISTRIBUTED"):
            return  # a distributed worker: the coordinator seeded the shared frontier with these requests
        for request in self.start_requests_list(self.settings.getbool("EVIDENCE_IGNORE_ROBOTS")):
            yield request

    def start_requests_list(self, ignore_robots: bool) -> list[scrapy.Request]:
        """The first requests of a capture (also what ``crawl --redis`` seeds into the shared frontier)."""
        out = []
        for url in self.profile.start_urls:
            if ignore_robots:  # robots.txt is always archived, even when it is not obeyed
                robots = urljoin(url, "/robots.txt")
                if self._admit(robots, force=True):
                    out.append(scrapy.Request(robots, callback=self.parse_robots, errback=self.errback,
                                              meta={"evidence_robots": True}, priority=100))
            if self._admit(url, force=True):
                out.append(scrapy.Request(url, callback=self.parse, errback=self.errback, dont_filter=True))
        return out

    def parse_robots(self, response):
        return None

    # --- link policy ---------------------------------------------------------------------------
    def is_item_page(self, url: str) -> bool:
        return bool(self.item_re and self.item_re.search(url))

    def _in_scope(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _admit(self, url: str, force: bool = False) -> bool:
        """Count a URL once against the page budget and the trap guard; False when over either.

        A distributed worker's shared :attr:`admission` decides instead of this spider's own counts.
        """
        canon = canonicalize_url(url)
        pattern = "" if force or self.is_item_page(url) else url_pattern(url)
        cap = self.profile.limits.max_per_pattern
        shared = self.admission
        if shared is None:
            verdict = self._admit_here(canon, pattern, cap)
        elif canon in self._scheduled:
            verdict = "seen"  # the shared set only grows: once seen anywhere, no need to ask Redis again
        else:
            verdict = shared(canon, pattern, cap, self.max_pages)
            if verdict in ("ok", "seen"):
                self._scheduled.add(canon)
        if verdict == "page_limit" and not self._limit_reported:
            self._limit_reported = True
            self._report(url, "page_limit", f"max_pages={self.max_pages} reached; further links not followed")
        elif verdict == "trap_guard" and pattern not in self._trap_reported:
            self._trap_reported.add(pattern)
            self._report(url, "trap_guard", f"more than {cap} pages match {pattern}; "
                         "further ones not followed (limits.max_per_pattern)")
        return verdict == "ok"

    def _admit_here(self, canon: str, pattern: str, cap: int) -> str:
        if canon in self._scheduled:
            return "seen"
        if len(self._scheduled) >= self.max_pages:
            return "page_limit"
        if pattern:
            self._patterns[pattern] += 1
            if self._patterns[pattern] > cap:
                return "trap_guard"
        self._scheduled.add(canon)
        return "ok"

    def _links_to_follow(self, response: TextResponse) -> list[tuple[str, str | None]]:
        """(URL, text of the link) in page order; the text is what a visitor clicked (``linktext``)."""
        texts = AnchorTexts(response.selector, response.urljoin)
        found: list[tuple[str, str | None]] = []
        if self.profile.follow is None:
            found = [(link.url, texts.text_for(link.url)) for link in self._links.extract_links(response)]
        else:
            for expr in self.profile.follow:
                for sel in select(response.selector, expr):
                    href = sel.root if isinstance(sel.root, str) else (
                        sel.attrib.get("href") or sel.attrib.get("src"))
                    if href:
                        url = response.urljoin(href.strip())
                        found.append((url, link_text(sel) or texts.text_for(url)))
            if self.item_re:
                for h in response.css("a::attr(href)").getall():
                    url = response.urljoin(h.strip())
                    if self.is_item_page(url):
                        found.append((url, texts.text_for(url)))
        out = []
        for url, text in found:
            url = url.split("#", 1)[0]
            if url.startswith(("http://", "https://")) and self._in_scope(url):
                out.append((url, text))
        return out

    # --- parsing -------------------------------------------------------------------------------
    def parse(self, response):
        if not isinstance(response, TextResponse) or "dataloss" in response.flags:
            return  # images, partial bodies: archived by the recorder, not parsed for links or items
        if len(response.body) > self.max_parse_bytes:
            # a DOM of millions of nodes costs gigabytes; the bytes are kept
            self._report(response.url, "too_large_to_parse", f"{len(response.body)} bytes > "
                         f"{self.max_parse_bytes} (EVIDENCE_MAX_PARSE_BYTES); kept, not parsed")
            return
        if response.selector.type != "html":
            return  # JSON, XML feeds: archived, not parsed
        header = response.headers.get(b"Content-Type", b"").decode("latin-1")
        m = re.search(r"charset=([\w.:-]+)", header, re.I)
        decision = choose_encoding(response.body, m.group(1) if m else None)
        if decision.encoding != response.encoding:
            response = response.replace(encoding=decision.encoding)
        page = response.meta.get("evidence_page")
        base = {"url": response.url, "page_sha256": page.sha256 if page else "",
                "record_id": page.record_id if page else None, "fetched_at": page.fetched_at if page else None,
                "encoding": str(decision)}
        for link in p2p_links(response.selector):
            yield {**base, "kind": link_kind(link), "source": "link", "key": link["link"], "fields": link, "offers": []}
        if self.is_item_page(response.url):
            yield from self._items(response, base)
        if response.meta.get("depth", 0) >= self.profile.limits.max_depth:
            if not self._depth_reported:
                self._depth_reported = True
                self._report(response.url, "depth_limit", f"max_depth={self.profile.limits.max_depth}"
                             " reached; links of deeper pages not followed (limits.max_depth)")
            return
        for url, text in self._links_to_follow(response):
            if self._admit(url):
                yield response.follow(url, callback=self.parse, errback=self.errback,
                                      meta={META_KEY: text} if text else None)

    def _items(self, response: TextResponse, base: dict):
        """Profile fields first; schema.org (JSON-LD, microdata) when the profile has none or none match."""
        products, source = [], "profile"
        if self.profile.fields:
            fields = extract_fields(response.selector, self.profile.fields)
            offers = extract_offers(response.selector, self.profile.offers) if self.profile.offers else []
            if any(v is not None for v in fields.values()) or offers:
                products = [{"fields": fields, "offers": offers}]
        if not products:
            products, source = schema_org_products(response.text, response.url), "schema.org"
            if self.profile.offers:
                for p in products:
                    p["offers"] = p["offers"] or extract_offers(response.selector, self.profile.offers)
        if not products:
            self._report(response.url, "extraction", "item page, but no profile field matched and "
                         "no schema.org product was found (page kept in the WARC)")
        for product in products:
            key_field = self.profile.key
            key = product["fields"].get(key_field) if key_field else None
            yield {**base, "kind": "product", "source": source, "key": key or response.url, **product}

    def errback(self, failure):
        exc = failure.value
        if not isinstance(exc, IgnoreRequest | HttpError):
            return  # transport failures are recorded per attempt by the WARC recorder
        kind, message = classify(exc)
        self._report(failure.request.url, kind, message)

    def _report(self, url: str, kind: str, message: str) -> None:
        """An error of the capture, as data: the capture's adapter records it (nobody may be listening: a
        coordinator building start requests, a bare benchmark run)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(evidence_signals.capture_error, url=url, kind=kind, message=message)
