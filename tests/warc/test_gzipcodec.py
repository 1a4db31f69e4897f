"""WARCs deflated by ISA-L's igzip are standard gzip: ``gzip -t`` and ``warcio check`` read them, zlib
inflates them, and the checker reads zlib's members and igzip's alike; ``EVIDENCE_DEFLATE=zlib`` falls back."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from evidence_crawler.warc import WarcFindings, check_warc, gzipcodec
from tests.warc.conftest import write_warc

WARCIO = Path(sys.executable).parent / "warcio"
PAGES = [(f"http://shop.test/p/{i}", (b"<p>book %d</p>" % i) * 3000 + os.urandom(5000)) for i in range(20)]


def _check(data: bytes) -> WarcFindings:
    found = WarcFindings()
    check_warc(io.BytesIO(data), "cap-00000.warc.gz", found)
    return found


def test_the_writer_uses_igzip(tmp_path):
    assert gzipcodec.BACKEND == "isal"
    member = gzipcodec.gzip_member(b"x" * 100_000)
    assert member[:3] == b"\x1f\x8b\x08" and zlib.decompress(member, 31) == b"x" * 100_000


@pytest.mark.skipif(shutil.which("gzip") is None, reason="gzip(1) missing")
def test_gzip_t_and_warcio_check_read_what_igzip_wrote(tmp_path):
    write_warc(tmp_path, PAGES)
    path = tmp_path / "cap-00000.warc.gz"
    subprocess.run(["gzip", "-t", str(path)], check=True)
    out = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True, check=True)
    assert "digest pass" in out.stdout and "digest fail" not in out.stdout
    assert gzip.decompress(path.read_bytes()).count(b"WARC/1.1\r\n") == 1 + 2 * len(PAGES) + 2
    found = _check(path.read_bytes())
    assert found.problems == [] and found.records == 1 + 2 * len(PAGES) + 2 and len(found.payloads) == len(PAGES)


def test_the_checker_reads_zlib_members_and_igzip_members_mixed(tmp_path):
    write_warc(tmp_path, PAGES)
    data = (tmp_path / "cap-00000.warc.gz").read_bytes()
    with gzip.open(io.BytesIO(data)) as fh:  # the same records, deflated again by zlib at level 9, one member each
        raw = fh.read()
    records = [b"WARC/1.1\r\n" + r for r in raw.split(b"WARC/1.1\r\n")[1:]]
    mixed = b"".join(zlib.compress(r, 9, 31) if i % 2 else gzipcodec.gzip_member(r, 3)
                     for i, r in enumerate(records))
    found = _check(mixed)
    assert found.problems == [] and found.records == len(records) and len(found.payloads) == len(PAGES)


def test_a_bad_crc_and_reserved_header_flags_are_named(tmp_path):
    write_warc(tmp_path, PAGES[:2])
    data = bytearray((tmp_path / "cap-00000.warc.gz").read_bytes())
    end_of_warcinfo, end_of_first = _member_ends(bytes(data))[:2]
    crc = bytearray(data)
    crc[end_of_first - 8] ^= 1  # CRC32 of the first response's member
    found = _check(bytes(crc))
    assert any(f"offset {end_of_warcinfo}" in p and "unreadable gzip member" in p
               for p in found.problems), found.problems
    flags = bytearray(data)
    flags[end_of_warcinfo + 3] |= 0x80  # RFC 1952: reserved FLG bit; zlib refuses it, igzip would read on
    found = _check(bytes(flags))
    assert any("unknown header flags set" in p for p in found.problems), found.problems


def _member_ends(data: bytes) -> list[int]:
    ends, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
        ends.append(pos)
    return ends


def test_evidence_deflate_zlib_falls_back_to_zlib(tmp_path):
    code = ("from evidence_crawler.warc import gzipcodec as g; import zlib; "
            "m = g.gzip_member(b'abc' * 999); d = g.decompressor(); "
            "print(g.BACKEND, type(d).__module__, zlib.decompress(m, 31) == b'abc' * 999)")
    env = {**os.environ, "EVIDENCE_DEFLATE": "zlib"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "zlib" and out.stdout.split()[-1] == "True"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "isal"
