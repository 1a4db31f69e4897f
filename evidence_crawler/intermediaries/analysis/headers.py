"""CDN and hosting hints in response headers (``server``, ``via``, ``cf-ray``, ``x-cache``...).

A header *names* a provider only when it is that provider's own signature (``cf-ray`` is Cloudflare's,
``x-amz-cf-id`` CloudFront's); generic caches (``x-cache: HIT``, ``via: 1.1 varnish``) are kept as
hints with no provider, because a court should not read a guess as a finding.
"""

from __future__ import annotations

import re

from evidence_crawler.intermediaries.analysis.pages import CapturedPage
from evidence_crawler.intermediaries.records import Frozen

# (header, regex on the value or None for "present", provider)
_SIGNATURES: tuple[tuple[str, str | None, str], ...] = (
    ("cf-ray", None, "Cloudflare"), ("cf-cache-status", None, "Cloudflare"), ("server", r"^cloudflare", "Cloudflare"),
    ("x-amz-cf-id", None, "Amazon CloudFront"), ("x-amz-cf-pop", None, "Amazon CloudFront"),
    ("via", r"cloudfront", "Amazon CloudFront"), ("x-cache", r"cloudfront", "Amazon CloudFront"),
    ("server", r"^akamai", "Akamai"), ("akamai-grn", None, "Akamai"), ("x-akamai-transformed", None, "Akamai"),
    ("x-akamai-request-id", None, "Akamai"),
    ("x-fastly-request-id", None, "Fastly"), ("x-served-by", r"^cache-", "Fastly"),
    ("fastly-debug-digest", None, "Fastly"),
    ("server", r"ddos-guard", "DDoS-Guard"), ("server", r"stormwall", "StormWall"),
    ("x-sucuri-id", None, "Sucuri"), ("x-iinfo", None, "Imperva"), ("x-cdn", r"imperva|incapsula", "Imperva"),
    ("server", r"^ngenix", "NGENIX"), ("x-cdn", r"cdnvideo", "CDNvideo"), ("server", r"^bunnycdn", "bunny.net"),
    ("x-azure-ref", None, "Microsoft Azure CDN"), ("server", r"^gcore", "Gcore"), ("x-id", r"^gcore", "Gcore"),
    ("x-vercel-id", None, "Vercel"), ("x-nf-request-id", None, "Netlify"),
    ("x-github-request-id", None, "GitHub Pages"),
)
_HINT_HEADERS = ("server", "via", "x-cache", "x-served-by", "x-powered-by", "x-cdn", "x-hosted-by", "x-backend-server")


class HeaderHint(Frozen):
    page_url: str
    page_sha256: str
    header: str
    value: str
    provider: str | None = None  # set only by a provider's own signature


def header_hints(page: CapturedPage) -> tuple[HeaderHint, ...]:
    hints: dict[tuple[str, str], HeaderHint] = {}
    for name, value in page.headers:
        lname, value = name.lower(), value.strip()[:300]
        provider = next((p for h, rx, p in _SIGNATURES if h == lname and (rx is None or re.search(rx, value, re.I))),
                        None)
        if provider or lname in _HINT_HEADERS:
            key = (lname, value)
            if key not in hints or provider:
                hints[key] = HeaderHint(page_url=page.url, page_sha256=page.sha256, header=lname, value=value,
                                        provider=provider)
    return tuple(hints.values())
