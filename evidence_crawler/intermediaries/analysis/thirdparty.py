"""Third-party hosts a page loaded: from the browser's render records and the page's own references.

A host is third-party when its registered domain differs from the page's. Anchors are left out (a link
is not a load); payments.py reads those. Each host is named from :mod:`hosts` when known.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from evidence_crawler.intermediaries.analysis.hosts import known_host
from evidence_crawler.intermediaries.analysis.pages import CapturedPage
from evidence_crawler.intermediaries.psl import registered_domain
from evidence_crawler.intermediaries.records import Frozen

LOADED_TAGS = ("script", "iframe", "img", "link", "form")


class ThirdPartyHost(Frozen):
    host: str
    registered_domain: str | None
    name: str | None = None
    role: str | None = None
    page_url: str
    page_sha256: str
    via: str  # "render" or the tag that references it
    example_url: str | None = None


def _domain_of(host: str) -> str:
    return registered_domain(host) or host


def third_party_hosts(page: CapturedPage) -> tuple[ThirdPartyHost, ...]:
    own = _domain_of(urlsplit(page.url).hostname or "")
    seen: dict[str, ThirdPartyHost] = {}

    def add(host: str, via: str, url: str | None, path: str = "") -> None:
        host = host.lower().rstrip(".")
        if not host or _domain_of(host) == own or host in seen:
            return
        row = known_host(host, path)
        seen[host] = ThirdPartyHost(host=host, registered_domain=registered_domain(host), name=row and row.name,
                                    role=row and row.role, page_url=page.url, page_sha256=page.sha256, via=via,
                                    example_url=url)

    for link in page.links:
        if link.tag in LOADED_TAGS:
            parts = urlsplit(link.url)
            if parts.scheme in ("http", "https") and parts.hostname:
                add(parts.hostname, link.tag, link.url, parts.path)
    for host in page.rendered_hosts:
        add(host, "render", None)
    return tuple(sorted(seen.values(), key=lambda h: h.host))
