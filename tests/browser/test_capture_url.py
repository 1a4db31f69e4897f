"""``evidence-crawler capture URL``: sealed like a crawl, with the server's bytes for everything the browser
loaded, the rendered DOM as a conversion record, screenshots and a PDF, and hostile pages handled."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from tests.browser.conftest import needs_chromium
from tests.servers.browserpages import stripe_colour

pytestmark = [needs_chromium, pytest.mark.slow]


def warc_records(captured) -> list:
    out = []
    for art in captured.manifest["artifacts"]:
        if art["role"] == "warc":
            with open(captured.dir / "artifacts" / art["name"], "rb") as fh:
                for rec in ArchiveIterator(fh):
                    out.append((rec.rec_type, rec.rec_headers, rec.content_stream().read()
                                if rec.rec_type == "conversion" else rec.raw_stream.read(), rec.http_headers))
    return out


def test_capture_seals_dom_screenshots_pdf_and_the_servers_bytes(pages, capture):
    c = capture(f"{pages.url}/page")
    assert c.summary["state"] == "sealed" and c.summary["partial"] is False
    assert c.summary["profile"].startswith("capture-")
    for key in ("capture_id", "pages", "items", "offers", "p2p", "errors", "manifest", "warc_files"):
        assert key in c.summary
    browser = c.manifest["browser"]
    assert browser["name"] == "chromium" and browser["version"]
    assert "Chrome" in browser["user_agent"]
    assert browser["viewport"] == {"width": 1280, "height": 800} and browser["device_scale_factor"] == 1.0
    assert browser["locale"] == "en-US" and browser["timezone"] == "UTC"
    env = c.manifest["environment"]  # the conditions: the browser as launched, and how it started clean
    assert env["browser"]["version"] == browser["version"] and env["browser"]["executable"] == browser["executable"]
    assert env["browser"]["proxy"] == "http://127.0.0.1:9" and "Playwright routing" in env["browser"]["routing"]
    assert "no --user-data-dir given" in env["clean_state"]["browser"]
    assert "new browser context" in env["clean_state"]["browser"] and env["clean_state"]["cookies_in"] == 0
    steps = [a["step"] for a in browser["navigation"][0]["actions"]]
    assert steps[:2] == ["navigate", "network_idle"] and "scroll" in steps
    roles = {a["role"] for a in c.manifest["artifacts"]}
    assert {"screenshot", "screenshot_viewport", "pdf", "dom", "renders", "warc"} <= roles
    assert c.artifact("dom").read_text().count("xhr answered") == 1  # the XHR ran in the browser

    records = warc_records(c)
    responses = {h.get_header("WARC-Target-URI"): (body, http) for t, h, body, http in records if t == "response"}
    render = c.renders[0]
    loaded = [r for r in render["requests"] if "status" in r]
    assert {r["resource_type"] for r in loaded} >= {"document", "stylesheet", "script", "image", "fetch"}
    for r in loaded:  # every sub-resource the browser loaded has its response record
        assert r["url"] in responses, r
    css_body, css_http = responses[f"{pages.url}/style.css"]
    assert css_http.get_header("Content-Encoding") == "gzip"
    assert gzip.decompress(css_body) == b"h1{color:rgb(200,0,0)}"  # kept as received: still gzip
    assert responses[f"{pages.url}/img-redirect"][1].get_statuscode() == "302"  # followed by the crawler, each hop kept
    assert f"{pages.url}/pixel.png" in responses
    conversions = [(h, body) for t, h, body, _ in records if t == "conversion"]
    assert len(conversions) == 1
    doc_record = next(h for t, h, _, _ in records if t == "response" and h.get_header("WARC-Target-URI") ==
                      f"{pages.url}/page")
    assert conversions[0][0].get_header("WARC-Refers-To") == doc_record.get_header("WARC-Record-ID")
    assert conversions[0][1] == c.artifact("dom").read_bytes()

    # the link-local address is refused by the SSRF guard even with --allow-private, and never fetched
    refused = [r for r in render["requests"] if "169.254.169.254" in r["url"]]
    assert refused and refused[0]["error"]["kind"] == "refused_private"
    assert any(e["kind"] == "refused_private" and "169.254.169.254" in e["url"] for e in c.summary["errors"])

    warcio = Path(sys.executable).parent / "warcio"
    proc = subprocess.run([str(warcio), "check", *c.summary["warc_files"]], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert c.cli.run("captures", "verify", c.id).returncode == 0
    assert c.cli.run("captures", "show", c.id).returncode == 0


def test_a_flipped_byte_in_the_screenshot_is_detected(pages, capture):
    c = capture(f"{pages.url}/page", "--no-scroll")
    art = next(a for a in c.manifest["artifacts"] if a["role"] == "screenshot")
    obj = c.cli.store / art["path"]
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[len(data) // 2] ^= 0x01
    obj.write_bytes(bytes(data))
    proc = c.cli.run("captures", "verify", c.id)
    assert proc.returncode == 1
    assert art["name"] in proc.stderr and "sha256 mismatch" in proc.stderr


def test_a_50000px_page_is_stitched_to_its_full_height_and_the_pdf_renders(pages, capture, tmp_path):
    c = capture(f"{pages.url}/tall?h=50000", "--no-scroll")
    shot = c.renders[0]["screenshot"]
    assert shot["scroll_height"] == 50000 and shot["tiles"] > 1
    with Image.open(c.artifact("screenshot")) as img:
        assert img.height == 50000 == shot["scroll_height"]
        rgb = img.convert("RGB")
        for i in (0, 163, 164, 250, 499):  # stripes on both sides of the 16,384 px limit, and the last one
            assert rgb.getpixel((10, i * 100 + 50)) == stripe_colour(i), i
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    proc = subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "20", "-png", str(c.artifact("pdf")),
                           str(tmp_path / "p")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("p*.png"))


def test_a_page_that_never_goes_idle_is_kept_and_marked_partial(pages, capture):
    started = time.monotonic()
    c = capture(f"{pages.url}/never-idle", "--timeout", "3", "--no-scroll")
    assert time.monotonic() - started < 60
    assert c.summary["partial"] is True and c.renders[0]["partial"] is True
    assert any(e["kind"] == "render_partial" for e in c.summary["errors"])
    assert c.manifest["browser"]["navigation"][0]["partial"] is True
    assert c.cli.run("captures", "verify", c.id).returncode == 0


def test_alert_and_confirm_are_dismissed_and_recorded(pages, capture):
    c = capture(f"{pages.url}/dialogs", "--no-scroll")
    dialogs = c.renders[0]["dialogs"]
    assert [(d["type"], d["message"]) for d in dialogs] == [("alert", "hello from the shop"), ("confirm", "Buy now?")]
    assert "confirm:false" in c.artifact("dom").read_text()


def test_popups_and_new_tabs_are_closed_and_recorded(pages, capture):
    c = capture(f"{pages.url}/popup", "--no-scroll")
    urls = {p["url"] for p in c.renders[0]["popups"]}
    assert {f"{pages.url}/popped", f"{pages.url}/popped-link"} <= urls


def test_a_download_link_is_recorded_never_opened(pages, capture):
    c = capture(f"{pages.url}/download", "--no-scroll")
    downloads = c.renders[0]["downloads"]
    assert any(d["url"] == f"{pages.url}/files/album.zip" and d["suggested_name"] == "full-album.zip"
               for d in downloads), downloads
    assert not list(c.cli.store.rglob("*.zip"))


def test_a_page_whose_script_throws_is_still_captured(pages, capture):
    c = capture(f"{pages.url}/throws", "--no-scroll")
    assert any("shop script is broken" in e for e in c.renders[0]["page_errors"])
    assert "still rendered" in c.artifact("dom").read_text()


def test_infinite_scroll_is_bounded_and_recorded(pages, capture):
    started = time.monotonic()
    c = capture(f"{pages.url}/infinite")
    scroll = next(a for a in c.renders[0]["actions"] if a["step"] == "scroll")
    assert scroll["stopped"] in ("max_steps", "max_time") and scroll["steps"] <= scroll["max_steps"]
    assert time.monotonic() - started < 90
    with Image.open(io.BytesIO(c.artifact("screenshot").read_bytes())) as img:
        assert img.height == c.renders[0]["screenshot"]["scroll_height"] > 800 * 5


def test_an_error_page_is_still_rendered_as_the_visitor_saw_it(pages, capture):
    c = capture(f"{pages.url}/no-such-page", "--no-scroll")
    assert c.summary["state"] == "sealed" and c.summary["rendered"] == 1
    assert c.renders[0]["requests"][0]["status"] == 404
    assert "This album was withdrawn" in c.artifact("dom").read_text()
