"""A hostile local HTTP server for bad-input tests.

Each resource is named after the crawler defence it breaks (in the spirit of Scrapy's
``tests/mockserver``). Stdlib only, so it runs in a plain thread next to any reactor and can
be reused by tests that do not import Scrapy at all.
"""

from __future__ import annotations

import collections
import datetime
import functools
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, parse_qs, urljoin, urlsplit

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30

BOMB_INFLATED_SIZE = GIB + MIB  # strictly beyond 1 GiB, so a "<= 1 GiB" cap must trip
OVERSIZE_BYTES = 64 * MIB
OVERSIZE_CHUNK = b"<p>oversize</p>\n" * (4 * KIB)  # 64 KiB of valid-looking HTML
STALL_DECLARED = 100_000
STALL_SENT = 1_000
STALL_MAX_WAIT = 60.0
SLOW_DEFAULT = 30.0
RESET_DECLARED = 10_000
RESET_SENT = 500
CALENDAR_DEFAULT = "2024-01-01"
PRIVATE_TARGET = "http://169.254.169.254/latest/meta-data/"
ED2K_LINK = "ed2k://|file|Kino%20-%20Gruppa%20krovi.zip|104857600|0123456789ABCDEF0123456789ABCDEF|/"
MAGNET_LINK = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Zemfira+-+Vendetta&xl=73400320"

# (path, h1, price, encoding of the body bytes, Content-Type header, extra <head> markup)
CHARSET_PAGES = {
    "/charset/cp1251-labelled-utf8": (
        "Кино — Группа крови",
        "45,60 руб.",
        "cp1251",
        "text/html; charset=utf-8",
        "",
    ),
    "/charset/utf8-labelled-cp1251": (
        "Земфира — Вендетта",
        "99,00 руб.",
        "utf-8",
        "text/html; charset=windows-1251",
        "",
    ),
    "/charset/none": (
        "ДДТ — Осенняя",
        "120,00 руб.",
        "cp1251",
        "text/html",
        '<meta http-equiv="content-type" content="text/html; charset=windows-1251">',
    ),
}

MALFORMED_HTML = """<html><head><title>Broken Item</title><meta charset=utf-8 <!-- unterminated tag
<body bgcolor=white>
</div></div>
<div class=product data-sku=BR-1 id=item>
<h1>Broken Item</h1>
<span class="price">$9.99</span>
<p>Unclosed paragraph <b>bold <i>italic</b> mis-nested
<table><tr><td>cell<td>cell 2
<img src=/nowhere.png alt=no quotes here>
</span></span></div></div></div>
<a href=/>Home</a>
</html></body>
<p>content after the end <div class=footer>footer
"""

INDEX_LINKS = [
    "/robots.txt",
    "/malformed",
    *CHARSET_PAGES,
    "/gzip-bomb",
    "/oversize",
    "/oversize-chunked",
    "/redirect-loop/a",
    "/redirect/chain",
    "/stall",
    "/slow",
    "/reset",
    "/status/404",
    "/status/500",
    "/status/503",
    f"/trap/calendar?day={CALENDAR_DEFAULT}",
    "/trap/deep/1",
    "/p2p",
    "/private-redirect",
    "/headers",
]


@functools.lru_cache(maxsize=8)
def gzip_bomb_bytes(inflated_size: int) -> bytes:
    """Return a single-member gzip stream inflating to ``inflated_size`` spaces.

    Built from one 1 MiB deflate block ending in a full flush (which resets the dictionary, so
    the block bytes are self-contained and can simply be repeated), plus a final block for the
    remainder. Memory stays ~ inflated_size / 1000; nothing near the inflated size is allocated.
    """
    if inflated_size < 0:
        raise ValueError("inflated_size must be >= 0")
    chunk = b" " * MIB
    full, rest = divmod(inflated_size, MIB)
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    tail = comp.compress(chunk[:rest]) + comp.flush()
    crc = 0
    for _ in range(full):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(chunk[:rest], crc)
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x02\xff"  # no name, mtime 0, max compression
    trailer = struct.pack("<II", crc, inflated_size & 0xFFFFFFFF)
    return b"".join((header, block * full, tail, trailer))


def _html(title: str, body: str = "", head: str = "") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head>{head}<title>{title}</title></head>\n<body>\n"
        f'<h1>{title}</h1>\n{body}\n<p><a href="/">Home</a></p>\n</body></html>\n'
    )


