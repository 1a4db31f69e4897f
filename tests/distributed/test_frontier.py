"""The shared frontier's scripts against a real Redis: hand-off, reclaim, end of crawl, shared budget."""

from __future__ import annotations

import time

import pytest
import scrapy
from scrapy.utils.request import request_from_dict

from evidence_crawler.distributed.codec import dumps, loads
from evidence_crawler.distributed.frontier import Frontier, FrontierUnavailable, connect


@pytest.fixture
def frontier(redis_url, request):
    client = connect(redis_url)
    f = Frontier(client, f"cap-{request.node.name}")
    f.create({"profile_text": "x", "settings": "{}"})
    yield f
    client.flushdb()


def test_pop_hands_over_instead_of_dropping(frontier):
    frontier.join("w1", {"host": "h"}, ttl_ms=5000)
    frontier.push(b"low", priority=0)
    frontier.push(b"high", priority=10)
    assert frontier.pop("w1") == (b"high", False)  # priority order, as scrapy-redis's PriorityQueue
    assert frontier.queue_length() == 1 and frontier.taken_count("w1") == 1
    assert frontier.workers()["w1"]["idle"] == "0"


def test_dead_worker_work_is_requeued_once(frontier):
    frontier.join("w1", {"host": "h"}, ttl_ms=200)
    frontier.join("w2", {"host": "h"}, ttl_ms=60000)
    for n in range(3):
        frontier.push(f"r{n}".encode())
    assert frontier.pop("w1") and frontier.pop("w1")
    assert frontier.reclaim_dead() == {}  # both alive
    time.sleep(0.3)
    assert frontier.reclaim_dead() == {"w1": 2}
    assert frontier.reclaim_dead() == {}  # a second reclaimer finds nothing to re-queue
    frontier.publish_salvaged({"http://s/r0": {"status": 200}})
    assert frontier.pop("w2") == (b"r0", True)  # takers learn in the same script that pages were salvaged
    assert frontier.salvaged("http://s/r0") == {"status": 200} and frontier.salvaged("http://s/x") is None
    assert frontier.queue_length() == 2 and frontier.taken_count("w1") == 0
    assert frontier.workers()["w1"]["state"] == "dead"
    assert frontier.pop("w1") is None  # a worker declared dead takes nothing more
    assert frontier.beat("w1", 1000, {"pages": "1"}) == "dead"  # and learns it at its next heartbeat


def test_crawl_ends_only_when_queue_empty_and_every_worker_idle(frontier):
    assert not frontier.try_finish()  # no worker yet
    frontier.join("w1", {"host": "h"}, ttl_ms=60000)
    frontier.join("w2", {"host": "h"}, ttl_ms=60000)
    frontier.push(b"r")
    frontier.set_idle("w1", True)
    frontier.set_idle("w2", True)
    assert not frontier.try_finish()  # work waiting
    assert frontier.pop("w2") == (b"r", False)  # w2 busy again in the same script
    assert not frontier.try_finish()
    frontier.set_idle("w2", True)
    assert frontier.try_finish() and frontier.state() == "finishing"
    assert frontier.pop("w1") is None  # nothing is handed out once the crawl is over


def test_reclaim_while_finishing_reopens_the_crawl(frontier):
    frontier.join("w1", {"host": "h"}, ttl_ms=150)
    frontier.join("w2", {"host": "h"}, ttl_ms=60000)
    frontier.push(b"r")
    assert frontier.pop("w1") == (b"r", False)
    frontier.set_idle("w1", True)
    frontier.set_idle("w2", True)
    assert frontier.try_finish()
    frontier.set_worker("w1", state="sealing")
    time.sleep(0.25)  # w1 dies while sealing its part
    assert frontier.reclaim_dead() == {"w1": 1}
    assert frontier.state() == "crawling" and frontier.queue_length() == 1


def test_shared_budget_and_trap_guard(frontier):
    verdicts = [frontier.admit(f"http://s/p{n}", "s/p#?", cap=3, max_pages=5) for n in range(5)]
    assert verdicts == ["ok", "ok", "ok", "trap_guard", "trap_guard"]
    assert frontier.admit("http://s/p0", "s/p#?", 3, 5) == "seen"
    assert [frontier.admit(f"http://s/item{n}", "", 3, 5) for n in range(3)] == ["ok", "ok", "page_limit"]


def test_requests_travel_as_json_not_pickle():
    class Shop(scrapy.Spider):
        name = "s"

        def parse(self, response):
            return None

    spider = Shop()
    req = scrapy.Request("http://shop/a?x=1", callback=spider.parse, headers={"Referer": "http://shop/"},
                         meta={"depth": 2, "obj": object()}, priority=3, body=b"\x00\xff")
    data = dumps(req.to_dict(spider=spider))
    assert data.startswith(b"{")
    back = request_from_dict(loads(data), spider=spider)
    assert (back.url, back.priority, back.body, back.meta) == (req.url, 3, b"\x00\xff", {"depth": 2})
    assert back.headers.get(b"Referer") == b"http://shop/"


def test_unreachable_redis_and_redacted_password(tmp_path):
    with pytest.raises(FrontierUnavailable, match="cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:1/0"):
        connect("redis://:s3cret@127.0.0.1:1/0")
    with pytest.raises(FrontierUnavailable) as refused:
        connect("redis://127.0.0.1:1/0?password=s3cret")
    assert "s3cret" not in str(refused.value) and "password=***" in str(refused.value)


def test_requests_we_did_not_make_are_refused(redis_url):
    import evidence_crawler.distributed.codec as serializer
    from evidence_crawler.distributed.scrapy_worker import ReliablePriorityQueue
    from evidence_crawler.profile import load_profile
    from spiders.storefront import StorefrontSpider
    from tests.conftest import PROFILES

    spider = StorefrontSpider(loaded_profile=load_profile(PROFILES / "allofmp3-demo.yaml"))
    queue = ReliablePriorityQueue(connect(redis_url), spider, "q", serializer=serializer)
    good = scrapy.Request("http://127.0.0.1:8601/a", callback=spider.parse, errback=spider.errback)
    assert queue._decode_request(dumps(good.to_dict(spider=spider))).url == good.url
    for evil in ({"callback": "close"}, {"errback": "start_requests_list"}, {"url": "file:///etc/passwd"}):
        assert queue._decode_request(dumps({**good.to_dict(spider=spider), **evil})) is None
