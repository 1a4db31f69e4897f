"""The capture's line files (pages, items, errors, renders): appended while crawling, rewritten only whole.

An append is one ``write`` per line with no fsync (a crawl writes thousands); the file is fsync'ed when
it is closed, before sealing. A kill can leave a torn last line: it is cut when the file is reopened
(resume), and every reader skips it (``durable.iter_jsonl``). A failed append (disk full) is cut back, so
the file never holds half a line followed by a whole one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evidence_crawler.durable import append, atomic_write


def dump_line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def cut_torn_tail(path: Path) -> int:
    """Cut a last line that has no newline; returns how many complete lines are left."""
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        os.truncate(path, keep)
    return data[:keep].count(b"\n")


class JsonLines:
    """Append-only JSON lines, counted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = cut_torn_tail(path) if path.exists() else 0
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def append(self, obj: dict[str, Any]) -> None:
        if self._fd is None:
            raise ValueError(f"{self.path.name} is closed")
        append(self._fd, dump_line(obj), sync=False)
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """The whole file at once, atomically (a repaired or merged line file)."""
    atomic_write(path, b"".join(dump_line(r) for r in rows))
