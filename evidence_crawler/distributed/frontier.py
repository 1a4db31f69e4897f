"""The shared frontier of a distributed capture, in Redis: keys, atomic scripts, worker registry.

scrapy-redis owns the request queue (a sorted set, its ``PriorityQueue``) and the duplicate filter (a
set of request fingerprints). What scrapy-redis lacks is a reliable hand-off: its ``pop`` removes the
request, so a worker killed with requests in hand loses them. Here a pop *moves* the request into the
worker's ``taken`` set in one Lua script, and nothing is ever removed from ``taken`` while the worker
lives. When a worker's heartbeat key expires, ``mark_dead`` (one script: it takes nothing more), then the
coordinator salvages its part where it can (``services.distributed_salvage``: what reached its disk is
sealed and published in ``salvaged`` so that takers answer those pages from its WARC), then ``requeue``
puts everything it took back on the queue. Keeping ``taken`` until the worker's part is sealed (instead of
acknowledging each request) is deliberate: a page is only safe once a sealed part holds it.

Key layout for capture ``C`` (all under ``ec:C:``): ``info`` (hash: profile, settings, state), ``queue``
and ``dupefilter`` (scrapy-redis), ``seen`` + ``patterns`` (page budget and trap guard shared by every
worker), ``workers`` (set of ids), ``w:ID`` (hash: state, idle, host, counters, part), ``hb:ID``
(heartbeat, expires), ``taken:ID`` (sorted set, same scores as the queue), ``salvaged`` (hash: canonical
URL -> where a dead worker's recorded page is). ``ec:captures`` lists the
captures that are being crawled.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ACTIVE = "ec:captures"

# info.state: crawling -> finishing -> merging -> sealed (or cancelled / failed)
CRAWLING, FINISHING, MERGING, SEALED, CANCELLED, FAILED = (
    "crawling", "finishing", "merging", "sealed", "cancelled", "failed")
# w:ID state: running -> sealing -> sealed; dead (heartbeat lost, work re-queued) -> salvaged (its part sealed
# by the coordinator from what reached its disk)
W_RUNNING, W_SEALING, W_SEALED, W_DEAD, W_SALVAGED = "running", "sealing", "sealed", "dead", "salvaged"

_POP = """
if redis.call('HGET', KEYS[4], 'state') ~= 'crawling' then return false end
if redis.call('HGET', KEYS[3], 'state') ~= 'running' then return false end
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], r[2], r[1])
redis.call('HSET', KEYS[3], 'idle', '0')
return {r[1], redis.call('EXISTS', KEYS[5])}
"""

# KEYS: hb, w. 1 when the worker had no heartbeat and is now marked dead (it takes nothing more), else 0.
_MARK_DEAD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local st = redis.call('HGET', KEYS[2], 'state')
if st ~= 'running' and st ~= 'sealing' then return 0 end
redis.call('HSET', KEYS[2], 'state', 'dead', 'idle', '1')
return 1
"""

# KEYS: taken, w, queue, info. Everything a dead worker took goes back on the queue; how many.
_REQUEUE = """
local r = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #r, 2 do redis.call('ZADD', KEYS[3], r[i + 1], r[i]) end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[2], 'requeued', #r / 2)
if #r > 0 and redis.call('HGET', KEYS[4], 'state') == 'finishing' then
  redis.call('HSET', KEYS[4], 'state', 'crawling')
end
return #r / 2
"""

# KEYS: queue, info, workers. ARGV: key prefix. 1 when the crawl is over (and now "finishing").
_FINISH = """
if redis.call('HGET', KEYS[2], 'state') ~= 'crawling' then return 0 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local ids = redis.call('SMEMBERS', KEYS[3])
local running = 0
for _, id in ipairs(ids) do
  local w = ARGV[1] .. 'w:' .. id
  local st = redis.call('HGET', w, 'state')
  if st == 'running' then
    running = running + 1
    if redis.call('HGET', w, 'idle') ~= '1' then return 0 end
  elseif st == 'sealing' then
    return 0
  end
end
if running == 0 then return 0 end
redis.call('HSET', KEYS[2], 'state', 'finishing')
return 1
"""

# KEYS: seen, patterns. ARGV: canonical url, pattern ('' = not counted), cap, max pages.
_ADMIT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
if ARGV[2] ~= '' then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) > tonumber(ARGV[3]) then return -2 end
end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""

ADMIT_RESULTS = {1: "ok", 0: "seen", -1: "page_limit", -2: "trap_guard"}


