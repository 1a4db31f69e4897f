"""CaptureSession without Scrapy: open, record, fail, interrupt."""

from __future__ import annotations

import json

import pytest

from evidence_crawler.capture.linefiles import JsonLines
from evidence_crawler.capture.states import INIT, IllegalTransition
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import Item


def events(store, capture_id):
    return [e.event for e in CustodyLedger(store.root).events(capture_id)]


def item(url="http://shop/a", page="p1", title="A") -> Item:
    return Item(url=url, key=url, fields={"title": title}, page_sha256=page)


def test_open_writes_capturing_state_profile_and_the_started_event(new_session, store, profile):
    session = new_session()
    assert session.state == INIT and not session.writable
    session.open()
    state = store.read_state(session.capture_id)
    assert state["state"] == "capturing" and state["profile"] == profile.profile.name
    assert (session.work / "profile.yaml").read_text(encoding="utf-8") == profile.text
    assert events(store, session.capture_id) == ["capture_started"]
    session.close_files()


def test_an_identical_item_under_another_url_is_flagged_and_not_counted(new_session):
    session = new_session()
    session.open()
    session.record_item(item())
    dup = session.record_item(item(url="http://shop/b"))
    again = session.record_item(item())  # the same page parsed twice: recorded once
    session.close_files()
    assert dup.duplicate_of == "http://shop/a" and again.duplicate_of is None
    lines = [json.loads(x) for x in (session.work / "items.jsonl").read_bytes().splitlines()]
    assert [x["url"] for x in lines] == ["http://shop/a", "http://shop/b"]
    assert (session.items_counted, session.items.count) == (1, 2)


def test_errors_and_dns_answers_are_recorded(new_session):
    session = new_session()
    session.open()
    session.record_error("http://shop/x", "http_error", "404")
    session.record_dns("shop", {"addresses": ["127.0.0.1"]})
    session.close_files()
    assert [e["kind"] for e in session.errors] == ["http_error"]
    assert json.loads((session.work / "errors.jsonl").read_bytes())["url"] == "http://shop/x"
    assert session.dns["shop"]["addresses"] == ["127.0.0.1"] and "resolved_at" in session.dns["shop"]


def test_a_failed_write_fails_the_capture_and_stops_the_crawl(new_session, store, monkeypatch):
    session = new_session()
    session.open()
    stopped = []
    session.on_failure = lambda: stopped.append(True)

    def disk_full(self, obj):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(JsonLines, "append", disk_full)
    with pytest.raises(OSError):
        session.record_item(item())
    assert stopped == [True] and session.state == "failed" and not session.writable
    state = store.read_state(session.capture_id)
    assert state["state"] == "failed" and "No space left" in state["reason"]
    assert events(store, session.capture_id)[-1] == "capture_failed"
    assert session.record_item(item()).url == "http://shop/a"  # nothing more is written, nothing raised
    assert session.summary()["reason"] == state["reason"]


def test_failing_twice_is_refused(new_session):
    session = new_session()
    session.open()
    session.fail("first")
    with pytest.raises(IllegalTransition):
        session.fail("second")


def test_an_interrupted_capture_stays_capturing_and_resumable(new_session, store):
    session = new_session()
    session.open()
    session.interrupt("shutdown")
    assert store.read_state(session.capture_id)["state"] == "capturing"
    assert events(store, session.capture_id) == ["capture_started", "capture_interrupted"]


def test_only_an_incomplete_capture_can_be_resumed(new_session):
    session = new_session()
    session.open()
    session.fail("disk")
    with pytest.raises(RuntimeError, match="is failed; only an incomplete capture can be resumed"):
        new_session(session.capture_id, resuming=True).open()
