"""What extraction found on a page: an item (a product or a P2P link) and its offers."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence_crawler.models.base import Frozen


class Offer(BaseModel):
    """Profile offer fields (raw text) plus the parsed ``amount`` (decimal string) and ``currency``; the
    other keys are whatever the site profile names, so they are kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    amount: str | None = None
    currency: str | None = None


class Item(Frozen):
    """A line of ``items.jsonl``."""

    kind: Literal["product", "p2p", "p2p_server", "p2p_hub", "p2p_share"] = "product"
    url: str
    key: str
    fields: dict[str, Any]  # named by the site profile
    offers: list[dict[str, Any]] = Field(default_factory=list)  # each an Offer
    page_sha256: str
    record_id: str | None = None
    fetched_at: str | None = None
    encoding: str | None = None  # how the page text was decoded, and why (see charset.py)
    source: Literal["profile", "schema.org", "link", "survey"] = "profile"
    duplicate_of: str | None = None  # URL of an identical item already recorded in this capture

    def identity(self) -> tuple[str, str]:
        """Same identity = the same item: same page bytes (products) and the same fields and offers."""
        fields_key = json.dumps([self.kind, self.fields, self.offers], sort_keys=True, ensure_ascii=False)
        return (self.page_sha256 if self.kind == "product" else "", fields_key)
