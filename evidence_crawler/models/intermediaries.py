"""The manifest's ``intermediaries`` section (issue 18): who hosts, names, secures, serves and pays for a shop.

Written at sealing by ``capture/intermediaries.py`` from the step's report (``intermediaries.run``); the raw
exchanges it cites are WARC records of the same capture (``record_id``, ``warc_file``, ``warc_offset``).
The bundle carries the same JSON as ``evidence/intermediaries.json``; the report prints it.
"""

from __future__ import annotations

from typing import Any, Literal

from evidence_crawler.models.base import Frozen, JsonDocument

INTERMEDIARIES_FORMAT = "evidence-crawler/intermediaries/1"
Role = Literal["hosting", "registrar", "registrant", "dns", "cdn", "certificate_authority", "payment",
               "advertising", "analytics", "email"]


class EvidenceRef(Frozen):
    """What shows one fact: a raw DNS/RDAP exchange (record id, WARC file + offset) or a page (URL + sha256)."""

    kind: Literal["dns", "rdap", "page", "certificate", "header"]
    target: str  # dns: URI, RDAP URL or page URL
    detail: str
    warc_record_type: Literal["response", "metadata"] | None = None
    record_id: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    page_sha256: str | None = None


class IntermediaryEntry(Frozen):
    role: Role
    name: str
    abuse_contact: str | None = None
    country: str | None = None
    evidence: list[EvidenceRef]
    evidence_total: int


class LookupOutcome(Frozen):
    """One question asked (DNS name + type, or RDAP object) and how it ended; failures are evidence too."""

    kind: str  # dns | domain | ip | autnum | bootstrap
    query: str
    outcome: str
    error: str | None = None
    record_id: str | None = None


class IntermediariesSection(JsonDocument):
    format: Literal["evidence-crawler/intermediaries/1"] = INTERMEDIARIES_FORMAT
    started_at: str
    finished_at: str
    settings: dict[str, Any]  # IntermediariesSettings as used
    resolvers: list[str]  # the DNS servers asked, ip:port
    registered_domains: list[str]
    hosts: list[str]
    pages_analysed: int
    pages_not_analysed: int = 0  # past the per-capture cap (stated, never silent)
    budget_exhausted: bool
    records: int  # WARC records the step wrote (DNS, RDAP, bootstrap fetches, failure notes)
    intermediaries: list[IntermediaryEntry]
    lookups: list[LookupOutcome]
    error: str | None = None  # the step itself failed (recorded; the capture was sealed anyway)
