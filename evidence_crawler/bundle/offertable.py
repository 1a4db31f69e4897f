"""The report's offers: one row per item, a column per format (price as shown, and the amount read
from it), grouped by artist when the items have one; and the price range per currency for the summary.

Formats are columns only while they are few (``MAX_FORMAT_COLUMNS``): a shop whose every offer has its
own format (10,000 "formats" on one page have been seen) gets one cell listing each offer instead, so
no offer is ever dropped from the report.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

MAX_FORMAT_COLUMNS = 6


def products(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i.get("kind", "product") == "product" and not i.get("duplicate_of")]


def _title(item: dict[str, Any]) -> str:
    fields = item.get("fields") or {}
    return str(fields.get("title") or fields.get("name") or item.get("key") or item["url"])


def _group(rows: list[dict[str, Any]], artist: str | None) -> dict[str, Any]:
    formats: list[str] = []
    for r in rows:
        formats += [f for f in r["by_format"] if f not in formats]
    columns = formats if len(formats) <= MAX_FORMAT_COLUMNS else []
    return {"artist": artist, "formats": columns, "rows": rows}


def shown_url(url: str, sites: set[str]) -> str:
    """The URL as the offers table shows it: path and query only when the report covers one site."""
    parts = urlsplit(url)
    if len(sites) == 1 and parts.netloc in sites:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url


def offer_groups(items: list[dict[str, Any]], sites: set[str] | None = None) -> list[dict[str, Any]]:
    """``[{"artist", "formats", "rows": [{"title", "url", "shown_url", "key", "by_format": {fmt: [offer]},
    "offers"}]}]``; one group (artist None) when no item names an artist."""
    rows_by_artist: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    grouped = any((i.get("fields") or {}).get("artist") for i in products(items))
    for item in products(items):
        offers = item.get("offers") or []
        if not offers:
            continue
        by_format: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in offers:
            by_format[str(o.get("format") or "")].append(o)
        artist = str((item.get("fields") or {}).get("artist") or "") if grouped else None
        rows_by_artist[artist].append({"title": _title(item), "url": item["url"], "key": item.get("key"),
                                       "shown_url": shown_url(item["url"], sites or set()),
                                       "by_format": dict(by_format), "offers": offers})
    return [_group(rows, artist) for artist, rows in sorted(rows_by_artist.items(), key=lambda kv: kv[0] or "")]


def price_ranges(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Lowest and highest amount per currency over every offer (amounts as recorded, exact decimals)."""
    seen: dict[str, list[Decimal]] = defaultdict(list)
    for item in products(items):
        for o in item.get("offers") or []:
            try:
                seen[str(o.get("currency") or "?")].append(Decimal(str(o["amount"])))
            except (KeyError, InvalidOperation, TypeError, ValueError):
                continue
    return [{"currency": c, "low": str(min(v)), "high": str(max(v)), "offers": str(len(v))}
            for c, v in sorted(seen.items())]
