"""The hostile server must really be hostile, or the crawler's defences are tested against nothing."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
import urllib.request
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.servers import hostile_server_fixture
from tests.servers.hostile import (
    ED2K_LINK,
    GIB,
    INDEX_LINKS,
    MAGNET_LINK,
    MIB,
    OVERSIZE_BYTES,
    PRIVATE_TARGET,
    HostileServer,
    gzip_bomb_bytes,
)


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    yield from hostile_server_fixture()


def _conn(server: HostileServer, timeout: float = 5) -> http.client.HTTPConnection:
    parts = urlsplit(server.base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _get(server: HostileServer, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    """One request, no redirect following, no content decoding: what's on the wire."""
    conn = _conn(server)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def _raw(server: HostileServer, path: str, timeout: float) -> socket.socket:
    parts = urlsplit(server.base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


def _recv_until(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


class _Text(HTMLParser):
    """Collects hrefs and per-tag text the way a lenient extractor would."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.text: dict[str, str] = {}
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v for k, v in attrs if k == "href" and v]
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            del self._stack[self._stack.index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._stack:
            self.text[self._stack[-1]] = self.text.get(self._stack[-1], "") + data


def _parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def test_index_links_every_resource_and_robots_allows(server: HostileServer) -> None:
    resp, body = _get(server, "/")
    assert resp.status == 200
    assert set(INDEX_LINKS) <= set(_parse(body.decode()).hrefs)
    resp, body = _get(server, "/robots.txt")
    assert resp.status == 200 and b"Allow: /" in body and b"Disallow" not in body


def test_malformed_still_yields_item(server: HostileServer) -> None:
    resp, body = _get(server, "/malformed")
    html = body.decode()
    assert html.count("</div>") > html.count("<div")  # stray closers really are there
    parsed = _parse(html)
    assert parsed.text["h1"].strip() == "Broken Item"
    assert '<span class="price">$9.99</span>' in html


@pytest.mark.parametrize(
    ("path", "header_charset", "real_encoding", "text"),
    [
        ("/charset/cp1251-labelled-utf8", "utf-8", "cp1251", "Кино — Группа крови"),
        ("/charset/utf8-labelled-cp1251", "windows-1251", "utf-8", "Земфира — Вендетта"),
        ("/charset/none", None, "cp1251", "ДДТ — Осенняя"),
    ],
)
def test_charset_lies(
    server: HostileServer, path: str, header_charset: str | None, real_encoding: str, text: str
) -> None:
    resp, body = _get(server, path)
    assert resp.headers.get_content_charset() == header_charset
    html = body.decode(real_encoding)
    assert f"<h1>{text}</h1>" in html and "руб.</span>" in html
    if header_charset:
        assert "<meta" not in html
        # Trusting the header gives mojibake (or an outright decode error).
        assert text not in body.decode(header_charset, errors="replace")
    else:
        assert 'content="text/html; charset=windows-1251"' in html


def test_gzip_bomb_helper_is_a_valid_exact_gzip() -> None:
    size = 3 * MIB + 12345
    assert gzip.decompress(gzip_bomb_bytes(size)) == b" " * size  # checks CRC and ISIZE too
    assert gzip.decompress(gzip_bomb_bytes(0)) == b""


@pytest.mark.slow
def test_gzip_bomb_inflates_beyond_1gib(server: HostileServer) -> None:
    resp, body = _get(server, "/gzip-bomb")
    assert resp.getheader("Content-Encoding") == "gzip"
    assert 512 * 1024 < len(body) < 2 * MIB
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total, data = 0, body
    while total <= GIB and data:  # bounded steps: never more than 64 MiB in memory
        total += len(inflater.decompress(data, 64 * MIB))
        data = inflater.unconsumed_tail
    assert total > GIB


@pytest.mark.parametrize("path", ["/oversize", "/oversize-chunked"])
def test_oversize_streams_64mib(server: HostileServer, path: str) -> None:
    conn = _conn(server)
    conn.request("GET", path)
    resp = conn.getresponse()
    if path == "/oversize":
        assert resp.getheader("Content-Length") == str(OVERSIZE_BYTES)
    else:
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert resp.getheader("Content-Length") is None
    total = 0
    while chunk := resp.read(MIB):
        total += len(chunk)
    conn.close()
    assert total == OVERSIZE_BYTES


def test_oversize_client_hangup_is_harmless(server: HostileServer) -> None:
    for path in ("/oversize", "/oversize-chunked"):
        sock = _raw(server, path, timeout=5)
        assert _recv_until(sock, 64 * 1024)
        sock.close()
    assert _get(server, "/")[0].status == 200


def test_redirect_loop(server: HostileServer) -> None:
    resp, _ = _get(server, "/redirect-loop/a")
    assert (resp.status, resp.getheader("Location")) == (302, "/redirect-loop/b")
    resp, _ = _get(server, "/redirect-loop/b")
    assert (resp.status, resp.getheader("Location")) == (302, "/redirect-loop/a")
    with pytest.raises(urllib.error.HTTPError, match="infinite loop"):
        urllib.request.urlopen(server.url("/redirect-loop/a"), timeout=5)


def test_redirect_chain_is_followed_to_final(server: HostileServer) -> None:
    resp, _ = _get(server, "/redirect/chain")
    assert (resp.status, resp.getheader("Location")) == (301, "/redirect/final")
    with urllib.request.urlopen(server.url("/redirect/chain"), timeout=5) as final:
        assert final.url == server.url("/redirect/final")
        assert b"<h1>Final</h1>" in final.read()


def test_private_redirect_points_at_link_local(server: HostileServer) -> None:
    resp, _ = _get(server, "/private-redirect")
    assert (resp.status, resp.getheader("Location")) == (302, PRIVATE_TARGET)


def test_stall_sends_1000_bytes_then_blocks(server: HostileServer) -> None:
    sock = _raw(server, "/stall", timeout=0.5)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    head, body = head.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 100000" in head
    body += _recv_until(sock, 1000 - len(body))
    assert len(body) == 1000
    with pytest.raises(TimeoutError):
        sock.recv(1)
    sock.close()


def test_slow_waits_before_headers(server: HostileServer) -> None:
    start = time.monotonic()
    resp, body = _get(server, "/slow?s=0.2")
    assert resp.status == 200 and time.monotonic() - start >= 0.2
    conn = _conn(server, timeout=0.3)
    conn.request("GET", "/slow")
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()


def test_reset_sends_rst_not_fin(server: HostileServer) -> None:
    sock = _raw(server, "/reset", timeout=5)
    received = b""
    with pytest.raises(ConnectionResetError):
        while chunk := sock.recv(4096):  # a clean EOF (FIN) would end the loop without raising
            received += chunk
    sock.close()
    assert len(received) < 10_000


@pytest.mark.parametrize("code", [404, 500, 503])
def test_status_codes_and_hit_counting(server: HostileServer, code: int) -> None:
    path = f"/status/{code}"
    before = server.hits[path]
    for _ in range(3):
        resp, body = _get(server, path)
        assert resp.status == code and f"<h1>Status {code}</h1>".encode() in body
    assert server.hits[path] - before == 3


def test_calendar_trap_links_forever(server: HostileServer) -> None:
    _, body = _get(server, "/trap/calendar?day=2024-03-01")
    assert set(_parse(body.decode()).hrefs) >= {
        "/trap/calendar?day=2024-02-29",
        "/trap/calendar?day=2024-03-02",
    }
    assert _get(server, "/trap/calendar?day=nope")[0].status == 400


def test_deep_trap_links_one_level_deeper(server: HostileServer) -> None:
    _, body = _get(server, "/trap/deep/1/2/3")
    assert "/trap/deep/1/2/3/4" in _parse(body.decode()).hrefs


def test_p2p_links(server: HostileServer) -> None:
    hrefs = _parse(_get(server, "/p2p")[1].decode()).hrefs
    assert ED2K_LINK in hrefs and MAGNET_LINK in hrefs


def test_headers_echo(server: HostileServer) -> None:
    resp, body = _get(server, "/headers", **{"X-Evidence-Case": "42"})
    assert resp.getheader("Content-Type").startswith("text/plain")
    assert json.loads(body)["X-Evidence-Case"] == "42"


def test_unknown_path_is_404(server: HostileServer) -> None:
    assert _get(server, "/nope")[0].status == 404


def test_stop_is_fast_with_hostile_clients_connected() -> None:
    server = HostileServer().start()
    stalled = _raw(server, "/stall", timeout=5)
    assert stalled.recv(1)
    slow = _raw(server, "/slow", timeout=5)
    unread = _raw(server, "/oversize", timeout=5)  # never read: server blocks in send()
    idle = _conn(server)
    idle.request("GET", "/")
    idle.getresponse().read()  # keep-alive connection left idle
    time.sleep(0.2)
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2
    for sock in (stalled, slow):  # clients see the end promptly, not after 30-60 s
        sock.settimeout(1)
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        sock.close()
    unread.close()
    idle.close()
    with pytest.raises(OSError):  # listener is closed too
        _raw(server, "/", timeout=0.5)
