"""Rotating WARC 1.1 writer: gzip per record, offsets for the page index, compression off the crawl thread.

No Scrapy here: the recorder middleware turns Scrapy objects into plain values (:class:`Exchange`) and
calls :meth:`RotatingWarcWriter.write_exchange`.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evidence_crawler.models import Digests
from evidence_crawler.warc.gzipcodec import gzip_member
from evidence_crawler.warc.recordbuilder import (
    Exchange,
    exchange_records,
    new_builder,
    new_record_id,
    resource_record,
    warcinfo_record,
)


@dataclass(frozen=True)
class WrittenExchange:
    warc_file: str
    offset: int
    length: int
    record_id: str
    request_record_id: str
    body: Digests


class RotatingWarcWriter:
    """Appends records to ``<prefix>-NNNNN.warc.gz`` files, starting a new one past ``rotate_bytes``.

    Record ids and the body's sha256 are known on the caller's thread at once; the records are built,
    compressed (ISA-L igzip, :mod:`.gzipcodec`) and written by one background thread: igzip, zlib and
    hashlib release the GIL, so this work runs on the second core instead of stalling the crawl. The
    ``on_written`` callback of an exchange runs on the writer thread after its records are flushed, which
    is where the page index line is appended: a page line therefore always points at complete records.
    A write error is kept in ``error`` and re-raised by :meth:`check` and :meth:`close` on the caller's
    thread; nothing after it is written.
    """

    def __init__(self, folder: Path, prefix: str, rotate_bytes: int, warcinfo: dict[str, str],
                 compress_level: int = 1, queue_size: int = 256, queue_bytes: int = 64 << 20) -> None:
        # gzip level 1: with igzip ~10% larger WARCs than zlib's level 6 for a tenth of its CPU (books corpus);
        # every record is still its own standard gzip member, as WARC readers expect
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
        self._builder = new_builder()
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
        response_id = new_record_id()
        sha256 = hashlib.sha256(ex.body).hexdigest()
        with self._budget:  # at most queue_bytes of bodies wait for the writer (one larger body may pass alone)
            self._budget.wait_for(lambda: self._queued_bytes == 0 or
                                  self._queued_bytes + ex.queued_size <= self.queue_bytes or self.error is not None)
            self._queued_bytes += ex.queued_size
        self._queue.put((ex, response_id, sha256, on_written))
        return response_id, sha256

    def write_metadata(self, url: str, content: bytes, content_type: str, refers_to: str | None) -> str:
        """A ``metadata`` record (TLS certificate chain, crawl notes), optionally tied to a record."""
        self.check()
        rid = new_record_id()
        headers = {"WARC-Record-ID": rid, "Content-Type": content_type}
        if refers_to:
            headers["WARC-Concurrent-To"] = refers_to
        self._queue.put(([resource_record(self._builder, "metadata", url, content, content_type, headers)], None))
        return rid

    def write_conversion(self, url: str, content: bytes, content_type: str, refers_to: str | None,
                         refers_to_date: str | None = None) -> str:
        """A ``conversion`` record: something derived from a recorded response (a browser's rendered DOM),
        never labelled as received. ``WARC-Refers-To`` names the response record it was derived from."""
        self.check()
        rid = new_record_id()
        headers = {"WARC-Record-ID": rid, "Content-Type": content_type}
        if refers_to:
            headers.update({"WARC-Refers-To": refers_to, "WARC-Refers-To-Target-URI": url})
            if refers_to_date:
                headers["WARC-Refers-To-Date"] = refers_to_date
        self._queue.put(([resource_record(self._builder, "conversion", url, content, content_type, headers)],
                         None))
        return rid

    def write_resource(self, url: str, content: bytes, content_type: str, date: str, headers: dict[str, str],
                       on_written: Callable[[str, str, int, int], None] | None = None) -> str:
        """A ``resource`` record: bytes kept as they are, not HTTP (a DC hub transcript, a raw file list);
        ``date`` is its WARC-Date, ``headers`` more WARC headers (channel, IP address). ``on_written(record
        id, file, offset, length)`` runs on the writer thread once the record is on disk."""
        self.check()
        rid = new_record_id()
        fields = {**headers, "WARC-Record-ID": rid, "WARC-Date": date, "Content-Type": content_type}
        done = None if on_written is None else lambda name, offset, length: on_written(rid, name, offset, length)
        self._queue.put(([resource_record(self._builder, "resource", url, content, content_type, fields)], done))
        return rid

    def write_raw(self, record: bytes, on_written: Callable[[str, int, int], None] | None = None) -> None:
        """One record already serialised (``recordbuilder.serialise``), e.g. a DNS or RDAP exchange of the
        intermediaries step; ``on_written(file, offset, length)`` runs once it is on disk."""
        self.check()
        self._queue.put(([record], on_written))

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
            records, request_id, digests = exchange_records(ex, response_id, sha256)
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
        return gzip_member(raw, self.compress_level)

    def _file(self):
        if self._fh is not None and self._fh.tell() >= self.rotate_bytes:
            self._close_file()
            self._seq += 1
        if self._fh is None:
            self._fh = open(self.folder / self.current_name, "xb")
            self._fh.write(self._member(warcinfo_record(self._thread_builder, self.current_name, self.warcinfo)))
        return self._fh

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def _run(self) -> None:
        self._thread_builder = new_builder()
        while True:
            job = self._queue.get()
            if job is None:
                break
            size = job[0].queued_size if len(job) == 4 else 0
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


def _exchange_done(on_written, response_id: str, request_id: str, digests: Digests):
    if on_written is None:
        return None
    return lambda name, offset, length: on_written(
        WrittenExchange(name, offset, length, response_id, request_id, digests))
