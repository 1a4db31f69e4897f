"""The replay origin: ReplayWeb.page and the captures' archives, on a second port of the same ``ui`` process.

A replayed page is the shop's own HTML and scripts. It must never run on the app's origin, where it could
read the store or post the app's forms: the item page embeds ``/embed/{capture}`` of this second origin in
a sandboxed frame (``allow-scripts allow-same-origin`` of *this* origin only, no top navigation, no
popups), and the app's CSP allows framing that origin and nothing else. This origin serves only the pinned
ReplayWeb.page (``ui.js``, ``sw.js`` from ``scripts/fetch_replaywebpage.py``, never a CDN), the embed
page, and each sealed capture's replay WACZ (``web.replaywacz``), with ranges. Off loopback it needs its
own token (derived from the app's secret, handed to the frame by the item page, then a cookie), so a
network peer gets 401 here too; its pages may be framed only by the app's origin.

``/replay/`` itself is normally answered by ReplayWeb.page's service worker. ReplayWeb.page 2.5.3 creates
that frame as soon as the worker is *registered*, not yet *active* (webrecorder/replayweb.page#412); on a
loaded machine the frame's request then reaches this server, and the embed's own retry (three reloads at
100 ms) gives up on whatever it got. So this server answers ``/replay/`` with a waiting page whose script
(``wait.js``, external: the CSP allows no inline script) reloads the frame once the worker is ready, a few
times at most, and otherwise says so on screen instead of staying blank.
"""

from __future__ import annotations

import html
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from evidence_crawler.web.replaywacz import NotReplayable, ReplayArchives
from evidence_crawler.web.security import Access, SecurityMiddleware
from storage.local import LocalStore

VERSION = "2.5.3"  # scripts/fetch_replaywebpage.py pins the same version and its sha512
ASSETS_ENV = "EVIDENCE_REPLAYWEB_DIR"
MISSING = (f"ReplayWeb.page {VERSION} is not installed, so archived pages cannot be replayed here: run "
           "`make setup` (or `.venv/bin/python scripts/fetch_replaywebpage.py`), then restart `ui`")
REPLAY_COOKIE = "evidence_replay_token"
SANDBOX = "allow-scripts allow-same-origin"


def assets_dir() -> Path | None:
    """Where the pinned ``ui.js`` and ``sw.js`` are (``EVIDENCE_REPLAYWEB_DIR`` or the venv's share/), or None."""
    d = Path(os.environ.get(ASSETS_ENV) or Path(sys.prefix) / "share" / f"replaywebpage-{VERSION}")
    return d if (d / "ui.js").is_file() and (d / "sw.js").is_file() else None


def timestamp14(fetched_at: str | None) -> str:
    digits = "".join(ch for ch in (fetched_at or "") if ch.isdigit())
    return digits[:14] if len(digits) >= 14 else ""


@dataclass(frozen=True)
class ReplayOrigin:
    """The second origin as the app's pages refer to it: same scheme and host the browser used, its port."""

    port: int
    assets: Path | None
    access: Access

    def origin(self, request: Request) -> str:
        host = request.url.hostname or "127.0.0.1"
        return f"{request.url.scheme}://{f'[{host}]' if ':' in host else host}:{self.port}"

    def embed_url(self, request: Request, capture_id: str, url: str, fetched_at: str | None) -> str:
        query = {"url": url, "ts": timestamp14(fetched_at)}
        if self.access.replay_token:
            query["token"] = self.access.replay_token
        return f"{self.origin(request)}/embed/{urllib.parse.quote(capture_id)}?{urllib.parse.urlencode(query)}"


class ReplaySecurity(SecurityMiddleware):
    """The app's token rule with the replay token and cookie; headers that let ReplayWeb.page run here only
    when framed by the app's origin."""

    cookie = REPLAY_COOKIE

    def __init__(self, app, access: Access, app_port: int) -> None:
        super().__init__(app, access)
        self.app_port = app_port

    def expected(self) -> str | None:
        return self.access.replay_token

    def headers(self, request: Request) -> dict[str, str]:
        host = request.url.hostname or "127.0.0.1"
        app_origin = f"{request.url.scheme}://{f'[{host}]' if ':' in host else host}:{self.app_port}"
        csp = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; frame-src 'self'; "
               f"worker-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'self' {app_origin}")
        return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


