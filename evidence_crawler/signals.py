"""Signals of our own, plain sentinels as in ``scrapy.signals``: the contract between the spider, the
capture adapters and whoever runs a crawl, so none of them has to import (or find) another."""

capture_opened = object()  # session: the capture the crawl now writes (sent by pipelines.session)
capture_error = object()  # url, kind, message: something the capture must list in errors.jsonl
