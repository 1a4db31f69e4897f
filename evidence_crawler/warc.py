"""Rotating WARC 1.1 writer: gzip per record, sha256 digests, offsets for the page index.

warcio's default digest is sha1; ``Sha256WARCWriter`` swaps the digester so block and payload digests
are ``sha256:<base32>`` (the form warcio, pywb and ``warcio check`` understand). No Scrapy here: the
recorder middleware turns Scrapy objects into plain values and calls :meth:`write_exchange`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import queue
import re
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import blake3
from warcio.archiveiterator import ArchiveIterator
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

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
    """Appends records to ``<prefix>-NNNNN.warc.gz`` files, starting a new one past ``rotate_bytes``.

    Records are serialised on the caller's thread (so digests and record ids are known at once) and
    compressed + written by one background thread: zlib releases the GIL, so compression runs on the
    second core instead of stalling the crawl. The ``on_written`` callback of an exchange runs on the
    writer thread after its records are flushed, which is where the page index line is appended: a page
    line therefore always points at complete records. A write error is kept in ``error`` and re-raised
    by :meth:`check` and :meth:`close` on the caller's thread; nothing after it is written.
    """

    def __init__(self, folder: Path, prefix: str, rotate_bytes: int, warcinfo: dict[str, str],
                 compress_level: int = 1, queue_size: int = 256, queue_bytes: int = 64 << 20) -> None:
        # gzip level 1: ~13% larger WARCs than level 9 (measured on the books corpus) for a quarter of the CPU;
        # every record is still its own gzip member, as WARC readers expect
        self.folder = folder
        self.prefix = prefix
        self.rotate_bytes = rotate_bytes
        self.warcinfo = warcinfo
        self.compress_level = compress_level
        self.queue_bytes = queue_bytes
        self.error: BaseException | None = None
        self._fh = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq = self._next_seq()
        self._builder = Sha256WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)  # bounded: back-pressure, flat memory
        self._queued_bytes = 0
        self._budget = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
        self._thread.start()

    def _next_seq(self) -> int:
        seqs = [int(m.group(1)) for p in self.folder.glob(f"{self.prefix}-*.warc.gz")
                if (m := re.search(r"-(\d{5})\.warc\.gz$", p.name))]
        return max(seqs, default=-1) + 1

    @property
    def current_name(self) -> str:
        return f"{self.prefix}-{self._seq:05d}.warc.gz"

    # --- caller's thread -------------------------------------------------------------------------
    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def write_exchange(self, ex: Exchange, on_written: Callable[[WrittenExchange], None] | None = None
                       ) -> tuple[str, str]:
        """Queue the response + request records; returns (response record id, body sha256 hex).

        Only what the crawl needs at once (record id, body sha256 for the items) is computed here; blake3,
        record building, the block digests and compression run on the writer thread.
        """
        self.check()
        response_id = self._builder._make_warc_id()
        sha256 = hashlib.sha256(ex.body).hexdigest()
        with self._budget:  # at most queue_bytes of bodies wait for the writer (one larger body may pass alone)
            self._budget.wait_for(lambda: self._queued_bytes == 0 or
                                  self._queued_bytes + len(ex.body) <= self.queue_bytes or self.error is not None)
            self._queued_bytes += len(ex.body)
        self._queue.put((ex, response_id, sha256, on_written))
        return response_id, sha256

    def _exchange_records(self, builder: Sha256WARCWriter, ex: Exchange, response_id: str, sha256: str
                          ) -> tuple[list[bytes], str, Digests]:
        body_digests = Digests(sha256=sha256, blake3=blake3.blake3(ex.body).hexdigest(), size=len(ex.body))
        request_id = builder._make_warc_id()
        resp_headers = [(f"X-Archive-Orig-{k}" if k.lower() in HOP_BY_HOP_RENAMED else k, v)
                        for k, v in ex.response_headers]
        ip = {"WARC-IP-Address": ex.ip} if ex.ip else {}
        date = _warc_date(ex.fetched_at)
        response = _http_record(
            "response", ex.url, f"{ex.protocol} {ex.status} {_reason(ex.status)}", resp_headers, ex.body,
            {"WARC-Record-ID": response_id, "WARC-Date": date, "WARC-Payload-Digest": sha256_b32(sha256),
             "WARC-X-Payload-BLAKE3": f"blake3:{body_digests.blake3}", "WARC-Concurrent-To": request_id,
             **ip, **ex.extra_warc_headers})
        request = _http_record(
            "request", ex.url, f"{ex.method} {_request_target(ex.url)} {ex.protocol}", ex.request_headers,
            ex.request_body, {"WARC-Record-ID": request_id, "WARC-Date": date, "WARC-Concurrent-To": response_id,
                              **ip})
        return [response, request], request_id, body_digests

    def write_metadata(self, url: str, content: bytes, content_type: str, refers_to: str | None) -> str:
        """A ``metadata`` record (TLS certificate chain, crawl notes), optionally tied to a record."""
        self.check()
        rid = self._builder._make_warc_id()
        headers = {"WARC-Record-ID": rid, "Content-Type": content_type}
        if refers_to:
            headers["WARC-Concurrent-To"] = refers_to
        rec = self._builder.create_warc_record(url, "metadata", payload=io.BytesIO(content), length=len(content),
                                               warc_content_type=content_type, warc_headers_dict=headers)
        self._queue.put(([_serialise(self._builder, rec)], None))
        return rid

    def write_conversion(self, url: str, content: bytes, content_type: str, refers_to: str | None,
                         refers_to_date: str | None = None) -> str:
        """A ``conversion`` record: something derived from a recorded response (a browser's rendered DOM),
        never labelled as received. ``WARC-Refers-To`` names the response record it was derived from."""
        self.check()
        rid = self._builder._make_warc_id()
        headers = {"WARC-Record-ID": rid, "Content-Type": content_type}
        if refers_to:
            headers.update({"WARC-Refers-To": refers_to, "WARC-Refers-To-Target-URI": url})
            if refers_to_date:
                headers["WARC-Refers-To-Date"] = refers_to_date
        rec = self._builder.create_warc_record(url, "conversion", payload=io.BytesIO(content), length=len(content),
                                               warc_content_type=content_type, warc_headers_dict=headers)
        self._queue.put(([_serialise(self._builder, rec)], None))
        return rid

    def close(self) -> None:
        """Drain the queue, fsync and close; raises the writer thread's error if it had one."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self.check()

    # --- writer thread ---------------------------------------------------------------------------
    def _write_job(self, job: tuple) -> None:
        if len(job) == 4:  # an exchange: build its records here, off the crawl thread
            ex, response_id, sha256, on_written = job
            records, request_id, digests = self._exchange_records(self._thread_builder, ex, response_id, sha256)
            done = _exchange_done(on_written, response_id, request_id, digests)
        else:
            records, done = job
        fh = self._file()
        name, first = self.current_name, None
        for raw in records:
            start = fh.tell()
            fh.write(self._member(raw))
            first = first or (start, fh.tell() - start)
        fh.flush()  # a killed process still leaves every finished record on disk
        if done is not None:
            done(name, *first)

    def _release(self, size: int) -> None:
        with self._budget:
            self._queued_bytes -= size
            self._budget.notify_all()

    def _member(self, raw: bytes) -> bytes:
        comp = zlib.compressobj(self.compress_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return comp.compress(raw) + comp.flush()

    def _file(self):
        if self._fh is not None and self._fh.tell() >= self.rotate_bytes:
            self._close_file()
            self._seq += 1
        if self._fh is None:
            self._fh = open(self.folder / self.current_name, "xb")
            info = self._thread_builder.create_warcinfo_record(self.current_name, self.warcinfo)
            self._fh.write(self._member(_serialise(self._thread_builder, info)))
        return self._fh

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def _run(self) -> None:
        self._thread_builder = Sha256WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)
        while True:
            job = self._queue.get()
            if job is None:
                break
            size = len(job[0].body) if len(job) == 4 else 0
            try:
                if self.error is None:  # after an error keep draining, so producers never block
                    self._write_job(job)
            except BaseException as exc:  # noqa: BLE001 - handed to the crawl thread by check()
                self.error = exc
            finally:
                self._release(size)
        try:
            self._close_file()
        except OSError as exc:
            self.error = self.error or exc


def _http_record(kind: str, url: str, first_line: str, headers: list[tuple[str, str]], body: bytes,
                 warc_headers: dict[str, str]) -> bytes:
    """One uncompressed WARC 1.1 ``request``/``response`` record.

    Written directly rather than through warcio's record builder: the format is a header block and a
    byte count, and the builder's pure-Python stream copying and digesting held the GIL long enough to
    slow the crawl thread by a tenth. warcio still writes warcinfo/metadata records and reads and checks
    everything (``warcio check`` and ``captures verify`` run on every capture in the tests).
    """
    http = (first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")
    block = hashlib.sha256(http)
    block.update(body)
    fields = {"WARC-Type": kind, **warc_headers, "WARC-Target-URI": url,
              "Content-Type": f"application/http; msgtype={kind}",
              "WARC-Block-Digest": sha256_b32(block.hexdigest()), "Content-Length": str(len(http) + len(body))}
    head = (f"WARC/{WARC_VERSION}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
            ).encode("utf-8")
    return b"".join((head, http, body, b"\r\n\r\n"))


def _serialise(builder: Sha256WARCWriter, record) -> bytes:
    """One uncompressed record; each thread passes its own builder (warcio writers are not thread-safe)."""
    buf = io.BytesIO()
    builder.out = buf
    builder.write_record(record)
    return buf.getvalue()


def _exchange_done(on_written, response_id: str, request_id: str, digests: Digests):
    if on_written is None:
        return None
    return lambda name, offset, length: on_written(
        WrittenExchange(name, offset, length, response_id, request_id, digests))


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
