"""Blocking advisory file locks, durable appends and process liveness: what every store writer shares.

The custody ledger, the schedules file and the S3 outbox each serialise writers with an exclusive
``flock`` on a lock file next to the data; the kernel drops it when the holder dies (kill -9 included).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the ``with`` block; waits for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this host (a pid we may not signal still exists)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_durably(path: Path, data: bytes, flags: int, mode: int = 0o644) -> None:
    """``data`` in one ``write`` to ``path`` opened with ``os.O_WRONLY | flags``, fsynced before returning."""
    fd = os.open(path, os.O_WRONLY | flags, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def append_durably(path: Path, data: bytes) -> None:
    """Append ``data`` in one ``write`` (O_APPEND) and fsync before returning; call it under the file's lock."""
    write_durably(path, data, os.O_APPEND | os.O_CREAT)
