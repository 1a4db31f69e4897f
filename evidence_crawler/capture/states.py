"""A capture's lifecycle as explicit states, and the one writer of ``state.json``.

INIT -> CAPTURING -> SEALED | FAILED | DISCARDED (cf. harvard-lil/scoop ``Scoop.states``). INIT is a
capture with no ``state.json`` yet. ``incomplete`` is never written: readers derive it from "capturing"
whose writer is gone, so resuming such a capture moves CAPTURING -> CAPTURING and discarding it
CAPTURING -> DISCARDED. SEALED and DISCARDED are final: nothing sealed is ever rewritten, and a capture
that lost data (FAILED) can only be discarded, never sealed.

A full disk may refuse even the write that says FAILED. So a capturing session keeps a space reserve in
its work folder (``RESERVE``); failing frees it by renaming it to ``FAILED_MARKER`` (a rename needs no
space), then records ``capture_failed`` and the state. If even that was refused, the marker remains
beside a "capturing" state whose writer is gone, and readers list the capture as failed, never as
incomplete (an incomplete capture could be resumed and sealed without the records the disk refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.models import CaptureState
from storage.local import LocalStore

INIT = "init"  # not a CaptureState: it is never written, it is the absence of state.json
RESERVE = "work/.space-reserve"  # relative to the capture folder
FAILED_MARKER = "work/FAILED"

_OPEN = frozenset({CaptureState.CAPTURING, CaptureState.SEALED, CaptureState.FAILED, CaptureState.DISCARDED})
NEXT: dict[str, frozenset[CaptureState]] = {
    INIT: frozenset({CaptureState.CAPTURING}),
    CaptureState.CAPTURING: _OPEN,
    CaptureState.INCOMPLETE: _OPEN,  # not written by us; accepted as "capturing" if a file says it
    CaptureState.FAILED: frozenset({CaptureState.DISCARDED}),
    CaptureState.SEALED: frozenset(),
    CaptureState.DISCARDED: frozenset(),
}


class IllegalTransition(RuntimeError):
    def __init__(self, capture_id: str, current: str, wanted: str) -> None:
        super().__init__(f"capture {capture_id} is {current}; it cannot become {wanted}")
        self.capture_id, self.current, self.wanted = capture_id, current, wanted


def check(capture_id: str, current: str, wanted: str) -> None:
    if wanted not in NEXT.get(current, frozenset()):
        raise IllegalTransition(capture_id, current, wanted)


def unrecorded_failure(capture_dir: Path) -> str | None:
    """Why the capture failed, if it left the failure marker (empty note: the disk refused even that)."""
    try:
        return (capture_dir / FAILED_MARKER).read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None


class StateFile:
    """``captures/<id>/state.json``: read it, or move it to a next state the lifecycle allows."""

    def __init__(self, store: LocalStore, capture_id: str) -> None:
        self.store, self.capture_id = store, capture_id

    def read(self) -> dict[str, Any]:
        """The record as written; KeyError names a capture that has none."""
        return self.store.read_state(self.capture_id)

    def current(self) -> str:
        try:
            return self.read()["state"]
        except KeyError:
            return INIT

    def write(self, record: dict[str, Any]) -> None:
        """Replace state.json (atomically) by ``record``, whose ``state`` must be a next state of the
        current one; else :class:`IllegalTransition` and nothing is written."""
        check(self.capture_id, self.current(), record["state"])
        self.store.write_state(self.capture_id, record)
