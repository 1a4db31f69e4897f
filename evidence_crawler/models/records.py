"""What one capture is made of: digests, sealed artifacts, recorded exchanges, errors, its states."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from evidence_crawler.models.base import Frozen


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


ArtifactRole = Literal["warc", "pages", "items", "errors", "profile", "manifest", "screenshot",
                       "screenshot_viewport", "pdf", "dom", "renders", "part_manifest"]


class Artifact(Frozen):
    """One sealed file of a capture, stored content-addressed under ``objects/sha256/``."""

    name: str  # name inside the capture's artifacts/ folder
    role: ArtifactRole
    path: str  # relative to the store root (the content-addressed object)
    sha256: str
    blake3: str
    size: int


class PageRecord(Frozen):
    """One HTTP exchange as recorded in a WARC (a line of ``pages.jsonl``): what was asked, what came back,
    where it is kept."""

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
    link_text: str | None = None  # the text of the link followed on the referrer page (anchor, title, alt)
    depth: int = 0
    redirect_to: str | None = None
    tls_certificate_sha256: str | None = None
    robots: bool = False  # the exchange fetched a robots.txt
    partial: bool = False  # the connection broke mid-body: what arrived is kept, marked partial
    # distributed captures (added when the coordinator merges the workers' parts)
    worker: str | None = None  # which worker fetched it
    host: str | None = None  # on which machine
    duplicate_of: str | None = None  # record id of the same URL with identical bytes fetched earlier
    # a DC hub survey's connection (p2p hub): a ``resource`` record holding the transcript, not an HTTP
    # exchange; then ``method`` is the protocol (ADC, NMDC), ``status`` 0 and ``request_record_id`` empty
    record_type: Literal["resource"] | None = None


class PageRef(Frozen):
    """What the spider needs to know about the exchange it parses (the full PageRecord is written later)."""

    sha256: str
    record_id: str
    fetched_at: str


class CaptureError(Frozen):
    url: str
    kind: str
    message: str
    at: str
