"""ed2k:// and magnet: links: P2P evidence that the shop pointed buyers at a shared file."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from parsel import Selector


def parse_ed2k(link: str) -> dict[str, Any] | None:
    parts = link.split("|")
    # ed2k://|file|<name>|<size>|<md4 hash>|...|/
    if len(parts) < 5 or parts[1].lower() != "file":
        return None
    size = int(parts[3]) if parts[3].isdigit() else None
    return {"scheme": "ed2k", "name": unquote(parts[2]), "size": size, "hash": parts[4].lower(),
            "hash_type": "md4", "link": link}


def parse_magnet(link: str) -> dict[str, Any] | None:
    query = parse_qs(urlsplit(link).query)
    xt = next((v for v in query.get("xt", []) if v.startswith("urn:")), None)
    if xt is None:
        return None
    _, hash_type, *rest = xt.split(":")
    size = query.get("xl", [None])[0]
    return {"scheme": "magnet", "name": query.get("dn", [None])[0], "size": int(size) if size and size.isdigit()
            else None, "hash": ":".join(rest).lower(), "hash_type": hash_type.lower(), "link": link}


def p2p_links(page: Selector) -> list[dict[str, Any]]:
    found, seen = [], set()
    for href in page.css("a::attr(href)").getall():
        link = href.strip()
        low = link.lower()
        if link in seen:
            continue
        parsed = parse_ed2k(link) if low.startswith("ed2k://") else (
            parse_magnet(link) if low.startswith("magnet:") else None)
        if parsed:
            seen.add(link)
            found.append(parsed)
    return found
