"""WARC 1.1 records as bytes: request/response pairs written directly, the others through warcio.

An HTTP/1.x exchange tapped on the connection (:mod:`pipelines.wire`) is recorded as its bytes: the
response block is what the server sent (status line, header block and body framing untouched), the
request block what was sent. An exchange without those bytes (HTTP/2, whose wire form is frames) gets
a head rebuilt from the parsed response and says so (``WARC-X-Reconstructed-Head``). ``WARC-Protocol``
names the protocol of each. Interim (1xx) responses, which the parser skips, go to a ``metadata``
record tied to the response, so that the response record holds one response, as replay tools expect.

warcio's default digest is sha1; ``Sha256WARCWriter`` swaps the digester so the block and payload
digests of the records warcio builds (warcinfo, metadata, conversion) are ``sha256:<base32>`` like
ours. Nothing is compressed or written to disk here: :mod:`evidence_crawler.warc.writer` does that.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import uuid
from dataclasses import dataclass
from http import HTTPStatus

import blake3
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from evidence_crawler.models import Digests
from evidence_crawler.warc.dechunk import is_chunked
from evidence_crawler.warc.digest import warc_digest
from evidence_crawler.warc.recordcheck import header_end

WARC_VERSION = "1.1"
_INTERIM = re.compile(rb"HTTP/1\.\d 1\d\d[ \r\n]")
HOP_BY_HOP_RENAMED = {"transfer-encoding"}  # rebuilt heads: the body is de-chunked; the header is kept, renamed


class Sha256WARCWriter(WARCWriter):
    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def new_builder() -> Sha256WARCWriter:
    """One per thread: warcio writers are not thread-safe."""
    return Sha256WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)


_ID_BATCH = 256  # random UUIDs drawn from the OS at once
_ids: list[uuid.UUID] = []
_ids_lock = threading.Lock()
os.register_at_fork(after_in_child=_ids.clear)  # a forked child never reuses its parent's drawn ids


def new_record_id() -> str:
    """``<urn:uuid:...>``: a random (version 4) UUID, as warcio makes them, from ``os.urandom``.

    Drawn 256 at a time: ``os.urandom`` releases the GIL, and on the crawl thread each release means
    waiting for the writer thread to hand the GIL back (up to the 5 ms switch interval), once per page.
    """
    with _ids_lock:
        if not _ids:
            raw = os.urandom(16 * _ID_BATCH)
            _ids.extend(uuid.UUID(bytes=raw[i:i + 16], version=4) for i in range(0, len(raw), 16))
        return StatusAndHeadersParser.make_warc_id(_ids.pop())


@dataclass(frozen=True)
class Exchange:
    """Plain values of one HTTP request/response as they crossed the wire."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    protocol: str
    response_headers: list[tuple[str, str]]
    body: bytes  # as received: still content-encoded, de-chunked
    fetched_at: str  # WARC-Date: when the request was sent ('YYYY-MM-DDTHH:MM:SS.ffffffZ', valid WARC 1.1)
    ip: str | None
    extra_warc_headers: dict[str, str]
    response_wire: bytes | None = None  # the response exactly as it came off the connection (HTTP/1.x)
    request_wire: bytes | None = None  # the request exactly as it was written to the connection

    @property
    def queued_size(self) -> int:
        return len(self.body) + len(self.response_wire or b"")


def exchange_records(ex: Exchange, response_id: str, sha256: str) -> tuple[list[bytes], str, Digests]:
    """The response and request records of ``ex`` (uncompressed), the request's id and the body's digests."""
    body_digests = Digests(sha256=sha256, blake3=blake3.blake3(ex.body).hexdigest(), size=len(ex.body))
    request_id = new_record_id()
    ip = {"WARC-IP-Address": ex.ip} if ex.ip else {}
    common = {"WARC-Date": ex.fetched_at, "WARC-Protocol": ex.protocol.lower(), **ip}
    interim = b""
    if ex.response_wire is not None:
        interim, block = split_interim(ex.response_wire)
        digests = _wire_payload_digests(block, ex.body, sha256)
    else:
        block, digests = _rebuilt_response(ex), {"WARC-Payload-Digest": warc_digest(sha256),
                                                 "WARC-X-Reconstructed-Head": "true"}
    response = record_bytes("response", ex.url, block, {
        "WARC-Record-ID": response_id, **common, **digests, "WARC-X-Payload-BLAKE3": f"blake3:{body_digests.blake3}",
        "WARC-Concurrent-To": request_id, **ex.extra_warc_headers})
    if ex.request_wire is not None:
        req_block, req_extra = ex.request_wire, {}
    else:
        req_block = _head(f"{ex.method} {_request_target(ex.url)} {ex.protocol}", ex.request_headers) + ex.request_body
        req_extra = {"WARC-X-Reconstructed-Head": "true"}
    request = record_bytes("request", ex.url, req_block, {
        "WARC-Record-ID": request_id, **common, "WARC-Concurrent-To": response_id, **req_extra})
    records = [response, request]
    if interim:  # kept, but not in the response record, whose block is one response (as replay tools read it)
        records.append(record_bytes("metadata", ex.url, interim, {
            "WARC-Record-ID": new_record_id(), **common, "WARC-Concurrent-To": response_id},
            "application/http; msgtype=response"))
    return records, request_id, body_digests


