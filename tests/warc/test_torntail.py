"""Resume repair: a record half-written by a killed process is cut, complete records are kept."""

from __future__ import annotations

import gzip

from evidence_crawler.warc import WarcFindings, check_warc, truncate_torn_tail


def test_a_torn_last_record_is_cut_back_to_the_last_complete_one(warc):
    whole = warc.path.read_bytes()
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 100000\r\n\r\n" + b"x" * 500)
    warc.path.write_bytes(whole + torn[: len(torn) // 2])
    assert truncate_torn_tail(warc.path) == len(torn) // 2
    assert warc.path.read_bytes() == whole
    found = WarcFindings()
    with open(warc.path, "rb") as fh:
        check_warc(fh, warc.path.name, found)
    assert found.problems == [] and len(found.payloads) == 3


def test_a_whole_file_is_left_alone(warc):
    before = warc.path.read_bytes()
    assert truncate_torn_tail(warc.path) == 0 and warc.path.read_bytes() == before
