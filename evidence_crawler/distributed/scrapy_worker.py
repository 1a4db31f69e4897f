"""A distributed worker inside Scrapy: scrapy-redis scheduler with a reliable pop, heartbeat, shared budget.

Wiring (set by ``distributed.worker`` only when a worker joins a capture): scrapy-redis's
``Scheduler`` and ``RFPDupeFilter`` unchanged, its ``PriorityQueue`` with ``pop`` replaced by
:meth:`distributed.frontier.Frontier.pop` (the request moves to this worker's ``taken`` set instead of
vanishing), and :class:`DistributedWorkerExtension`, which joins the capture, keeps a heartbeat from a
thread (a long parse on the reactor thread must not look like death), reports idleness, closes the spider
when the coordinator says the crawl is over, and publishes this worker's sealed part.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import warnings
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from evidence_crawler.distributed.frontier import Frontier, connect
from evidence_crawler.distributed.layout import FrontierState, WorkerState
from evidence_crawler.timeutil import iso
from pipelines.replay import ResumeReplayMiddleware
from pipelines.session import capture_session

log = logging.getLogger(__name__)
# scrapy-redis 0.9.1 (the latest release) still uses APIs Scrapy 2.13+ deprecates (spider= to the stats
# collector, Spider.log); harmless, not ours to fix, and noise in every worker's log
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")


# What a request from Redis may ask of the spider: anything else in the queue was not put there by us
CALLBACKS = {"parse", "parse_robots", None}
ERRBACKS = {"errback", None}


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue; ``pop`` hands the request over instead of dropping it."""

    def pop(self, timeout: int = 0):
        worker = self.spider.crawler.get_extension(DistributedWorkerExtension)
        got = worker.frontier.pop(worker.wid)  # marks the worker busy in Redis in the same script
        if not got:
            return None
        data, worker.salvage_seen = got[0], worker.salvage_seen or got[1]
        worker.idle = False
        return self._decode_request(data)

    def _decode_request(self, encoded_request):
        obj = self.serializer.loads(encoded_request)
        if obj.get("callback") not in CALLBACKS or obj.get("errback") not in ERRBACKS or \
                not str(obj.get("url", "")).startswith(("http://", "https://")):
            log.error("refused a request from the shared frontier that we did not make: %.300r", obj)
            return None
        return super()._decode_request(encoded_request)


