"""The one record checker (``captures verify`` and bundle ``verify``) on WARCs the writer made."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.warc import WarcFindings, check_warc


def _check(data: bytes, name: str = "cap-00000.warc.gz") -> WarcFindings:
    found = WarcFindings()
    check_warc(io.BytesIO(data), name, found)
    return found


def _members(path: Path) -> list[tuple[int, int]]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        return [(it.get_record_offset(), it.get_record_length()) for _ in it]


def _replace_member(data: bytes, offset: int, length: int, edit) -> bytes:
    """Recompress one record after ``edit`` changed its bytes: a valid gzip member, a wrong digest."""
    raw = edit(gzip.decompress(data[offset:offset + length]))
    comp = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return data[:offset] + comp.compress(raw) + comp.flush() + data[offset + length:]


def test_a_good_warc_passes_with_every_payload_proven(warc):
    found = _check(warc.path.read_bytes())
    assert found.problems == [] and found.named == set()
    assert found.records == 1 + 2 * 3 + 2
    assert found.payloads == {w.offset: hashlib.sha256(body).hexdigest()
                              for w, (_, body) in zip(warc.written, warc.pages, strict=True)}


def test_a_flipped_byte_names_the_record_and_only_it(warc):
    data, url = warc.path.read_bytes(), warc.pages[1][0]
    offset = warc.offset_of(url)
    length = dict(_members(warc.path))[offset]
    found = _check(_replace_member(data, offset, length, lambda raw: raw[:-10] + bytes([raw[-10] ^ 1]) + raw[-9:]))
    assert len(found.problems) == 1, found.problems
    assert found.problems[0].startswith(f"cap-00000.warc.gz record at offset {offset} ({url}): ")
    assert "block digest failed" in found.problems[0] and "payload digest failed" in found.problems[0]
    assert found.named == {offset} and offset not in found.payloads and len(found.payloads) == 2


def test_a_torn_tail_names_the_last_record_as_truncated(warc):
    data = warc.path.read_bytes()
    last, length = _members(warc.path)[-1]
    found = _check(data[:last + length // 2])
    assert len(found.problems) == 1 and f"record at offset {last} " in found.problems[0]
    assert "truncated" in found.problems[0] and len(found.payloads) == 3


def test_a_damaged_gzip_member_is_named_and_checking_resumes_after_it(warc):
    data = bytearray(warc.path.read_bytes())
    members = _members(warc.path)
    offset = warc.offset_of(warc.pages[0][0])
    i = [o for o, _ in members].index(offset)
    data[offset + members[i][1] // 2] ^= 0x55  # inside the deflate data: the member no longer inflates
    found = _check(bytes(data))
    assert len(found.problems) == 1, found.problems
    assert found.problems[0].startswith(f"cap-00000.warc.gz record at offset {offset} (")
    assert "unreadable gzip member" in found.problems[0]
    assert f"records checked again from offset {members[i + 1][0]} on" in found.problems[0]
    assert sorted(found.payloads) == [w.offset for w in warc.written[1:]]
    assert found.records == len(members) - 1


def test_an_uncompressed_warc_is_checked_by_warcio_and_named_the_same_way(warc):
    data = warc.path.read_bytes()
    plain = b"".join(gzip.decompress(data[o:o + n]) for o, n in _members(warc.path))
    offset = plain.rfind(b"WARC/1.1\r\n", 0, plain.index(warc.pages[2][0].encode()))
    body = plain.index(warc.pages[2][1][:64])
    tampered = plain[:body] + (b"0" if plain[body:body + 1] != b"0" else b"1") + plain[body + 1:]
    found = _check(tampered, "cap.warc")
    assert found.records == 9 and len(found.problems) == 1, found.problems
    assert found.problems[0].startswith(f"cap.warc record at offset {offset} ({warc.pages[2][0]}): ")
    assert found.named == {offset} and len(found.payloads) == 2
