"""StartupHeapFreeze: the crawl's start-up heap kept out of the cyclic garbage collector while it crawls.

A crawl allocates fast (responses, selectors, requests), so CPython's collector runs often; each full
collection walks every tracked object, the ~140,000 of the imported modules and the built components
included, which never become garbage. On the books corpus (1,181 pages) the full collections were
1.2-1.8 s of an 8-15 s crawl. When the spider is open (every component built, the capture open),
:func:`gc.freeze` moves what exists then into the permanent generation, after one collection so that
no garbage is frozen with it; the engine's stop unfreezes it, so the rest of the process (sealing, a
test runner) collects as before. The collector's thresholds are not raised: that saves more CPU but
keeps each page's cyclic garbage (a response and its selector) alive longer, and the peak RSS went from
170 to 210-330 MiB when tried (docs/performance.md).

``GC_FREEZE_ENABLED = False`` turns it off. Scrapy has no such setting of its own; the benchmark runs bare
Scrapy both without and with this extension (``bench/run.py``).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured


class StartupHeapFreeze:
    def __init__(self) -> None:
        self.frozen = 0

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GC_FREEZE_ENABLED", True):
            raise NotConfigured("GC_FREEZE_ENABLED is off")
        ext = cls()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider) -> None:
        gc.collect()
        gc.freeze()
        self.frozen = gc.get_freeze_count()
        spider.logger.debug("gc: %d start-up objects frozen", self.frozen)

    def engine_stopped(self) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = 0
