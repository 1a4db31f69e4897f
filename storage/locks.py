"""Non-blocking advisory locks (``flock``) that remember who holds them.

The holder's pid is written into the lock file so the process that is refused can say who is in the
way. The kernel drops a ``flock`` when its holder dies (kill -9 included), so a stale pid in the file
never blocks anyone.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockHeld(Exception):
    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"{path} is held by pid {pid if pid is not None else '?'}")
        self.path, self.pid = path, pid


class HeldLock:
    """A lock this process holds; ``fileno()`` lets a child process inherit it (``pass_fds``)."""

    def __init__(self, path: Path, fh) -> None:
        self.path, self._fh = path, fh

    def fileno(self) -> int:
        return self._fh.fileno()

    def release(self) -> None:
        if not self._fh.closed:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def holder_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or "x")
    except (OSError, ValueError):
        return None


def try_lock(path: Path) -> HeldLock:
    """Take the lock now or raise :class:`LockHeld` with the holder's pid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise LockHeld(path, holder_pid(path)) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return HeldLock(path, fh)
