"""Bundled demo storefronts (stdlib only) with a ground-truth catalogue, for tests and trying the tool.

``DemoSite("allofmp3")`` serves a windows-1251 Russian pay-per-MB shop, ``DemoSite("mp3sugar")`` an
English UTF-8 one; ``expected_items(shop)`` is what a complete crawl of either must extract.
"""

from evidence_crawler.demo.catalog import SHOPS, DemoCatalog, expected_items
from evidence_crawler.demo.server import DEFAULT_PORTS, DemoSite, serve_forever

__all__ = ["DEFAULT_PORTS", "SHOPS", "DemoCatalog", "DemoSite", "expected_items", "serve_forever"]
