"""Run one crawl into the store: preflight checks, Scrapy in-process, summary of the sealed capture."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from evidence_crawler import signals as evidence_signals
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.models import CaptureState
from evidence_crawler.netguard import REFUSAL_HINT, check_destination
from evidence_crawler.profile import LoadedProfile, check_http_url, load_profile
from evidence_crawler.resolvers import shared_resolver
from storage.local import LocalStore


class CaptureRefused(Exception):
    """Nothing was captured; the message is the one line the operator needs."""


@dataclass
class CrawlRequest:
    profile_path: str
    start_urls: list[str]
    max_pages: int | None = None
    resume: str | None = None
    loaded: LoadedProfile | None = None  # a profile built in memory (one-off ``capture URL``), not read from a file
    settings: dict[str, Any] = field(default_factory=dict)  # extra Scrapy settings (render options)
    render: bool = False  # --render: render item pages even if the profile says render: false
    capture_id: str | None = None  # a fixed id (a distributed worker's part); default: a new one


def preflight(config: EvidenceConfig, req: CrawlRequest) -> LoadedProfile:
    # ProfileError propagates with file:line: field: reason
    loaded = req.loaded or load_profile(req.profile_path)
    if req.render and not loaded.profile.render:  # stated in the manifest's browser section (render mode)
        loaded = loaded.model_copy(update={"profile": loaded.profile.model_copy(update={"render": True})})
    if loaded.profile.render:
        from evidence_crawler.browser.locate import BrowserNotFound, locate_chromium

        try:
            locate_chromium(config.chromium or None)
        except BrowserNotFound as exc:
            raise CaptureRefused(f"profile {loaded.profile.name} has render: {loaded.profile.render}, but {exc}") \
                from None
    for url in req.start_urls:
        try:
            check_http_url(url)
        except ValueError as exc:
            raise CaptureRefused(f"start URL refused: {exc}") from None
    profile = loaded.profile.with_start_urls(req.start_urls) if req.start_urls else loaded.profile
    resolver = shared_resolver(config.dns_resolvers) if config.dns_resolvers else None
    for url in profile.start_urls:
        parts = urlsplit(url)
        try:
            res = check_destination(parts.hostname, parts.port, config.allow_private, resolver)
        except socket.gaierror as exc:
            raise CaptureRefused(f"start URL {url}: cannot resolve {parts.hostname}: {exc.strerror}") from None
        if res.refused:
            raise CaptureRefused(f"start URL {url} refused: {res.refused}; {REFUSAL_HINT}")
    return loaded


def build_settings(config: EvidenceConfig, capture_id: str, resume: bool, store: LocalStore,
                   log_level: str) -> dict[str, Any]:
    from evidence_crawler.settings import crawl_settings

    settings = crawl_settings(config)
    settings.set("EVIDENCE_RESUME_CAPTURE" if resume else "EVIDENCE_CAPTURE_ID", capture_id, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    return settings


def run_crawl(config: EvidenceConfig, req: CrawlRequest, on_progress: Callable[[str, int], None] | None = None,
              log_level: str = "WARNING") -> dict[str, Any]:
    """Crawl and seal; returns the capture summary (``state`` says whether it was sealed)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from spiders.storefront import StorefrontSpider

    loaded = preflight(config, req)
    store = LocalStore(config.store)
    if req.resume:
        from evidence_crawler.services.captures import read_state

        state = read_state(store, req.resume)  # KeyError names the missing capture; a sealed one is sealed
        capture_id = req.resume
        current = read_state(store, capture_id)["state"]
        running_here = current == CaptureState.CAPTURING and state.get("host") == socket.gethostname()
        if current in (CaptureState.SEALED, CaptureState.FAILED, CaptureState.DISCARDED) or running_here:
            raise CaptureRefused(f"capture {capture_id} is {current}; only an incomplete capture can be resumed")
        if state["profile"] != loaded.profile.name:
            raise CaptureRefused(f"capture {capture_id} was made with profile {state['profile']!r}, "
                                 f"not {loaded.profile.name!r}")
    else:
        capture_id = req.capture_id or store.new_capture_id(loaded.profile.name)
    settings = build_settings(config, capture_id, bool(req.resume), store, log_level)
    settings.update(req.settings, priority="cmdline")
    if config.dns_resolvers and "DNS_RESOLVER" in req.settings:  # over capture URL's IPv6 resolver
        from evidence_crawler.config import CONFIGURED_RESOLVER

        settings.set("DNS_RESOLVER", CONFIGURED_RESOLVER, priority="cmdline")
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(log_level)
    crawler = process.create_crawler(StorefrontSpider)
    opened = []
    crawler.signals.connect(lambda session: opened.append(session), signal=evidence_signals.capture_opened,
                            weak=False)
    if on_progress is not None:
        crawler.signals.connect(lambda response, request, spider: on_progress("page", 1),
                                signal=signals.response_received, weak=False)
        crawler.signals.connect(lambda item, response, spider: on_progress("item", 1),
                                signal=signals.item_scraped, weak=False)
    process.crawl(crawler, loaded_profile=loaded, start_url=req.start_urls or None, max_pages=req.max_pages)
    process.start()
    if not opened:
        raise CaptureRefused("the crawl did not start (see the log above)")
    summary = opened[0].summary()
    if summary.get("state") == "sealed" and config.s3_bucket:  # queued the moment it is sealed; never fails the crawl
        from evidence_crawler.services.archive import archive_after_seal

        summary["archive"] = archive_after_seal(config, store, summary["capture_id"])
    return summary