def redact(url: str) -> str:
    """A Redis URL fit for manifests and logs: the password never leaves the process."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username + ':' if parts.username else ':'}***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str):
    """A redis-py client for URL; raises ``FrontierUnavailable`` with the reason when it cannot reach it."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierUnavailable(f"cannot reach Redis at {redact(url)}: {exc}") from None
    return client


class FrontierUnavailable(Exception):
    pass


def _to_json(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"__b64__": base64.b64encode(obj).decode()}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _to_json(v) for k, v in obj.items() if _serialisable(v)}
        # headers: bytes keys (kept as pairs; a JSON object's keys can only be text)
        return {"__pairs__": [[_to_json(k), _to_json(v)] for k, v in obj.items() if _serialisable(v)]}
    if isinstance(obj, list | tuple):
        return [_to_json(v) for v in obj]
    return obj


def _serialisable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | bytes | dict | list | tuple)


def _from_json(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__b64__"}:
            return base64.b64decode(obj["__b64__"])
        if set(obj) == {"__pairs__"}:
            return {_from_json(k): _from_json(v) for k, v in obj["__pairs__"]}
        return {k: _from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_from_json(v) for v in obj]
    return obj


class JsonRequestSerializer:
    """scrapy-redis serializer (``loads``/``dumps``) in JSON instead of its default pickle.

    Unpickling what comes out of a network service runs whatever code the sender chose; JSON does not.
    Meta values that are not plain data (objects set by components while a request was in flight, e.g.
    our ``PageRef``) are dropped: they are rebuilt when the request is fetched again.
    """

    @staticmethod
    def dumps(obj: dict[str, Any]) -> bytes:
        return json.dumps(_to_json(obj), sort_keys=True, separators=(",", ":")).encode()

    @staticmethod
    def loads(data: bytes) -> dict[str, Any]:
        return _from_json(json.loads(data))


loads = JsonRequestSerializer.loads  # scrapy-redis also accepts a module-like object with these two
dumps = JsonRequestSerializer.dumps


@dataclass(frozen=True)
class Keys:
    capture_id: str

    @property
    def prefix(self) -> str:
        return f"ec:{self.capture_id}:"

    def __getattr__(self, name: str) -> str:  # info, queue, dupefilter, seen, patterns, workers
        if name.startswith("_"):
            raise AttributeError(name)
        return self.prefix + name

    def worker(self, wid: str) -> str:
        return f"{self.prefix}w:{wid}"

    def heartbeat(self, wid: str) -> str:
        return f"{self.prefix}hb:{wid}"

    def taken(self, wid: str) -> str:
        return f"{self.prefix}taken:{wid}"


class Frontier:
    """One capture's shared state. Every method is one round trip (or one script) and safe to race."""

    def __init__(self, client, capture_id: str) -> None:
        self.r = client
        self.keys = Keys(capture_id)
        self.capture_id = capture_id
        self._pop = client.register_script(_POP)
        self._mark_dead = client.register_script(_MARK_DEAD)
        self._requeue = client.register_script(_REQUEUE)
        self._finish = client.register_script(_FINISH)
        self._admit = client.register_script(_ADMIT)

    # --- capture -------------------------------------------------------------------------------
    def create(self, info: dict[str, str]) -> None:
        if self.r.exists(self.keys.info):
            raise FrontierUnavailable(f"capture {self.capture_id} already exists in Redis")
        self.r.hset(self.keys.info, mapping={**info, "state": CRAWLING})
        self.r.sadd(ACTIVE, self.capture_id)

    def info(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self.keys.info).items()}

    def state(self) -> str | None:
        v = self.r.hget(self.keys.info, "state")
        return v.decode() if v else None

    def set_state(self, state: str, **extra: str) -> None:
        self.r.hset(self.keys.info, mapping={"state": state, **extra})
        if state not in (CRAWLING, FINISHING, MERGING):
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
        self.r.hset(self.keys.worker(wid), mapping={**info, "state": W_RUNNING, "idle": "0"})
        self.r.set(self.keys.heartbeat(wid), "1", px=ttl_ms)
        self.r.sadd(self.keys.workers, wid)

    def beat(self, wid: str, ttl_ms: int, stats: dict[str, str]) -> str | None:
        """Refresh the heartbeat and figures; returns the worker's state as the others see it."""
        pipe = self.r.pipeline()
        pipe.set(self.keys.heartbeat(wid), "1", px=ttl_ms)
        pipe.hset(self.keys.worker(wid), mapping=stats)
        pipe.hget(self.keys.worker(wid), "state")
        state = pipe.execute()[-1]
        return state.decode() if state else None

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
