"""``crawl-status ID``: where a distributed capture stands, from Redis while it runs, from the store after.

Redis has the live figures (queue, per-worker heartbeat, rate, pages, items, errors; kept 7 days after the
seal); the store has the capture's state and, once sealed, its counts. Either is enough to answer.
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.distributed.frontier import Frontier, FrontierUnavailable, connect
from evidence_crawler.services.captures import CaptureNotFound, read_state
from storage.local import LocalStore


class StatusUnavailable(Exception):
    pass


def _worker_row(w: dict[str, str]) -> dict[str, Any]:
    return {"host": w.get("host", ""), "pid": int(w.get("pid", 0) or 0), "state": w.get("state", "?"),
            "alive": w.get("alive") == "1", "idle": w.get("idle") == "1", "rate": float(w.get("rate", 0) or 0),
            "pages": int(w.get("pages", 0) or 0), "items": int(w.get("items", 0) or 0),
            "errors": int(w.get("errors", 0) or 0), "taken": int(w.get("taken", 0) or 0),
            "requeued": int(w.get("requeued", 0) or 0), "updated_at": w.get("updated_at")}


def crawl_status(config: EvidenceConfig, capture_id: str, redis_url: str | None) -> dict[str, Any]:
    store = LocalStore(config.store)
    try:
        state = read_state(store, capture_id)
    except CaptureNotFound:
        state = None
    live: dict[str, Any] | None = None
    if redis_url:
        try:
            frontier = Frontier(connect(redis_url), capture_id)
        except FrontierUnavailable as exc:
            if state is None:
                raise StatusUnavailable(str(exc)) from None
        else:
            info = frontier.info()
            if info:
                workers = {wid: _worker_row(w) for wid, w in frontier.workers().items()}
                live = {"state": info.get("state", "?"), "queue": frontier.queue_length(), "workers": workers,
                        "admitted": int(frontier.r.scard(frontier.keys.seen))}
    if live is None and state is None:
        hint = "" if redis_url else " (no --redis / EVIDENCE_REDIS_URL given for live figures)"
        raise StatusUnavailable(f"no capture {capture_id!r} in {store.root} nor in Redis{hint}")
    if live is None and not (state or {}).get("distributed"):
        raise StatusUnavailable(f"capture {capture_id} is not a distributed capture (crawl --redis)")
    workers = (live or {}).get("workers", {})
    counts = (state or {}).get("counts") or {}
    return {
        "capture_id": capture_id,
        "state": (live or {}).get("state") or state["state"],
        "store_state": state["state"] if state else None,
        "queue": (live or {}).get("queue", 0),
        "admitted": (live or {}).get("admitted"),
        "pages": counts.get("pages", sum(w["pages"] for w in workers.values())),
        "items": counts.get("items", sum(w["items"] for w in workers.values())),
        "errors": counts.get("errors", sum(w["errors"] for w in workers.values())),
        "rate": sum(w["rate"] for w in workers.values() if w["alive"]),
        "workers": workers,
        "live": live is not None,
    }
