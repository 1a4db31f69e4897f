"""The archived page replayed on the item page: ReplayWeb.page on a second origin, in a sandboxed frame,
driven in real Chromium; a replayed shop script runs inside the replay and cannot reach the app's window."""

from __future__ import annotations

import html
import re
import urllib.request

import pytest

from evidence_crawler.demo import DemoSite
from evidence_crawler.web.replay import assets_dir
from tests.browser.conftest import needs_chromium
from tests.conftest import PROFILES, Cli
from tests.servers.tinyshop import TinyShop
from tests.web.conftest import start_ui

pytestmark = [pytest.mark.slow, needs_chromium,
              pytest.mark.skipif(assets_dir() is None, reason="ReplayWeb.page not fetched (make setup)")]

# runs when replayed: marks its own frame, then tries to reach the app's window every way a frame can
ESCAPE = ("<script>window.__ranInReplay = 1; document.body.setAttribute('data-ran', '1');"
          "let w = window, tried = 0, blocked = 0;"
          "for (const up of [window.top, window.opener, window.frameElement && window.frameElement.ownerDocument"
          " && window.frameElement.ownerDocument.defaultView]) { if (up) { tried++; try { up.__pwned = 1; }"
          " catch (e) { blocked++; } } }"
          "for (let i = 0; i < 8; i++) { tried++; try { w = w.parent; w.__pwned = 1; } catch (e) { blocked++; } }"
          "document.body.setAttribute('data-tried', String(tried));</script>")
SCRIPT_PROFILE = """\
name: script-shop
start_urls: [{url}]
follow: ["a.list", "a.item"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
offers: {{selector: span.price, fields: {{price: "::text"}}, currency: USD}}
"""


class ScriptShop(TinyShop):
    def page(self, path: str) -> tuple[bytes, int]:
        if path.startswith("/item/"):
            body, status = super().page(path)
            return body.replace(b"</body>", ESCAPE.encode() + b"</body>"), status
        return super().page(path)


@pytest.fixture(scope="module")
def replay_store(tmp_path_factory) -> tuple[Cli, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("replay")
    cli = Cli(tmp / "store")
    with DemoSite("allofmp3") as site:
        ids = {"demo": cli.crawl(PROFILES / "allofmp3-demo.yaml", "--start-url", f"{site.base_url}release/1",
                                 "--max-pages", "3")["capture_id"]}
    profile = tmp / "script.yaml"
    with ScriptShop(items=2) as shop:
        profile.write_text(SCRIPT_PROFILE.format(url=shop.base_url), encoding="utf-8")
        ids["script"] = cli.crawl(profile)["capture_id"]
    return cli, ids


@pytest.fixture(scope="module")
def bench(replay_store):
    b = start_ui(replay_store[0])
    yield b
    b.proc.terminate()
    b.proc.wait(10)


def replayed_frame(page, timeout_s: float = 60):
    """The frame ReplayWeb.page shows the archived page in (``/w/<coll>/<ts>mp_/<url>``), once loaded."""
    for _ in range(int(timeout_s * 4)):
        for frame in page.frames:
            if re.search(r"/w/.+/\d*mp_/", frame.url):
                return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"no replay frame; frames: {[f.url for f in page.frames]}")


def open_item(page, bench, capture_id: str, n: int = 0) -> None:
    page.goto(f"{bench.url}captures/{capture_id}/items/{n}")
    page.locator("iframe.replay").wait_for()


def test_the_item_page_replays_the_archived_price_table_from_another_origin(browser, bench, replay_store):
    cli, ids = replay_store
    item = cli.items(ids["demo"])[0]
    context = browser.new_context()
    page = context.new_page()
    open_item(page, bench, ids["demo"])
    frame_el = page.locator("iframe.replay")
    src = frame_el.get_attribute("src")
    assert frame_el.get_attribute("sandbox") == "allow-scripts allow-same-origin"
    assert src.split("/embed/")[0] != bench.url.rstrip("/")  # another origin (another port)
    frame = replayed_frame(page)
    frame.locator("table.buy").wait_for(timeout=60_000)
    text = frame.locator("table.buy").inner_text()
    assert "Формат" in text and item["offers"][0]["price"] in text
    csp = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp and f"frame-src {src.split('/embed/')[0]}" in csp
    context.close()


