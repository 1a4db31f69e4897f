"""A loopback stand-in for quotes.toscrape.com's JavaScript pages, built from ``../shared/corpus`` data.

``/js/``, ``/js/page/<n>/``: ten quotes per page held in a JS array and written with ``document.write``
(no quote is in the HTML; the pager links are); ``/scroll``: starts empty and fetches
``/api/quotes?page=N`` whenever scrolled to the bottom while ``has_next``. Markup follows the site:
``div.quote > span.text, small.author, div.tags a.tag``. No code or JS of the original app is used.
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PER_PAGE = 10
WRITE_QUOTE_JS = """function quoteHtml(q) {
  var tags = q.tags.map(function (t) { return '<a class="tag" href="/tag/' + t + '/page/1/">' + t + '</a>'; });
  return '<div class="quote" style="min-height:160px"><span class="text">' + q.text + '</span>' +
         '<span>by <small class="author">' + q.author.name + '</small></span>' +
         '<div class="tags">Tags: ' + tags.join(' ') + '</div></div>';
}
"""


def _page(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='UTF-8'><title>{title}</title>"
            "<link rel='stylesheet' href='/static/main.css'></head><body><div class='container'>"
            f"<h1><a href='/'>Quotes to Scrape</a></h1>{body}</div></body></html>").encode()


class QuotesJs:
    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.quotes = [json.loads(line) for line in (corpus / "data" / "quotesdb.jl").read_text("utf-8").splitlines()
                       if line.strip()]
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                status, ctype, body = site.route(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def pages(self) -> int:
        return -(-len(self.quotes) // PER_PAGE)

    def _chunk(self, n: int) -> list[dict]:
        return self.quotes[(n - 1) * PER_PAGE:n * PER_PAGE]

    def js_page(self, n: int) -> bytes:
        data = json.dumps(self._chunk(n), ensure_ascii=False).replace("</", "<\\/")
        pager = "".join([f"<li class='previous'><a href='/js/page/{n - 1}/'>Previous</a></li>" if n > 1 else "",
                         f"<li class='next'><a href='/js/page/{n + 1}/'>Next</a></li>" if n < self.pages else ""])
        script = (f"<script>{WRITE_QUOTE_JS}var data = {data};\n"
                  "for (var i in data) { document.write(quoteHtml(data[i])); }</script>")
        return _page("Quotes to Scrape", f"{script}<nav><ul class='pager'>{pager}</ul></nav>")

    def scroll_page(self) -> bytes:
        script = (f"<script>{WRITE_QUOTE_JS}var page = 1, hasNext = true, loading = false;\n"
                  "function more() { if (loading || !hasNext) return; loading = true;\n"
                  "  fetch('/api/quotes?page=' + page).then(function (r) { return r.json(); }).then(function (d) {\n"
                  "    d.quotes.forEach(function (q) { document.getElementById('quotes')"
                  ".insertAdjacentHTML('beforeend', quoteHtml(q)); });\n"
                  "    hasNext = d.has_next; page = d.page + 1; loading = false; }); }\n"
                  "window.addEventListener('scroll', function () {\n"
                  "  if (window.innerHeight + window.scrollY >= document.body.offsetHeight - 100) more(); });\n"
                  "more();</script>")
        return _page("Quotes to Scrape", f"<div id='quotes'></div>{script}")

    def route(self, target: str) -> tuple[int, str, bytes]:
        parts = urlsplit(target)
        path = parts.path
        if path in ("/js/", "/js/page/1/"):
            return 200, "text/html; charset=utf-8", self.js_page(1)
        if path.startswith("/js/page/") and path[9:-1].isdigit() and 1 <= int(path[9:-1]) <= self.pages:
            return 200, "text/html; charset=utf-8", self.js_page(int(path[9:-1]))
        if path == "/scroll":
            return 200, "text/html; charset=utf-8", self.scroll_page()
        if path == "/api/quotes":
            n = int((parse_qs(parts.query).get("page") or ["1"])[0] or 1)
            body = {"quotes": self._chunk(n), "has_next": n < self.pages, "page": n, "tag": None}
            return 200, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8")
        if path == "/static/main.css":
            return 200, "text/css", (self.corpus / "static" / "main.css").read_bytes()
        return 404, "text/html; charset=utf-8", _page("404", f"<p>{html.escape(path)} not found</p>")

    def __enter__(self) -> QuotesJs:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
