"""The shared frontier of a distributed capture in Redis: one capture's queue, workers and budget.

scrapy-redis owns the request queue (a sorted set, its ``PriorityQueue``) and the duplicate filter (a
set of request fingerprints). What scrapy-redis lacks is a reliable hand-off: its ``pop`` removes the
request, so a worker killed with requests in hand loses them. Here a pop *moves* the request into the
worker's ``taken`` set in one Lua script, and nothing is ever removed from ``taken`` while the worker
lives. When a worker's heartbeat key expires, ``mark_dead`` (one script: it takes nothing more), then the
coordinator salvages its part where it can (``distributed.salvage``: what reached its disk is sealed and
published in ``salvaged`` so that takers answer those pages from its WARC), then ``requeue`` puts
everything it took back on the queue. Keeping ``taken`` until the worker's part is sealed (instead of
acknowledging each request) is deliberate: a page is only safe once a sealed part holds it.

Key names, states and scripts are in :mod:`evidence_crawler.distributed.layout`.
"""

from __future__ import annotations

import json
from typing import Any

from evidence_crawler.distributed.layout import (
    ACTIVE,
    ADMIT,
    ADMIT_RESULTS,
    FINISH,
    MARK_DEAD,
    OPEN_STATES,
    POP,
    REQUEUE,
    FrontierState,
    Keys,
    WorkerState,
)
from evidence_crawler.redact import redact_text, redact_url


