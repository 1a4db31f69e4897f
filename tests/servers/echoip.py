"""An echo service on a free loopback port: it answers the caller's address, as public-IP services do.

``/text`` answers the caller's address as plain text, ``/json`` as ``{"ip": ...}``; ``/fixed`` answers a
documentation address (203.0.113.7); ``/garbage`` is not an address, ``/huge`` is too large, ``/stall``
sends nothing for a long time, ``/error`` is a 500.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXED = "203.0.113.7"
STALL_S = 30.0


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - stdlib name
        caller = self.client_address[0]
        path = self.path.split("?", 1)[0]
        self.server.hits.append(path)
        if path == "/stall":
            time.sleep(STALL_S)
            return
        status, ctype, body = 200, "text/plain", {
            "/text": f"{caller}\n", "/fixed": FIXED, "/json": json.dumps({"ip": caller, "country": "ZZ"}),
            "/garbage": "<html>hello</html>", "/huge": "1" * (1 << 20)}.get(path, "")
        if path == "/json":
            ctype = "application/json"
        if path == "/error" or not body:
            status, body = (500 if path == "/error" else 404), "no"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up on a large answer

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


class EchoIpServer:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        self.httpd.daemon_threads = True
        self.httpd.hits = []
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hits(self) -> list[str]:
        return self.httpd.hits

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> EchoIpServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
