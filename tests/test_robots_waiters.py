"""Requests that arrive while robots.txt is still downloading are checked against it too.

Scrapy 2.13+ hands the parsed robots.txt only to the first waiting request; the others got None and were
fetched unchecked (pipelines/robots.py). Several start URLs on one host wait together here, robots.txt
arrives late, and every Disallow-ed page must stay unfetched.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class SlowRobots(BaseHTTPRequestHandler):
    fetched: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        SlowRobots.fetched.append(self.path)
        if self.path == "/robots.txt":
            time.sleep(0.5)  # every start request is waiting on it by now
            body = b"User-agent: *\nDisallow: /private/\n"
        else:
            body = f"<html><body><h1>{self.path}</h1></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if self.path != "/robots.txt" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def slow_robots_site():
    SlowRobots.fetched = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SlowRobots)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_every_waiting_request_obeys_robots(cli, write_profile, slow_robots_site):
    site = slow_robots_site
    urls = [f"{site}/private/{n}" for n in range(1, 6)] + [f"{site}/public"]
    profile = write_profile("name: robots-waiters\nstart_urls: " + json.dumps(urls) + "\nfollow: []\n")
    summary = cli.crawl(profile)
    assert summary["state"] == "sealed"
    assert not [p for p in SlowRobots.fetched if p.startswith("/private/")], SlowRobots.fetched
    assert sorted(e["url"] for e in summary["errors"] if e["kind"] == "robots") == sorted(urls[:5])
    assert summary["pages"] == 2  # robots.txt and /public
