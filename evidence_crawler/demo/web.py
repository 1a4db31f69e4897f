"""The tiny request/response model the demo shops are written against.

The shops are pure functions ``route(catalog, request) -> Response`` so they can be tested and read
without a socket, and so ``server.py`` is the only place that knows about ``http.server``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the raw request target, e.g. "/catalogue/?page=2"
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, str]:
        """First value of each query parameter; the shops never need repeated keys."""
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query, keep_blank_values=True).items()}

    @property
    def form(self) -> dict[str, str]:
        text = self.body.decode("latin-1")
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    @property
    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is the client's problem: treat as no cookies
            return {}
        return {k: m.value for k, m in jar.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def esc(text: object) -> str:
    """HTML-escape text and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def redirect(location: str, status: int = 302, extra: list[tuple[str, str]] | None = None) -> Response:
    body = f'<html><body>Moved: <a href="{esc(location)}">{esc(location)}</a></body></html>'
    return Response(
        status,
        body.encode("ascii", "xmlcharrefreplace"),
        "text/html; charset=utf-8",
        [("Location", location), *(extra or [])],
    )


def text_response(text: str, status: int = 200, charset: str = "utf-8") -> Response:
    return Response(status, text.encode(charset), f"text/plain; charset={charset}")


def html_response(page: str, status: int = 200, charset: str = "utf-8") -> Response:
    """Encode strictly: a character the charset cannot hold is a bug in the demo data, not a '?'."""
    return Response(status, page.encode(charset), f"text/html; charset={charset}")


def href_query(path: str, **params: object) -> str:
    """Build ``path?k=v`` with values percent-encoded (for links written into HTML, escape again)."""
    if not params:
        return path
    return path + "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
