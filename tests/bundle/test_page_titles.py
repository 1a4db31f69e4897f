"""pages/pages.jsonl titles: read from the page up to its first ``</title>``, as a whole-page parse reads them."""

from __future__ import annotations

import pytest
from parsel import Selector

from evidence_crawler.bundle.pages import title_of

CASES = [
    "<html><head><title>A &amp; B</title></head><body>x</body></html>",
    "<script>var s = '</title>';</script><title>after a script</title>",
    "<!-- <title>commented</title> --><title>after a comment</title>",
    "<TITLE >upper case</TITLE >",
    "<html><body>no title at all</body></html>",
    "<svg><title>svg title</title></svg><title>page title</title>",
    "<title>first</title><title>second</title>",
    "<title></title><p>empty title</p>",
    "<head><title>\n  over\n lines </title>",
    "<title>unclosed title, no end tag",
    "<meta charset=windows-1251><title>Альбом — 2 $</title>",
]


@pytest.mark.parametrize("html", CASES)
def test_title_is_what_a_whole_page_parse_gives(html):
    assert title_of(html) == Selector(text=html).css("title::text").get()


def test_a_title_past_a_long_body_is_still_found():
    html = "<html><body>" + "<p>filler</p>" * 20_000 + "<title>late</title></body></html>"
    assert title_of(html) == "late"
