"""Item de-duplication and the counts of a capture (what the manifest's ``counts`` says).

An identical item found under another URL is kept but flagged ``duplicate_of`` and not counted; the same
page parsed twice (a retry after resume) is recorded once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from evidence_crawler.models import Item


class ItemTally:
    def __init__(self) -> None:
        self.items = 0
        self.offers = 0
        self.p2p = 0
        # sha256 of the item's identity -> URL it was first recorded under. The identity holds the item's
        # fields and offers as JSON (~1 KB a product); its digest keeps this map at ~200 bytes an item,
        # the one per-page structure a long crawl keeps that bare Scrapy does not.
        self._seen: dict[bytes, str] = {}

    @staticmethod
    def _key(item: Item) -> bytes:
        page, fields = item.identity()
        return hashlib.sha256(f"{page}\0{fields}".encode()).digest()

    def admit(self, item: Item) -> Item | None:
        """The item to record (flagged if a duplicate), or None when it is already recorded."""
        key = self._key(item)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = item.url
        elif first == item.url:
            return None
        else:
            item = item.model_copy(update={"duplicate_of": first})
        return item

    def remember(self, item: Item) -> None:
        """An item recorded before a resume."""
        self._seen.setdefault(self._key(item), item.duplicate_of or item.url)
        self.count(item.model_dump(exclude_none=True))

    def count(self, item: dict[str, Any]) -> None:
        if item.get("duplicate_of"):
            return
        if item.get("kind") in ("p2p", "p2p_server"):
            self.p2p += 1
        else:
            self.items += 1
            self.offers += len(item.get("offers", []))
