"""P2P links on shop pages: shared files (``ed2k://|file|``, ``magnet:``) and the servers and hubs a shop
points buyers at (``ed2k://|server|``, ``ed2k://|serverlist|``, ``dchub://``, ``adc://``, ``adcs://``).

Each parsed link says which item kind it becomes (``link_kind``): a file is ``p2p``, a server or hub is
``p2p_server``, so a shop's hub can later be surveyed from its capture.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from parsel import Selector

from evidence_crawler.p2phub.url import HubUrlError, parse_hub_url

HUB_SCHEMES = ("dchub://", "adc://", "adcs://", "nmdc://", "nmdcs://")


def parse_ed2k(link: str) -> dict[str, Any] | None:
    parts = link.split("|")
    kind = parts[1].lower() if len(parts) > 1 else ""
    if kind in ("server", "serverlist"):
        return parse_ed2k_server(parts, link)
    # ed2k://|file|<name>|<size>|<md4 hash>|...|/
    if len(parts) < 5 or kind != "file":
        return None
    size = int(parts[3]) if parts[3].isdigit() else None
    return {"scheme": "ed2k", "name": unquote(parts[2]), "size": size, "hash": parts[4].lower(),
            "hash_type": "md4", "link": link}


def parse_ed2k_server(parts: list[str], link: str) -> dict[str, Any] | None:
    """``ed2k://|server|IP|PORT|/`` and ``ed2k://|serverlist|URL|/`` (a server.met list)."""
    if parts[1].lower() == "server":
        if len(parts) < 4 or not parts[2] or not parts[3].isdigit() or not 0 < int(parts[3]) < 65536:
            return None
        return {"scheme": "ed2k", "type": "server", "host": parts[2], "port": int(parts[3]), "link": link}
    if len(parts) < 3 or not parts[2].lower().startswith(("http://", "https://")):
        return None
    return {"scheme": "ed2k", "type": "serverlist", "list_url": parts[2], "link": link}


def parse_hub(link: str) -> dict[str, Any] | None:
    """A DC hub address; the same parser the hub survey uses, so a found link is surveyable as is."""
    try:
        hub = parse_hub_url(link)
    except HubUrlError:
        return None
    return {"scheme": hub.scheme, "type": "hub", "host": hub.host, "port": hub.port,
            "protocol": hub.protocol, "hub_url": hub.url, "link": link}


def link_kind(parsed: dict[str, Any]) -> str:
    """The ``Item.kind`` a parsed link becomes."""
    return "p2p_server" if parsed.get("type") in ("server", "serverlist", "hub") else "p2p"


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
            parse_magnet(link) if low.startswith("magnet:") else (
                parse_hub(link) if low.startswith(HUB_SCHEMES) else None))
        if parsed:
            seen.add(link)
            found.append(parsed)
    return found
