"""Registered domain from the public suffix list.

tldextract is already in the lock (Scrapy uses it) and ships a PSL snapshot; we read only that snapshot
(no network fetch, no cache directory) so the answer is the same on every machine with the same lock,
and use its ICANN section only: a registrar registers under ``ru`` or ``co.uk``, while private suffixes
(``blogspot.com``) are hosting products whose domain is the provider's.
"""

from __future__ import annotations

import tldextract

_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def registered_domain(host: str) -> str | None:
    """``www.allofmp3-demo.ru`` -> ``allofmp3-demo.ru``; None for an IP, a bare suffix or an unknown TLD."""
    return _PSL(host.rstrip(".").lower()).top_domain_under_public_suffix or None
