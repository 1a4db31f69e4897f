"""A tiny deterministic shop for lifecycle tests: N item pages, optional delay and padding per page.

Item pages ``/item/<n>`` carry ``<h1>Item n</h1>`` and a price; the index and ``/list/<k>`` pages link
to every item, 10 per list page. ``padding`` adds incompressible bytes (disk-full tests).
"""

from __future__ import annotations

import gzip as gzip_mod
import os
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class TinyShop:
    def __init__(self, items: int = 50, delay_s: float = 0.0, padding: int = 0, gzip: bool = False,
                 tls: ssl.SSLContext | None = None) -> None:
        self.items, self.delay_s, self.padding, self.gzip = items, delay_s, padding, gzip
        self.hits: Counter[str] = Counter()
        self.served: dict[str, bytes] = {}  # path -> exact body bytes last sent (after gzip)
        self._lock = threading.Lock()
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                with shop._lock:
                    shop.hits[self.path] += 1
                if shop.delay_s:
                    time.sleep(shop.delay_s)
                body, status = shop.page(self.path)
                self.send_response(status)
                if shop.gzip:
                    body = gzip_mod.compress(body, mtime=0)
                    self.send_header("Content-Encoding", "gzip")
                with shop._lock:
                    shop.served[self.path] = body
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/"

    def page(self, path: str) -> tuple[bytes, int]:
        pad = f"<!-- {os.urandom(self.padding).hex()} -->" if self.padding else ""
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", 200
        if path in ("/", "/index.html"):
            lists = "".join(f'<a class="list" href="/list/{k}">list {k}</a>'
                            for k in range(1, self.items // 10 + 2))
            return f"<html><body>{lists}{pad}</body></html>".encode(), 200
        if path.startswith("/list/"):
            k = int(path.rsplit("/", 1)[1])
            links = "".join(f'<a class="item" href="/item/{n}">item {n}</a>'
                            for n in range(k * 10 - 9, min(k * 10, self.items) + 1))
            return f"<html><body>{links}{pad}</body></html>".encode(), 200
        if path.startswith("/item/"):
            n = int(path.rsplit("/", 1)[1])
            if 1 <= n <= self.items:
                return (f'<html><body><h1>Item {n}</h1><span class="price">${n}.99</span>{pad}'
                        "</body></html>").encode(), 200
        return b"<html><body>not found</body></html>", 404

    def __enter__(self) -> TinyShop:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


PROFILE = """\
name: tinyshop
start_urls: [{url}]
follow: ["a.list"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
offers: {{selector: body, fields: {{price: span.price::text}}, currency: USD}}
limits: {{max_pages: 5000}}
"""


def self_signed_context(tmp_dir) -> tuple[ssl.SSLContext, bytes]:
    """A throwaway certificate for 127.0.0.1; returns the server context and the certificate's DER."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_dir / "cert.pem", tmp_dir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert.public_bytes(serialization.Encoding.DER)
