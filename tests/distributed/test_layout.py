"""Redis key names, states and scripts of a distributed capture (no Redis needed)."""

from __future__ import annotations

import pytest

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.distributed import layout
from evidence_crawler.distributed.layout import OPEN_STATES, FrontierState, Keys, WorkerState
from evidence_crawler.distributed.worker import scrapy_settings


def test_every_key_of_a_capture_is_named_under_its_prefix():
    keys = Keys("20240101T000000Z-shop-abc123")
    p = "ec:20240101T000000Z-shop-abc123:"
    assert (keys.info, keys.queue, keys.dupefilter, keys.seen, keys.patterns, keys.workers, keys.salvaged) == (
        p + "info", p + "queue", p + "dupefilter", p + "seen", p + "patterns", p + "workers", p + "salvaged")
    assert (keys.worker("w1"), keys.heartbeat("w1"), keys.taken("w1")) == (p + "w:w1", p + "hb:w1", p + "taken:w1")
    assert layout.ACTIVE == "ec:captures"


def test_a_misspelt_key_is_an_error_not_a_new_key():
    with pytest.raises(AttributeError):
        Keys("c").queeu  # noqa: B018


def test_scrapy_redis_is_pointed_at_the_same_keys():
    settings = scrapy_settings("redis://h/0", "cap", "w1", EvidenceConfig())
    assert (settings["SCHEDULER_QUEUE_KEY"], settings["SCHEDULER_DUPEFILTER_KEY"]) == ("ec:cap:queue",
                                                                                       "ec:cap:dupefilter")


def test_states_are_the_strings_redis_and_crawl_status_show():
    assert [str(s) for s in FrontierState] == ["crawling", "finishing", "merging", "sealed", "cancelled", "failed"]
    assert [str(s) for s in WorkerState] == ["running", "sealing", "sealed", "dead", "salvaged"]
    assert FrontierState("finishing") == "finishing" and set(OPEN_STATES) == {"crawling", "finishing", "merging"}


def test_scripts_get_their_state_literals_from_the_enums():
    scripts = (layout.POP, layout.MARK_DEAD, layout.REQUEUE, layout.FINISH, layout.ADMIT)
    assert not any("$" in s for s in scripts)
    assert "'crawling'" in layout.POP and "'running'" in layout.POP
    assert "'dead'" in layout.MARK_DEAD and "'finishing'" in layout.FINISH
    with pytest.raises(KeyError):
        layout._lua("return '$crawlin'")
