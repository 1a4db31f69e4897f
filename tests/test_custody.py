"""The ledger: hash-chained, append-only, safe with concurrent writers."""

import json
import multiprocessing

import pytest

from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import EventKind


def _append_many(root, n):
    ledger = CustodyLedger(root)
    for i in range(n):
        ledger.append(EventKind.ARTIFACT_WRITTEN, "cap", i=i)


def test_concurrent_writers_keep_one_unbroken_chain(tmp_path):
    procs = [multiprocessing.Process(target=_append_many, args=(tmp_path, 50)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    ledger = CustodyLedger(tmp_path)
    assert ledger.verify() == []
    assert [e.seq for e in ledger.events()] == list(range(1, 201))


def test_an_event_kind_not_in_the_enum_is_refused_before_anything_is_written(tmp_path):
    ledger = CustodyLedger(tmp_path)
    with pytest.raises(ValueError, match="not a valid EventKind"):
        ledger.append("captured", "cap")
    assert not ledger.path.exists()
    assert ledger.append("capture_started", "cap").event is EventKind.CAPTURE_STARTED


def test_edit_delete_and_reorder_are_each_detected(tmp_path):
    ledger = CustodyLedger(tmp_path)
    for i in range(5):
        ledger.append(EventKind.ARTIFACT_WRITTEN, "cap", i=i)
    original = ledger.path.read_bytes()
    lines = original.splitlines(keepends=True)

    edited = json.loads(lines[2])
    edited["data"]["i"] = 99
    ledger.path.write_bytes(b"".join(lines[:2]) + (json.dumps(edited) + "\n").encode() + b"".join(lines[3:]))
    assert any("line 3" in p and "edited" in p for p in ledger.verify())

    ledger.path.write_bytes(b"".join(lines[:2] + lines[3:]))
    assert any("line 3" in p for p in ledger.verify())

    ledger.path.write_bytes(b"".join([lines[1], lines[0], *lines[2:]]))
    assert ledger.verify()
