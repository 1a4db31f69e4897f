"""``capture`` of an IPv6 literal URL (a shop on ``::1``), and a one-off capture that fetched nothing."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import needs_chromium

PAGE = b"<!DOCTYPE html><html><head><title>v6 shop</title></head><body><h1>Album 42</h1></body></html>"


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Page(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        body = PAGE if self.path == "/" else b"no"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def v6_shop():
    try:
        httpd = _V6Server(("::1", 0), _Page)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback on this machine: {exc}")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://[::1]:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@needs_chromium
def test_ipv6_literal_url_is_captured_with_allow_private(capture, v6_shop):
    got = capture(v6_shop)
    assert got.summary["state"] == "sealed" and got.summary["pages"] >= 1, got.summary["errors"]
    assert [e for e in got.summary["errors"] if e["kind"] == "dns"] == []
    pages = [json.loads(line) for line in got.artifact("pages").read_text().splitlines()]
    (doc,) = [p for p in pages if p["url"] == v6_shop]
    assert doc["status"] == 200 and doc["ip"] == "::1"
    assert b"Album 42" in got.artifact("dom").read_bytes()


@needs_chromium
def test_ipv6_literal_url_is_refused_without_allow_private(capture, v6_shop):
    proc = capture.cli.run("capture", v6_shop, "--json")
    assert proc.returncode == 2, proc.stderr
    assert "::1 (loopback)" in proc.stderr and "--allow-private" in proc.stderr


@needs_chromium
def test_one_off_capture_of_zero_pages_exits_1_and_says_why(capture):
    with socket.socket() as s:  # a port nothing listens on: connection refused, nothing fetched
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
    proc = capture.cli.run("capture", url, "--allow-private", "--json", env={"EVIDENCE_RETRY_TIMES": "0"})
    assert proc.returncode == 1, (proc.stdout[-1000:], proc.stderr[-2000:])
    summary = json.loads(proc.stdout)
    assert summary["pages"] == 0
    assert "0 pages" in proc.stderr.strip().splitlines()[-1]
