"""Pages that are hard on a browser capture, each named after what it breaks (loopback, stdlib only).

``/page``: CSS, script, image (via a redirect), XHR, a refused sub-resource (link-local address);
``/tall?h=N``: N px of coloured 100 px stripes (colour of stripe i = ``stripe_colour(i)``);
``/never-idle``: keeps a slow poll in flight forever; ``/dialogs``: alert() then confirm();
``/popup``: window.open() and a target=_blank link clicked by script; ``/download``: a download
link, clicked by script; ``/throws``: a script that throws, then one that still writes the page;
``/infinite``: appends content whenever scrolled to the bottom, forever; ``/slow``: holds one image
for ``slow_s`` seconds the first time it is asked for (to kill the browser meanwhile).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# a 1x1 PNG
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a6d3b1a90000000049454e44ae426082")


def stripe_colour(i: int) -> tuple[int, int, int]:
    return (i * 37) % 256, (i * 91) % 256, (i * 53) % 256


def _html(title: str, body: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body style='margin:0'>{body}</body></html>").encode()


PAGES = {
    "/page": _html("page", "<h1>Sub-resources</h1><img src='/img-redirect' id=img>"
                   "<img src='http://169.254.169.254/latest/meta-data/' id=meta><p id=xhr>waiting</p>"
                   "<script src='/app.js'></script>",
                   "<link rel=stylesheet href='/style.css'>"),
    # two chains of slow polls, each starting the next as one ends: a request is always in flight, even when a
    # loaded machine delays the page's timers (a setInterval poller left quiet gaps and flaked under load)
    "/never-idle": _html("never idle", "<h1>Polling</h1><p id=n>0</p><script>let n=0;function poll(){"
                         "fetch('/tick?n='+(n++)).then(()=>{document.getElementById('n').textContent=n;poll()},"
                         "()=>setTimeout(poll,10))}poll();poll()</script>"),
    "/dialogs": _html("dialogs", "<h1>Dialogs</h1><p id=answer></p><script>alert('hello from the shop');"
                      "document.getElementById('answer').textContent='confirm:'+confirm('Buy now?')</script>"),
    "/popup": _html("popup", "<h1>Popups</h1><a id=l target=_blank href='/popped-link'>more</a><script>"
                    "window.open('/popped');document.getElementById('l').click()</script>"),
    "/popped": _html("popped", "<h1>I am a popup</h1>"),
    "/popped-link": _html("popped", "<h1>I am a new tab</h1>"),
    "/download": _html("download", "<h1>Download</h1><a id=d download='full-album.zip' href='/files/album.zip'>"
                       "Download full album</a><script>setTimeout(()=>document.getElementById('d').click(),50)"
                       "</script>"),
    "/throws": _html("throws", "<h1>Throws</h1><script>throw new Error('shop script is broken')</script>"
                     "<script>document.body.insertAdjacentHTML('beforeend','<p id=after>still rendered</p>')"
                     "</script>"),
    "/infinite": _html("infinite", "<h1>Infinite</h1><div id=feed></div><script>let n=0;function more(){"
                       "for(let i=0;i<5;i++){const d=document.createElement('div');d.style.height='300px';"
                       "d.textContent='post '+(n++);document.getElementById('feed').appendChild(d)}}more();"
                       "window.addEventListener('scroll',()=>{if(innerHeight+scrollY>=document.body.offsetHeight-50)"
                       "more()})</script>"),
    "/slow": _html("slow", "<h1>Slow</h1><img src='/slow.png'>"),
}


class BrowserPages:
    def __init__(self, slow_s: float = 6.0) -> None:
        self.slow_s = slow_s
        self.hits: Counter[str] = Counter()
        self.slow_started = threading.Event()
        pages = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                parts = urlsplit(self.path)
                pages.hits[parts.path] += 1
                status, ctype, body, extra = pages.route(parts.path, parse_qs(parts.query))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def route(self, path: str, query: dict) -> tuple[int, str, bytes, list]:
        if path in PAGES:
            return 200, "text/html; charset=utf-8", PAGES[path], []
        if path == "/tall":
            h = int(query.get("h", ["50000"])[0])
            stripes = "".join(f"<div style='height:100px;background:rgb{stripe_colour(i)}'></div>"
                              for i in range(h // 100))
            return 200, "text/html; charset=utf-8", _html("tall", stripes), []
        if path == "/style.css":  # sent gzip-encoded: the WARC must keep the gzip bytes
            return 200, "text/css", gzip.compress(b"h1{color:rgb(200,0,0)}"), [("Content-Encoding", "gzip")]
        if path == "/app.js":
            js = b"fetch('/api/data').then(r=>r.json()).then(d=>{document.getElementById('xhr').textContent=d.msg})"
            return 200, "application/javascript", js, []
        if path == "/api/data":
            return 200, "application/json", json.dumps({"msg": "xhr answered"}).encode(), []
        if path == "/img-redirect":
            return 302, "text/plain", b"", [("Location", "/pixel.png")]
        if path in ("/pixel.png", "/slow.png"):
            if path == "/slow.png" and self.hits[path] == 1:
                self.slow_started.set()
                time.sleep(self.slow_s)
            return 200, "image/png", PIXEL, []
        if path == "/tick":
            time.sleep(0.2)
            return 200, "text/plain", b"tick", []
        if path == "/files/album.zip":
            return 200, "application/zip", b"PK\x05\x06" + b"\0" * 18, [
                ("Content-Disposition", "attachment; filename=full-album.zip")]
        return 404, "text/html; charset=utf-8", _html("not found", "<h1>This album was withdrawn</h1>"), []

    def __enter__(self) -> BrowserPages:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
