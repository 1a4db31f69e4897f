"""Rotating WARC 1.1 writer: gzip per record, sha256 digests, offsets for the page index.

warcio's default digest is sha1; ``Sha256WARCWriter`` swaps the digester so block and payload digests
are ``sha256:<base32>`` (the form warcio, pywb and ``warcio check`` understand). No Scrapy here: the
recorder middleware turns Scrapy objects into plain values and calls :meth:`write_exchange`.
"""

from __future__ import annotations

import base64
import io
import os
import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from evidence_crawler.hashing import DualDigester
from evidence_crawler.models import Digests

WARC_VERSION = "1.1"
HOP_BY_HOP_RENAMED = {"transfer-encoding"}  # body is stored de-chunked; the header is kept, renamed


class Sha256WARCWriter(WARCWriter):
    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def sha256_b32(hex_digest: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(hex_digest)).decode()


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
    fetched_at: str  # WARC-Date: when the request was sent
    ip: str | None
    extra_warc_headers: dict[str, str]


@dataclass(frozen=True)
class WrittenExchange:
    warc_file: str
    offset: int
    length: int
    record_id: str
    request_record_id: str
    body: Digests


def _warc_date(iso_z: str) -> str:
    return iso_z  # already 'YYYY-MM-DDTHH:MM:SS.ffffffZ', valid WARC 1.1 date


def _request_target(url: str) -> str:
    m = re.match(r"^[a-z]+://[^/?#]*", url, re.I)
    target = url[m.end():] if m else url
    target = target.split("#", 1)[0]
    return target or "/"


class RotatingWarcWriter:
    """Appends records to ``<prefix>-NNNNN.warc.gz`` files, starting a new one past ``rotate_bytes``."""

    def __init__(self, folder: Path, prefix: str, rotate_bytes: int, warcinfo: dict[str, str]) -> None:
        self.folder = folder
        self.prefix = prefix
        self.rotate_bytes = rotate_bytes
        self.warcinfo = warcinfo
        self._fh = None
        self._writer: Sha256WARCWriter | None = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq = self._next_seq()

    def _next_seq(self) -> int:
        seqs = [int(m.group(1)) for p in self.folder.glob(f"{self.prefix}-*.warc.gz")
                if (m := re.search(r"-(\d{5})\.warc\.gz$", p.name))]
        return max(seqs, default=-1) + 1

    @property
    def current_name(self) -> str:
        return f"{self.prefix}-{self._seq:05d}.warc.gz"

    def _open(self) -> Sha256WARCWriter:
        if self._writer is not None and self._fh.tell() >= self.rotate_bytes:
            self.close()
            self._seq += 1
        if self._writer is None:
            self._fh = open(self.folder / self.current_name, "xb")
            self._writer = Sha256WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)
            info = self._writer.create_warcinfo_record(self.current_name, self.warcinfo)
            self._writer.write_record(info)
        return self._writer

    def write_exchange(self, ex: Exchange) -> WrittenExchange:
        writer = self._open()
        body_digests = _digest(ex.body)
        request_id = writer._make_warc_id()
        response_id = writer._make_warc_id()
        offset = self._fh.tell()

        status_line = f"{ex.status} {_reason(ex.status)}"
        resp_headers = [(f"X-Archive-Orig-{k}" if k.lower() in HOP_BY_HOP_RENAMED else k, v)
                        for k, v in ex.response_headers]
        warc_headers = {
            "WARC-Record-ID": response_id,
            "WARC-Date": _warc_date(ex.fetched_at),
            "WARC-Payload-Digest": sha256_b32(body_digests.sha256),
            "WARC-X-Payload-BLAKE3": f"blake3:{body_digests.blake3}",
            "WARC-Concurrent-To": request_id,
            **({"WARC-IP-Address": ex.ip} if ex.ip else {}),
            **ex.extra_warc_headers,
        }
        response = writer.create_warc_record(
            ex.url, "response", payload=io.BytesIO(ex.body), length=len(ex.body),
            http_headers=StatusAndHeaders(status_line, resp_headers, protocol=ex.protocol),
            warc_headers_dict=warc_headers,
        )
        writer.write_record(response)
        length = self._fh.tell() - offset

        req_line = f"{ex.method} {_request_target(ex.url)}"
        request = writer.create_warc_record(
            ex.url, "request", payload=io.BytesIO(ex.request_body), length=len(ex.request_body),
            http_headers=StatusAndHeaders(req_line, ex.request_headers, protocol=ex.protocol,
                                          is_http_request=True),
            warc_headers_dict={"WARC-Record-ID": request_id, "WARC-Date": _warc_date(ex.fetched_at),
                               "WARC-Concurrent-To": response_id,
                               **({"WARC-IP-Address": ex.ip} if ex.ip else {})},
        )
        writer.write_record(request)
        self._fh.flush()  # a killed process still leaves every finished record on disk
        return WrittenExchange(self.current_name, offset, length, response_id, request_id, body_digests)

    def write_metadata(self, url: str, content: bytes, content_type: str, refers_to: str | None) -> str:
        """A ``metadata`` record (TLS certificate chain, crawl notes) tied to a response record."""
        writer = self._open()
        rid = writer._make_warc_id()
        headers = {"WARC-Record-ID": rid, "Content-Type": content_type}
        if refers_to:
            headers["WARC-Concurrent-To"] = refers_to
        rec = writer.create_warc_record(url, "metadata", payload=io.BytesIO(content), length=len(content),
                                        warc_content_type=content_type, warc_headers_dict=headers)
        writer.write_record(rec)
        self._fh.flush()
        return rid

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        self._fh, self._writer = None, None


def _digest(body: bytes) -> Digests:
    d = DualDigester()
    d.update(body)
    return d.result()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def truncate_torn_tail(path: Path) -> int:
    """Cut a record left half-written by a killed process; returns how many bytes were removed."""
    good_end = 0
    try:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, check_digests=False)
            for _record in it:
                good_end = it.get_record_offset() + it.get_record_length()
    except Exception:  # noqa: BLE001 - any parse failure means the tail after good_end is torn
        pass
    size = path.stat().st_size
    if good_end < size:
        os.truncate(path, good_end)
    return size - good_end