def connect(url: str):
    """A redis-py client for URL; raises ``FrontierUnavailable`` with the reason when it cannot reach it."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierUnavailable(f"cannot reach Redis at {redact_url(url)}: {redact_text(str(exc))}") from None
    return client


class FrontierUnavailable(Exception):
    pass


class Frontier:
    """One capture's shared state. Every method is one round trip (or one script) and safe to race."""

    def __init__(self, client, capture_id: str) -> None:
        self.r = client
        self.keys = Keys(capture_id)
        self.capture_id = capture_id
        self._pop = client.register_script(POP)
        self._mark_dead = client.register_script(MARK_DEAD)
        self._requeue = client.register_script(REQUEUE)
        self._finish = client.register_script(FINISH)
        self._admit = client.register_script(ADMIT)

    # --- capture -------------------------------------------------------------------------------
    def create(self, info: dict[str, str]) -> None:
        if self.r.exists(self.keys.info):
            raise FrontierUnavailable(f"capture {self.capture_id} already exists in Redis")
        self.r.hset(self.keys.info, mapping={**info, "state": FrontierState.CRAWLING})
        self.r.sadd(ACTIVE, self.capture_id)

    def info(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self.keys.info).items()}

    def state(self) -> FrontierState | None:
        v = self.r.hget(self.keys.info, "state")
        return FrontierState(v.decode()) if v else None

    def set_state(self, state: FrontierState, **extra: str) -> None:
        self.r.hset(self.keys.info, mapping={"state": str(state), **extra})
        if state not in OPEN_STATES:
            self.r.srem(ACTIVE, self.capture_id)

    def push(self, data: bytes, priority: int = 0) -> None:
        self.r.zadd(self.keys.queue, {data: -priority})

    def queue_length(self) -> int:
        return int(self.r.zcard(self.keys.queue))

    def try_finish(self) -> bool:
        return bool(self._finish(keys=[self.keys.queue, self.keys.info, self.keys.workers],
                                 args=[self.keys.prefix]))

    def admit(self, canonical_url: str, pattern: str, cap: int, max_pages: int) -> str:
        code = self._admit(keys=[self.keys.seen, self.keys.patterns], args=[canonical_url, pattern, cap, max_pages])
        return ADMIT_RESULTS[int(code)]

    def cleanup(self, keep_s: int = 7 * 24 * 3600) -> None:
        """Drop the frontier; keep info and per-worker figures a while for ``crawl-status``."""
        ids = self.worker_ids()
        self.r.delete(self.keys.queue, self.keys.dupefilter, self.keys.seen, self.keys.patterns, self.keys.salvaged,
                      *(self.keys.taken(w) for w in ids), *(self.keys.heartbeat(w) for w in ids))
        for key in (self.keys.info, self.keys.workers, *(self.keys.worker(w) for w in ids)):
            self.r.expire(key, keep_s)

    # --- workers -------------------------------------------------------------------------------
    def join(self, wid: str, info: dict[str, str], ttl_ms: int) -> None:
        self.r.hset(self.keys.worker(wid), mapping={**info, "state": WorkerState.RUNNING, "idle": "0"})
        self.r.set(self.keys.heartbeat(wid), "1", px=ttl_ms)
        self.r.sadd(self.keys.workers, wid)

    def beat(self, wid: str, ttl_ms: int, stats: dict[str, str]) -> WorkerState | None:
        """Refresh the heartbeat and figures; returns the worker's state as the others see it."""
        pipe = self.r.pipeline()
        pipe.set(self.keys.heartbeat(wid), "1", px=ttl_ms)
        pipe.hset(self.keys.worker(wid), mapping=stats)
        pipe.hget(self.keys.worker(wid), "state")
        state = pipe.execute()[-1]
        return WorkerState(state.decode()) if state else None

    def pop(self, wid: str) -> tuple[bytes, bool] | None:
        """(request, whether a dead worker's pages were salvaged: then ask :meth:`salvaged` before fetching)."""
        got = self._pop(keys=[self.keys.queue, self.keys.taken(wid), self.keys.worker(wid), self.keys.info,
                              self.keys.salvaged])
        return (got[0], bool(got[1])) if got else None

    def set_idle(self, wid: str, idle: bool) -> None:
        self.r.hset(self.keys.worker(wid), "idle", "1" if idle else "0")

    def set_worker(self, wid: str, **fields: str) -> None:
        self.r.hset(self.keys.worker(wid), mapping=fields)

    def taken_count(self, wid: str) -> int:
        return int(self.r.zcard(self.keys.taken(wid)))

    def worker_ids(self) -> list[str]:
        return sorted(w.decode() for w in self.r.smembers(self.keys.workers))

    def worker(self, wid: str) -> dict[str, str]:
        fields = {k.decode(): v.decode() for k, v in self.r.hgetall(self.keys.worker(wid)).items()}
        fields["alive"] = "1" if self.r.exists(self.keys.heartbeat(wid)) else "0"
        fields["taken"] = str(self.taken_count(wid))
        return fields

    def workers(self) -> dict[str, dict[str, str]]:
        return {wid: self.worker(wid) for wid in self.worker_ids()}

    def mark_dead(self, wids: list[str] | None = None) -> list[str]:
        """Workers (all, or ``wids``) whose heartbeat expired, now marked dead: they take nothing more. Their
        work is still in ``taken`` until :meth:`requeue` (the coordinator salvages what it can in between)."""
        return [wid for wid in (self.worker_ids() if wids is None else wids)
                if int(self._mark_dead(keys=[self.keys.heartbeat(wid), self.keys.worker(wid)]))]

    def requeue(self, wid: str) -> int:
        return int(self._requeue(keys=[self.keys.taken(wid), self.keys.worker(wid), self.keys.queue,
                                       self.keys.info]))

    def reclaim_dead(self) -> dict[str, int]:
        """Mark dead and re-queue at once; {worker: requests re-queued}."""
        return {wid: self.requeue(wid) for wid in self.mark_dead()}

    # --- pages a dead worker recorded, answered from its WARC instead of fetched again -------------
    def publish_salvaged(self, pages: dict[str, dict[str, Any]]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for n, (canon, page) in enumerate(pages.items(), 1):
            pipe.hset(self.keys.salvaged, canon, json.dumps(page, separators=(",", ":")))
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()

    def salvaged(self, canonical_url: str) -> dict[str, Any] | None:
        raw = self.r.hget(self.keys.salvaged, canonical_url)
        return json.loads(raw) if raw else None


def active_captures(client) -> list[str]:
    return sorted(c.decode() for c in client.smembers(ACTIVE))
