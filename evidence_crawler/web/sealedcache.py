"""What the pages read of a sealed capture, kept in memory: a sealed capture never changes.

A 10,000-item capture is 20,000 JSON lines (items and pages); parsing them on every request would make
its capture and item pages answer in seconds. A sealed capture's read side (``readside.capture``) is
kept for the few captures looked at last; anything not sealed (capturing, incomplete, failed) is read
afresh every time. Keyed by the capture's manifest sha256, so a discarded-and-recreated id never matches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from evidence_crawler.services.captures import read_state
from storage.local import LocalStore


class SealedReads:
    def __init__(self, store: LocalStore, size: int = 4) -> None:
        self.store, self.size = store, size
        self._kept: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, capture_id: str, compute: Callable[[], Any]) -> Any:
        state = read_state(self.store, capture_id)
        if state["state"] != "sealed" or not state.get("manifest_sha256"):
            return compute()
        key = (capture_id, state["manifest_sha256"])
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = compute()
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value
