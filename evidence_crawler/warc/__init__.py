"""WARC 1.1: records built (:mod:`.recordbuilder`) and written gzip per record (:mod:`.writer`), a torn
tail cut on resume (:mod:`.torntail`), and every record checked by one checker (:mod:`.check`) for both
``captures verify`` and bundle ``verify``. The ``sha256:<base32>`` digest text lives in :mod:`.digest`.
No Scrapy here, so the offline verifier runs without it.
"""

from evidence_crawler.warc.check import check_warc
from evidence_crawler.warc.findings import WarcFindings
from evidence_crawler.warc.recordbuilder import Exchange
from evidence_crawler.warc.torntail import truncate_torn_tail
from evidence_crawler.warc.writer import RotatingWarcWriter, WrittenExchange

__all__ = ["Exchange", "RotatingWarcWriter", "WarcFindings", "WrittenExchange", "check_warc",
           "truncate_torn_tail"]
