"""Resume repair: a torn WARC tail is cut, items whose page never reached the WARC are dropped."""

from __future__ import annotations

import json

from evidence_crawler.capture.resume import repair_work
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import Item
from tests.capture.conftest import record_page


def killed_capture(new_session):
    """A capture as kill -9 leaves it: a torn WARC record, a torn page line, an item without its page."""
    session = new_session()
    session.open()
    sha = record_page(session, "http://shop/a", b"<html>a</html>")
    session.record_item(Item(url="http://shop/a", key="a", fields={"t": "a"}, page_sha256=sha))
    session.record_item(Item(url="http://shop/b", key="b", fields={"t": "b"}, page_sha256="f" * 64))
    session.close_files()
    warc = next((session.work / "warc").glob("*.warc.gz"))
    with open(warc, "ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00half a record")
    with open(session.work / "pages.jsonl", "ab") as fh:
        fh.write(b'{"url": "http://shop/c", "torn')
    return session, warc


def test_repair_cuts_the_torn_tail_and_drops_items_of_unrecorded_pages(new_session):
    session, warc = killed_capture(new_session)
    size = warc.stat().st_size
    repair = repair_work(session.work)
    assert repair.torn_bytes_cut == {warc.name: 17} and warc.stat().st_size == size - 17
    assert list(repair.recorded) == ["http://shop/a"]
    assert repair.items_dropped == 1
    assert [json.loads(x)["url"] for x in (session.work / "items.jsonl").read_bytes().splitlines()] == \
        ["http://shop/a"]


def test_a_resumed_session_says_what_was_repaired_and_knows_what_it_holds(new_session, store):
    session, warc = killed_capture(new_session)
    resumed = new_session(session.capture_id, resuming=True)
    resumed.open()
    resumed.close_files()
    event = list(CustodyLedger(store.root).events(session.capture_id))[-1]
    assert (event.event, event.data["torn_bytes_cut"], event.data["items_dropped_unrecorded_page"]) == \
        ("capture_resumed", {warc.name: 17}, 1)
    assert resumed.pages.count == 1  # the torn page line was cut on reopen
    assert resumed.items_counted == 1 and "http://shop/a" in resumed.recorded
    assert resumed.started_at == session.started_at
    assert store.read_state(session.capture_id)["state"] == "capturing"
