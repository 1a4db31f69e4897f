"""One streaming pass over a zip member: its sha256 and blake3, and for a WARC every record's digests.

Member hashing runs on its own threads (hashlib and blake3 release the GIL on large buffers) while
the WARC's records are checked by :func:`evidence_crawler.warc.check_warc` (on a thread pool for a
gzip-per-record WARC), so a bundle is read once and every core works. blake3 is kept although
datapackage.json only lists sha256: evidence/manifest.json and each sealed capture manifest promise
sha256 and blake3 of every file, and verify checks what the bundle promises (it costs about a tenth
of the sha256 pass).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import BinaryIO

import blake3

from evidence_crawler.warc import WarcFindings, check_warc

CHUNK = 1 << 20


@dataclass
class MemberScan(WarcFindings):
    sha256: str = ""
    blake3: str = ""
    size: int = 0


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


def scan_member(raw: BinaryIO, name: str, warc: bool, pool: Executor | None = None) -> MemberScan:
    """Hash ``raw`` to its end; if ``warc``, also check every record's block and payload digests (on
    ``pool``'s threads, or a pool of one thread per core made for this member)."""
    scan = MemberScan()
    reader = _HashingReader(raw)
    try:
        if warc:
            check_warc(reader, name, scan, pool)
        reader.drain()
    except Exception as exc:  # noqa: BLE001 - zip CRC errors, truncated deflate: name the member
        scan.problems.append(f"{name}: unreadable member ({type(exc).__name__}: {exc}); content altered?")
    finally:
        scan.sha256, scan.blake3 = reader.finish()
        scan.size = reader.size
    return scan
