"""Read side of the store: list, show, items, discard. The store's files are the truth; no index needed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidence_crawler.capture.sealstate import repair_sealed, sealed_event, sealed_events
from evidence_crawler.capture.states import StateFile, unrecorded_failure
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import iter_jsonl, pid_alive
from evidence_crawler.models import CaptureManifest, CaptureState, ErrorTally, EventKind
from storage.local import LocalStore


class CaptureNotFound(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def effective_state(state: dict[str, Any]) -> str:
    """``capturing`` only while its writer lives (same host); otherwise the capture is ``incomplete``."""
    if state.get("state") == CaptureState.CAPTURING:
        same_host = state.get("host") == socket.gethostname()
        if same_host and not pid_alive(int(state.get("pid", 0))):
            return str(CaptureState.INCOMPLETE)
    return state.get("state", "unknown")


_UNKNOWN = object()


def read_state(store: LocalStore, capture_id: str, sealed: Any = _UNKNOWN) -> dict[str, Any]:
    """The capture's state as a reader must see it: an incomplete capture that the ledger sealed is sealed
    (its state.json repaired: ``capture.sealstate``). ``sealed``: its first capture_sealed event, when the
    caller already read the ledger (listing), else it is looked up. A dead writer's capture that left the
    failure marker (the disk refused to record its failure) is failed (``capture.states``)."""
    try:
        state = store.read_state(capture_id)
    except (KeyError, ValueError):
        raise CaptureNotFound(f"no capture {capture_id!r} in {store.root}") from None
    effective = effective_state(state)
    if effective == CaptureState.INCOMPLETE:
        event = sealed_event(store, capture_id) if sealed is _UNKNOWN else sealed
        if event is not None:
            return repair_sealed(store, capture_id, state, event)
        note = unrecorded_failure(store.capture_dir(capture_id))
        if note is not None:
            return {**state, "state": str(CaptureState.FAILED),
                    "reason": f"{note or 'writing evidence failed'} (failure not recorded: the disk refused it)"}
    return {**state, "state": effective}


def require_sealed(store: LocalStore, capture_id: str, error: type[Exception], purpose: str) -> dict[str, Any]:
    """The state of a sealed capture; otherwise ``error`` carrying the one line the operator needs."""
    try:
        state = read_state(store, capture_id)
    except (CaptureNotFound, ValueError) as exc:
        raise error(str(exc)) from None
    if state["state"] != CaptureState.SEALED:
        raise error(f"capture {capture_id} is {state['state']}, not sealed: {purpose}")
    return state


def list_captures(store: LocalStore) -> list[dict[str, Any]]:
    out = []
    sealed = sealed_events(CustodyLedger(store.root).events())
    for cid in store.capture_ids():
        st = read_state(store, cid, (sealed.get(cid) or [None])[0])
        out.append({"id": cid, "capture_id": cid, "profile": st.get("profile"), "state": st["state"],
                    "started_at": st.get("started_at"), "finished_at": st.get("finished_at"),
                    "counts": st.get("counts"), **({"reason": st["reason"]} if "reason" in st else {}),
                    **({"part_of": st["part_of"]} if st.get("part_of") else {})})
    return sorted(out, key=lambda c: (c["started_at"] or "", c["id"]))


def capture_file(store: LocalStore, capture_id: str, name: str) -> Path:
    """A capture file by name: the sealed artifact if sealed, else the live working copy."""
    d = store.capture_dir(capture_id)
    for candidate in (d / "artifacts" / name, d / "work" / name):
        if candidate.exists():
            return candidate
    raise CaptureNotFound(f"capture {capture_id} has no {name}")


def load_manifest(store: LocalStore, capture_id: str) -> CaptureManifest | None:
    path = store.capture_dir(capture_id) / "manifest.json"
    return CaptureManifest.read(path) if path.exists() else None


def show_capture(store: LocalStore, capture_id: str) -> dict[str, Any]:
    state = read_state(store, capture_id)
    d = store.capture_dir(capture_id)
    manifest = load_manifest(store, capture_id)
    if manifest:
        warcs = [str(d / "artifacts" / a.name) for a in manifest.of_role("warc")]
    else:
        warcs = [str(p) for p in sorted((d / "work" / "warc").glob("*.warc.gz"))]
    pages = []
    try:
        for p in iter_jsonl(capture_file(store, capture_id, "pages.jsonl")):
            pages.append({k: p.get(k) for k in ("url", "status", "fetched_at", "sha256", "blake3", "size", "ip",
                                                "warc_file", "warc_offset", "record_id", "referrer", "link_text",
                                                "depth", "redirect_to", "content_type")})
    except CaptureNotFound:
        pass
    errors = []
    try:
        errors = list(iter_jsonl(capture_file(store, capture_id, "errors.jsonl")))
    except CaptureNotFound:
        pass
    custody = [e.model_dump() for e in CustodyLedger(store.root).events(capture_id)]
    return {"capture_id": capture_id, "state": state["state"], "profile": state.get("profile"),
            "started_at": state.get("started_at"), "finished_at": state.get("finished_at"),
            "manifest": str(d / "manifest.json") if manifest else None,
            "manifest_sha256": state.get("manifest_sha256"), "counts": state.get("counts"),
            "warc_files": warcs, "pages": pages, "errors": errors, **ErrorTally.of(errors).json_fields(),
            "environment": manifest.environment.model_dump(mode="json") if manifest else None,
            "custody_events": len(custody)}


def iter_items(store: LocalStore, capture_id: str) -> Iterator[dict[str, Any]]:
    read_state(store, capture_id)
    yield from iter_jsonl(capture_file(store, capture_id, "items.jsonl"))


def discard_capture(store: LocalStore, capture_id: str, reason: str) -> dict[str, Any]:
    """Mark an incomplete or failed capture as discarded. Its files stay: nothing is ever deleted."""
    state = read_state(store, capture_id)
    if state["state"] not in (CaptureState.INCOMPLETE, CaptureState.FAILED):
        raise ValueError(f"capture {capture_id} is {state['state']}; only incomplete or failed captures "
                         "can be discarded")
    CustodyLedger(store.root).append(EventKind.CAPTURE_DISCARDED, capture_id, reason=reason,
                                     previous_state=state["state"])
    states = StateFile(store, capture_id)
    states.write({**states.read(), "state": str(CaptureState.DISCARDED), "discard_reason": reason})
    return read_state(store, capture_id)
