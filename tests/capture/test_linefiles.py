"""Line files of a live capture: counted, a torn last line cut on reopen, a failed append leaves no trace."""

from __future__ import annotations

import os

import pytest

from evidence_crawler import durable
from evidence_crawler.capture.linefiles import JsonLines, write_jsonl


def test_reopening_cuts_a_torn_line_and_counts_the_complete_ones(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    lines = JsonLines(path)
    lines.append({"d": "é"})
    lines.close()
    assert lines.count == 3
    assert path.read_bytes() == '{"a":1}\n{"b":2}\n{"d":"é"}\n'.encode()


def test_a_failed_append_is_cut_back_and_not_counted(tmp_path, monkeypatch):
    lines = JsonLines(tmp_path / "items.jsonl")
    lines.append({"a": 1})
    real_write, calls = os.write, []

    def half_then_full_disk(fd, data):
        calls.append(1)
        if len(calls) == 1:
            return real_write(fd, bytes(data[:5]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable.os, "write", half_then_full_disk)
    with pytest.raises(OSError):
        lines.append({"b": "a longer line"})
    monkeypatch.undo()
    lines.close()
    assert lines.count == 1 and lines.path.read_bytes() == b'{"a":1}\n'
    with pytest.raises(ValueError, match="closed"):
        lines.append({"c": 3})


def test_write_jsonl_replaces_the_whole_file(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"old\n")
    write_jsonl(path, [{"a": 1}, {"b": 2}])
    assert path.read_bytes() == b'{"a":1}\n{"b":2}\n'
