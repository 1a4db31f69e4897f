"""Serve a demo shop over real HTTP on loopback, in a background thread or in the foreground (CLI).

The shop modules are pure ``route(catalog, request)`` functions; this module only adapts them to
``http.server``. The catalogue is read on every request, so a test can change prices or withdraw
albums between two crawls of the same running site.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from evidence_crawler.demo import allofmp3_js, mp3sugar
from evidence_crawler.demo.catalog import SHOPS, DemoCatalog
from evidence_crawler.demo.web import Request, Response

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"allofmp3": 8601, "mp3sugar": 8602}
ROUTES: dict[str, Callable[[DemoCatalog, Request], Response]] = {
    "allofmp3": allofmp3_js.route,  # the plain shop plus its /js/ twin
    "mp3sugar": mp3sugar.route,
}
MAX_BODY = 64 * 1024  # the only bodies are login forms


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real shops do; every response has Content-Length
    server_version = "DemoShop/1.0"
    timeout = 30  # idle keep-alive connections do not pin a thread forever

    def _serve(self) -> None:
        server: _DemoHTTPServer = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Response(413, b"", "text/plain"), head=False)
            return
        body = self.rfile.read(length) if length else b""
        req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            resp = ROUTES[server.shop](server.catalog, req)
        except Exception:  # a bug in a demo page must show up as a 500, not kill the connection
            log.exception("demo shop %s failed on %s %s", server.shop, self.command, self.path)
            resp = Response(500, b"internal error\n", "text/plain")
        self._send(resp, head=self.command == "HEAD")

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(resp.body)

    do_GET = do_HEAD = do_POST = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], shop: str, catalog: DemoCatalog) -> None:
        self.shop = shop
        self.catalog = catalog
        super().__init__(address, _Handler)


def _warn_if_public(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning("demo shop bound to %s: it is reachable from other machines", host)


class DemoSite:
    """A demo shop on a background thread; ``with DemoSite("mp3sugar") as site: site.base_url``.

    ``port=0`` picks a free port (tests); pass a ``catalog`` to share or pre-mutate one.
    """

    def __init__(
        self,
        shop: str = "allofmp3",
        host: str = "127.0.0.1",
        port: int = 0,
        catalog: DemoCatalog | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if shop not in SHOPS:
            raise ValueError(f"unknown demo shop {shop!r}; choose one of {', '.join(SHOPS)}")
        if catalog is not None and catalog.shop != shop:
            raise ValueError(f"catalog is for {catalog.shop!r}, not {shop!r}")
        self.shop = shop
        self.host = host
        self.port = port
        self.catalog = catalog or DemoCatalog(shop)
        self.tls = tls  # serve https with this server context (tests: a certificate to record)
        self._httpd: _DemoHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("DemoSite is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> DemoSite:
        if self._httpd is not None:
            return self
        _warn_if_public(self.host)
        self._httpd = _make_server(self.shop, self.host, self.port, self.catalog)
        self.port = self._httpd.server_address[1]
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-{self.shop}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _DemoHTTPServerV6(_DemoHTTPServer):
    address_family = socket.AF_INET6


def _make_server(shop: str, host: str, port: int, catalog: DemoCatalog) -> _DemoHTTPServer:
    cls = _DemoHTTPServerV6 if ":" in host else _DemoHTTPServer
    return cls((host, port), shop, catalog)


def serve_forever(shop: str, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run a demo shop in the foreground until Ctrl-C (``evidence-crawler demo-site``)."""
    if shop not in SHOPS:
        raise ValueError(f"unknown demo shop {shop!r}; choose one of {', '.join(SHOPS)}")
    _warn_if_public(host)
    httpd = _make_server(shop, host, DEFAULT_PORTS[shop] if port is None else port, DemoCatalog(shop))
    shown = f"[{host}]" if ":" in host else host
    print(
        f"demo shop {shop!r} on http://{shown}:{httpd.server_address[1]}/ (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
