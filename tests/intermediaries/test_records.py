"""Failed exchanges still become WARC records that say what happened."""

from __future__ import annotations

import io

import dns.message
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.intermediaries.records import DnsExchange, HttpExchange, dns_records, http_records, write_records
from evidence_crawler.warc.recordbuilder import Sha256WARCWriter


def _read(specs):
    buf = io.BytesIO()
    write_records(Sha256WARCWriter(buf, gzip=True, warc_version="1.1"), specs)
    buf.seek(0)
    return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("Content-Type"),
             r.content_stream().read()) for r in ArchiveIterator(buf)]


def test_a_dns_timeout_keeps_the_query_and_a_metadata_record_with_the_outcome():
    query = dns.message.make_query("allofmp3-demo.ru", "MX").to_wire()
    ex = DnsExchange(name="allofmp3-demo.ru", rdtype="MX", server="127.0.0.1", port=5300,
                     sent_at="2026-01-01T00:00:00.000000Z", duration_ms=500.0, query_wire=query, outcome="timeout",
                     error="no answer from 127.0.0.1:5300 in time")
    (req, meta) = _read(dns_records(ex))
    assert req == ("request", "dns:allofmp3-demo.ru?type=MX", "application/dns-message", query)
    assert meta[:3] == ("metadata", "dns:allofmp3-demo.ru?type=MX", "application/warc-fields")
    assert meta[3] == b"outcome: timeout\r\nerror: no answer from 127.0.0.1:5300 in time\r\n"


def test_a_refused_rdap_hop_sent_nothing_and_says_why():
    ex = HttpExchange(url="http://169.254.169.254/latest/", sent_at="2026-01-01T00:00:00.000000Z", duration_ms=0.1,
                      outcome="refused", error="169.254.169.254 (link-local)")
    assert _read(http_records(ex)) == [("metadata", "http://169.254.169.254/latest/", "application/warc-fields",
                                        b"outcome: refused\r\nerror: 169.254.169.254 (link-local)\r\n")]


def test_a_truncated_response_is_marked_and_explained():
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n{\"a\": \""
    ex = HttpExchange(url="http://127.0.0.1:1/rdap/domain/x.ru", ip="127.0.0.1", port=1,
                      sent_at="2026-01-01T00:00:00.000000Z", duration_ms=3.0, request_bytes=b"GET / HTTP/1.1\r\n\r\n",
                      response_bytes=raw, status=200, truncated="length", outcome="too_large", error="cap")
    specs = http_records(ex)
    assert [s.record_type for s in specs] == ["response", "request", "metadata"]
    assert ("WARC-Truncated", "length") in specs[0].headers
    assert specs[0].block == raw
