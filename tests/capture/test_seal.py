"""Sealing order: artifacts, then the manifest, then ``capture_sealed``, and only then ``state.json``."""

from __future__ import annotations

import pytest

from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import CaptureManifest, Item
from tests.capture.conftest import record_page


def sealed_session(new_session):
    session = new_session()
    session.open()
    sha = record_page(session, "http://shop/a", b"<html>a</html>")
    session.record_item(Item(url="http://shop/a", key="a", fields={"t": "a"}, page_sha256=sha))
    return session


def test_a_sealed_capture_names_its_manifest_hash_in_custody_and_state(new_session, store):
    session = sealed_session(new_session)
    manifest = seal_capture(session, finish_reason="finished")
    manifest_path = session.dir / "manifest.json"
    assert CaptureManifest.read(manifest_path) == manifest
    assert manifest.counts.model_dump() == {"pages": 1, "items": 1, "offers": 0, "p2p": 0, "errors": 0}
    assert [a.role for a in manifest.artifacts] == ["warc", "profile", "pages", "items", "errors"]
    sealed = [e for e in CustodyLedger(store.root).events(session.capture_id) if e.event == "capture_sealed"]
    assert sealed[0].data["manifest_sha256"] == digest_file(manifest_path).sha256
    state = store.read_state(session.capture_id)
    assert (state["state"], state["manifest_sha256"], state["sealed_event"]) == \
        ("sealed", sealed[0].data["manifest_sha256"], sealed[0].seq)
    assert not list(session.work.rglob("*.jsonl")) and not list(session.work.rglob("*.warc.gz"))
    assert session.summary()["state"] == "sealed"


def test_steps_run_in_the_crash_safe_order(new_session, store, monkeypatch):
    session = sealed_session(new_session)
    steps = []
    append, write_state = session.ledger.append, store.write_state
    monkeypatch.setattr(session.ledger, "append", lambda event, *a, **kw: steps.append(event) or
                        append(event, *a, **kw))
    monkeypatch.setattr(store, "write_state", lambda cid, rec: steps.append(f"state:{rec['state']}") or
                        write_state(cid, rec))
    seal_capture(session, finish_reason="finished")
    assert steps == ["artifact_written"] * 5 + ["capture_sealed", "state:sealed"]


def test_a_crash_before_the_state_write_leaves_the_capture_unsealed_in_state_but_anchored(new_session, store,
                                                                                         monkeypatch):
    session = sealed_session(new_session)

    def crash(*a, **kw):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(store, "write_state", crash)
    with pytest.raises(OSError):
        seal_capture(session, finish_reason="finished")
    assert store.read_state(session.capture_id)["state"] == "capturing"  # listed incomplete, not sealed
    assert (session.dir / "manifest.json").exists()
    assert [e.event for e in CustodyLedger(store.root).events(session.capture_id)][-1] == "capture_sealed"
