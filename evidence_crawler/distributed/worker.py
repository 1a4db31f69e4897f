"""``evidence-crawler worker --redis URL``: join distributed captures and crawl their shared frontier.

Each worker crawls into its own *part*: a capture of its own in its own store (``<capture>.part-<worker>``,
sealed, verifiable, archived to S3 when configured, with its own custody events), whose sealed manifest is
announced in Redis for the coordinator to merge. The profile, start URLs and the crawl policy (robots,
private destinations, page budget, rendering) come from the coordinator through Redis, so every worker
applies the same rules; the store, S3 and browser settings are the worker's own.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.distributed.frontier import Frontier, FrontierUnavailable, active_captures, connect
from evidence_crawler.distributed.layout import FrontierState, Keys
from evidence_crawler.hashing import sha256_hex
from evidence_crawler.profile import LoadedProfile, parse_profile
from evidence_crawler.redact import redact_url
from evidence_crawler.services.capture import CrawlRequest, run_crawl


class NoCapture(Exception):
    """No distributed capture to join (the message says which and why)."""


def worker_id() -> str:
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


def scrapy_settings(redis_url: str, capture_id: str, wid: str, config: EvidenceConfig) -> dict[str, Any]:
    """What turns a crawl into a worker of one capture: scrapy-redis wiring, keys and our extension."""
    keys = Keys(capture_id)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "evidence_crawler.distributed.scrapy_worker.ReliablePriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_SERIALIZER": "evidence_crawler.distributed.codec",  # JSON, not scrapy-redis's default pickle
        "SCHEDULER_PERSIST": True,  # the frontier belongs to the capture; the coordinator clears it
        "REDIS_URL": redis_url,
        "EVIDENCE_PART_OF": capture_id,
        "EVIDENCE_DISTRIBUTED": json.dumps({"capture_id": capture_id, "worker_id": wid,
                                            "heartbeat_s": config.worker_heartbeat_s,
                                            "dead_after_s": config.worker_dead_after_s}),
    }


def _policy(config: EvidenceConfig, info: dict[str, str]) -> tuple[EvidenceConfig, LoadedProfile, dict[str, Any]]:
    """The coordinator's crawl policy applied to this worker's own configuration."""
    if sha256_hex(info.get("profile_text", "").encode()) != info.get("profile_sha256"):
        raise NoCapture("the profile in Redis does not match its announced sha256; refusing to crawl with it")
    try:
        policy = json.loads(info["settings"])
        profile = parse_profile(info["profile_text"], f"redis:{info.get('profile_path', '')}")
        start_urls = json.loads(info.get("start_urls") or "[]")
        if start_urls:
            profile = profile.with_start_urls(start_urls)
    except (ValueError, KeyError) as exc:  # ProfileError is a ValueError
        raise NoCapture(f"the capture's description in Redis is unusable: {exc}") from None
    config = config.model_copy(update={"allow_private": bool(policy.get("allow_private")),
                                       "ignore_robots": bool(policy.get("ignore_robots"))})
    loaded = LoadedProfile(profile=profile, path=info.get("profile_path", ""), sha256=info["profile_sha256"],
                           text=info["profile_text"])
    return config, loaded, policy


def find_capture(client, capture_id: str | None, wait_s: float | None,
                 sleep: Callable[[float], None] = time.sleep) -> str:
    deadline = None if wait_s is None else time.monotonic() + wait_s
    while True:
        if capture_id:
            state = Frontier(client, capture_id).state()
            if state == FrontierState.CRAWLING:
                return capture_id
            if state is None:
                raise NoCapture(f"no distributed capture {capture_id} in Redis")
            if state not in (FrontierState.FINISHING, FrontierState.MERGING):
                raise NoCapture(f"capture {capture_id} is {state}; nothing to do")
        else:
            for cid in active_captures(client):
                if Frontier(client, cid).state() == FrontierState.CRAWLING:
                    return cid
        if deadline is not None and time.monotonic() >= deadline:
            raise NoCapture("no distributed capture is being crawled" + (f" ({capture_id})" if capture_id else ""))
        sleep(0.5)


def run_worker(config: EvidenceConfig, redis_url: str, capture_id: str | None = None, wait_s: float | None = None,
               log_level: str = "WARNING") -> dict[str, Any]:
    """Join one capture (waiting for one if needed), crawl until the coordinator ends it; the part summary."""
    client = connect(redis_url)
    cid = find_capture(client, capture_id, wait_s)
    info = Frontier(client, cid).info()
    config, loaded, policy = _policy(config, info)
    wid = worker_id()
    summary = run_crawl(config, CrawlRequest(profile_path=loaded.path, start_urls=[], loaded=loaded,
                                             max_pages=policy.get("max_pages"),
                                             settings=scrapy_settings(redis_url, cid, wid, config),
                                             render=bool(policy.get("render")), capture_id=f"{cid}.part-{wid}"),
                        log_level=log_level)
    return {**summary, "part_of": cid, "worker": wid, "redis": redact_url(redis_url)}


def serve(config: EvidenceConfig, redis_url: str, store: Path, log: Callable[[str], None]) -> None:
    """Keep joining captures, one child process each (a Twisted reactor runs once per process)."""
    client = connect(redis_url)
    log(f"worker waiting for distributed captures on {redact_url(redis_url)}")
    while True:
        cid = find_capture(client, None, None)
        log(f"joining capture {cid}")
        # the URL goes by environment, not argv: a password on a command line is in every `ps` listing
        proc = subprocess.run([sys.executable, "-m", "evidence_crawler.cli", "--store", str(store), "worker",
                               "--capture", cid, "--once"], env={**os.environ, "EVIDENCE_REDIS_URL": redis_url},
                              check=False)
        log(f"capture {cid}: worker exited with {proc.returncode}")
        while Frontier(client, cid).state() == FrontierState.CRAWLING and proc.returncode == 0:
            time.sleep(1.0)  # our part is sealed; wait until the capture leaves "crawling" before rejoining


__all__ = ["FrontierUnavailable", "NoCapture", "run_worker", "serve"]
