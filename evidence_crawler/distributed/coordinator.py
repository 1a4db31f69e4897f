"""``crawl PROFILE --redis URL``: seed a distributed capture, watch the workers, merge and seal it.

The coordinator fetches nothing itself. It publishes the profile and the crawl policy in Redis, seeds the
start requests into the shared frontier, then loops: re-queue the work of workers whose heartbeat stopped,
and end the crawl (one Redis script) when the queue is empty and every live worker is idle. Workers then
seal their parts; once every worker has sealed (or died, its work re-done by the others) the parts are
merged and the capture sealed in this store (``distributed.merge``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evidence_crawler.capture.states import StateFile
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.distributed.codec import dumps
from evidence_crawler.distributed.frontier import Frontier, FrontierUnavailable, connect
from evidence_crawler.distributed.layout import OPEN_STATES, FrontierState, WorkerState
from evidence_crawler.distributed.merge import MergeError, merge_and_seal
from evidence_crawler.distributed.salvage import salvage_part
from evidence_crawler.models import CaptureState, ErrorTally, EventKind
from evidence_crawler.profile import LoadedProfile, load_profile
from evidence_crawler.redact import redact_url
from evidence_crawler.services.capture import CaptureRefused, CrawlRequest, preflight
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

Progress = Callable[[dict[str, Any]], None]


class _Stop(Exception):
    pass


def _policy(config: EvidenceConfig, loaded, req: CrawlRequest) -> dict[str, Any]:
    return {"allow_private": config.allow_private, "ignore_robots": config.ignore_robots,
            "max_pages": req.max_pages or loaded.profile.limits.max_pages,
            "render": bool(req.render or loaded.profile.render)}


def _seed(frontier: Frontier, loaded, policy: dict[str, Any]) -> int:
    """Push the start requests exactly as a local crawl would make them (same spider, same admission)."""
    from spiders.storefront import StorefrontSpider

    spider = StorefrontSpider(loaded_profile=loaded, max_pages=policy["max_pages"])
    spider.admission = frontier.admit  # start URLs count against the shared page budget
    requests = spider.start_requests_list(policy["ignore_robots"])
    for request in requests:
        frontier.push(dumps(request.to_dict(spider=spider)), request.priority)
    return len(requests)


@dataclass
class _Coordination:
    capture_id: str
    frontier: Frontier
    loaded: LoadedProfile
    policy: dict[str, Any]
    started_at: str
    note: str

    def state(self, state: CaptureState, **extra: Any) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "profile": self.loaded.profile.name, "pid": os.getpid(),
                "host": socket.gethostname(), "started_at": self.started_at, "distributed": {"redis": self.note},
                "state": str(state), "updated_at": iso(), **extra}


def _start(config: EvidenceConfig, req: CrawlRequest, client, store: LocalStore, ledger: CustodyLedger,
           note: str, progress: Progress) -> _Coordination:
    loaded = preflight(config, req)
    if req.start_urls:
        loaded = loaded.model_copy(update={"profile": loaded.profile.with_start_urls(req.start_urls)})
    capture_id = store.new_capture_id(loaded.profile.name)
    job = _Coordination(capture_id, Frontier(client, capture_id), loaded, _policy(config, loaded, req), iso(), note)
    store.capture_dir(capture_id).mkdir(parents=True, exist_ok=True)
    StateFile(store, capture_id).write(job.state(CaptureState.CAPTURING))
    ledger.append(EventKind.CAPTURE_STARTED, capture_id, profile=loaded.profile.name, profile_sha256=loaded.sha256,
                  pid=os.getpid(), host=socket.gethostname(), operator=config.operator, distributed=True,
                  frontier=note, policy=job.policy)
    job.frontier.create({"profile_text": loaded.text, "profile_sha256": loaded.sha256, "profile_path": loaded.path,
                         "profile_name": loaded.profile.name, "start_urls": json.dumps(loaded.profile.start_urls),
                         "settings": json.dumps(job.policy), "coordinator": socket.gethostname(),
                         "coordinator_pid": str(os.getpid()), "store": str(store.root.resolve()),
                         "started_at": job.started_at})
    progress({"event": "seeded", "capture_id": capture_id, "requests": _seed(job.frontier, loaded, job.policy)})
    return job


def _reattach(req: CrawlRequest, client, store: LocalStore, ledger: CustodyLedger, note: str) -> _Coordination:
    """A coordinator that died (kill -9, reboot): a new one takes the frontier over where it stands."""
    capture_id = req.resume or ""
    try:
        state = store.read_state(capture_id)
    except (KeyError, ValueError):
        raise CaptureRefused(f"no capture {capture_id!r} in {store.root}") from None
    frontier = Frontier(client, capture_id)
    info = frontier.info()
    if not state.get("distributed") or not info:
        raise CaptureRefused(f"capture {capture_id} is not a distributed capture in this Redis; "
                             "--resume without --redis resumes a local one")
    if state["state"] not in (CaptureState.CAPTURING, CaptureState.INCOMPLETE) or \
            info.get("state") not in OPEN_STATES:
        raise CaptureRefused(f"capture {capture_id} is {state['state']} (frontier: {info.get('state')}); "
                             "only an unfinished distributed capture can be taken over")
    loaded = load_profile(req.profile_path)
    if loaded.sha256 != info.get("profile_sha256"):
        raise CaptureRefused(f"capture {capture_id} was started with another profile (sha256 "
                             f"{info.get('profile_sha256')}), not {req.profile_path} ({loaded.sha256})")
    start_urls = json.loads(info.get("start_urls") or "[]")
    if start_urls:
        loaded = loaded.model_copy(update={"profile": loaded.profile.with_start_urls(start_urls)})
    job = _Coordination(capture_id, frontier, loaded, json.loads(info["settings"]), state["started_at"], note)
    frontier.r.hset(frontier.keys.info, mapping={"coordinator": socket.gethostname(),
                                                 "coordinator_pid": str(os.getpid())})
    StateFile(store, capture_id).write(job.state(CaptureState.CAPTURING))
    ledger.append(EventKind.CAPTURE_RESUMED, capture_id, pid=os.getpid(), host=socket.gethostname(), distributed=True,
                  frontier_state=info.get("state"), queue=frontier.queue_length())
    return job


def run_distributed_crawl(config: EvidenceConfig, req: CrawlRequest, redis_url: str,
                          on_progress: Progress | None = None, poll_s: float = 0.5) -> dict[str, Any]:
    """Seed (or, with ``req.resume``, take over), wait for the workers, merge, seal; the same summary as a
    local crawl plus ``distributed``."""
    store = LocalStore(config.store)
    ledger = CustodyLedger(store.root)
    note = redact_url(redis_url)
    progress = on_progress or (lambda _status: None)
    try:
        client = connect(redis_url)
    except FrontierUnavailable as exc:
        raise CaptureRefused(str(exc)) from None
    job = _reattach(req, client, store, ledger, note) if req.resume else \
        _start(config, req, client, store, ledger, note, progress)
    capture_id, frontier = job.capture_id, job.frontier

    def stop(signum, _frame):
        raise _Stop(signal.Signals(signum).name)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        parts, workers = _watch(config, job, poll_s, progress)
    except _Stop as exc:
        frontier.set_state(FrontierState.CANCELLED, reason=f"coordinator received {exc}")
        StateFile(store, capture_id).write(job.state(CaptureState.FAILED,
                                                     reason=f"cancelled ({exc}) before it was sealed"))
        ledger.append(EventKind.CAPTURE_FAILED, capture_id, reason=f"distributed capture cancelled ({exc})")
        return {"capture_id": capture_id, "state": str(CaptureState.FAILED), "reason": f"cancelled ({exc})",
                "profile": job.loaded.profile.name, "pages": 0, "items": 0, "offers": 0, "p2p": 0, "errors": [],
                "store": str(store.root)}
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return _merge(config, store, ledger, job, parts, workers)


def _merge(config: EvidenceConfig, store: LocalStore, ledger: CustodyLedger, job: _Coordination,
           parts: dict[str, dict[str, Any]], workers: dict[str, dict[str, str]]) -> dict[str, Any]:
    capture_id, frontier, loaded, policy = job.capture_id, job.frontier, job.loaded, job.policy
    frontier.set_state(FrontierState.MERGING)
    for wid, info in workers.items():
        if info.get("state") == WorkerState.DEAD:
            info["part_discarded"] = _discard_dead_part(info, capture_id, wid)
    settings = {"USER_AGENT": config.scrapy_settings()["USER_AGENT"], "EVIDENCE_ALLOW_PRIVATE": config.allow_private,
                "EVIDENCE_IGNORE_ROBOTS": config.ignore_robots, "max_pages": policy["max_pages"],
                "render": policy["render"], "EVIDENCE_OPERATOR": config.operator}
    try:
        merged = merge_and_seal(config, store, capture_id, loaded, job.started_at, settings, parts, workers,
                                job.note)
    except (MergeError, OSError) as exc:
        frontier.set_state(FrontierState.FAILED, reason=str(exc))
        StateFile(store, capture_id).write(job.state(CaptureState.FAILED, reason=str(exc)))
        ledger.append(EventKind.CAPTURE_FAILED, capture_id, reason=str(exc))
        raise CaptureRefused(f"capture {capture_id}: merging the workers' parts failed: {exc}") from None
    manifest = merged.manifest
    StateFile(store, capture_id).write(job.state(
        CaptureState.SEALED, finished_at=manifest.finished_at, counts=manifest.counts.model_dump(),
        manifest_sha256=merged.manifest_sha256, sealed_event=merged.sealed_event, seal_anchor=merged.seal_anchor))
    frontier.set_state(FrontierState.SEALED, finished_at=manifest.finished_at)
    frontier.cleanup()
    summary = {"capture_id": capture_id, "state": str(CaptureState.SEALED), "profile": loaded.profile.name,
               **manifest.counts.model_dump(exclude={"errors"}), "errors": merged.errors,
               **ErrorTally.of(merged.errors).json_fields(),
               "store": str(store.root), "manifest": str(store.capture_dir(capture_id) / "manifest.json"),
               "manifest_sha256": merged.manifest_sha256, "finished_at": manifest.finished_at,
               "seal_anchor": merged.seal_anchor,
               "warc_files": [str(store.capture_dir(capture_id) / "artifacts" / a.name)
                              for a in manifest.of_role("warc")],
               "distributed": manifest.distributed.model_dump(mode="json", exclude_unset=True)}
    if config.s3_bucket:
        from evidence_crawler.services.archive import archive_after_seal

        summary["archive"] = archive_after_seal(config, store, capture_id)
    return summary


def _discard_dead_part(info: dict[str, str], capture_id: str, wid: str) -> bool:
    """A dead worker's unfinished part, when its store is readable here, is marked discarded (files kept)."""
    from evidence_crawler.services.captures import CaptureNotFound, discard_capture

    try:
        discard_capture(LocalStore(info["store"]), info["part"], f"worker {wid} of distributed capture "
                        f"{capture_id} lost its heartbeat; its requests were re-queued and fetched again by the "
                        "other workers, so this part is not in the capture")
    except (CaptureNotFound, KeyError, ValueError, OSError):
        return False  # on another machine, or sealed after all (declared dead while alive): left as it is
    return True


