"""A small WARC written by the real writer: three pages, a metadata and a conversion record."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evidence_crawler.warc import Exchange, RotatingWarcWriter, WrittenExchange


def exchange(url: str, body: bytes, status: int = 200) -> Exchange:
    return Exchange(url=url, method="GET", request_headers=[("Host", "shop.test"), ("Accept", "*/*")],
                    request_body=b"", status=status, protocol="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                    body=body, fetched_at="2026-01-02T03:04:05.000006Z", ip="127.0.0.1",
                    extra_warc_headers={"WARC-Protocol": "http/1.1"})


@dataclass
class Written:
    path: Path
    pages: list[tuple[str, bytes]]
    written: list[WrittenExchange] = field(default_factory=list)

    def offset_of(self, url: str) -> int:
        return next(w.offset for w, (u, _) in zip(self.written, self.pages, strict=True) if u == url)


def write_warc(folder: Path, pages: list[tuple[str, bytes]], rotate_bytes: int = 1 << 30) -> list[WrittenExchange]:
    written: list[WrittenExchange] = []
    w = RotatingWarcWriter(folder, "cap", rotate_bytes, {"software": "evidence-crawler tests"})
    first_id = None
    for url, body in pages:
        rid, _ = w.write_exchange(exchange(url, body), written.append)
        first_id = first_id or rid
    w.write_metadata("http://shop.test/", b"-----BEGIN CERTIFICATE-----\n", "application/x-pem-file", None)
    w.write_conversion("http://shop.test/", b"<html>rendered</html>", "text/html", first_id,
                       "2026-01-02T03:04:05Z")
    w.close()
    return written


@pytest.fixture
def warc(tmp_path) -> Written:
    pages = [(f"http://shop.test/item/{i}", os.urandom(20_000 * (i + 1)).hex().encode()) for i in range(3)]
    written = write_warc(tmp_path / "warc", pages)
    return Written(tmp_path / "warc" / "cap-00000.warc.gz", pages, written)