def test_a_replayed_shop_script_runs_in_the_replay_but_cannot_touch_the_app(browser, bench, replay_store):
    _cli, ids = replay_store
    context = browser.new_context()
    page = context.new_page()
    open_item(page, bench, ids["script"])
    frame = replayed_frame(page)
    # the shop's script did run, in the replay, and tried every way up
    frame.locator("body[data-ran='1'][data-tried='9']").wait_for(state="attached", timeout=60_000)
    assert frame.evaluate("() => window.__ranInReplay") == 1
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert page.url.startswith(bench.url.rstrip("/")) and "pwned" not in page.url
    assert page.locator("h1").inner_text() == "Item 0"
    context.close()


def test_without_replaywebpage_the_item_page_says_how_to_get_it(replay_store, tmp_path):
    cli, ids = replay_store
    b = start_ui(cli, env={"EVIDENCE_REPLAYWEB_DIR": str(tmp_path / "none")})
    try:
        status, body, _ = b.get(f"captures/{ids['demo']}/items/0")
        assert status == 200 and b"iframe" not in body
        assert "make setup" in html.unescape(body.decode())
    finally:
        b.proc.terminate()
        b.proc.wait(10)


def test_off_loopback_the_replay_origin_needs_its_own_token(replay_store):
    cli, ids = replay_store
    b = start_ui(cli, "--host", "0.0.0.0")
    try:
        token = b.url.split("?token=")[1]
        b.url = b.url.replace("0.0.0.0", "127.0.0.1")
        status, body, headers = b.get(f"captures/{ids['demo']}/items/0", token=token)
        assert status == 200
        src = html.unescape(re.search(rb'<iframe class="replay"[^>]* src="([^"]+)"', body).group(1).decode())
        origin, replay_token = src.split("/embed/")[0], src.split("token=")[1]
        assert replay_token != token
        archive = f"{origin}/archive/{ids['demo']}.wacz"

        def fetch(url: str, bearer: str | None = None) -> int:
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"} if bearer else {})
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert fetch(archive) == 401 and fetch(archive, token) == 401 and fetch(f"{origin}/replay/ui.js") == 401
        assert fetch(archive, replay_token) == 200
        assert fetch(f"{b.url.split('?')[0]}api/captures", replay_token) == 401  # the replay token opens nothing else
    finally:
        b.proc.terminate()
        b.proc.wait(10)


def test_before_its_service_worker_is_active_the_replay_frame_waits_then_says_so(browser, bench, replay_store):
    """``/replay/`` answered by this server (ReplayWeb.page's worker not controlling the frame yet, RWP #412)
    is a waiting page under the replay origin's CSP; past its reload budget it says what to do."""
    _cli, ids = replay_store
    status, body, _ = bench.get(f"captures/{ids['demo']}/items/0")
    src = html.unescape(re.search(rb'<iframe class="replay"[^>]* src="([^"]+)"', body).group(1).decode())
    origin = src.split("/embed/")[0]
    with urllib.request.urlopen(f"{origin}/replay/?source=x", timeout=30) as r:
        page_html, csp = r.read().decode(), r.headers["Content-Security-Policy"]
    assert '<script src="/replay/wait.js">' in page_html and "script-src 'self'" in csp
    with urllib.request.urlopen(f"{origin}/replay/wait.js", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("application/javascript") and b"serviceWorker" in r.read()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/replay/")
    assert page.locator("#replay-wait").inner_text() == "Starting the replay\u2026"
    page.evaluate("() => sessionStorage.setItem('evidence-replay-wait', JSON.stringify({count: 5, at: Date.now()}))")
    page.reload()
    page.locator("#replay-wait", has_text="could not start").wait_for(timeout=10_000)
    context.close()
