"""WARC 1.1: records built (:mod:`.recordbuilder`) and written gzip per record (:mod:`.writer`), a torn
tail cut on resume (:mod:`.torntail`), and every record checked by one checker (:mod:`.check`) for both
``captures verify`` and bundle ``verify``. The ``sha256:<base32>`` digest text lives in :mod:`.digest`,
gzip members are made and read by :mod:`.gzipcodec` (ISA-L igzip, zlib fallback).
No Scrapy here, so the offline verifier runs without it.

The names below are loaded on first use (PEP 562), so that ``verify`` does not import the writer
(blake3, warcio's writer) and a crawl does not import the checker. The warcio pin is checked at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from evidence_crawler.warc import warcio_pin  # noqa: F401 - checks the warcio names we rely on, at import

if TYPE_CHECKING:
    from evidence_crawler.warc.check import check_warc
    from evidence_crawler.warc.findings import WarcFindings
    from evidence_crawler.warc.recordbuilder import Exchange
    from evidence_crawler.warc.torntail import truncate_torn_tail
    from evidence_crawler.warc.writer import RotatingWarcWriter, WrittenExchange

_HOME = {"Exchange": "recordbuilder", "RotatingWarcWriter": "writer", "WrittenExchange": "writer",
         "WarcFindings": "findings", "check_warc": "check", "truncate_torn_tail": "torntail"}

__all__ = ["Exchange", "RotatingWarcWriter", "WarcFindings", "WrittenExchange", "check_warc",
           "truncate_torn_tail"]


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
