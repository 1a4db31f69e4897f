"""Resume answers a recorded page from the WARC as the parser first saw it, also when it was sent chunked."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import SimpleNamespace

from scrapy import Request
from w3lib.url import canonicalize_url

from evidence_crawler.warc import RotatingWarcWriter
from pipelines.replay import ResumeReplayMiddleware
from tests.warc.conftest import exchange
from tests.warc.test_dechunk import BODY, FRAMED, HEAD


def test_a_chunked_record_is_replayed_dechunked_without_its_transfer_encoding(tmp_path):
    url = "http://shop.test/c"
    written = []
    w = RotatingWarcWriter(tmp_path, "cap", 1 << 30, {"software": "tests"})
    sha, _ = w.write_exchange(replace(exchange(url, BODY), response_wire=HEAD + FRAMED), written.append)[::-1]
    w.close()
    page = {"status": 200, "warc_path": str(tmp_path / written[0].warc_file), "warc_offset": written[0].offset,
            "sha256": sha, "record_id": written[0].record_id, "fetched_at": "2026-01-02T03:04:05.000006Z"}
    middleware = ResumeReplayMiddleware.__new__(ResumeReplayMiddleware)
    middleware.capture = SimpleNamespace(session=SimpleNamespace(recorded={canonicalize_url(url): page}))
    middleware.salvaged = None

    response = middleware.process_request(Request(url))
    assert response.status == 200 and response.body == BODY
    assert hashlib.sha256(response.body).hexdigest() == page["sha256"]
    assert b"Transfer-Encoding" not in response.headers and response.headers[b"Server"] == b"x"
