"""Durable file I/O: what every writer of the store shares, so a crash never leaves a half-truth on disk.

- Replacing a file is atomic: a temporary name in the same folder, fsync, rename, fsync of the folder;
  a crash leaves the old file or the new one, never a mix, and never a half-written file under a final name.
- An append is complete or absent: ``write(2)`` may write less than asked (a signal, a nearly full disk),
  so it is looped; if it fails half-way the file is cut back to where it was, and the next line never
  follows a torn one.
- A line file read after a kill skips a torn last line: it is not a record yet.
- A reserve is space set aside while there is some, so that recording a failure caused by a full disk
  does not need the space the disk no longer has (:func:`reserve_space`).
- Locks are ``flock`` on a file next to the data; the kernel drops them when the holder dies (kill -9
  included). The holder writes its pid into the lock file, so whoever is refused can say who is in the way.

Nothing here imports the rest of the project: storage, bundle, custody and the capture core all use it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


# --- whole files -------------------------------------------------------------------------------------
def fsync_dir(path: Path) -> None:
    """Make a rename or a new name in ``path`` survive power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def temp_name(dest: Path) -> Path:
    """A hidden name beside ``dest`` (same file system, so the final rename is atomic)."""
    return dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")


def publish(tmp: Path, dest: Path, replace: bool = True) -> None:
    """Give the fsync'ed file ``tmp`` its final name; without ``replace`` an existing ``dest`` raises
    FileExistsError (``tmp`` removed) with no check-then-rename race: a hard link fails if the name exists."""
    if replace:
        os.replace(tmp, dest)
    else:
        try:
            os.link(tmp, dest)
        except FileExistsError:
            tmp.unlink(missing_ok=True)
            raise
        except OSError:  # a file system without hard links: the check and the rename are then two steps
            if dest.exists():
                tmp.unlink(missing_ok=True)
                raise FileExistsError(dest) from None
            os.replace(tmp, dest)
        else:
            tmp.unlink()
    fsync_dir(dest.parent)


def atomic_write(path: Path, data: bytes, read_only: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        write_durably(tmp, data, os.O_CREAT | os.O_EXCL, 0o600)  # private until it is complete
        if read_only:
            os.chmod(tmp, READ_ONLY)
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any, read_only: bool = False) -> bytes:
    """Pretty JSON (the form of manifests and state files), written atomically; returns the bytes written."""
    data = json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"
    atomic_write(path, data, read_only=read_only)
    return data


# --- appends -----------------------------------------------------------------------------------------
def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (it may write fewer than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append(fd: int, data: bytes, sync: bool = True) -> None:
    """Append ``data`` to the file open on ``fd`` (O_APPEND, one writer at a time): all of it, or on error
    none of it (the file is cut back to its previous length before the error is raised)."""
    before = os.fstat(fd).st_size
    try:
        write_all(fd, data)
        if sync:
            os.fsync(fd)
    except OSError:
        try:
            os.ftruncate(fd, before)
        except OSError:
            pass  # the disk refuses even that; readers skip the torn line (iter_jsonl), resume cuts it
        raise


def write_durably(path: Path, data: bytes, flags: int, mode: int = 0o644) -> None:
    """``data`` to ``path`` opened with ``os.O_WRONLY | flags``, fsync'ed before returning."""
    fd = os.open(path, os.O_WRONLY | flags, mode)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def append_durably(path: Path, data: bytes) -> None:
    """Append and fsync before returning (see :func:`append`); call it under the file's lock."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        append(fd, data)
    finally:
        os.close(fd)


# --- space reserve ---------------------------------------------------------------------------------
RESERVE_BYTES = 64 * 1024  # a custody line and a state file, with room for the file system's own blocks


def reserve_space(path: Path, size: int = RESERVE_BYTES) -> None:
    """Allocate ``size`` bytes to ``path`` now (blocks really allocated, not a sparse file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                raise
            os.ftruncate(fd, 0)
            write_all(fd, bytes(size))  # a file system without fallocate: real zeros take real blocks
        os.fsync(fd)
    finally:
        os.close(fd)


def release_space(path: Path, marker: Path, note: str) -> None:
    """Free the reserve at ``path``, keeping its inode as ``marker`` holding ``note`` (best effort: rename
    and truncate need no free space, the note may not fit)."""
    os.replace(path, marker)
    os.truncate(marker, 0)
    try:
        with open(marker, "w", encoding="utf-8") as fh:
            fh.write(note + "\n")
    except OSError:
        pass  # the empty marker still says that a failure was not recorded


# --- line files --------------------------------------------------------------------------------------
def complete_lines(path: Path) -> Iterator[bytes]:
    """Every line of ``path`` that ends in a newline: a torn last line of a killed writer is not a record."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                yield line


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for line in complete_lines(path):
        yield json.loads(line)


# --- locks -------------------------------------------------------------------------------------------
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


def _holder_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or "x")
    except (OSError, ValueError):
        return None


def _take(path: Path, blocking: bool) -> HeldLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        fh.close()
        raise LockHeld(path, _holder_pid(path)) from None
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return HeldLock(path, fh)


def try_lock(path: Path) -> HeldLock:
    """Take the lock now or raise :class:`LockHeld` with the holder's pid."""
    return _take(path, blocking=False)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[HeldLock]:
    """Hold the lock on ``path`` (created if missing) for the ``with`` block; waits for it."""
    with _take(path, blocking=True) as held:
        yield held


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
