"""The clean-state sentences follow the settings in force; link texts are what a visitor clicked."""

from __future__ import annotations

from parsel import Selector

from evidence_crawler.browser.locate import BrowserBinary
from evidence_crawler.browser.options import RenderOptions
from evidence_crawler.browser.pool import BrowserPool
from evidence_crawler.cleanstate import browser_statement, clean_state, http_statement
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.linktext import MAX_CHARS, AnchorTexts, clean, link_text
from evidence_crawler.settings import crawl_settings


def test_the_http_statement_reads_the_real_crawl_settings():
    settings = crawl_settings(EvidenceConfig())
    text = http_statement({k: settings.get(k) for k in ("COOKIES_ENABLED", "HTTPCACHE_ENABLED", "JOBDIR")}, 0)
    assert "cookie jar started empty (0 cookies" in text and "no HTTP cache (HTTPCACHE_ENABLED=False)" in text
    assert "no persisted crawl state (no JOBDIR)" in text


def test_a_setting_that_carries_state_in_shows_in_the_sentence():
    text = http_statement({"COOKIES_ENABLED": True, "HTTPCACHE_ENABLED": True, "JOBDIR": "/tmp/job"}, 2)
    assert "held 2 cookie(s)" in text and "HTTP cache ON" in text and "JOBDIR=/tmp/job" in text
    assert "cookies disabled" in http_statement({"COOKIES_ENABLED": False}, 0)
    state = clean_state({}, None)
    assert state.cookies_in is None and "not counted" in state.http and state.browser is None


def test_the_browser_statement_comes_from_the_pool_options():
    pool = BrowserPool(BrowserBinary("/usr/bin/chromium", "system"), RenderOptions())
    text = pool.clean_state()
    assert "no --user-data-dir given: a new empty temporary profile" in text
    assert "each page rendered in a new browser context" in text and "service workers blocked" in text
    persistent = browser_statement({"args": ["--user-data-dir=/home/me/.config/chromium"]},
                                   {"storage_state": "state.json"}, False)
    assert "persistent profile --user-data-dir=/home/me/.config/chromium" in persistent
    assert "shared browser context" in persistent and "storage state loaded" in persistent


PAGE = Selector(text="""<html><body>
<a href="/release/1">  Кино —
   Группа  крови </a>
<a href="/release/2" title="Second album"><span> </span></a>
<a href="/release/3" aria-label="Third"></a>
<a href="/release/4"><img src="c.png" alt="Cover of Four"></a>
<a href="/release/1#tracks">ignored: the first link to a URL that says something wins</a>
<map><area href="/release/5" alt="Five"></map>
<a href="/release/6">a\x00b\x1bc</a>
<a href="/release/7">""" + "x" * 1000 + """</a>
</body></html>""")


def join(href: str) -> str:
    return "http://shop.test" + href


def test_link_text_prefers_text_then_title_or_label_then_image_alt():
    texts = AnchorTexts(PAGE, join)
    want = {1: "Кино — Группа крови", 2: "Second album", 3: "Third", 4: "Cover of Four", 5: "Five", 6: "abc"}
    for n, text in want.items():
        assert texts.text_for(join(f"/release/{n}")) == text
    long = texts.text_for(join("/release/7"))
    assert len(long) == MAX_CHARS and long.endswith("…") and texts.text_for(join("/release/99")) is None


def test_link_text_of_one_element_and_of_nothing():
    assert link_text(PAGE.css("a")[0]) == "Кино — Группа крови"
    assert link_text(PAGE.xpath("//a/@href")[0]) is None
    assert clean("  \n ") is None and clean(None) is None
