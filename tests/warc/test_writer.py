"""The rotating writer's output, read back with warcio's ``ArchiveIterator`` and passed by ``warcio check``."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.hashing import digest_bytes
from evidence_crawler.warc.digest import sha256_of, warc_digest
from tests.warc.conftest import write_warc

WARCIO = Path(sys.executable).parent / "warcio"


def _records(path: Path) -> list[tuple]:
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, check_digests=True)
        for rec in it:
            payload = rec.content_stream().read() if rec.rec_type == "response" else rec.raw_stream.read()
            out.append((it.get_record_offset(), it.get_record_length(), rec, payload))
    return out


def test_records_read_back_with_sha256_digests_that_warcio_verifies(warc):
    records = _records(warc.path)
    kinds = [r.rec_type for _, _, r, _ in records]
    assert kinds == ["warcinfo"] + ["response", "request"] * 3 + ["metadata", "conversion"]
    for _, _, rec, _ in records:
        assert rec.digest_checker.passed is not False, rec.digest_checker.problems
        assert rec.rec_headers.get_header("WARC-Block-Digest").startswith("sha256:")
        assert rec.rec_headers.protocol == "WARC/1.1"
    responses = [(off, r, body) for off, _, r, body in records if r.rec_type == "response"]
    for (off, rec, body), (url, sent), w in zip(responses, warc.pages, warc.written, strict=True):
        assert body == sent and rec.rec_headers.get_header("WARC-Target-URI") == url
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == warc_digest(hashlib.sha256(sent).hexdigest())
        assert (w.warc_file, w.offset) == (warc.path.name, off) and w.body == digest_bytes(sent)
        assert rec.rec_headers.get_header("WARC-X-Payload-BLAKE3") == f"blake3:{w.body.blake3}"
        assert rec.rec_headers.get_header("WARC-Record-ID") == w.record_id
        assert rec.http_headers.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
        assert rec.http_headers.get_header("Transfer-Encoding") is None


def test_request_records_pair_with_their_responses(warc):
    records = [r for _, _, r, _ in _records(warc.path)]
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r in records}
    for w in warc.written:
        req = by_id[w.request_record_id]
        assert req.rec_type == "request" and req.rec_headers.get_header("WARC-Concurrent-To") == w.record_id
        assert req.http_headers.protocol == "GET" and req.http_headers.statusline.startswith("/item/")
    conversion = records[-1]
    assert conversion.rec_headers.get_header("WARC-Refers-To") == warc.written[0].record_id


def test_every_record_is_its_own_gzip_member(warc):
    records = _records(warc.path)
    data = warc.path.read_bytes()
    for off, length, _, _ in records:
        member = gzip.decompress(data[off:off + length])
        assert member.startswith(b"WARC/1.1\r\n") and member.endswith(b"\r\n\r\n")
    assert records[-1][0] + records[-1][1] == len(data)


def test_warcio_check_passes(warc):
    proc = subprocess.run([str(WARCIO), "check", "-v", str(warc.path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "digest pass" in proc.stdout and "digest fail" not in proc.stdout


def test_files_rotate_past_the_size_and_each_starts_with_warcinfo(tmp_path):
    pages = [(f"http://shop.test/{i}", bytes([i]) * 50_000) for i in range(4)]
    written = write_warc(tmp_path, pages, rotate_bytes=1)
    names = sorted(p.name for p in tmp_path.glob("*.warc.gz"))
    assert names == [f"cap-{i:05d}.warc.gz" for i in range(6)]  # each write starts a file: 4 pages, 2 others
    assert [w.warc_file for w in written] == names[:4]
    for name in names:
        assert _records(tmp_path / name)[0][2].rec_type == "warcinfo"
    assert sha256_of(_records(tmp_path / names[2])[1][2].rec_headers.get_header("WARC-Payload-Digest")) \
        == hashlib.sha256(pages[2][1]).hexdigest()


def test_record_ids_are_random_uuids_unique_across_a_fork():
    import os
    import uuid

    from evidence_crawler.warc.recordbuilder import new_record_id

    mine = [new_record_id() for _ in range(300)]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child draws after the fork: none of its ids may be the parent's pending ones
        os.write(write, "\n".join(new_record_id() for _ in range(300)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as fh:
        child = fh.read().split("\n")
    mine += [new_record_id() for _ in range(300)]
    assert len(set(mine) | set(child)) == 900
    assert all(uuid.UUID(i.removeprefix("<urn:uuid:").removesuffix(">")).version == 4 for i in mine + child)
