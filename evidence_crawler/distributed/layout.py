"""What a distributed capture keeps in Redis: key names, state values, and the Lua scripts that change them.

Kept in one module so a key, a state and the script that tests it cannot drift apart: the scripts get
their state literals from the enums below (``$crawling`` ...) rather than spelling them again.

Key layout for capture ``C`` (all under ``ec:C:``): ``info`` (hash: profile, settings, state), ``queue``
and ``dupefilter`` (scrapy-redis), ``seen`` + ``patterns`` (page budget and trap guard shared by every
worker), ``workers`` (set of ids), ``w:ID`` (hash: state, idle, host, counters, part), ``hb:ID``
(heartbeat, expires), ``taken:ID`` (sorted set, same scores as the queue), ``salvaged`` (hash: canonical
URL -> where a dead worker's recorded page is). ``ec:captures`` lists the captures being crawled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Template

ACTIVE = "ec:captures"


class FrontierState(StrEnum):
    """``info.state``: crawling -> finishing -> merging -> sealed (or cancelled / failed)."""

    CRAWLING = "crawling"
    FINISHING = "finishing"
    MERGING = "merging"
    SEALED = "sealed"
    CANCELLED = "cancelled"
    FAILED = "failed"


OPEN_STATES = (FrontierState.CRAWLING, FrontierState.FINISHING, FrontierState.MERGING)  # still in ``ec:captures``


class WorkerState(StrEnum):
    """``w:ID.state``: running -> sealing -> sealed; dead (heartbeat lost, work re-queued) -> salvaged (its part
    sealed by the coordinator from what reached its disk)."""

    RUNNING = "running"
    SEALING = "sealing"
    SEALED = "sealed"
    DEAD = "dead"
    SALVAGED = "salvaged"


@dataclass(frozen=True)
class Keys:
    """The Redis key names of one capture."""

    capture_id: str

    @property
    def prefix(self) -> str:
        return f"ec:{self.capture_id}:"

    @property
    def info(self) -> str:
        return self.prefix + "info"

    @property
    def queue(self) -> str:
        return self.prefix + "queue"

    @property
    def dupefilter(self) -> str:
        return self.prefix + "dupefilter"

    @property
    def seen(self) -> str:
        return self.prefix + "seen"

    @property
    def patterns(self) -> str:
        return self.prefix + "patterns"

    @property
    def workers(self) -> str:
        return self.prefix + "workers"

    @property
    def salvaged(self) -> str:
        return self.prefix + "salvaged"

    def worker(self, wid: str) -> str:
        return f"{self.prefix}w:{wid}"

    def heartbeat(self, wid: str) -> str:
        return f"{self.prefix}hb:{wid}"

    def taken(self, wid: str) -> str:
        return f"{self.prefix}taken:{wid}"


def _lua(source: str) -> str:
    """``$state`` placeholders filled from the enums; a misspelt one raises here, at import."""
    return Template(source).substitute({s.value: s.value for s in (*FrontierState, *WorkerState)})


# KEYS: queue, taken, w, info, salvaged. (request, 1 if a dead worker's pages were salvaged) or nil.
POP = _lua("""
if redis.call('HGET', KEYS[4], 'state') ~= '$crawling' then return false end
if redis.call('HGET', KEYS[3], 'state') ~= '$running' then return false end
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], r[2], r[1])
redis.call('HSET', KEYS[3], 'idle', '0')
return {r[1], redis.call('EXISTS', KEYS[5])}
""")

# KEYS: hb, w. 1 when the worker had no heartbeat and is now marked dead (it takes nothing more), else 0.
MARK_DEAD = _lua("""
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local st = redis.call('HGET', KEYS[2], 'state')
if st ~= '$running' and st ~= '$sealing' then return 0 end
redis.call('HSET', KEYS[2], 'state', '$dead', 'idle', '1')
return 1
""")

# KEYS: taken, w, queue, info. Everything a dead worker took goes back on the queue; how many.
REQUEUE = _lua("""
local r = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #r, 2 do redis.call('ZADD', KEYS[3], r[i + 1], r[i]) end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[2], 'requeued', #r / 2)
if #r > 0 and redis.call('HGET', KEYS[4], 'state') == '$finishing' then
  redis.call('HSET', KEYS[4], 'state', '$crawling')
end
return #r / 2
""")

# KEYS: queue, info, workers. ARGV: key prefix. 1 when the crawl is over (and now "finishing").
FINISH = _lua("""
if redis.call('HGET', KEYS[2], 'state') ~= '$crawling' then return 0 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local ids = redis.call('SMEMBERS', KEYS[3])
local running = 0
for _, id in ipairs(ids) do
  local w = ARGV[1] .. 'w:' .. id
  local st = redis.call('HGET', w, 'state')
  if st == '$running' then
    running = running + 1
    if redis.call('HGET', w, 'idle') ~= '1' then return 0 end
  elseif st == '$sealing' then
    return 0
  end
end
if running == 0 then return 0 end
redis.call('HSET', KEYS[2], 'state', '$finishing')
return 1
""")

# KEYS: seen, patterns. ARGV: canonical url, pattern ('' = not counted), cap, max pages.
ADMIT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
if ARGV[2] ~= '' then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) > tonumber(ARGV[3]) then return -2 end
end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""

ADMIT_RESULTS = {1: "ok", 0: "seen", -1: "page_limit", -2: "trap_guard"}
