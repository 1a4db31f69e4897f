"""Distributed crawling on Redis: one capture, many workers, merged and sealed by a coordinator.

- ``layout``: Redis key names, frontier and worker states (``StrEnum``), the Lua scripts;
- ``frontier``: one capture's shared state in Redis (reliable pop, heartbeats, shared admission, reclaim);
- ``codec``: requests in the queue as JSON, never pickle;
- ``scrapy_worker``: the Scrapy side of a worker (scrapy-redis queue with the reliable pop, the extension
  that joins, beats, and publishes the sealed part);
- ``coordinator`` (``crawl --redis``), ``worker`` (``worker``), ``status`` (``crawl-status``): the commands;
- ``merge`` and ``salvage``: the workers' sealed parts into one capture; a dead worker's part sealed.

Its import layer is that of ``services``: it composes services, pipelines, storage and the core for the
commands, and nothing below imports it. The Scrapy adapters live here rather than in ``pipelines/``
because Scrapy reaches them only by dotted path from the settings the worker builds (no import edge
upwards), and keeping them beside the frontier they drive keeps every Redis key and state in this package.
"""
