"""One pass over a stream feeding sha256 and blake3 together.

Every artifact is hashed with two unrelated algorithms so that a future weakness in one does not
void the evidence. Text forms carry their algorithm (``sha256:<hex>``), as warcio's ``Digester`` does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

import blake3

from evidence_crawler.models import Digests

CHUNK = 1 << 20


class DualDigester:
    """Feed bytes once; read sha256, blake3 and the byte count."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._blake3 = blake3.blake3(max_threads=1)
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self._sha256.update(data)
        self._blake3.update(data)
        self.size += len(data)

    def result(self) -> Digests:
        return Digests(sha256=self._sha256.hexdigest(), blake3=self._blake3.hexdigest(), size=self.size)


def digest_bytes(data: bytes) -> Digests:
    d = DualDigester()
    d.update(data)
    return d.result()


def digest_stream(stream: BinaryIO) -> Digests:
    d = DualDigester()
    while chunk := stream.read(CHUNK):
        d.update(chunk)
    return d.result()


def digest_file(path: Path) -> Digests:
    with open(path, "rb") as fh:
        return digest_stream(fh)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
