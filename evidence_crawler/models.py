"""Data that crosses module boundaries: pydantic v2, frozen where the value is a fact.

Nothing here imports from the rest of the project, so every layer (and the offline verifier) can use it.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FORMAT = "evidence-crawler/manifest/1"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Digests(Frozen):
    """Both digests of one byte string; hex text, algorithm named by the field."""

    sha256: str
    blake3: str
    size: int

    @property
    def sha256_uri(self) -> str:
        return f"sha256:{self.sha256}"


class CaptureState(StrEnum):
    CAPTURING = "capturing"  # a live process is writing it
    INCOMPLETE = "incomplete"  # derived: "capturing" but the writer is gone (killed, crashed)
    SEALED = "sealed"
    FAILED = "failed"
    DISCARDED = "discarded"


class Artifact(Frozen):
    """One sealed file of a capture, stored content-addressed under ``objects/sha256/``."""

    name: str  # name inside the capture's artifacts/ folder
    role: Literal["warc", "pages", "items", "errors", "profile", "manifest",
                  "screenshot", "screenshot_viewport", "pdf", "dom", "renders", "part_manifest"]
    path: str  # relative to the store root (the content-addressed object)
    sha256: str
    blake3: str
    size: int


class PageRecord(Frozen):
    """One HTTP exchange as recorded in a WARC: what was asked, what came back, where it is kept."""

    url: str
    method: str = "GET"
    status: int
    fetched_at: str  # UTC ISO 8601 with microseconds, when the request was sent
    received_at: str  # when the complete response had arrived
    ip: str | None
    sha256: str  # of the body exactly as received (before content decoding)
    blake3: str
    size: int
    content_type: str | None = None
    content_encoding: str | None = None
    warc_file: str
    warc_offset: int
    warc_length: int
    record_id: str  # WARC-Record-ID of the response record
    request_record_id: str
    referrer: str | None = None
    depth: int = 0
    redirect_to: str | None = None
    tls_certificate_sha256: str | None = None
    robots: bool = False  # the exchange fetched a robots.txt
    partial: bool = False  # the connection broke mid-body: what arrived is kept, marked partial
    # distributed captures (added when the coordinator merges the workers' parts)
    worker: str | None = None  # which worker fetched it
    host: str | None = None  # on which machine
    duplicate_of: str | None = None  # record id of the same URL with identical bytes fetched earlier


class PageRef(Frozen):
    """What the spider needs to know about the exchange it parses (the full PageRecord is written later)."""

    sha256: str
    record_id: str
    fetched_at: str


class Offer(BaseModel):
    """Profile offer fields (raw text) plus the parsed ``amount`` (decimal string) and ``currency``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    amount: str | None = None
    currency: str | None = None


class Item(Frozen):
    kind: Literal["product", "p2p", "p2p_server", "p2p_hub", "p2p_share"] = "product"
    url: str
    key: str
    fields: dict[str, Any]
    offers: list[dict[str, Any]] = Field(default_factory=list)
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


class CaptureError(Frozen):
    url: str
    kind: str
    message: str
    at: str


class CustodyEvent(Frozen):
    seq: int
    ts: str
    event: str
    capture_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev: str  # hash of the previous event ("0"*64 for the first)
    hash: str  # sha256 over the canonical JSON of every other field
