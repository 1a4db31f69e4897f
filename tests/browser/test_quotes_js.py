"""quotes.toscrape.com's JavaScript pages (rebuilt from ``../shared/corpus`` data): every one of the 100
quotes is extracted, from the ``document.write`` pages and from the infinite-scroll page alike."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import needs_chromium
from tests.conftest import CORPUS, Cli

QUOTES = CORPUS / "quotes.toscrape.com"
pytestmark = [needs_chromium, pytest.mark.corpus, pytest.mark.slow,
              pytest.mark.skipif(not (QUOTES / "data" / "quotesdb.jl").exists(),
                                 reason=f"needs the quotes corpus at {QUOTES} (../shared/corpus)")]

PROFILE = """name: quotes-js
start_urls: ['{url}/js/', '{url}/scroll']
follow: ['li.next a']
item_pages: '/js/(page/\\d+/)?$|/scroll$'
render: all
fields:
  title: title::text
offers:
  selector: div.quote
  fields: {{text: span.text::text, author: small.author::text}}
"""


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from tests.servers.quotesjs import QuotesJs

    tmp = tmp_path_factory.mktemp("quotes")
    cli = Cli(tmp / "store")
    with QuotesJs(QUOTES) as site:
        profile = tmp / "quotes.yaml"
        profile.write_text(PROFILE.format(url=site.url), encoding="utf-8")
        summary = cli.crawl(profile)
    truth = [json.loads(line) for line in (QUOTES / "ground_truth.jsonl").read_text("utf-8").splitlines()]
    return cli, summary, {(q["text"], q["author"]) for q in truth}


def _quotes(items, where) -> list[tuple[str, str]]:
    """Quotes of the matching pages; /js/page/1/ is /js/ again, recorded once and flagged duplicate_of."""
    return [(o["text"], o["author"]) for i in items if where(i["url"]) and not i.get("duplicate_of")
            for o in i["offers"]]


def test_rendered_js_pages_yield_all_100_quotes(crawled):
    cli, summary, truth = crawled
    assert len(truth) == 100
    got = _quotes(cli.items(summary["capture_id"]), lambda u: "/js/" in u)
    assert len(got) == 100 and set(got) == truth


def test_infinite_scroll_page_yields_all_100_quotes(crawled):
    cli, summary, truth = crawled
    got = _quotes(cli.items(summary["capture_id"]), lambda u: u.endswith("/scroll"))
    assert len(got) == 100 and set(got) == truth
    pages = [json.loads(line)["url"] for line in
             (cli.store / "captures" / summary["capture_id"] / "artifacts" / "pages.jsonl").read_text().splitlines()]
    assert sum("/api/quotes?page=" in u for u in pages) == 10  # every XHR the scrolling made is in the WARC
