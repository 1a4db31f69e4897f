"""One streaming pass over a zip member: its sha256 and blake3, and for a WARC every record's digests.

Hashing runs on a second thread (hashlib and blake3 release the GIL on large buffers) while this
thread inflates and parses WARC records, so a bundle is read once and both cores work.
"""

from __future__ import annotations

import base64
import hashlib
import queue
import threading
from dataclasses import dataclass, field
from typing import BinaryIO

import blake3
from warcio.archiveiterator import ArchiveIterator

CHUNK = 1 << 20


@dataclass
class MemberScan:
    sha256: str = ""
    blake3: str = ""
    size: int = 0
    records: int = 0
    payloads: dict[int, str] = field(default_factory=dict)  # response offset -> verified payload sha256 (hex)
    problems: list[str] = field(default_factory=list)


class _HashingReader:
    """A read-only stream that hands every chunk it returns to a hashing thread."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0
        self._sha, self._b3 = hashlib.sha256(), blake3.blake3(max_threads=1)
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._thread = threading.Thread(target=self._hash, daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        while (chunk := self._q.get()) is not None:
            self._sha.update(chunk)
            self._b3.update(chunk)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n is not None and n >= 0 else -1)
        if data:
            self.size += len(data)
            self._q.put(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def finish(self) -> tuple[str, str]:
        self._q.put(None)
        self._thread.join()
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


def scan_member(raw: BinaryIO, name: str, warc: bool) -> MemberScan:
    """Hash ``raw`` to its end; if ``warc``, also check every record's block and payload digests."""
    scan = MemberScan()
    reader = _HashingReader(raw)
    try:
        if warc:
            _scan_records(reader, name, scan)
        reader.drain()
    except Exception as exc:  # noqa: BLE001 - zip CRC errors, truncated deflate: name the member
        scan.problems.append(f"{name}: unreadable member ({type(exc).__name__}: {exc}); content altered?")
    finally:
        scan.sha256, scan.blake3 = reader.finish()
        scan.size = reader.size
    return scan