def split_interim(wire: bytes) -> tuple[bytes, bytes]:
    """The interim (1xx) responses the parser skipped before the final response, and the final response."""
    pos = 0
    while _INTERIM.match(wire, pos):
        pos += header_end(wire[pos:], final=True)
    return wire[:pos], wire[pos:] if pos else wire


def _wire_payload_digests(wire: bytes, body: bytes, body_sha256: str) -> dict[str, str]:
    """The payload digest headers of a response block kept as sent (see :mod:`evidence_crawler.warc.dechunk`
    for why a chunked one carries ``WARC-X-Dechunked-Payload-Digest`` instead)."""
    end = header_end(wire, final=True)
    if is_chunked(wire[:end]):
        return {"WARC-X-Dechunked-Payload-Digest": warc_digest(body_sha256)}
    if len(wire) - end == len(body) and wire.endswith(body):  # the parser kept the payload: hash it once
        return {"WARC-Payload-Digest": warc_digest(body_sha256)}
    return {"WARC-Payload-Digest": warc_digest(hashlib.sha256(memoryview(wire)[end:]).hexdigest())}


def _rebuilt_response(ex: Exchange) -> bytes:
    headers = [(f"X-Archive-Orig-{k}" if k.lower() in HOP_BY_HOP_RENAMED else k, v) for k, v in ex.response_headers]
    return _head(f"{ex.protocol} {ex.status} {_reason(ex.status)}", headers) + ex.body


def _head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    return (first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


def record_bytes(kind: str, url: str, block: bytes, warc_headers: dict[str, str],
                 content_type: str | None = None) -> bytes:
    """One uncompressed WARC 1.1 record of an HTTP message (request, response, interim responses) whose
    block is ``block``, byte for byte.

    Written directly rather than through warcio's record builder: its ``StatusAndHeaders`` cannot hold
    a non-ASCII reason phrase nor keep odd spacing, and its pure-Python stream copying and digesting held
    the GIL long enough to slow the crawl thread by a tenth. warcio still writes warcinfo/metadata records
    and reads and checks everything (``warcio check`` and ``captures verify`` run on captures in the tests).
    """
    fields = {"WARC-Type": kind, **warc_headers, "WARC-Target-URI": url,
              "Content-Type": content_type or f"application/http; msgtype={kind}",
              "WARC-Block-Digest": warc_digest(hashlib.sha256(block).hexdigest()), "Content-Length": str(len(block))}
    head = (f"WARC/{WARC_VERSION}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
            ).encode("utf-8")
    return b"".join((head, block, b"\r\n\r\n"))


def resource_record(builder: Sha256WARCWriter, kind: str, url: str, content: bytes, content_type: str,
                    headers: dict[str, str]) -> bytes:
    """A ``metadata`` or ``conversion`` record; ``headers`` are its WARC headers (id, type, links)."""
    rec = builder.create_warc_record(url, kind, payload=io.BytesIO(content), length=len(content),
                                     warc_content_type=content_type, warc_headers_dict=headers)
    return serialise(rec)


def warcinfo_record(builder: Sha256WARCWriter, filename: str, info: dict[str, str]) -> bytes:
    return serialise(builder.create_warcinfo_record(filename, info))


def serialise(record) -> bytes:
    """One uncompressed record, through a writer of its own on a fresh buffer."""
    buf = io.BytesIO()
    Sha256WARCWriter(buf, gzip=False, warc_version=WARC_VERSION).write_record(record)
    return buf.getvalue()


def _request_target(url: str) -> str:
    m = re.match(r"^[a-z]+://[^/?#]*", url, re.I)
    target = url[m.end():] if m else url
    target = target.split("#", 1)[0]
    return target or "/"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