def _bury(config: EvidenceConfig, job: _Coordination, progress: Progress) -> None:
    """Workers whose heartbeat stopped: salvage their part if this machine can, then re-queue their work."""
    frontier = job.frontier
    for wid in frontier.mark_dead():
        info = frontier.worker(wid)
        salvaged = None
        try:
            salvaged = salvage_part(config, job.loaded, job.capture_id, wid, info)
        except (OSError, ValueError, RuntimeError) as exc:  # never lose the requeue over a failed salvage
            progress({"event": "salvage_failed", "worker": wid, "reason": str(exc)})
        if salvaged is not None:
            part, replay = salvaged
            frontier.publish_salvaged(replay)  # before the requeue: takers answer these from its WARC
            frontier.set_worker(wid, state=WorkerState.SALVAGED, part=json.dumps(part), pages=str(part["pages"]),
                                items=str(part["items"]))
        n = frontier.requeue(wid)
        progress({"event": "worker_dead", "worker": wid, "requeued": n,
                  "salvaged_pages": salvaged[0]["pages"] if salvaged else 0})


def _watch(config: EvidenceConfig, job: _Coordination, poll_s: float, progress: Progress) -> tuple[dict, dict]:
    """Until the crawl is over and every worker has sealed or died: ({worker: part}, {worker: info})."""
    frontier = job.frontier
    # a coordinator taking over may find it so
    finished = frontier.state() in (FrontierState.FINISHING, FrontierState.MERGING)
    while True:
        _bury(config, job, progress)
        if not finished and frontier.try_finish():
            finished = True
            progress({"event": "finishing"})
        workers = frontier.workers()
        if finished and frontier.state() == FrontierState.CRAWLING:
            finished = False  # a worker died while sealing: its work went back to the queue
        done = (WorkerState.SEALED, WorkerState.SALVAGED)
        if finished and workers and all(w["state"] in (*done, WorkerState.DEAD) for w in workers.values()):
            parts = {wid: json.loads(w["part"]) for wid, w in workers.items() if w["state"] in done}
            if any(w["state"] == WorkerState.SEALED for w in workers.values()):
                return parts, workers
            # every worker died before sealing: new workers start it again
            frontier.set_state(FrontierState.CRAWLING)
            finished = False
        progress({"event": "status", "queue": frontier.queue_length(), "workers": workers})
        time.sleep(poll_s)