class _Handler(BaseHTTPRequestHandler):
    """Dispatches on the path; every write error is the client's doing and ends the connection."""

    protocol_version = "HTTP/1.1"  # needed for chunked; keep-alive makes shutdown handling honest
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.server.hostile._record(url.path, self.path)
        handler = _EXACT.get(url.path)
        if handler is None:
            handler = next((h for prefix, h in _PREFIXES if url.path.startswith(prefix)), _not_found)
        try:
            handler(self, url)
        except OSError:  # BrokenPipe / ConnectionReset / socket shut down by stop()
            self.close_connection = True

    # -- helpers --------------------------------------------------------------------------------
    def send(
        self,
        status: int,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status: int, location: str) -> None:
        self.send(status, _html(f"Moved to {location}"), headers={"Location": location})

    @property
    def stopping(self) -> threading.Event:
        return self.server.hostile.stopping


Route = Callable[[_Handler, SplitResult], None]


def _index(h: _Handler, url: SplitResult) -> None:
    links = "\n".join(f'<li><a href="{link}">{link}</a></li>' for link in INDEX_LINKS)
    h.send(200, _html("Hostile server", f"<ul>\n{links}\n</ul>"))


def _robots(h: _Handler, url: SplitResult) -> None:
    h.send(200, "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")


def _malformed(h: _Handler, url: SplitResult) -> None:
    h.send(200, MALFORMED_HTML)


def _charset(h: _Handler, url: SplitResult) -> None:
    title, price, encoding, content_type, head = CHARSET_PAGES[url.path]
    body = _html(title, f'<span class="price">{price}</span>', head)
    h.send(200, body.encode(encoding), content_type)


def _gzip_bomb(h: _Handler, url: SplitResult) -> None:
    h.send(200, gzip_bomb_bytes(h.server.hostile.bomb_size), headers={"Content-Encoding": "gzip"})


def _oversize(h: _Handler, url: SplitResult) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(OVERSIZE_BYTES))
    h.end_headers()
    for _ in range(OVERSIZE_BYTES // len(OVERSIZE_CHUNK)):
        h.wfile.write(OVERSIZE_CHUNK)


def _oversize_chunked(h: _Handler, url: SplitResult) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    frame = b"%x\r\n%s\r\n" % (len(OVERSIZE_CHUNK), OVERSIZE_CHUNK)
    for _ in range(OVERSIZE_BYTES // len(OVERSIZE_CHUNK)):
        h.wfile.write(frame)
    h.wfile.write(b"0\r\n\r\n")


def _redirect_loop(h: _Handler, url: SplitResult) -> None:
    h.redirect(302, "/redirect-loop/b" if url.path == "/redirect-loop/a" else "/redirect-loop/a")


def _redirect_chain(h: _Handler, url: SplitResult) -> None:
    h.redirect(301, "/redirect/final")


def _redirect_final(h: _Handler, url: SplitResult) -> None:
    h.send(200, _html("Final", "<p>Reached through a 301 from /redirect/chain.</p>"))


def _private_redirect(h: _Handler, url: SplitResult) -> None:
    h.redirect(302, PRIVATE_TARGET)


def _stall(h: _Handler, url: SplitResult) -> None:
    h.close_connection = True
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(STALL_DECLARED))
    h.end_headers()
    h.wfile.write(b"<!DOCTYPE html><html><body><h1>Stall</h1>".ljust(STALL_SENT))
    h.stopping.wait(STALL_MAX_WAIT)  # then drop the connection, body still short


def _slow(h: _Handler, url: SplitResult) -> None:
    try:
        delay = max(0.0, float(parse_qs(url.query).get("s", [SLOW_DEFAULT])[0]))
    except ValueError:
        h.send(400, _html("Bad s"))
        return
    if h.stopping.wait(delay):
        h.close_connection = True
        return
    h.send(200, _html("Slow", f"<p>Answered after {delay:g} s.</p>"))


def _reset(h: _Handler, url: SplitResult) -> None:
    h.close_connection = True
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(RESET_DECLARED))
    h.end_headers()
    h.wfile.write(b"<!DOCTYPE html><html><body><h1>Reset</h1>".ljust(RESET_SENT))
    time.sleep(0.05)  # let the partial bytes reach the peer before the RST
    # SO_LINGER(on, 0) turns close() into an RST. rfile holds a reference to the socket, so it
    # must be closed too for the fd to actually close here (and not via a FIN-ing shutdown later).
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.rfile.close()
    h.connection.close()


