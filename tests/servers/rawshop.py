"""A shop answering from raw sockets with odd but valid HTTP/1.1, logging every byte it sent and received.

Odd header case, repeated ``Set-Cookie``, non-standard and non-ASCII reason phrases, ``Server:  x `` with
extra spaces, chunked bodies with chunk extensions and upper-case hex sizes, gzip bodies (one also chunked),
kept-alive connections, an interim 103 response, and bodies cut off mid-way. ``exchanges`` holds
(request bytes, response bytes) in the order they were sent: what a byte-exact WARC must hold.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading

ITEMS = {1: "chunked", 2: "gzip", 3: "gzip+chunked", 4: "plain", 5: "bare-chunked",
         6: "gzip+bare-chunked"}  # bare: no chunk extensions


def _page(title: str, price: str, links: str = "") -> bytes:
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            f"<span class=price>{price}</span>{links}</body></html>").encode()


def _chunked(body: bytes, sizes=(7, 26, 300), bare: bool = False) -> bytes:
    """Chunk-size lines in upper-case hex with extensions, the last chunk with a trailer (``bare``: plain
    lower-case sizes, no extensions, no trailer)."""
    out, pos, i = [], 0, 0
    while pos < len(body):
        part = body[pos:pos + sizes[i % len(sizes)]]
        out.append((b"%x\r\n" % len(part) if bare else b"%X;ext=v%d\r\n" % (len(part), i)) + part + b"\r\n")
        pos, i = pos + len(part), i + 1
    return b"".join(out) + (b"0\r\n\r\n" if bare else b"0;last\r\nX-Trailer: t\r\n\r\n")


def _head(status: bytes, headers: list[bytes]) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def response_for(path: str) -> tuple[bytes, bool]:
    """The bytes sent for ``path`` and whether the connection is closed after them (a cut-off body)."""
    common = [b"server:  x ", b"Set-Cookie: a=1; Path=/", b"set-cookie: b=2; Path=/", b"x-ODD-case: Yes"]
    if path == "/":
        links = "".join(f'<a class=list href="/item/{n}">{n}</a>' for n in ITEMS)
        links += "".join(f'<a class=list href="{p}">{p}</a>' for p in ("/moved", "/cut", "/cut-chunked"))
        body = _page("Index", "0", links)
        return _head("200 Très Bien".encode(), [b"content-TYPE: text/html; charset=utf-8",
                                                 b"Content-Length: %d" % len(body), *common]) + body, False
    if path == "/moved":
        return _head(b"302 Over There", [b"LOCATION: /item/4", b"Content-Length: 0", *common]), False
    if path.startswith("/item/"):
        n = int(path.rsplit("/", 1)[1])
        kind, body = ITEMS.get(n, "plain"), _page(f"Item {n}", f"{n}.99")
        headers = [b"Content-Type: text/html", *common]
        if "gzip" in kind:
            body = gzip.compress(body, mtime=0)
            headers.append(b"CONTENT-ENCODING: gzip")
        if "chunked" in kind:
            return _head(b"200 Chunky", [*headers, b"transfer-encoding: chunked"]) + \
                _chunked(body, bare="bare" in kind), False
        early = _head(b"103 Early Hints", [b"Link: </s.css>; rel=preload"]) if n == 4 else b""  # an interim reply
        return early + _head(b"200 OK", [*headers, b"Content-Length: %d" % len(body)]) + body, False
    if path == "/cut":  # promises 1000 bytes, sends 100, closes
        return _head(b"200 OK", [b"Content-Type: text/html", b"Content-Length: 1000"]) + b"<p>" + b"c" * 97, True
    if path == "/cut-chunked":  # a chunk of 0x40 bytes of which 10 arrive
        return _head(b"200 OK", [b"Content-Type: text/html", b"Transfer-Encoding: chunked"]) + \
            b"A\r\n<p>partial\r\n40\r\n" + b"d" * 10, True
    return _head(b"404 Nope", [b"Content-Length: 0"]), False


class RawShop:
    """``with RawShop() as shop: shop.base_url``; ``tls`` (a server SSLContext) serves https."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.exchanges: list[tuple[bytes, bytes]] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self._sock.getsockname()[1]}/"

    def __enter__(self) -> RawShop:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                end = buf.index(b"\r\n\r\n") + 4
                request, buf = buf[:end], buf[end:]  # the crawler sends no request bodies to this shop
                path = request.split(b" ", 2)[1].decode()
                sent, close = response_for(path)
                with self._lock:
                    self.exchanges.append((request, sent))
                conn.sendall(sent)
                if close:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()


PROFILE = """\
name: rawshop
start_urls: [{url}]
follow: ["a.list"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
offers: {{selector: body, fields: {{price: span.price::text}}, currency: USD}}
limits: {{max_pages: 100}}
"""
