"""Raw exchanges of the step (DNS wire messages, HTTP bytes) and how each becomes WARC records.

DNS follows Heritrix's convention: a ``response`` record whose target is a ``dns:`` URI and whose
``WARC-IP-Address`` is the DNS server. Heritrix stores a text rendering; we store the message itself in
wire format (``application/dns-message``, RFC 8484), so anyone can re-parse exactly what the server sent.
Non-A queries carry their type RFC 4501 style (``dns:example.ru?type=MX``). The query goes in a
``request`` record. A lookup that got no answer (timeout, refused) still leaves a ``metadata`` record
saying so: a failure is evidence too. Record ids are made when the exchange is, so the intermediary
list can cite them before any WARC file exists.
"""

from __future__ import annotations

import uuid
from io import BytesIO
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence_crawler.warc.recordbuilder import new_builder, serialise

Outcome = Literal[
    "ok", "nxdomain", "nodata", "servfail", "refused_by_server", "dns_error",  # DNS answers
    "not_found", "rate_limited", "http_error", "bad_json", "redirect_limit",  # RDAP answers
    "timeout", "too_large", "refused", "connection", "tls", "protocol",  # transport
    "budget_exhausted", "no_bootstrap",  # never sent
]


def dns_target_uri(name: str, rdtype: str) -> str:
    return f"dns:{name}" if rdtype == "A" else f"dns:{name}?type={rdtype}"


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DnsExchange(Frozen):
    """One DNS query to one server and what came back, byte for byte."""

    name: str
    rdtype: str
    server: str
    port: int
    transport: Literal["udp", "tcp"] = "udp"
    sent_at: str  # UTC ISO 8601, microseconds
    duration_ms: float
    query_wire: bytes
    response_wire: bytes | None = None
    outcome: Outcome
    error: str | None = None
    record_id: str = Field(default_factory=new_record_id)

    @property
    def target_uri(self) -> str:
        return dns_target_uri(self.name, self.rdtype)


class HttpExchange(Frozen):
    """One HTTP request/response as it crossed the wire (redirect hops are separate exchanges)."""

    url: str
    method: str = "GET"
    ip: str | None = None
    port: int | None = None
    sent_at: str
    duration_ms: float
    request_bytes: bytes = b""
    response_bytes: bytes = b""  # exactly as received (status line, headers, framing), capped
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # de-chunked, as the server encoded it (we ask for identity)
    truncated: Literal["length", "time"] | None = None
    outcome: Outcome
    error: str | None = None
    redirect_to: str | None = None
    record_id: str = Field(default_factory=new_record_id)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class WarcRecordSpec(Frozen):
    """Everything a WARC writer needs for one record; digests are the writer's job."""

    record_type: Literal["request", "response", "metadata"]
    target_uri: str
    date: str
    content_type: str
    block: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _outcome_fields(outcome: str, error: str | None) -> bytes:
    lines = [f"outcome: {outcome}"] + ([f"error: {' '.join(error.split())}"] if error else [])
    return ("\r\n".join(lines) + "\r\n").encode()


def dns_records(ex: DnsExchange) -> list[WarcRecordSpec]:
    request_id = new_record_id()
    common = (("WARC-IP-Address", ex.server), ("WARC-X-DNS-Server", f"{ex.server}:{ex.port}/{ex.transport}"))
    specs = [WarcRecordSpec(record_type="request", target_uri=ex.target_uri, date=ex.sent_at,
                            content_type="application/dns-message", block=ex.query_wire,
                            headers=(("WARC-Record-ID", request_id), *common))]
    if ex.response_wire is not None:
        specs.insert(0, WarcRecordSpec(
            record_type="response", target_uri=ex.target_uri, date=ex.sent_at,
            content_type="application/dns-message", block=ex.response_wire,
            headers=(("WARC-Record-ID", ex.record_id), ("WARC-Concurrent-To", request_id), *common)))
    else:
        specs.append(WarcRecordSpec(
            record_type="metadata", target_uri=ex.target_uri, date=ex.sent_at,
            content_type="application/warc-fields", block=_outcome_fields(ex.outcome, ex.error),
            headers=(("WARC-Record-ID", ex.record_id), ("WARC-Concurrent-To", request_id))))
    return specs


def http_records(ex: HttpExchange) -> list[WarcRecordSpec]:
    request_id = new_record_id()
    ip = (("WARC-IP-Address", ex.ip),) if ex.ip else ()
    specs: list[WarcRecordSpec] = []
    if ex.request_bytes:
        specs.append(WarcRecordSpec(record_type="request", target_uri=ex.url, date=ex.sent_at,
                                    content_type="application/http;msgtype=request", block=ex.request_bytes,
                                    headers=(("WARC-Record-ID", request_id), *ip)))
    if ex.response_bytes:
        truncated = (("WARC-Truncated", ex.truncated),) if ex.truncated else ()
        specs.insert(0, WarcRecordSpec(
            record_type="response", target_uri=ex.url, date=ex.sent_at,
            content_type="application/http;msgtype=response", block=ex.response_bytes,
            headers=(("WARC-Record-ID", ex.record_id), ("WARC-Concurrent-To", request_id), *ip, *truncated)))
    if ex.outcome not in ("ok",) and (not ex.response_bytes or ex.truncated):
        rid = new_record_id() if ex.response_bytes else ex.record_id
        specs.append(WarcRecordSpec(
            record_type="metadata", target_uri=ex.url, date=ex.sent_at, content_type="application/warc-fields",
            block=_outcome_fields(ex.outcome, ex.error), headers=(("WARC-Record-ID", rid),)))
    return specs


def spec_bytes(spec: WarcRecordSpec) -> bytes:
    """One spec as an uncompressed WARC 1.1 record (sha256 digests), ready for ``RotatingWarcWriter.write_raw``."""
    headers = {"WARC-Date": spec.date, **dict(spec.headers)}
    record = new_builder().create_warc_record(spec.target_uri, spec.record_type, payload=BytesIO(spec.block),
                                              length=len(spec.block), warc_content_type=spec.content_type,
                                              warc_headers_dict=headers)
    return serialise(record)


def record_id_of(spec: WarcRecordSpec) -> str:
    return dict(spec.headers)["WARC-Record-ID"]


def write_records(writer, specs: list[WarcRecordSpec]) -> list[str]:
    """Write specs with a warcio ``WARCWriter`` (or the project's sha256 subclass); returns record ids.

    ``http(s)`` response/request blocks are parsed by warcio for the payload digest; ``dns:`` blocks are
    opaque to it, as they should be.
    """
    ids = []
    for spec in specs:
        headers = {"WARC-Date": spec.date, **dict(spec.headers)}
        record = writer.create_warc_record(spec.target_uri, spec.record_type, payload=BytesIO(spec.block),
                                           length=len(spec.block), warc_content_type=spec.content_type,
                                           warc_headers_dict=headers)
        writer.write_record(record)
        ids.append(headers["WARC-Record-ID"])
    return ids
