"""The one WARC record checker, used by ``captures verify`` (a file in the store) and ``verify`` (a bundle member).

Every record's block and payload digests are checked, each bad record named with its offset and URI,
and the verified payload sha256 of each response kept by offset, so that the caller can hold pages.jsonl
against it. A gzip-per-record WARC (what the writer makes) is checked on a thread pool
(:mod:`evidence_crawler.warc.gzipscan`); anything else, such as an uncompressed ``.warc``, is read with
warcio's ``ArchiveIterator``.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.warc.dechunk import Dechunker
from evidence_crawler.warc.digest import sha256_of
from evidence_crawler.warc.findings import PAGE_RECORDS, WarcFindings
from evidence_crawler.warc.gzipscan import scan_gzip_warc
from evidence_crawler.warc.recordcheck import GZIP_MAGIC, dechunked_payload

CHUNK = 1 << 20


def check_warc(stream: BinaryIO, name: str, found: WarcFindings, pool: Executor | None = None) -> None:
    """Add to ``found`` what the records of ``stream`` (named ``name`` in problems) show; on ``pool``'s
    threads, or on a pool of one thread per core made for this WARC."""
    head = stream.read(len(GZIP_MAGIC))
    if head != GZIP_MAGIC:
        _check_with_warcio(_Replay(head, stream), name, found)
    elif pool is not None:
        scan_gzip_warc(head, stream, name, found, pool)
    else:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="warc-records") as own:
            scan_gzip_warc(head, stream, name, found, own)


def _check_with_warcio(stream: BinaryIO, name: str, found: WarcFindings) -> None:
    it = ArchiveIterator(stream, check_digests=True, block_size=CHUNK)
    offset = 0
    try:
        for record in it:
            dechunk = Dechunker() if _chunked_response(record) else None
            while data := record.raw_stream.read(CHUNK):
                if dechunk is not None:
                    dechunk.feed(data)
            offset = it.get_record_offset()
            found.records += 1
            problems = list(record.digest_checker.problems) if record.digest_checker.passed is False else []
            if dechunk is not None:
                sha, problem = dechunked_payload(dechunk, record.rec_headers.get_header(
                    "WARC-X-Dechunked-Payload-Digest"))
                problems += [problem] if problem else []
                if not problems:
                    found.payloads[offset] = sha
            if problems:
                found.record_problem(name, offset, record.rec_headers.get_header("WARC-Target-URI"),
                                     "; ".join(problems))
            elif dechunk is None and record.rec_type in PAGE_RECORDS:
                hexd = sha256_of(record.rec_headers.get_header("WARC-Payload-Digest"))
                if hexd and record.digest_checker.passed:
                    found.payloads[offset] = hexd
    except Exception as exc:  # noqa: BLE001 - a record that cannot be parsed is itself the finding
        found.problems.append(f"{name}: unreadable WARC after offset {offset} ({type(exc).__name__}: {exc})")


def _chunked_response(record) -> bool:
    """As :func:`evidence_crawler.warc.dechunk.is_chunked`, on the header block warcio parsed."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    value = record.http_headers.get_header("Transfer-Encoding")
    return value is not None and value.strip().lower() == "chunked"


class _Replay:
    """``first`` again, then the rest of ``stream``: for warcio, once the first bytes have been looked at."""

    def __init__(self, first: bytes, stream: BinaryIO) -> None:
        self.first, self.stream = first, stream

    def read(self, n: int = -1) -> bytes:
        if self.first:
            n = len(self.first) if n is None or n < 0 else n
            out, self.first = self.first[:n], self.first[n:]
            return out
        return self.stream.read(n)
