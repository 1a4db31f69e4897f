"""Typed records of a hub survey: what crosses from the protocol code to sealing, export and the report.

Every record is frozen: a survey's result is a statement of what the hub said at a given time, so nothing
downstream may edit it. Bytes serialise as base64 in JSON so a transcript survives a round trip exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")


Protocol = Literal["adc", "nmdc"]


def number(text: str | None) -> int | None:
    """A size, count or port as a peer wrote it: ASCII digits only (``"²".isdigit()`` is true, yet
    ``int("²")`` raises), at most 30 of them (a 64 KiB number would make ``int`` raise), else None. A lie
    about a size stays as stated; only what is not a plausible number is dropped."""
    return int(text) if text and len(text) <= 30 and text.isascii() and text.isdigit() else None


class HubUrl(Frozen):
    """A parsed hub address; ``url`` is the canonical text used as WARC-Target-URI."""

    scheme: Literal["adc", "adcs", "dchub", "nmdc", "nmdcs"]
    host: str
    port: int
    protocol: Protocol
    tls: bool
    url: str


class WireMessage(Frozen):
    """One protocol message exactly as it crossed the wire, with the UTC time it was sent or completed.

    ``channel`` is ``hub`` for the hub connection, ``peer:<host>:<port>`` for a client-to-client connection
    (file lists). ``data`` includes the terminator (``\\n`` for ADC, ``|`` for NMDC); for a file list's raw
    bytes it is the binary payload.
    """

    at: datetime
    direction: Literal["sent", "received"]
    channel: str
    data: bytes


class HubFacts(Frozen):
    """The hub as it announced itself; None where it did not say."""

    url: str
    protocol: Protocol
    address: str  # the IP actually connected to
    port: int
    name: str | None = None
    description: str | None = None
    topic: str | None = None
    motd: list[str] = Field(default_factory=list)  # hub chat received before and during the survey
    software: str | None = None
    version: str | None = None
    redirects: list[str] = Field(default_factory=list)
    tls_certificate_der: bytes | None = None  # adcs:// only: the certificate the hub presented
    tls_certificate_sha256: str | None = None
    tls_certificate_subject: str | None = None  # RFC 4514, as the certificate states it (not validated)
    tls_certificate_issuer: str | None = None


class HubUser(Frozen):
    nick: str
    sid: str | None = None  # ADC session id
    cid: str | None = None  # ADC client id (base32)
    description: str | None = None
    share_size: int | None = None
    file_count: int | None = None
    client_tag: str | None = None  # software and version as the client announces it
    mode: Literal["active", "passive"] | None = None
    ip: str | None = None  # only where the hub reveals it
    is_hub_or_bot: bool = False


class ShareHit(Frozen):
    """One file a user offered: a search result or a file-list entry."""

    user: str
    path: str
    size: int | None
    tth: str | None  # base32 Tiger Tree Hash, upper case
    term: str | None  # the search term it answered (None for file-list entries)
    work: str | None = None  # the repertoire work the term stood for, when there was one
    arrived_at: datetime
    source: Literal["search", "filelist"]


class FileListEntry(Frozen):
    path: str
    size: int | None
    tth: str | None


class FileList(Frozen):
    """A user's file list: the bz2 bytes exactly as received, and what they say."""

    user: str
    raw_bz2: bytes
    sha256: str
    entries: list[FileListEntry]
    truncated: bool  # the entry cap was reached: entries are a prefix
    error: str | None = None  # why the list could not be parsed (the raw bytes are kept anyway)
    channel: str | None = None  # the transcript channel it was received on
    peer_certificate_sha256: str | None = None  # when fetched over TLS (ADCS)


EndReason = Literal[
    "completed",  # every step ran within its bounds
    "duration",  # the overall time budget ran out
    "message_limit", "byte_limit", "message_too_large", "user_limit",
    "stalled",  # nothing received within the idle timeout while something was expected
    "hub_closed",  # the hub closed the connection
    "malformed",  # a message that is not the protocol
    "login_refused",  # the hub refused the nick or the login
    "redirected",  # the hub sent us elsewhere (recorded in HubFacts.redirects, not followed)
    "connect_failed",
]


class SurveyEnd(Frozen):
    reason: EndReason
    detail: str


class SurveyLimits(Frozen):
    """Bounds of one survey. Units: seconds, bytes, counts."""

    duration: float = Field(120.0, gt=0)  # whole survey, login to last file list
    idle: float = Field(15.0, gt=0)  # longest silence tolerated while waiting for something
    connect_timeout: float = Field(10.0, gt=0)
    search_wait: float = Field(5.0, ge=0)  # how long results are collected after each search
    max_messages: int = Field(50_000, gt=0)  # received, all connections
    max_bytes: int = Field(32 * 1024 * 1024, gt=0)  # received, all connections
    max_message_bytes: int = Field(64 * 1024, gt=0)  # one protocol message
    max_users: int = Field(10_000, gt=0)
    max_results: int = Field(5_000, gt=0)  # search results kept, all searches
    filelist_max_bytes: int = Field(16 * 1024 * 1024, gt=0)  # compressed, as announced and as received
    filelist_max_xml_bytes: int = Field(128 * 1024 * 1024, gt=0)  # after bz2
    filelist_max_entries: int = Field(500_000, gt=0)


class SearchTerm(Frozen):
    term: str = Field(min_length=1, max_length=200)
    work: str | None = None  # the repertoire work the term was made from


class SurveyRequest(Frozen):
    url: HubUrl
    nick: str = Field("evidence-survey", min_length=1, max_length=64, pattern=r"^[^\s$|<>]+$")
    searches: list[SearchTerm] = Field(default_factory=list)
    filelists: int = Field(0, ge=0)  # fetch the file lists of up to this many users whose results matched
    allow_private: bool = False
    limits: SurveyLimits = Field(default_factory=SurveyLimits)


class SurveyResult(Frozen):
    hub: HubFacts
    users: list[HubUser]
    hits: list[ShareHit]
    filelists: list[FileList]
    searches: list[str]
    transcript: list[WireMessage]
    started_at: datetime
    ended_at: datetime
    end: SurveyEnd
    filelist_notes: list[str] = Field(default_factory=list)  # why a requested file list was not fetched

    @property
    def total_share(self) -> int:
        return sum(u.share_size or 0 for u in self.users)
