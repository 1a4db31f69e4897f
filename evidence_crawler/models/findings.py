"""Repertoire records that cross module boundaries: a catalogue row (``Work``), an imported catalogue version
(``RepertoireVersion``, the store's registry entry) and the sealed findings of one match run (``Findings``).

Here, not in ``evidence_crawler.repertoire``, so the offline bundle verifier and ``schema findings`` can read
them without the matching engine. The findings file's bytes are written by ``repertoire.findings``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from evidence_crawler.models.base import Frozen, JsonDocument

FINDINGS_FORMAT = "evidence-crawler/findings/1"
Method = Literal["code", "exact", "normalised", "transliterated", "fuzzy"]


class Work(Frozen):
    """One catalogue row. ``row`` is the spreadsheet row number (the header is row 1)."""

    row: int
    artist: str | None = None
    title: str | None = None
    kind: Literal["album", "track"] = "album"
    isrc: str | None = None  # compact form, checked by python-stdnum
    upc: str | None = None  # GTIN-13 (UPC-A gets its leading zero), GTIN-8 as is
    label: str | None = None
    year: int | None = None
    rights_holder: str | None = None
    ref_price: str | None = None  # decimal string, "9,99" read as "9.99"
    ref_currency: str | None = None  # ISO 4217
    ref_store: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)  # the other columns, header as written


class SkippedRow(Frozen):
    row: int
    reason: str


class RepertoireVersion(JsonDocument):
    """``<store>/repertoires/<name>/<version>.json``: one import of a catalogue file, never rewritten."""

    name: str
    version: int
    file: str  # the file name as given at import (the object is named by its sha256)
    ext: str  # "csv" or "xlsx": how the bundle names its copy
    sha256: str
    blake3: str
    size: int
    object: str  # the store's content-addressed object, relative to the store root
    imported_at: str
    imported_by: str
    encoding: str | None
    delimiter: str | None
    rows: int  # data rows seen
    works: int
    skipped: list[SkippedRow]
    skipped_count: int


class Money(Frozen):
    amount: str
    currency: str | None


class Reference(Money):
    store: str | None = None


class PriceFinding(Frozen):
    cheapest: Money | None
    reference: Reference | None
    ratio: float | None  # reference / cheapest offer, both in the reference currency; None when not comparable


class RepertoireRef(Frozen):
    name: str
    version: int
    sha256: str  # of the imported catalogue file
    works: int


class ItemRef(Frozen):
    url: str
    key: str
    fields: dict[str, Any]


class WarcRef(Frozen):
    file: str | None
    offset: int | None


class MatchFinding(Frozen):
    work: Work
    item: ItemRef
    score: int
    method: Method
    review: bool
    offers: list[dict[str, Any]]
    page_sha256: str
    warc: WarcRef
    price: PriceFinding


class HolderSummary(Frozen):
    works: int  # distinct works with a match that needs no review
    offers: int  # offers on those matches' items
    cheapest_ratio: float | None  # the largest reference / offer ratio among them: the deepest undercut
    review: int  # further works whose only matches need review


class Findings(JsonDocument):
    """The findings file (``match --json``; ``evidence/findings.json`` in a bundle)."""

    format: Literal["evidence-crawler/findings/1"] = FINDINGS_FORMAT
    capture_id: str
    repertoire: RepertoireRef
    min_score: int
    review_below: int
    fx: dict[str, str]
    matches: list[MatchFinding]
    unmatched_works: int  # works with no match at all, not even one needing review
    by_rights_holder: dict[str, HolderSummary]
