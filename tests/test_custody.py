"""The ledger: hash-chained, append-only, safe with concurrent writers."""

import hashlib
import json
import multiprocessing

import pytest

from evidence_crawler.custody import GENESIS, CustodyLedger, event_hash
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


def test_the_chain_starts_at_genesis_and_each_hash_covers_its_own_fields(tmp_path):
    ledger = CustodyLedger(tmp_path)
    first = ledger.append("capture_started", "a", profile="p")
    second = ledger.append("capture_sealed", "b")
    assert first.prev == GENESIS and second.prev == first.hash
    for event in ledger.events():
        assert event.hash == event_hash(event.model_dump())
    assert [e.event for e in ledger.events("b")] == ["capture_sealed"]


def test_an_event_larger_than_the_tail_window_still_links(tmp_path):
    ledger = CustodyLedger(tmp_path)
    big = ledger.append(EventKind.ARTIFACT_WRITTEN, "cap", blob="x" * 200_000)  # _tail reads backwards in 64 KiB blocks
    after = ledger.append(EventKind.ARTIFACT_WRITTEN, "cap")
    assert after.prev == big.hash and after.seq == 2 and ledger.verify() == []


def test_a_garbage_line_is_reported_by_line_and_skipped_by_readers(tmp_path):
    ledger = CustodyLedger(tmp_path)
    for i in range(3):
        ledger.append(EventKind.ARTIFACT_WRITTEN, "cap", i=i)
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    ledger.path.write_bytes(lines[0] + b"{not json\n" + lines[2])
    problems = ledger.verify()
    assert "custody.jsonl line 2: not valid JSON" in problems
    assert not any("line 3: does not link" in p for p in problems)  # unknown predecessor: no false link claim
    assert [e.seq for e in ledger.events()] == [1, 3]


def test_a_torn_last_line_is_skipped_by_readers_then_cut_and_recorded_by_the_next_writer(tmp_path):
    ledger = CustodyLedger(tmp_path)
    for i in range(3):
        ledger.append(EventKind.ARTIFACT_WRITTEN, "cap", i=i)
    torn = ledger.path.read_bytes().splitlines(keepends=True)[2][:-20]
    ledger.path.write_bytes(b"".join(ledger.path.read_bytes().splitlines(keepends=True)[:2]) + torn)
    assert ledger.verify() == [] and [e.seq for e in ledger.events()] == [1, 2]
    assert ledger.torn_tail() == (ledger.path.stat().st_size - len(torn), len(torn))

    after = ledger.append(EventKind.CAPTURE_STARTED, "next")
    repaired = [e for e in ledger.events() if e.event is EventKind.LEDGER_REPAIRED]
    assert [e.seq for e in repaired] == [3] and after.seq == 4 and after.prev == repaired[0].hash
    assert repaired[0].data["bytes_cut"] == len(torn)
    assert repaired[0].data["sha256"] == hashlib.sha256(torn).hexdigest()
    assert repaired[0].data["text_cut"] == torn.decode()
    assert ledger.verify() == [] and ledger.torn_tail()[1] == 0


def test_a_missing_or_empty_ledger_is_an_intact_empty_chain(tmp_path):
    ledger = CustodyLedger(tmp_path)
    assert ledger.verify() == [] and list(ledger.events()) == []
    ledger.path.write_bytes(b"")
    assert ledger.verify() == [] and ledger.append(EventKind.CAPTURE_STARTED).seq == 1
