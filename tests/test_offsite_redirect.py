"""A redirect out of the profile's domains is not followed, and the capture says so in ``errors``.

The off-site target is ``localhost`` (another host name than the crawled ``127.0.0.1``, still loopback), so
even a crawler that wrongly followed it would not leave the machine.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Shop(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        self.hits.append(f"{self.headers['Host']}{self.path}")
        port = self.server.server_address[1]
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><body><a href='/away'>partner shop</a></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def shop():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Shop.hits = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_off_site_redirect_is_recorded_in_errors_and_not_followed(cli, write_profile, shop):
    profile = write_profile(f"name: offsite\nstart_urls: ['{shop}']\n")
    summary = cli.crawl(profile, "--ignore-robots")
    kinds = [e["kind"] for e in summary["errors"]]
    assert kinds == ["off_site_redirect"], summary["errors"]
    (err,) = summary["errors"]
    assert err["url"].endswith("/elsewhere") and "localhost" in err["message"] and "/away" in err["message"]
    assert not any(h.startswith("localhost") for h in _Shop.hits), _Shop.hits
