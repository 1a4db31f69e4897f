"""Text from the URL is escaped in every page: the templates are ``*.html.j2``, which Jinja's default
``select_autoescape()`` would leave unescaped, so the app turns autoescaping on for all of them."""

from __future__ import annotations

import urllib.parse

from tests.conftest import Cli
from tests.web.conftest import start_ui

INJECT = '"><b id=injected>x</b><meta http-equiv="refresh" content="0;url=http://example.invalid/">'


def test_a_query_reflected_in_the_search_and_capture_pages_is_text(tmp_path):
    cli = Cli(tmp_path / "store")
    cli.store.mkdir(parents=True)
    bench = start_ui(cli)
    try:
        status, body, _ = bench.get("search?q=" + urllib.parse.quote(INJECT))
        assert status == 200
        assert b"<b id=injected>" not in body and b"<meta http-equiv" not in body
        assert b"&lt;b id=injected&gt;" in body or b"&#34;&gt;&lt;b id=injected&gt;" in body
    finally:
        bench.proc.terminate()
        bench.proc.wait(10)


def test_the_captures_list_shows_item_counts_not_a_method(tmp_path):
    """``counts.items`` in Jinja is the dict's method: the templates read ``counts["items"]``."""
    from tests.servers.tinyshop import TinyShop

    cli = Cli(tmp_path / "store")
    profile = tmp_path / "p.yaml"
    with TinyShop(items=3) as shop:
        profile.write_text(f"name: tiny\nstart_urls: [{shop.base_url}]\nitem_pages: '/item/\\d+$'\n"
                           "fields: {title: h1::text}\n")
        capture_id = cli.crawl(profile)["capture_id"]
    bench = start_ui(cli)
    try:
        for path in ("", f"captures/{capture_id}"):
            status, body, _ = bench.get(path)
            assert status == 200 and b"built-in method" not in body and b"method items" not in body
        assert b"3 items" in bench.get(f"captures/{capture_id}")[1]
    finally:
        bench.proc.terminate()
        bench.proc.wait(10)
