"""Byte-exact HTTP records: every request/response block is what crossed the connection, and still checks."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest

from tests.servers.rawshop import PROFILE, RawShop
from tests.servers.tinyshop import self_signed_context

WARCIO = Path(sys.executable).parent / "warcio"


def warc_blocks(path: str) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, block) of every record of a gzip-per-record WARC, read without warcio's parsing."""
    data, out = Path(path).read_bytes(), []
    while data:
        z = zlib.decompressobj(31)
        raw = z.decompress(data)
        data = z.unused_data
        head, _, rest = raw.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        out.append((fields, rest[:int(fields["Content-Length"])]))
    return out


@pytest.fixture(scope="module", params=["http", pytest.param("https", marks=pytest.mark.slow)])
def crawled(request, tmp_path_factory):
    from tests.conftest import Cli

    tmp = tmp_path_factory.mktemp(f"wire-{request.param}")
    tls = self_signed_context(tmp)[0] if request.param == "https" else None
    cli = Cli(tmp / "store")
    with RawShop(tls=tls) as shop:
        profile = tmp / "p.yaml"
        profile.write_text(PROFILE.format(url=shop.base_url))
        summary = cli.crawl(profile)
        exchanges = list(shop.exchanges)
    return cli, summary, exchanges, tmp


def _records(summary, kind):
    return [(h, b) for w in summary["warc_files"] for h, b in warc_blocks(w) if h["WARC-Type"] == kind]


def test_every_response_block_is_exactly_what_the_server_sent(crawled):
    _, summary, exchanges, _ = crawled
    responses = _records(summary, "response")
    interim = {h["WARC-Concurrent-To"]: b for h, b in _records(summary, "metadata") if "WARC-Concurrent-To" in h}
    assert Counter(interim.get(h["WARC-Record-ID"], b"") + b for h, b in responses) == \
        Counter(sent for _, sent in exchanges)
    assert list(interim.values()) == [b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"]
    assert all(b.startswith(b"HTTP/1.1 ") and b[9] != ord("1") for _, b in responses)
    blocks = b"".join(b for _, b in responses)
    for odd in ("200 Très Bien".encode(), b"302 Over There", b"server:  x \r\n", b"set-cookie: b=2",
                b"Set-Cookie: a=1", b"1A;ext=v1\r\n", b"0;last\r\nX-Trailer: t\r\n", b"CONTENT-ENCODING: gzip"):
        assert odd in blocks, odd
    assert all(h["WARC-Protocol"] == "http/1.1" and "WARC-X-Reconstructed-Head" not in h for h, _ in responses)


def test_every_request_block_is_exactly_what_the_crawler_sent(crawled):
    _, summary, exchanges, _ = crawled
    requests = _records(summary, "request")
    assert Counter(b for _, b in requests) == Counter(req for req, _ in exchanges)


def test_chunked_records_declare_the_dechunked_payload_and_plain_ones_the_payload(crawled):
    cli, summary, _, _ = crawled
    pages = {p["record_id"]: p for p in cli.json("captures", "show", summary["capture_id"], "--json")["pages"]}
    chunked = 0
    for headers, block in _records(summary, "response"):
        page = pages[headers["WARC-Record-ID"]]
        if b"\r\ntransfer-encoding: chunked" in block.lower().split(b"\r\n\r\n", 1)[0]:
            chunked += 1
            assert "WARC-Payload-Digest" not in headers
            assert headers["WARC-X-Dechunked-Payload-Digest"].startswith("sha256:")
        else:
            payload = block.split(b"\r\n\r\n", 1)[1]
            assert page["sha256"] == hashlib.sha256(payload).hexdigest()
    assert chunked >= 3  # two chunked items and the cut-off chunked page (each attempt)


def test_extraction_redirects_and_decompression_see_the_parsed_response(crawled):
    cli, summary, _, _ = crawled
    items = {i["fields"]["title"]: i["offers"][0]["price"] for i in cli.items(summary["capture_id"])}
    assert items == {"Item 1": "1.99", "Item 2": "2.99", "Item 3": "3.99", "Item 4": "4.99",
                     "Item 5": "5.99", "Item 6": "6.99"}
    pages = cli.json("captures", "show", summary["capture_id"], "--json")["pages"]
    assert any(p["url"].endswith("/moved") and p["redirect_to"].endswith("/item/4") for p in pages)
    lines = (cli.store / "captures" / summary["capture_id"] / "artifacts" / "pages.jsonl").read_text().splitlines()
    cut = [json.loads(line) for line in lines if '/cut' in line]
    assert len(cut) == 6 and all(p["partial"] for p in cut)  # each attempt of both, marked partial


def test_warcio_check_captures_verify_and_bundle_verify_pass(crawled):
    cli, summary, _, tmp = crawled
    for warc in summary["warc_files"]:
        proc = subprocess.run([str(WARCIO), "check", "-v", warc], capture_output=True, text=True)
        assert proc.returncode == 0 and "digest pass" in proc.stdout, proc.stdout + proc.stderr
    report = cli.json("captures", "verify", summary["capture_id"], "--json")
    assert report["valid"], report
    cli.run("keys", "init")
    bundle = tmp / "case.wacz"
    proc = cli.run("export", summary["capture_id"], "-o", str(bundle), "--no-timestamp")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = cli.run("verify", str(bundle), "--accept-untimestamped")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
