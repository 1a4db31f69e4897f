"""Hostile shop text in the report: bidi controls are shown and cannot reorder a price (checked in a real
Chromium by where each character is drawn); huge values are cut with a stated length and never make the
export fail (a 100,000-character title, huge fields, 10,000 offers)."""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.browser.locate import locate_chromium
from evidence_crawler.bundle.pdf import print_timeout
from evidence_crawler.bundle.shoptext import shop_html
from tests.bundle.conftest import CHROMIUM, export
from tests.conftest import Cli
from tests.servers.tinyshop import TinyShop

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make system-deps)")

PROFILE = """\
name: hostile-text-shop
start_urls: [{url}]
follow: ["a.list", "a.item"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text, {extra}}}
offers: {{selector: tr.offer, fields: {{format: "td.format::text", price: "td.price::text"}}, currency: EUR}}
limits: {{max_pages: 20}}
"""
RLO, PDF_, RLI, RLM = "\u202e", "\u202c", "\u2067", "\u200f"
BIDI_PRICE = f"{RLO}€ 99,21"  # logically "€ 99,21"; drawn right to left it reads "12,99 €"
HUGE_TITLE = "Кино — Группа крови " * 5000  # 100,000 characters
HUGE_FIELDS = 5
OFFERS = 10_000


class TextShop(TinyShop):
    """``/item/<n>`` pages from ``pages``: (title, offers as (format, price) pairs, extra <p class=fN> texts)."""

    def __init__(self, pages: dict[int, tuple[str, list[tuple[str, str]], list[str]]]) -> None:
        super().__init__(items=len(pages))
        self.pages = pages

    def page(self, path: str) -> tuple[bytes, int]:
        if path.startswith("/item/") and int(path.rsplit("/", 1)[1]) in self.pages:
            title, offers, extra = self.pages[int(path.rsplit("/", 1)[1])]
            rows = "".join(f'<tr class="offer"><td class="format">{html.escape(f)}</td>'
                           f'<td class="price">{html.escape(p)}</td></tr>' for f, p in offers)
            fields = "".join(f'<p class="f{i}">{html.escape(t)}</p>' for i, t in enumerate(extra))
            return (f"<html><head><title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
                    f"{fields}<table>{rows}</table></body></html>").encode(), 200
        return super().page(path)


def crawl_and_export(tmp: Path, tsa, pages: dict, extra_fields: int = 0) -> tuple[Cli, str, Path]:
    cli = Cli(tmp / "store")
    extra = ", ".join(f'f{i}: "p.f{i}::text"' for i in range(extra_fields)) or "album: h2::text"
    with TextShop(pages) as shop:
        profile = tmp / "shop.yaml"
        profile.write_text(PROFILE.format(url=shop.base_url, extra=extra), encoding="utf-8")
        cid = cli.crawl(profile)["capture_id"]
    bundle = tmp / "case.wacz"
    export(cli, cid, bundle, tsa, "--case-ref", "HOSTILE-TEXT")
    return cli, cid, bundle


@pytest.fixture(scope="module")
def bidi_bundle(tmp_path_factory, tsa):
    pages = {1: (f"Album {RLI}one{RLM}", [("mp3-320", BIDI_PRICE), ("flac", "5,49 €")], [])}
    return crawl_and_export(tmp_path_factory.mktemp("bidi"), tsa, pages)


def _x_of_each_char(page, selector: str) -> tuple[str, list[float]]:
    """The cell's text and the left edge of each of its characters as drawn (Range.getClientRects)."""
    return page.eval_on_selector(selector, """el => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); const xs = []; let text = '';
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            for (let i = 0; i < n.data.length; i++) {
                const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
                const rect = r.getClientRects()[0]; text += n.data[i]; xs.push(rect ? rect.left : -1);
            }
        }
        return [text, xs];
    }""")


def test_a_bidi_override_in_a_price_is_shown_and_does_not_reorder_it(bidi_bundle, tmp_path):
    from playwright.sync_api import sync_playwright

    cli, cid, bundle = bidi_bundle
    assert BIDI_PRICE in [o["price"] for i in cli.items(cid) for o in i["offers"]]  # items keep the raw text
    report = tmp_path / "report.html"
    report.write_bytes(zipfile.ZipFile(bundle).read("evidence/report.html"))
    assert RLO not in report.read_text() and RLI not in report.read_text()
    assert "0 failed, 0 not followed by policy" in report.read_text()  # the errors row, failures apart
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**locate_chromium().launch_kwargs())
        try:
            page = browser.new_page()
            page.goto(report.as_uri())
            text, xs = _x_of_each_char(page, "#offers tr.item td.fmt span.price")
            title_cell = page.inner_text("#offers tr.item td:nth-child(1)")
        finally:
            browser.close()
    assert text == "⟨U+202E⟩€ 99,21", text
    digits = [xs[i] for i, ch in enumerate(text) if ch in "9,21" and i > text.index("€")]
    assert digits == sorted(digits) and len(set(digits)) == len(digits), (text, xs)  # drawn left to right
    assert "Album ⟨U+2067⟩one⟨U+200F⟩" in title_cell, title_cell


@pytest.mark.slow
def test_huge_titles_fields_and_10000_offers_export_with_a_cut_report(tmp_path, tsa):
    offers = [(f"fmt-{n}", f"{n},99 €") for n in range(OFFERS)]
    extra = [f"field {i} " + "x" * 100_000 for i in range(HUGE_FIELDS)]
    cli, cid, bundle = crawl_and_export(tmp_path, tsa, {1: (HUGE_TITLE, offers, extra)}, HUGE_FIELDS)
    (item,) = cli.items(cid)
    assert item["fields"]["title"] == HUGE_TITLE.strip() and len(item["offers"]) == OFFERS
    with zipfile.ZipFile(bundle) as z:
        report = z.read("evidence/report.html").decode()
        pdf = z.read("evidence/report.pdf")
    assert f"…({len(HUGE_TITLE.strip()):} characters, full text in items.jsonl)" in report
    assert HUGE_TITLE.strip()[:1000] not in report
    assert report.count(">fmt-") == OFFERS  # every offer is in the report, none cut away
    assert pdf.startswith(b"%PDF-")


def test_a_long_value_is_cut_with_its_length_and_where_the_full_text_is():
    cut = shop_html("é" * 1000, 300, "…({n} characters, full text in {source})", "items.jsonl")
    assert cut.count("é") == 300 and "…(1000 characters, full text in items.jsonl)" in cut
    assert shop_html("<b>12,99 €</b>", 300, "{n}", "x") == '<bdi class="shop">&lt;b&gt;12,99 €&lt;/b&gt;</bdi>'


def test_the_print_timeout_grows_with_the_report():
    assert print_timeout(100_000) >= 120 and print_timeout(20 << 20) > 10 * print_timeout(100_000)
