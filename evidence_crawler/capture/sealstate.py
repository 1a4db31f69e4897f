"""The ledger's ``capture_sealed`` is the truth: a state.json a crash left behind is repaired from it.

A kill between the ``capture_sealed`` event and the ``state.json`` write (anchoring at a slow TSA sits
in that gap) leaves a capture whose state says "capturing" with a dead writer. Read as incomplete, it
would be resumed and sealed a second time with another manifest. Instead, wherever a capture's state is
read (listing, show, resume, salvage), one that the ledger says is sealed is sealed: state.json is
rewritten from the event and the manifest, and it is never sealed again. ``captures verify`` names any
capture id that the ledger seals more than once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evidence_crawler.capture.states import StateFile
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import CaptureManifest, CaptureState, CustodyEvent, EventKind
from evidence_crawler.timeutil import iso
from storage.local import LocalStore


def sealed_events(events: Iterable[CustodyEvent]) -> dict[str, list[CustodyEvent]]:
    """capture id -> its ``capture_sealed`` events, in ledger order."""
    out: dict[str, list[CustodyEvent]] = {}
    for e in events:
        if e.event == EventKind.CAPTURE_SEALED and e.capture_id:
            out.setdefault(e.capture_id, []).append(e)
    return out


def sealed_event(store: LocalStore, capture_id: str) -> CustodyEvent | None:
    """The first ``capture_sealed`` event of this capture, or None."""
    return next((e for e in CustodyLedger(store.root).events(capture_id) if e.event == EventKind.CAPTURE_SEALED),
                None)


def repair_sealed(store: LocalStore, capture_id: str, state: dict[str, Any], event: CustodyEvent) -> dict[str, Any]:
    """state.json of a capture the ledger sealed (``event``), rebuilt from the event and the manifest.

    Written when the store is writable; returned either way (a read-only store is read as sealed)."""
    record = {**state, "state": str(CaptureState.SEALED), "manifest_sha256": event.data.get("manifest_sha256"),
              "sealed_event": event.seq, "updated_at": iso(),
              "repaired": {"at": iso(), "from": f"capture_sealed custody event #{event.seq}",
                           "was": state.get("state")}}
    manifest_path = store.capture_dir(capture_id) / "manifest.json"
    try:
        manifest = CaptureManifest.read(manifest_path)
        record.update(finished_at=manifest.finished_at, counts=manifest.counts.model_dump())
    except (OSError, ValueError):
        pass  # `captures verify` reports a missing or changed manifest; the ledger still says sealed
    try:
        StateFile(store, capture_id).write(record)
    except OSError:
        pass
    return record
