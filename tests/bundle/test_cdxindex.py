"""The bundle index and the page titles read in its pass: the same CDXJ as cdxj-indexer alone, the same titles
as reading each page's record back."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from cdxj_indexer.main import write_cdx_index
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from evidence_crawler.bundle.cdxindex import index_warcs, wanted_offsets
from evidence_crawler.bundle.pages import page_entries, read_title

RESPONSES = [  # url, status, content type, body, content-encoding
    ("https://shop.test/", 200, "text/html; charset=utf-8", b"<title>Home &amp; more</title><p>x</p>", None),
    ("https://shop.test/ru", 200, "text/html; charset=windows-1251", "<title>Альбом — 2 $</title>".encode("cp1251"),
     None),
    ("https://shop.test/gz", 200, "text/html", gzip.compress(b"<title>\n zipped\n page </title>"), "gzip"),
    ("https://shop.test/missing", 404, "text/html", b"<title>Not found</title>", None),
    ("https://shop.test/a.css", 200, "text/css", b"body{}", None),
    ("https://shop.test/notitle", 200, "text/html", b"<p>no title</p>", None),
    ("https://shop.test/badgz", 200, "text/html", b"not gzip at all", "gzip"),
]


def _warc(path: Path) -> list[dict]:
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, status, ctype, body, enc in RESPONSES:
            headers = [("Content-Type", ctype)] + ([("Content-Encoding", enc)] if enc else [])
            http = StatusAndHeaders(f"{status} X", headers, protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
        w.write_record(w.create_warc_record("https://shop.test/", "metadata", payload=io.BytesIO(b"a: b\r\n"),
                                            warc_content_type="application/warc-fields"))
    pages = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if record.rec_type == "response":
                url = record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode())
                pages.append({"url": url, "status": status, "warc_file": path.name,
                              "content_type": record.http_headers.get_header("Content-Type"),
                              "warc_offset": it.get_record_offset(), "record_id": "<urn:uuid:x>"})
    return pages


def test_same_index_and_titles_as_two_passes(tmp_path):
    warc = tmp_path / "cap-00000.warc.gz"
    pages = _warc(warc)
    index, titles = index_warcs([(warc.name, warc)], wanted_offsets(pages))

    buf = io.StringIO()
    write_cdx_index(buf, [str(warc)], {"filename": warc.name, "records": "response,revisit,resource"})
    assert index == "".join(sorted(buf.getvalue().splitlines(keepends=True))).encode()
    assert index.count(b"\n") == len(RESPONSES)  # responses only: no request, no metadata line

    one_pass = page_entries("c", pages, tmp_path, titles)
    alone = page_entries("c", pages, tmp_path)
    assert [e["title"] for e in one_pass] == [e["title"] for e in alone]
    by_url = {e["url"]: e["title"] for e in one_pass}
    assert by_url["https://shop.test/"] == "Home & more"
    assert by_url["https://shop.test/ru"] == "Альбом — 2 $"
    assert by_url["https://shop.test/gz"] == "zipped page"
    assert by_url["https://shop.test/missing"] is None  # not a 200: no title wanted
    assert by_url["https://shop.test/notitle"] is None
    assert by_url["https://shop.test/badgz"] is None  # a body that is not the gzip it claims: no title
    # the 200 HTML pages, and only they, were read in the pass
    assert set(titles) == {(warc.name, p["warc_offset"]) for p in pages
                           if p["status"] == 200 and "html" in p["content_type"]}


def test_a_page_the_pass_did_not_reach_is_read_alone(tmp_path):
    warc = tmp_path / "cap-00000.warc.gz"
    pages = _warc(warc)
    index, titles = index_warcs([(warc.name, warc)], {})  # no offsets asked for
    assert titles == {}
    entries = page_entries("c", pages, tmp_path, titles)
    assert entries[0]["title"] == read_title(warc, pages[0]["warc_offset"]) == "Home & more"
