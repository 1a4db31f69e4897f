"""Append-only, hash-chained chain-of-custody ledger for a whole store (``custody.jsonl``).

Each line is one :class:`CustodyEvent`; its ``hash`` covers every other field, including ``prev``,
the previous line's hash, so removing, reordering or editing any line breaks the chain from there on.
Writers take an exclusive ``flock`` on ``custody.lock`` so concurrent crawls in one store (or several
workers) cannot interleave or fork the chain. Appends are fsync'ed before the lock is released, and a
failed append (disk full) is cut back (``durable.append``).

A torn last line (a crash mid-write, or an older version on a full disk) is not an event: readers skip
it, and the next writer cuts it under the lock and records what it cut (``ledger_repaired``: size,
sha256 and text), so the chain before it is always readable and the chain after it always links.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidence_crawler.durable import append_durably, complete_lines, exclusive_lock
from evidence_crawler.models import CustodyEvent, EventKind
from evidence_crawler.timeutil import iso

GENESIS = "0" * 64
TEXT_CUT_MAX = 4096  # how much of a cut line ledger_repaired quotes (its size and sha256 cover all)


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

    def torn_tail(self) -> tuple[int, int]:
        """Where the bytes after the last newline start, and how many there are ((size, 0) when the
        ledger ends with a complete line)."""
        if not self.path.exists():
            return 0, 0
        with open(self.path, "rb") as fh:
            end = pos = fh.seek(0, os.SEEK_END)
            cut = 0  # after the last newline, else at the beginning
            while pos > 0:  # backwards in 64 KiB blocks: O(tail), not O(ledger)
                block = max(0, pos - (1 << 16))
                fh.seek(block)
                nl = fh.read(pos - block).rfind(b"\n")
                if nl >= 0:
                    cut = block + nl + 1
                    break
                pos = block
        return cut, end - cut

    def _repair(self) -> None:
        """Cut a torn last line and record it (size, sha256, its first bytes); call under the lock."""
        cut, size = self.torn_tail()
        if not size:
            return
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            fh.seek(cut)
            head = fh.read(TEXT_CUT_MAX)
            digest.update(head)
            while chunk := fh.read(1 << 20):  # a hostile tail may be huge: hashed in chunks
                digest.update(chunk)
        os.truncate(self.path, cut)
        self._write(EventKind.LEDGER_REPAIRED, None, {
            "bytes_cut": size, "sha256": digest.hexdigest(), "text_cut": head.decode("utf-8", "replace"),
            "reason": "the last line was incomplete (a crash or a full disk while it was written)"})

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
            self._repair()
            return self._write(event, capture_id, data)

    def _write(self, event: EventKind, capture_id: str | None, data: dict[str, Any]) -> CustodyEvent:
        seq, prev = self._tail()
        fields = {"seq": seq + 1, "ts": iso(), "event": event, "capture_id": capture_id,
                  "data": data, "prev": prev}
        fields["hash"] = event_hash(fields)
        append_durably(self.path, canonical(fields) + b"\n")
        return CustodyEvent(**fields)

    def events(self, capture_id: str | None = None) -> Iterator[CustodyEvent]:
        """Every complete line that is an event; a line that is not is skipped here and named by :meth:`verify`."""
        if not self.path.exists():
            return
        for raw in complete_lines(self.path):
            try:
                ev = CustodyEvent.model_validate_json(raw)
            except ValueError:
                continue
            if capture_id is None or ev.capture_id == capture_id:
                yield ev

    def verify(self) -> list[str]:
        """Every problem in the chain of complete lines, by line number; empty when intact. A torn last
        line is not a problem of the chain (:meth:`torn_tail`: the next writer cuts it)."""
        problems: list[str] = []
        if not self.path.exists():
            return problems
        prev, expect_seq = GENESIS, 1
        for lineno, raw in enumerate(complete_lines(self.path), 1):
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
        return problems
