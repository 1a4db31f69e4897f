"""Append-only, hash-chained chain-of-custody ledger for a whole store (``custody.jsonl``).

Each line is one :class:`CustodyEvent`; its ``hash`` covers every other field, including ``prev``,
the previous line's hash, so removing, reordering or editing any line breaks the chain from there on.
Writers take an exclusive ``flock`` on ``custody.lock`` so concurrent crawls in one store (or several
workers) cannot interleave or fork the chain. Appends are fsync'ed before the lock is released.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidence_crawler.durable import append_durably, exclusive_lock
from evidence_crawler.models import CustodyEvent, EventKind
from evidence_crawler.timeutil import iso

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any]) -> str:
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


class CustodyError(Exception):
    """The ledger is broken; the message names the line and what is wrong."""


class CustodyLedger:
    def __init__(self, root: Path) -> None:
        self.path = Path(root) / "custody.jsonl"
        self.lock_path = Path(root) / "custody.lock"

    def _locked(self):
        return exclusive_lock(self.lock_path)

    def _tail(self) -> tuple[int, str]:
        """Sequence number and hash of the last complete line (reads backwards, O(1) in ledger size)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0, GENESIS
        with open(self.path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            end = fh.tell()
            block = min(end, 1 << 16)
            while True:
                fh.seek(end - block)
                data = fh.read(block)
                lines = data.rstrip(b"\n").split(b"\n")
                if len(lines) > 1 or block == end:
                    last = json.loads(lines[-1])
                    return last["seq"], last["hash"]
                block = min(end, block * 4)

    def append(self, event: EventKind, capture_id: str | None = None, **data: Any) -> CustodyEvent:
        """One event, chained to the last; a kind that is not an :class:`EventKind` is refused (ValueError)
        before anything is written."""
        event = EventKind(event)
        with self._locked():
            seq, prev = self._tail()
            fields = {"seq": seq + 1, "ts": iso(), "event": event, "capture_id": capture_id,
                      "data": data, "prev": prev}
            fields["hash"] = event_hash(fields)
            append_durably(self.path, canonical(fields) + b"\n")
            return CustodyEvent(**fields)

    def events(self, capture_id: str | None = None) -> Iterator[CustodyEvent]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            for raw in fh:
                ev = CustodyEvent(**json.loads(raw))
                if capture_id is None or ev.capture_id == capture_id:
                    yield ev

    def verify(self) -> list[str]:
        """Every problem in the chain, by line number; empty when intact."""
        problems: list[str] = []
        if not self.path.exists():
            return problems
        prev, expect_seq = GENESIS, 1
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    fields = json.loads(raw)
                except ValueError:
                    problems.append(f"custody.jsonl line {lineno}: not valid JSON")
                    prev = None
                    continue
                if not isinstance(fields, dict) or "hash" not in fields:
                    problems.append(f"custody.jsonl line {lineno}: not a custody event")
                    continue
                if event_hash(fields) != fields["hash"]:
                    problems.append(f"custody.jsonl line {lineno}: content does not match its hash (edited)")
                if prev is not None and fields.get("prev") != prev:
                    problems.append(f"custody.jsonl line {lineno}: does not link to the previous line")
                if fields.get("seq") != expect_seq:
                    problems.append(f"custody.jsonl line {lineno}: sequence {fields.get('seq')} != {expect_seq}")
                prev, expect_seq = fields["hash"], expect_seq + 1
                if not raw.endswith(b"\n"):
                    problems.append(f"custody.jsonl line {lineno}: truncated (no newline)")
        return problems