WAITING_PAGE = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>replay starting</title>"
                "<script src=\"/replay/wait.js\"></script></head><body><p id=\"replay-wait\">"
                "Starting the replay\u2026</p></body></html>")
WAIT_JS = """(function () {
  var KEY = "evidence-replay-wait", LIMIT = 5, STALE_MS = 30000;
  var GAVE_UP = "The replay could not start. Reload the page.";
  function say(text) {
    var show = function () { var p = document.getElementById("replay-wait"); if (p) p.textContent = text; };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show); else show();
  }
  if (!("serviceWorker" in navigator)) {
    say("This browser cannot replay archives here (no service workers)."); return;
  }
  var state = {count: 0, at: 0};
  try { state = JSON.parse(sessionStorage.getItem(KEY)) || state; } catch (e) {}
  if (Date.now() - state.at > STALE_MS) state = {count: 0, at: 0};
  if (state.count >= LIMIT) { say(GAVE_UP); return; }
  var gaveUp = setTimeout(function () { say(GAVE_UP); }, 20000);
  navigator.serviceWorker.ready.then(function () {
    clearTimeout(gaveUp);
    try { sessionStorage.setItem(KEY, JSON.stringify({count: state.count + 1, at: Date.now()})); } catch (e) {}
    location.reload();
  });
})();
"""


def embed_page(capture_id: str, url: str, ts: str) -> str:
    attr = html.escape  # the URL is shop text: quoted into attributes, never markup
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>replay</title>"
            "<style>html,body{margin:0;height:100%}replay-web-page{display:block;height:100%}</style>"
            "<script src=\"/replay/ui.js\"></script></head><body>"
            f"<replay-web-page source=\"/archive/{attr(capture_id)}.wacz\" url=\"{attr(url)}\""
            + (f" ts=\"{attr(ts)}\"" if ts else "")
            + " replaybase=\"/replay/\" embed=\"replayonly\"></replay-web-page></body></html>")


def create_replay_app(store: LocalStore, access: Access, app_port: int, assets: Path | None) -> FastAPI:
    app = FastAPI(title="evidence-crawler replay", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(ReplaySecurity, access=access, app_port=app_port)
    archives = ReplayArchives(store)

    def asset(name: str) -> FileResponse:
        if assets is None:
            raise HTTPException(404, MISSING)
        return FileResponse(assets / name, media_type="application/javascript",
                            headers={"Service-Worker-Allowed": "/replay/"} if name == "sw.js" else None)

    @app.get("/replay/ui.js")
    def ui_js():
        return asset("ui.js")

    @app.get("/replay/sw.js")
    def sw_js():
        return asset("sw.js")

    @app.get("/replay/", response_class=HTMLResponse)
    @app.get("/replay/index.html", response_class=HTMLResponse)
    def waiting():  # reached only while the service worker does not control the frame yet (see above)
        return HTMLResponse(WAITING_PAGE)

    @app.get("/replay/wait.js")
    def wait_js():
        return Response(WAIT_JS, media_type="application/javascript")

    @app.get("/embed/{capture_id}", response_class=HTMLResponse)
    def embed(capture_id: str, url: str = "", ts: str = ""):
        if assets is None:
            raise HTTPException(404, MISSING)
        if capture_id not in store.capture_ids():
            raise HTTPException(404, f"no capture {capture_id!r}")
        return HTMLResponse(embed_page(capture_id, url, ts if ts.isdigit() else ""))

    @app.get("/archive/{capture_id}.wacz")
    def archive(capture_id: str):
        if capture_id not in store.capture_ids():
            raise HTTPException(404, f"no capture {capture_id!r}")
        try:
            path = archives.path(capture_id)
        except NotReplayable as exc:
            raise HTTPException(404, str(exc)) from None
        return FileResponse(path, media_type="application/octet-stream")

    return app