class DistributedWorkerExtension:
    """Membership of one worker in one distributed capture (``EVIDENCE_DISTRIBUTED`` = JSON settings)."""

    def __init__(self, crawler, conf: dict[str, Any]) -> None:
        self.crawler = crawler
        self.wid: str = conf["worker_id"]
        self.capture_id: str = conf["capture_id"]
        self.heartbeat_s = float(conf.get("heartbeat_s", 1.0))
        self.ttl_ms = int(float(conf.get("dead_after_s", 10.0)) * 1000)
        self.redis_url: str = crawler.settings["REDIS_URL"]
        self.frontier = Frontier(connect(self.redis_url), self.capture_id)
        self.idle = False
        self.pages = self.items = 0
        self.declared_dead = threading.Event()
        self.stopped = threading.Event()
        self._poke: task.LoopingCall | None = None
        self._ticks = 0
        self._beat_thread: threading.Thread | None = None
        crawler.spider.admission = self.frontier.admit
        self.salvage_seen = False  # set by the pop script once a dead worker's pages were published

    @classmethod
    def from_crawler(cls, crawler):
        raw = crawler.settings.get("EVIDENCE_DISTRIBUTED")
        if not raw:
            raise NotConfigured  # no message: Scrapy would log every local crawl at WARNING
        ext = cls(crawler, json.loads(raw) if isinstance(raw, str) else dict(raw))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext._count_page, signal=signals.response_received)
        crawler.signals.connect(ext._count_item, signal=signals.item_scraped)
        return ext

    def _salvaged(self, canonical_url: str) -> dict[str, Any] | None:
        return self.frontier.salvaged(canonical_url) if self.salvage_seen else None  # no round trip until then

    # --- lifecycle -----------------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        replay = self.crawler.get_downloader_middleware(ResumeReplayMiddleware)
        if replay is not None:  # pages a dead worker recorded are answered from its WARC
            replay.salvaged = self._salvaged
        session = capture_session(self.crawler)
        self.frontier.join(self.wid, {"host": socket.gethostname(), "pid": str(os.getpid()),
                                      "store": str(session.store.root.resolve()), "part": session.capture_id,
                                      "started_at": iso()}, self.ttl_ms)
        session.extra_manifest["distributed"] = {"capture_id": self.capture_id, "worker": self.wid,
                                                 "host": socket.gethostname()}
        self._beat_thread = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)
        self._beat_thread.start()
        # Scrapy polls an idle scheduler only every 5 s (engine heartbeat); new work pushed by the other
        # workers should start at once, so an idle worker nudges its engine (private hook, guarded).
        self._poke = task.LoopingCall(self._tick)
        self._poke.start(0.2, now=False)

    def _beat(self) -> None:
        rates: list[tuple[float, int]] = []
        while not self.stopped.wait(self.heartbeat_s):
            now = time.monotonic()
            rates = [(t, n) for t, n in rates if now - t <= 10.0] + [(now, self.pages)]
            t0, n0 = rates[0]
            rate = (self.pages - n0) / (now - t0) if now > t0 else 0.0
            session = capture_session(self.crawler)
            try:
                state = self.frontier.beat(self.wid, self.ttl_ms, {
                    "pages": str(self.pages), "items": str(self.items), "rate": f"{rate:.2f}",
                    "errors": str(len(session.errors) if session else 0), "updated_at": iso()})
            except Exception as exc:  # noqa: BLE001 - Redis away for a moment: keep trying, the TTL decides
                log.warning("heartbeat to Redis failed: %s", exc)
                continue
            if state == WorkerState.DEAD:
                self.declared_dead.set()  # the others re-queued our work: stop, never publish this part
                return

    def _tick(self) -> None:
        engine = self.crawler.engine
        if self.declared_dead.is_set():
            self._poke.stop()
            log.error("worker %s was declared dead (heartbeat lost); its work was re-queued; stopping",
                      self.wid)
            deferred_from_coro(engine.close_spider_async(reason="declared_dead"))
            return
        self._ticks += 1
        if self._ticks % 5 == 0 and self.frontier.state() in (FrontierState.CANCELLED, FrontierState.FAILED):
            self._poke.stop()
            log.error("capture %s was cancelled by its coordinator; stopping (this part stays unsealed)",
                      self.capture_id)
            deferred_from_coro(engine.close_spider_async(reason="shutdown"))
            return
        slot = getattr(engine, "_slot", None)
        if self.idle and slot is not None:
            slot.nextcall.schedule()  # -> scheduler polled now; spider_idle again if still nothing to do

    def spider_idle(self, spider) -> None:
        if self.declared_dead.is_set():
            return
        if not self.idle:
            self.idle = True
            self.frontier.set_idle(self.wid, True)
        if self.frontier.state() == FrontierState.FINISHING:
            self.frontier.set_worker(self.wid, state=WorkerState.SEALING)
            return  # the crawl is over everywhere: let Scrapy close the spider, which seals our part
        raise DontCloseSpider

    def _count_page(self, response, request, spider) -> None:
        self.pages += 1

    def _count_item(self, item, response, spider) -> None:
        self.items += 1

    def spider_closed(self, spider, reason: str) -> None:
        """Runs after the session extension sealed (or failed) this worker's part."""
        if self._poke is not None and self._poke.running:
            self._poke.stop()
        session = capture_session(self.crawler)
        sealed = bool(session.seal_result) and reason == "finished" and not self.declared_dead.is_set()
        try:
            if sealed:
                self.frontier.set_worker(self.wid, state=WorkerState.SEALED, finished_at=iso(),
                                         pages=str(session.pages.count), items=str(session.items_counted),
                                         errors=str(len(session.errors)), rate="0", part=json.dumps({
                    "part_id": session.capture_id, "store": str(session.store.root.resolve()),
                    "host": socket.gethostname(), "manifest_sha256": session.seal_result["manifest_sha256"],
                    "pages": session.pages.count, "items": session.items_counted}))
            else:  # interrupted or failed: give our work back now rather than after the heartbeat expires
                self.frontier.r.delete(self.frontier.keys.heartbeat(self.wid))
                if self.frontier.mark_dead([self.wid]):  # only ours: other dead workers wait for the coordinator's
                    self.frontier.requeue(self.wid)      # salvage (and a dead or sealed worker is left as it is)
        finally:
            self.stopped.set()