def _status(h: _Handler, url: SplitResult) -> None:
    code = url.path.removeprefix("/status/")
    if not (code.isdigit() and 200 <= int(code) <= 599):
        h.send(400, _html("Bad status"))
    elif int(code) in (204, 304):
        h.send(int(code))
    else:
        h.send(int(code), _html(f"Status {code}"))


def _calendar(h: _Handler, url: SplitResult) -> None:
    try:
        day = datetime.date.fromisoformat(parse_qs(url.query).get("day", [CALENDAR_DEFAULT])[0])
    except ValueError:
        h.send(400, _html("Bad day"))
        return
    prev_day, next_day = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    links = (
        f'<a href="/trap/calendar?day={prev_day}">{prev_day}</a> '
        f'<a href="/trap/calendar?day={next_day}">{next_day}</a>'
    )
    h.send(200, _html(f"Calendar {day}", links))


def _deep(h: _Handler, url: SplitResult) -> None:
    levels = [p for p in url.path.removeprefix("/trap/deep").split("/") if p]
    deeper = "/trap/deep/" + "/".join([*levels, str(len(levels) + 1)])
    h.send(200, _html(f"Deep {len(levels)}", f'<a href="{deeper}">deeper</a>'))


def _p2p(h: _Handler, url: SplitResult) -> None:
    h.send(200, _html("P2P", f'<a href="{ED2K_LINK}">ed2k</a>\n<a href="{MAGNET_LINK}">magnet</a>'))


def _headers(h: _Handler, url: SplitResult) -> None:
    echoed: dict[str, str] = {}
    for name, value in h.headers.items():
        echoed[name] = f"{echoed[name]}, {value}" if name in echoed else value
    h.send(200, json.dumps(echoed, indent=2, sort_keys=True), "text/plain; charset=utf-8")


def _not_found(h: _Handler, url: SplitResult) -> None:
    h.send(404, _html("Not Found"))


_EXACT: dict[str, Route] = {
    "/": _index,
    "/robots.txt": _robots,
    "/malformed": _malformed,
    **dict.fromkeys(CHARSET_PAGES, _charset),
    "/gzip-bomb": _gzip_bomb,
    "/oversize": _oversize,
    "/oversize-chunked": _oversize_chunked,
    "/redirect-loop/a": _redirect_loop,
    "/redirect-loop/b": _redirect_loop,
    "/redirect/chain": _redirect_chain,
    "/redirect/final": _redirect_final,
    "/private-redirect": _private_redirect,
    "/stall": _stall,
    "/slow": _slow,
    "/reset": _reset,
    "/trap/calendar": _calendar,
    "/trap/deep": _deep,
    "/p2p": _p2p,
    "/headers": _headers,
}
_PREFIXES: list[tuple[str, Route]] = [("/status/", _status), ("/trap/deep/", _deep)]


class _Server(ThreadingHTTPServer):
    """Tracks live connections so stop() can cut stalled/streaming clients instead of waiting."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], hostile: HostileServer) -> None:
        self.hostile = hostile
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), which can hang for seconds without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # wakes threads blocked in send()/recv()
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        if isinstance(sys.exc_info()[1], OSError):
            return  # clients hanging up is the point of this server
        super().handle_error(request, client_address)


class HostileServer:
    """Context manager running the hostile server on 127.0.0.1:<ephemeral> in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, bomb_size: int = BOMB_INFLATED_SIZE):
        self.bomb_size = bomb_size
        self.hits: collections.Counter[str] = collections.Counter()  # path (no query) -> count
        self.requests: list[str] = []  # full request targets, in arrival order
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), self)
        host, port = self._httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="hostile-server",
            daemon=True,
        )
        self._started = False

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def _record(self, path: str, target: str) -> None:
        with self._lock:
            self.hits[path] += 1
            self.requests.append(target)

    def start(self) -> HostileServer:
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Fast even with stalled clients: wake sleepers, cut live sockets, close the listener."""
        self.stopping.set()
        if self._started:
            self._httpd.shutdown()
            self._thread.join(timeout=1)
        self._httpd.close_all_connections()
        self._httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
