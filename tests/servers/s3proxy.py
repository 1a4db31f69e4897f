"""A tiny HTTP proxy in front of moto_server, named after what it breaks.

- ``lie_about_checksum``: S3 answers another ``x-amz-checksum-sha256`` than the one of the bytes it got
  (for the matching requests; moto never checks checksums, so this is how a lying server is simulated);
- ``hide_checksum``: S3 answers no checksum at all (a server that keeps none);
- ``drop_when``: the connection is cut without an answer for matching requests (an endpoint that dies
  mid-request); ``before_forward`` runs first and may, e.g., kill the server behind the proxy.

Everything else is forwarded unchanged over real HTTP; boto3 talks to the proxy as to any endpoint.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAKE_CHECKSUM = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
Match = Callable[[str, str], bool]  # (method, path with query) -> applies?


class S3Proxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.lie_about_checksum: Match = lambda method, path: False
        self.hide_checksum: Match = lambda method, path: False
        self.drop_when: Match = lambda method, path: False
        self.before_forward: Callable[[str, str], None] = lambda method, path: None
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    proxy.requests.append((self.command, self.path))
                proxy.before_forward(self.command, self.path)
                if proxy.drop_when(self.command, self.path):
                    self.close_connection = True
                    return
                try:
                    conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                    conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                    resp = conn.getresponse()
                    data = resp.read()
                    conn.close()
                except OSError:
                    self.close_connection = True  # upstream gone: so is the answer
                    return
                self.send_response(resp.status, resp.reason)
                for name, value in resp.getheaders():
                    if name.lower() in ("transfer-encoding", "connection", "content-length"):
                        continue
                    if name.lower() == "x-amz-checksum-sha256":
                        if proxy.hide_checksum(self.command, self.path):
                            continue
                        if proxy.lie_about_checksum(self.command, self.path):
                            value = FAKE_CHECKSUM
                    self.send_header(name, value)
                length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
                self.send_header("Content-Length", length or "0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815 - http.server API

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> S3Proxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
