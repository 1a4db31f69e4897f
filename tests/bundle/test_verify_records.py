"""verify's record checks (the parallel gzip-per-record fast path): same findings as warcio, every bad
record named with its offset, damaged or truncated gzip members, bounded memory on a big record."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import time
import tracemalloc
import zipfile

import pytest
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.bundle.memberscan import scan_member
from evidence_crawler.bundle.verify import verify_bundle
from evidence_crawler.warc import gzipscan
from evidence_crawler.warc.recordcheck import GZIP_MAGIC, OUT_STEP


def _b32(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def record(url: str, body: bytes, *, kind: str = "response", stored_body: bytes | None = None,
           extra: bytes = b"") -> bytes:
    """One WARC record as its own gzip member; ``stored_body`` replaces the body after hashing (tamper)."""
    if kind == "response":
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
        ctype = "application/http; msgtype=response"
    else:
        http, ctype = b"", "text/plain"
    block = http + body
    stored = http + (body if stored_body is None else stored_body)
    head = (f"WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{hashlib.md5(url.encode()).hexdigest()}>\r\nContent-Type: {ctype}\r\n"
            f"WARC-Block-Digest: {_b32(block)}\r\nWARC-Payload-Digest: {_b32(body)}\r\n"
            f"Content-Length: {len(stored)}\r\n\r\n").encode()
    return gzip.compress(head + stored + b"\r\n\r\n" + extra, compresslevel=1)


def _pages(n: int, size: int) -> list[tuple[str, bytes]]:
    return [(f"http://shop.test/item/{i}", os.urandom(size // 2).hex().encode()) for i in range(n)]


def _warc(pages: list[tuple[str, bytes]], tamper: int | None = None) -> tuple[bytes, list[int]]:
    parts, offsets, pos = [record("warcinfo:", b"software: test\r\n", kind="warcinfo")], [], 0
    pos = len(parts[0])
    for i, (url, body) in enumerate(pages):
        rec = record(url, body, stored_body=body[:-1] + b"!" if i == tamper else None)
        offsets.append(pos)
        parts.append(rec)
        pos += len(rec)
    return b"".join(parts), offsets


@pytest.fixture(params=["segments", "one task per window"])
def small_windows(monkeypatch, request):
    """64 KiB windows of 16 KiB segments: records straddle segments and windows (the continuation path).
    Run twice: with a window cut into segments (several tasks), and as one task (small records)."""
    monkeypatch.setattr(gzipscan, "WINDOW", 64 << 10)
    monkeypatch.setattr(gzipscan, "SEGMENT", 16 << 10)
    monkeypatch.setattr(gzipscan, "SMALL_MEMBER", 0 if request.param == "segments" else 1 << 30)


def test_fast_path_agrees_with_warcio(small_windows):
    pages = _pages(12, 40_000) + _pages(1, 300_000) + _pages(3, 10)
    data, offsets = _warc(pages)
    scan = scan_member(io.BytesIO(data), "archive/a.warc.gz", True)
    it = ArchiveIterator(io.BytesIO(data), check_digests=True)
    expected = []
    for rec in it:
        rec.content_stream().read()
        assert rec.digest_checker.passed is not False
        if rec.rec_type == "response":
            expected.append(it.get_record_offset())
    assert scan.problems == []
    assert scan.records == len(pages) + 1
    assert sorted(scan.payloads) == expected == offsets
    assert [scan.payloads[o] for o in offsets] == [hashlib.sha256(b).hexdigest() for _, b in pages]
    assert scan.sha256 == hashlib.sha256(data).hexdigest() and scan.size == len(data)


def test_tampered_record_is_named_and_the_others_pass(small_windows):
    pages = _pages(6, 50_000)
    data, offsets = _warc(pages, tamper=3)
    scan = scan_member(io.BytesIO(data), "archive/a.warc.gz", True)
    assert len(scan.problems) == 1, scan.problems
    assert f"archive/a.warc.gz record at offset {offsets[3]} ({pages[3][0]})" in scan.problems[0]
    assert "block digest failed" in scan.problems[0] and "payload digest failed" in scan.problems[0]
    assert sorted(scan.payloads) == offsets[:3] + offsets[4:] and scan.records == 7


def test_damaged_gzip_member_is_named_and_checking_resumes(small_windows):
    pages = _pages(5, 50_000)
    data, offsets = _warc(pages)
    bad = bytearray(data)
    bad[offsets[2] + (offsets[3] - offsets[2]) // 2] ^= 0x55
    scan = scan_member(io.BytesIO(bytes(bad)), "archive/a.warc.gz", True)
    assert len(scan.problems) == 1, scan.problems
    text = scan.problems[0]
    assert f"record at offset {offsets[2]} ({pages[2][0]}): unreadable gzip member" in text
    assert f"records checked again from offset {offsets[3]} on" in text
    assert sorted(scan.payloads) == offsets[:2] + offsets[3:]


def test_truncated_last_member_is_named(small_windows):
    pages = _pages(4, 200_000)
    data, offsets = _warc(pages)
    cut = data[: offsets[3] + (len(data) - offsets[3]) // 2]
    scan = scan_member(io.BytesIO(cut), "archive/a.warc.gz", True)
    assert len(scan.problems) == 1 and f"record at offset {offsets[3]}" in scan.problems[0]
    assert "truncated" in scan.problems[0]
    assert sorted(scan.payloads) == offsets[:3] and scan.size == len(cut)


def test_garbage_after_the_last_record_is_named():
    data, offsets = _warc(_pages(2, 1000))
    scan = scan_member(io.BytesIO(data + b"not a gzip member\r\n"), "archive/a.warc.gz", True)
    assert len(scan.problems) == 1 and f"record at offset {len(data)}" in scan.problems[0]
    assert "no record checked after it" in scan.problems[0] and sorted(scan.payloads) == offsets


def test_data_dense_with_gzip_signatures_is_named_without_a_task_each():
    """4 MiB of gzip magic bytes after the records: over a million candidate starts, refused cheaply."""
    data, offsets = _warc(_pages(3, 1000))
    t0 = time.perf_counter()
    scan = scan_member(io.BytesIO(data + GZIP_MAGIC * (1400 << 10)), "archive/a.warc.gz", True)
    assert time.perf_counter() - t0 < 10
    assert len(scan.problems) == 1 and f"record at offset {len(data)}" in scan.problems[0]
    assert sorted(scan.payloads) == offsets


def test_two_records_in_one_gzip_member_are_named():
    one, two = record("http://a.test/", b"a"), record("http://b.test/", b"b")
    both = gzip.compress(gzip.decompress(one) + gzip.decompress(two))
    scan = scan_member(io.BytesIO(one + both), "archive/a.warc.gz", True)
    assert len(scan.problems) == 1, scan.problems
    assert f"record at offset {len(one)} (http://a.test/)" in scan.problems[0]
    assert "data after the record inside its gzip member" in scan.problems[0]


def test_uncompressed_warc_goes_through_warcio():
    pages = _pages(3, 1000)
    plain = b"".join(gzip.decompress(record(u, b, stored_body=b[:-1] + b"!" if i == 1 else None))
                     for i, (u, b) in enumerate(pages))
    scan = scan_member(io.BytesIO(plain), "archive/a.warc", True)
    assert scan.records == 3 and len(scan.problems) == 1 and pages[1][0] in scan.problems[0]


def test_mismatch_in_the_second_warc_file_names_that_file_only(tmp_path):
    first, _ = _warc(_pages(3, 20_000))
    pages = _pages(3, 20_000)
    second, offsets = _warc(pages, tamper=1)
    bundle = tmp_path / "two.wacz"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/one.warc.gz", first)
        z.writestr("archive/two.warc.gz", second)
        z.writestr("datapackage.json", b"{}")
    report = verify_bundle(bundle)
    records = [p for p in report.problems if "record at offset" in p]
    assert records == [p for p in records if p.startswith(f"archive/two.warc.gz record at offset {offsets[1]} ")]
    assert len(records) == 1 and report.checked["warc_records"] == 8


def test_memory_stays_bounded_on_a_big_record(tmp_path):
    """A 40 MiB incompressible body plus 120 MiB of zeros in one record: compressed, it spans five windows;
    inflated, twenty. Neither is ever held whole."""
    body = os.urandom(40 << 20) + bytes(120 << 20)
    data = record("http://big.test/", body)
    del body
    path = tmp_path / "big.warc.gz"
    path.write_bytes(data)
    del data
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            scan = scan_member(fh, "archive/big.warc.gz", True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scan.problems == [] and scan.records == 1 and len(scan.payloads) == 1
    print(f"peak traced memory {peak >> 20} MiB, window {gzipscan.WINDOW >> 20} MiB")
    steps = ((os.cpu_count() or 1) + 1) * OUT_STEP  # one inflate step per pool thread and the chain's
    assert peak < 3 * gzipscan.WINDOW + steps + (2 << 20), peak  # two windows and one being read
