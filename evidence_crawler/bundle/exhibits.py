"""Which pages the report shows as exhibits, in navigation order, each with the hyperlink path from the
start page to it.

Chosen by ``export --exhibit URL_REGEX`` (RE2, as the profile's patterns; repeatable): the HTML pages
whose URL matches, in capture order. Otherwise automatically: the start page, then for each item (items
with repertoire findings first, then by key) the item's page and the pages on its path, as long as the
whole stays within ``--max-exhibits``. The path is the ``referrer`` chain of the recorded exchanges,
each hop with the anchor text that was followed (``link_text``, recorded at capture; absent in older
captures, where the hop's URL alone is shown).
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.bundle.offertable import products
from evidence_crawler.bundle.pages import is_html

DEFAULT_MAX_EXHIBITS = 20
MAX_HOPS = 50  # a referrer chain longer than this (or a loop) is cut: the path is shown up to there


def _pages(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first complete HTML answer per URL (what the report calls "the page")."""
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        if is_html(e) and e.get("status") == 200 and e["url"] not in out:
            out[e["url"]] = e
    return out


class Navigation:
    """The recorded exchanges of one capture, indexed to walk the referrer chain back to the start page."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.pages = _pages(entries)
        self.any: dict[str, dict[str, Any]] = {}
        for e in entries:
            self.any.setdefault(e["url"], e)
        self.redirected_from = {e["redirect_to"]: e["url"] for e in entries if e.get("redirect_to")}

    def path(self, url: str) -> list[dict[str, Any]]:
        """``[{"url", "link_text"}]`` from the start page to ``url`` (included), following referrers."""
        hops: list[dict[str, Any]] = []
        seen: set[str] = set()
        cur: str | None = url
        while cur and cur not in seen and len(hops) < MAX_HOPS:
            seen.add(cur)
            e = self.pages.get(cur) or self.any.get(cur)
            if e is not None and not e.get("referrer") and cur in self.redirected_from:
                e = self.any.get(self.redirected_from[cur], e)  # reached through a redirect: its referrer
            hops.append({"url": cur, "link_text": (e or {}).get("link_text")})
            cur = (e or {}).get("referrer")
        return list(reversed(hops))

    def page_urls(self, url: str) -> list[str]:
        return [h["url"] for h in self.path(url) if h["url"] in self.pages]


def choose(entries: list[dict[str, Any]], items: list[dict[str, Any]], patterns: list[Any], max_exhibits: int,
           finding_urls: set[str]) -> list[dict[str, Any]]:
    """The exhibit pages of one capture (entries as in the report), in capture order."""
    nav = Navigation(entries)
    by_url = nav.pages
    order = {url: n for n, url in enumerate(by_url)}
    if patterns:
        chosen = [u for u in by_url if any(p.search(u) for p in patterns)][:max_exhibits]
    else:
        starts = [u for u, e in by_url.items() if not e.get("depth")][:1] or list(by_url)[:1]
        chosen = list(starts)
        ranked = sorted(products(items), key=lambda i: (i["url"] not in finding_urls, str(i.get("key") or i["url"])))
        for item in ranked:
            if len(chosen) >= max_exhibits:
                break
            target = item["url"] if item["url"] in by_url else None
            if target is None:
                continue
            needed = [u for u in nav.page_urls(target) if u not in chosen]
            if len(chosen) + len(needed) > max_exhibits:
                continue
            chosen += needed
    out = []
    for url in sorted(chosen, key=order.__getitem__):
        e = by_url[url]
        out.append({**e, "path": nav.path(url)})
    return out
