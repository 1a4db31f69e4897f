"""Pages that would hang a render or reach past the crawler: a script spinning forever (while loading and
after load), a sub-resource that never arrives, a WebSocket; and network idle that waits for late XHRs.

Each is captured (marked partial where something was cut short) without holding up the crawl, and the
browser never opens a connection of its own: the WebSocket's server (a bare TCP listener) sees nothing.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.conftest import needs_chromium
from tests.conftest import ROOT, Cli
from tests.servers.browserpages import BrowserPages, _html

pytestmark = [needs_chromium, pytest.mark.slow]


class HangingPages(BrowserPages):
    """``/spin``: ``while(true){}`` while the page loads; ``/spin-late``: a timer starts one after load;
    ``/stall``: an image that is never answered (until the server stops); ``/ws``: opens a WebSocket to
    ``ws_port``, where a TCP listener counts connections; ``/late-xhr``: an XHR 100 ms after load, then
    a second one 50 ms after the first answered; ``/ok``: a plain page."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.ws_accepts = 0
        self._ws = socket.socket()
        self._ws.bind(("127.0.0.1", 0))
        self._ws.listen()
        self.ws_port = self._ws.getsockname()[1]

    def route(self, path: str, query: dict) -> tuple[int, str, bytes, list]:
        pages = {
            "/spin": _html("spin", "<h1>before the spin</h1><script>while (true) {}</script><p>after</p>"),
            "/spin-late": _html("spin late", "<h1>spins after load</h1><script>addEventListener('load', () => "
                                "setTimeout(() => { while (true) {} }, 50))</script>"),
            "/stall": _html("stall", "<h1>never finishes loading</h1><img src='/never.png'>"),
            "/ws": _html("ws", "<h1>live prices</h1><p id=s>connecting</p><script>const w = new WebSocket("
                         f"'ws://127.0.0.1:{self.ws_port}/feed'); w.onopen = () => w.send('subscribe'); "
                         "w.onclose = e => { document.getElementById('s').textContent = 'closed ' + e.code }"
                         "</script>"),
            "/late-xhr": _html("late", "<p id=a>-</p><p id=b>-</p><script>setTimeout(() => fetch('/api/one')"
                               ".then(r => r.text()).then(t => { document.getElementById('a').textContent = t; "
                               "setTimeout(() => fetch('/api/two').then(r => r.text()).then(t => "
                               "document.getElementById('b').textContent = t), 50) }), 100)</script>"),
            "/ok": _html("ok", "<h1>plain page</h1>"),
        }
        if path in pages:
            return 200, "text/html; charset=utf-8", pages[path], []
        if path.startswith("/api/"):
            return 200, "text/plain", f"answer {path[5:]}".encode(), []
        if path == "/never.png":
            self.release.wait(120)
            return 200, "image/png", b"", []
        return 404, "text/plain", b"", []

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._ws.accept()
            except OSError:
                return
            self.ws_accepts += 1
            conn.close()

    def __enter__(self) -> HangingPages:
        threading.Thread(target=self._accept, daemon=True).start()
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        self.release.set()
        super().__exit__(*exc)
        self._ws.close()


@pytest.fixture(scope="module")
def hanging():
    with HangingPages() as server:
        yield server


def _renders(store: Path, capture_id: str) -> dict[str, dict]:
    lines = (store / "captures" / capture_id / "artifacts" / "renders.jsonl").read_text().splitlines()
    return {json.loads(line)["url"].rsplit("/", 1)[1]: json.loads(line) for line in lines}


