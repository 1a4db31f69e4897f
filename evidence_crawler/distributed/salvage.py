"""What a dead worker recorded is kept: its part is sealed from what reached its disk, and its pages are
answered from that WARC when the other workers take over its requests, instead of being fetched again.

The same repair as ``crawl --resume`` (``capture.resume``): the torn tail of the WARC is
cut, a page line counts only if its records are complete on disk, items whose page never reached the WARC
are dropped (their page is fetched again), and ``capture_resumed`` in custody says what was cut. Then the
part is sealed with ``finish_reason`` naming the lost worker.

Only a part this machine can safely finish is salvaged: its store is readable here and the worker ran on
this host and its process is gone. A worker on another machine may only be cut off (alive, still writing):
its part is left as it is, and all it took is fetched again by the others.
"""

from __future__ import annotations

import socket
from typing import Any

from w3lib.url import canonicalize_url

from evidence_crawler.capture.anchor import SealAnchor
from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.capture.session import CAPTURE_SETTINGS, CaptureSession
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.durable import iter_jsonl, pid_alive
from evidence_crawler.models import CaptureState
from evidence_crawler.profile import LoadedProfile
from evidence_crawler.timeutil import iso
from pipelines.replay import REPLAYABLE, RETRY_AGAIN
from storage.local import LocalStore


def salvageable(info: dict[str, str], capture_id: str) -> tuple[LocalStore, dict[str, Any]] | None:
    try:
        store = LocalStore(info["store"])
        state = store.read_state(info["part"])
    except (KeyError, ValueError, OSError):
        return None
    if state.get("part_of") != capture_id or state.get("state") not in (CaptureState.CAPTURING,
                                                                        CaptureState.INCOMPLETE):
        return None
    if state.get("host") != socket.gethostname() or pid_alive(int(state.get("pid", 0))):
        return None
    return store, state


def salvage_part(config: EvidenceConfig, loaded: LoadedProfile, capture_id: str, wid: str,
                 info: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    """Seal a dead worker's part; (part description as a worker publishes it, {canonical URL: page to
    replay}). None when the part cannot be salvaged here (see the module)."""
    found = salvageable(info, capture_id)
    if found is None:
        return None
    store, _state = found
    wanted = {**{k: None for k in CAPTURE_SETTINGS}, **config.scrapy_settings()}
    settings = {k: wanted.get(k) for k in (*CAPTURE_SETTINGS, "EVIDENCE_OPERATOR", "EVIDENCE_STORE")}
    settings["EVIDENCE_PART_OF"] = capture_id
    session = CaptureSession(store, loaded, settings, capture_id=info["part"], resuming=True)
    session.extra_manifest["distributed"] = {"capture_id": capture_id, "worker": wid, "host": info.get("host"),
                                             "salvaged_by": {"host": socket.gethostname(), "at": iso()}}
    session.anchor = SealAnchor.from_settings(config.scrapy_settings().get)
    session.open()
    seal_capture(session, finish_reason=f"salvaged: worker {wid} lost its heartbeat; sealed by the "
                                        "coordinator from what had reached its disk")
    artifacts = store.capture_dir(session.capture_id) / "artifacts"
    replay: dict[str, dict[str, Any]] = {}
    for page in iter_jsonl(artifacts / "pages.jsonl"):
        if page["status"] in REPLAYABLE and page["status"] not in RETRY_AGAIN and not page.get("partial"):
            replay.setdefault(canonicalize_url(page["url"]), {
                "warc_path": str((artifacts / page["warc_file"]).resolve()), "warc_offset": page["warc_offset"],
                "status": page["status"], "sha256": page["sha256"], "record_id": page["record_id"],
                "fetched_at": page["fetched_at"]})
    part = {"part_id": session.capture_id, "store": str(store.root.resolve()), "host": info.get("host", ""),
            "manifest_sha256": session.seal_result["manifest_sha256"], "pages": session.pages.count,
            "items": session.items_counted, "salvaged": True}
    return part, replay
