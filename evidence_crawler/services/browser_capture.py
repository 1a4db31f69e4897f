"""One-off ``capture URL``: a crawl of exactly one page, rendered, sealed like any capture.

It reuses the whole crawl path (guard, WARC recorder, render middleware, session, seal) with a profile
built in memory (``name: capture-<host>``, the URL as its only start URL, no links followed, ``render:
all``); that profile's YAML is sealed as ``profile.yaml`` like any other, so the capture explains itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.hashing import sha256_hex
from evidence_crawler.models import CaptureManifest
from evidence_crawler.profile import LoadedProfile, check_http_url, parse_profile
from evidence_crawler.services.capture import CaptureRefused, CrawlRequest, run_crawl

IPV6_RESOLVER = "scrapy.resolver.CachingHostnameResolver"  # getaddrinfo: IPv4 and IPv6, literals included


@dataclass(frozen=True)
class CaptureOptions:
    wait_selector: str | None = None
    scroll: bool = True
    timeout_s: float = 30.0

    def scrapy_settings(self) -> dict[str, Any]:
        # Scrapy's default resolver is gethostbyname (IPv4 only): ``http://[::1]:8000/`` failed as a DNS error
        return {"EVIDENCE_RENDER_WAIT": self.wait_selector or "", "EVIDENCE_RENDER_SCROLL": self.scroll,
                "EVIDENCE_RENDER_TIMEOUT_S": self.timeout_s, "DNS_RESOLVER": IPV6_RESOLVER}


def one_page_profile(url: str) -> LoadedProfile:
    try:
        check_http_url(url)
    except ValueError as exc:
        raise CaptureRefused(f"URL refused: {exc}") from None
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", urlsplit(url).hostname or "host").strip("-.") or "host"
    text = ("# one-off capture: evidence-crawler capture URL\n" + yaml.safe_dump(
        {"name": f"capture-{host}"[:64], "start_urls": [url], "follow": [], "render": "all",
         "limits": {"max_pages": 1}}, sort_keys=False, allow_unicode=True))
    profile = parse_profile(text, "<capture URL>")
    return LoadedProfile(profile=profile, path="<capture URL>", sha256=sha256_hex(text.encode()), text=text)


def run_capture(config: EvidenceConfig, url: str, opts: CaptureOptions,
                on_progress: Callable[[str, int], None] | None = None, log_level: str = "WARNING") -> dict[str, Any]:
    """Capture one URL; the summary has the shape of ``crawl --json`` plus ``partial``."""
    loaded = one_page_profile(url)
    summary = run_crawl(config, CrawlRequest("<capture URL>", [], loaded=loaded, settings=opts.scrapy_settings()),
                        on_progress, log_level)
    summary["partial"] = False
    if summary.get("state") == "sealed":
        navigation = (CaptureManifest.read(summary["manifest"]).browser or {}).get("navigation", [])
        summary["partial"] = any(n["partial"] for n in navigation)
        summary["rendered"] = len(navigation)
    return summary
