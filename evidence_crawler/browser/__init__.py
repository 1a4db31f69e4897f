"""Headless Chromium for evidence: locating a binary, a bounded browser pool, rendering one page.

Nothing here imports Scrapy: the browser is handed a ``fetch`` callable that answers each request the
page makes (the crawler fetches and archives the bytes), so this package never touches the network.
"""
