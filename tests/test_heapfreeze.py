"""pipelines.heapfreeze: the start-up heap frozen while the spider is open, the collector untouched otherwise."""

from __future__ import annotations

import gc
import weakref

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from evidence_crawler import settings as project
from pipelines.heapfreeze import StartupHeapFreeze


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


@pytest.fixture
def crawler():
    c = get_crawler(Spider, {"GC_FREEZE_ENABLED": True, "EXTENSIONS_BASE": {}})  # none of Scrapy's own
    yield c
    gc.unfreeze()  # whatever a failed assertion left frozen


def test_it_is_the_last_extension_of_the_project_so_the_capture_is_open_when_it_freezes():
    assert project.GC_FREEZE_ENABLED is True
    order = project.EXTENSIONS["pipelines.heapfreeze.StartupHeapFreeze"]
    assert order == max(project.EXTENSIONS.values())


def test_the_setting_turns_it_off():
    with pytest.raises(NotConfigured):
        StartupHeapFreeze.from_crawler(get_crawler(Spider, {"GC_FREEZE_ENABLED": False}))


def test_spider_open_freezes_what_exists_and_engine_stop_unfreezes_it(crawler):
    ext = StartupHeapFreeze.from_crawler(crawler)
    before = Node()
    before_ref = weakref.ref(before)
    spider = Spider(name="t")
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert ext.frozen > 1000 and gc.get_freeze_count() > 1000

    del before
    gc.collect()
    assert before_ref() is not None  # frozen: a full collection no longer looks at it

    during = Node()  # the crawl's own cyclic garbage is still collected while frozen
    during_ref = weakref.ref(during)
    del during
    gc.collect()
    assert during_ref() is None

    crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_freeze_count() == 0 and ext.frozen == 0
    gc.collect()
    assert before_ref() is None  # back in the collector's view, and freed


def test_garbage_present_at_spider_open_is_collected_first_not_frozen(crawler):
    ext = StartupHeapFreeze.from_crawler(crawler)  # held, as Scrapy's extension manager holds it
    garbage = Node()
    ref = weakref.ref(garbage)
    del garbage
    crawler.signals.send_catch_log(signals.spider_opened, spider=Spider(name="t"))
    assert ref() is None and ext.frozen
    crawler.signals.send_catch_log(signals.engine_stopped)
