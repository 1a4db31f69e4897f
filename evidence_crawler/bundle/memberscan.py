"""One streaming pass over a zip member: its sha256 and blake3, and for a WARC every record's digests.

Member hashing runs on its own threads (hashlib and blake3 release the GIL on large buffers) while
the records of a gzip-per-record WARC are inflated and checked on a thread pool
(:mod:`evidence_crawler.bundle.warcscan`), so a bundle is read once and every core works. blake3 is
kept although datapackage.json only lists sha256: evidence/manifest.json and each sealed capture
manifest promise sha256 and blake3 of every file, and verify checks what the bundle promises (it
costs about a tenth of the sha256 pass). A WARC that is not gzip-per-record (an uncompressed
``.warc``) is read with warcio's ``ArchiveIterator``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import blake3
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.bundle.recordcheck import GZIP_MAGIC
from evidence_crawler.bundle.warcscan import scan_gzip_warc

CHUNK = 1 << 20


@dataclass
class MemberScan:
    sha256: str = ""
    blake3: str = ""
    size: int = 0
    records: int = 0
    record_bytes_hashed: int = 0  # inflated bytes through block + payload digests (gzip-per-record path)
    payloads: dict[int, str] = field(default_factory=dict)  # response offset -> verified payload sha256 (hex)
    problems: list[str] = field(default_factory=list)


class _HashingReader:
    """A read-only stream that hands every chunk it returns to two hashing threads (sha256, blake3):
    each runs on its own core, apart from the reading and record checks."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0
        self._sha, self._b3 = hashlib.sha256(), blake3.blake3(max_threads=1)
        # at most 2 reads (of up to WINDOW) ahead of each hash
        self._queues: list[queue.Queue[bytes | None]] = [queue.Queue(maxsize=2), queue.Queue(maxsize=2)]
        self._threads = [threading.Thread(target=self._hash, args=(q, h.update), daemon=True)
                         for q, h in zip(self._queues, (self._sha, self._b3), strict=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _hash(q: queue.Queue, update) -> None:
        while (chunk := q.get()) is not None:
            update(chunk)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n is not None and n >= 0 else -1)
        if data:
            self.size += len(data)
            for q in self._queues:
                q.put(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def finish(self) -> tuple[str, str]:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()
        return self._sha.hexdigest(), self._b3.hexdigest()


def _sha256_hex(digest: str | None) -> str | None:
    """``sha256:<base32>`` (WARC) or ``sha256:<hex>`` to hex; None for other algorithms."""
    if not digest or not digest.lower().startswith("sha256:"):
        return None
    value = digest.split(":", 1)[1]
    if len(value) == 64:
        return value.lower()
    try:
        return base64.b32decode(value.upper()).hex()
    except ValueError:
        return None


def _scan_records(stream: _HashingReader, name: str, scan: MemberScan) -> None:
    it = ArchiveIterator(stream, check_digests=True, block_size=CHUNK)
    offset = 0
    try:
        for record in it:
            while record.raw_stream.read(CHUNK):
                pass
            offset = it.get_record_offset()
            scan.records += 1
            if record.digest_checker.passed is False:
                scan.problems.append(f"{name} record at offset {offset} "
                                     f"({record.rec_headers.get_header('WARC-Target-URI')}): "
                                     + "; ".join(record.digest_checker.problems))
            elif record.rec_type == "response":
                hexd = _sha256_hex(record.rec_headers.get_header("WARC-Payload-Digest"))
                if hexd and record.digest_checker.passed:
                    scan.payloads[offset] = hexd
    except Exception as exc:  # noqa: BLE001 - a record that cannot be parsed is itself the finding
        scan.problems.append(f"{name}: unreadable WARC after offset {offset} ({type(exc).__name__}: {exc})")


class _Replay:
    """``first`` again, then the rest of ``reader``: for warcio, once the first bytes have been looked at."""

    def __init__(self, first: bytes, reader: _HashingReader) -> None:
        self.first, self.reader = first, reader

    def read(self, n: int = -1) -> bytes:
        if self.first:
            n = len(self.first) if n is None or n < 0 else n
            out, self.first = self.first[:n], self.first[n:]
            return out
        return self.reader.read(n)


def _scan_warc(reader: _HashingReader, name: str, scan: MemberScan, pool: Executor | None) -> None:
    head = reader.read(len(GZIP_MAGIC))
    if head != GZIP_MAGIC:
        _scan_records(_Replay(head, reader), name, scan)
    elif pool is not None:
        scan_gzip_warc(head, reader, name, scan, pool)
    else:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as own:
            scan_gzip_warc(head, reader, name, scan, own)


def scan_member(raw: BinaryIO, name: str, warc: bool, pool: Executor | None = None) -> MemberScan:
    """Hash ``raw`` to its end; if ``warc``, also check every record's block and payload digests (on
    ``pool``'s threads, or a pool of one thread per core made for this member)."""
    scan = MemberScan()
    reader = _HashingReader(raw)
    try:
        if warc:
            _scan_warc(reader, name, scan, pool)
        reader.drain()
    except Exception as exc:  # noqa: BLE001 - zip CRC errors, truncated deflate: name the member
        scan.problems.append(f"{name}: unreadable member ({type(exc).__name__}: {exc}); content altered?")
    finally:
        scan.sha256, scan.blake3 = reader.finish()
        scan.size = reader.size
    return scan