def test_a_crawl_with_spinning_stalled_and_websocket_pages_finishes_and_captures_each(hanging, tmp_path,
                                                                                      write_profile):
    urls = [f"{hanging.url}/{p}" for p in ("spin", "stall", "ws", "ok")]
    profile = write_profile(f"name: hangs\nstart_urls: {json.dumps(urls)}\nfollow: []\nrender: all\n")
    store = tmp_path / "store"
    env = {**os.environ, "EVIDENCE_STORE": str(store), "EVIDENCE_ALLOW_PRIVATE": "1", "EVIDENCE_AUTOTHROTTLE": "0",
           "EVIDENCE_DOWNLOAD_TIMEOUT_S": "4", "EVIDENCE_RETRY_TIMES": "0"}
    started = time.monotonic()
    proc = subprocess.run([str(Path(sys.executable).parent / "scrapy"), "crawl", "storefront", "-a",
                           f"profile={profile}", "-s", "EVIDENCE_RENDER_TIMEOUT_S=3",
                           "-s", "EVIDENCE_RENDER_SCRIPT_TIMEOUT_S=4"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert elapsed < 90, elapsed  # nothing waited for the stalled image or the spinning script
    (state_file,) = (store / "captures").glob("*/state.json")
    capture_id = state_file.parent.name
    assert json.loads(state_file.read_text())["state"] == "sealed"
    renders = _renders(store, capture_id)
    assert set(renders) == {"spin", "stall", "ws", "ok"}
    errors = [json.loads(line) for line in (store / "captures" / capture_id / "artifacts" / "errors.jsonl")
              .read_text().splitlines()]

    spin = renders["spin"]  # load never fired; the script was terminated and the page captured as it stood
    assert spin["partial"] is True and spin["attempt"] == 1
    assert any("script did not yield" in r for r in spin["partial_reasons"])
    assert any("load event not reached" in r for r in spin["partial_reasons"])
    terminated = [a for a in spin["actions"] if a["step"] == "terminate_scripts"]
    assert len(terminated) == 1 and "Runtime.terminateExecution" in terminated[0]["sent"]
    dom = (store / "captures" / capture_id / "artifacts" / spin["artifacts"]["dom"]["name"]).read_text()
    assert "before the spin" in dom
    shot = store / "captures" / capture_id / "artifacts" / spin["artifacts"]["screenshot"]["name"]
    with Image.open(io.BytesIO(shot.read_bytes())) as img:
        assert img.height == spin["screenshot"]["scroll_height"] and img.width == 1280
    assert spin["artifacts"]["pdf"]["size"] > 0

    stall = renders["stall"]  # captured at the time limit, marked partial; the image request failed later
    assert stall["partial"] is True and "never finishes loading" in (
        store / "captures" / capture_id / "artifacts" / stall["artifacts"]["dom"]["name"]).read_text()
    assert any("network not idle" in r for r in stall["partial_reasons"])
    assert any(e["kind"] == "timeout" and e["url"].endswith("/never.png") for e in errors), errors

    ws = renders["ws"]  # refused without a connection; the page saw the close
    assert [(w["url"], w["close_code"]) for w in ws["websockets"]] == [(f"ws://127.0.0.1:{hanging.ws_port}/feed",
                                                                         1008)]
    assert any(e["kind"] == "websocket_blocked" and e["url"].endswith("/feed") for e in errors)
    assert hanging.ws_accepts == 0  # the browser never connected to the WebSocket server
    ws_dom = (store / "captures" / capture_id / "artifacts" / ws["artifacts"]["dom"]["name"]).read_text()
    assert "closed 1008" in ws_dom and ws["partial"] is False

    assert renders["ok"]["partial"] is False and not any(e["kind"] == "render_failed" for e in errors)
    cli = Cli(store)
    assert cli.run("captures", "verify", capture_id).returncode == 0


def test_a_script_that_spins_after_load_is_terminated_and_the_capture_sealed_partial(hanging, capture):
    started = time.monotonic()
    c = capture(f"{hanging.url}/spin-late", "--timeout", "5")
    assert time.monotonic() - started < 90
    assert c.summary["state"] == "sealed" and c.summary["partial"] is True
    render = c.renders[0]
    navigate = next(a for a in render["actions"] if a["step"] == "navigate")
    assert navigate["ok"] is True  # loaded fine; the spin started afterwards
    assert [a["step"] for a in render["actions"]].count("terminate_scripts") == 1
    assert "spins after load" in c.artifact("dom").read_text()
    with Image.open(c.artifact("screenshot_viewport")) as img:
        assert img.size == (1280, 800)
    assert any(e["kind"] == "render_partial" and "script did not yield" in e["message"]
               for e in c.summary["errors"])
    assert c.cli.run("captures", "verify", c.id).returncode == 0


def test_network_idle_waits_for_xhrs_started_after_load(hanging, capture):
    c = capture(f"{hanging.url}/late-xhr", "--no-scroll")
    dom = c.artifact("dom").read_text()
    assert "answer one" in dom and "answer two" in dom  # both answered before the DOM was taken
    idle = next(a for a in c.renders[0]["actions"] if a["step"] == "network_idle")
    assert idle["ok"] is True and c.renders[0]["partial"] is False
    fetched = [r["url"].rsplit("/", 1)[1] for r in c.renders[0]["requests"] if r["resource_type"] == "fetch"]
    assert fetched == ["one", "two"]


def test_a_page_that_fits_the_viewport_is_not_scrolled(hanging, capture):
    c = capture(f"{hanging.url}/ok")
    scroll = next(a for a in c.renders[0]["actions"] if a["step"] == "scroll")
    assert scroll["stopped"] == "fits_viewport" and scroll["steps"] == 0
