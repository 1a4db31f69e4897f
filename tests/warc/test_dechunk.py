"""Chunked response records kept framed: both checkers de-chunk the payload, prove it, and name a bad one."""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import replace

import pytest

from evidence_crawler.warc import RotatingWarcWriter, WarcFindings, check_warc
from evidence_crawler.warc.dechunk import Dechunker, is_chunked
from tests.warc.conftest import exchange

BODY = b"<html>" + b"x" * 700 + b"</html>"
HEAD = "HTTP/1.1 200 Très Bien\r\nserver:  x \r\ntransfer-encoding: chunked\r\n\r\n".encode()
FRAMED = b"1A;a=b\r\n" + BODY[:26] + b"\r\n" + b"%X\r\n" % (len(BODY) - 26) + BODY[26:] + b"\r\n0\r\nT: 1\r\n\r\n"


def _warc(tmp_path, wire: bytes, body: bytes = BODY) -> tuple[bytes, int]:
    written = []
    w = RotatingWarcWriter(tmp_path, "cap", 1 << 30, {"software": "tests"})
    w.write_exchange(replace(exchange("http://shop.test/c", body), response_wire=wire,
                             request_wire=b"GET /c HTTP/1.1\r\nHost: shop.test\r\n\r\n"), written.append)
    w.close()
    return next(tmp_path.glob("*.warc.gz")).read_bytes(), written[0].offset


def _check(data: bytes) -> WarcFindings:
    found = WarcFindings()
    check_warc(io.BytesIO(data), "cap.warc", found)
    return found


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip-fast-path", "warcio-path"])
def test_a_chunked_record_proves_its_dechunked_payload_in_both_checkers(tmp_path, compressed):
    data, offset = _warc(tmp_path, HEAD + FRAMED)
    found = _check(data if compressed else gzip.decompress(data))
    assert found.problems == []
    assert found.payloads[offset if compressed else found_offset(data, offset)] == hashlib.sha256(BODY).hexdigest()


def found_offset(data: bytes, gz_offset: int) -> int:
    """The offset of the same record in the inflated WARC."""
    return len(gzip.decompress(data[:gz_offset]))


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip-fast-path", "warcio-path"])
def test_a_chunked_record_whose_framing_carries_another_body_is_named(tmp_path, compressed):
    data, _ = _warc(tmp_path, HEAD + FRAMED, body=BODY.replace(b"x", b"y", 1))
    found = _check(data if compressed else gzip.decompress(data))
    assert len(found.problems) == 1 and "de-chunked payload digest failed" in found.problems[0]
    assert found.payloads == {}


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip-fast-path", "warcio-path"])
def test_unreadable_chunk_framing_is_named(tmp_path, compressed):
    data, _ = _warc(tmp_path, HEAD + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n")
    found = _check(data if compressed else gzip.decompress(data))
    assert len(found.problems) == 1 and "bad chunk size b'zz'" in found.problems[0]


def test_a_body_cut_off_mid_chunk_hashes_what_arrived():
    d = Dechunker()
    d.feed(FRAMED[:len(b"1A;a=b\r\n") + 26 + len(b"\r\n2AF\r\n") + 10])  # 10 bytes into the second chunk
    assert d.error is None and not d.done and d.sha256.hexdigest() == hashlib.sha256(BODY[:36]).hexdigest()


def test_framing_fed_a_byte_at_a_time_gives_the_same_body():
    d = Dechunker()
    for i in range(len(FRAMED)):
        d.feed(FRAMED[i:i + 1])
    assert d.done and d.error is None and d.sha256.hexdigest() == hashlib.sha256(BODY).hexdigest()


def test_a_record_block_keeps_the_non_ascii_reason_and_odd_spacing(tmp_path):
    data, _ = _warc(tmp_path, HEAD + FRAMED)
    raw = gzip.decompress(data)
    assert HEAD + FRAMED in raw and b"WARC-Payload-Digest" not in raw.split(HEAD)[0].rsplit(b"WARC/1.1", 1)[1]


def test_only_a_transfer_encoding_of_chunked_counts_as_chunked():
    assert is_chunked(b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING:  Chunked \r\n\r\n")
    assert not is_chunked(b"HTTP/1.1 200 OK\r\nX-Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
