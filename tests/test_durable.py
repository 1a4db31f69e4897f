"""Durable file I/O: atomic replace, complete-or-absent appends, torn tails, locks with their holder's pid."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from evidence_crawler import durable
from evidence_crawler.durable import LockHeld, append_durably, atomic_write, iter_jsonl, try_lock, write_json
from tests.conftest import ROOT


def test_atomic_write_replaces_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "state.json"
    atomic_write(path, b"old")
    write_json(path, {"state": "sealed"}, read_only=True)
    assert json.loads(path.read_bytes()) == {"state": "sealed"}
    assert path.stat().st_mode & 0o777 == 0o444
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "f"
    atomic_write(path, b"old")

    def fail(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable.os, "fsync", fail)
    with pytest.raises(OSError):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f"]


def test_publish_without_replace_never_overwrites(tmp_path):
    dest, tmp = tmp_path / "bundle.wacz", tmp_path / ".bundle.part"
    dest.write_bytes(b"first")
    tmp.write_bytes(b"second")
    with pytest.raises(FileExistsError):
        durable.publish(tmp, dest, replace=False)
    assert dest.read_bytes() == b"first" and not tmp.exists()


def test_short_writes_are_looped_until_every_byte_is_written(tmp_path, monkeypatch):
    real_write, calls = os.write, []

    def short_write(fd, data):
        calls.append(len(data))
        return real_write(fd, bytes(data[:3]))  # the kernel may accept fewer bytes than asked

    monkeypatch.setattr(durable.os, "write", short_write)
    path = tmp_path / "log.jsonl"
    append_durably(path, b"0123456789\n")
    assert path.read_bytes() == b"0123456789\n" and calls == [11, 8, 5, 2]


def test_an_append_that_fails_half_way_is_rolled_back(tmp_path, monkeypatch):
    path = tmp_path / "log.jsonl"
    append_durably(path, b'{"a":1}\n')
    real_write = os.write
    writes = iter([True, False])

    def fail_second(fd, data):
        if next(writes):
            return real_write(fd, bytes(data[:4]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable.os, "write", fail_second)
    with pytest.raises(OSError, match="No space"):
        append_durably(path, b'{"b":2}\n')
    assert path.read_bytes() == b'{"a":1}\n'


def test_a_torn_last_line_is_not_a_record(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    assert list(iter_jsonl(path)) == [{"a": 1}, {"b": 2}]


def test_try_lock_names_the_holder_and_the_kernel_frees_it_when_the_holder_dies(tmp_path):
    path = tmp_path / "job.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from evidence_crawler.durable import "
                               f"try_lock; l = try_lock(__import__('pathlib').Path({str(path)!r})); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld) as refused:
            try_lock(path)
        assert refused.value.pid == holder.pid and str(holder.pid) in str(refused.value)
    finally:
        holder.kill()
        holder.wait()
    with try_lock(path) as held:
        assert path.read_text().strip() == str(os.getpid()) and held.fileno() >= 0


def test_the_blocking_lock_records_its_holder_too(tmp_path):
    path = tmp_path / "custody.lock"
    with durable.exclusive_lock(path):
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(LockHeld):
            try_lock(path)
    try_lock(path).release()


def test_pid_alive():
    assert durable.pid_alive(os.getpid()) and not durable.pid_alive(0)
