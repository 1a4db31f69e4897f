"""A capture the ledger sealed is sealed: a crash between ``capture_sealed`` and state.json never leads to
a second seal, and ``captures verify`` names a capture sealed twice."""

from __future__ import annotations

import json
import subprocess

import pytest

from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import EventKind, Item
from evidence_crawler.services.captures import list_captures, read_state
from evidence_crawler.services.verify import verify_capture
from storage.local import LocalStore
from tests.capture.conftest import record_page
from tests.servers.tinyshop import PROFILE, TinyShop


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def crash_after_the_seal_event(store, capture_id: str) -> None:
    """state.json as a kill -9 right after ``capture_sealed`` leaves it: capturing, its writer gone."""
    path = store.capture_dir(capture_id) / "state.json"
    state = json.loads(path.read_text())
    state = {k: v for k, v in state.items() if k not in ("finished_at", "manifest_sha256", "sealed_event",
                                                         "counts", "seal_anchor")}
    path.unlink()
    path.write_text(json.dumps({**state, "state": "capturing", "pid": dead_pid()}))


def sealed_ids(store) -> list[int]:
    return [e.seq for e in CustodyLedger(store.root).events() if e.event == EventKind.CAPTURE_SEALED]


@pytest.fixture
def crashed(new_session, store):
    session = new_session()
    session.open()
    sha = record_page(session, "http://shop/a", b"<html>a</html>")
    session.record_item(Item(url="http://shop/a", key="a", fields={"t": "a"}, page_sha256=sha))
    seal_capture(session, finish_reason="finished")
    crash_after_the_seal_event(store, session.capture_id)
    return session.capture_id


def test_listing_reads_a_capture_the_ledger_sealed_as_sealed_and_repairs_its_state(crashed, store):
    [listed] = list_captures(store)
    assert listed["state"] == "sealed" and listed["counts"]["items"] == 1
    state = store.read_state(crashed)  # repaired on disk, from the event and the manifest
    assert state["state"] == "sealed" and state["sealed_event"] == sealed_ids(store)[0]
    assert state["repaired"]["was"] == "capturing" and state["finished_at"]
    assert read_state(store, crashed)["state"] == "sealed"
    assert verify_capture(store, crashed).ok


def test_resuming_a_capture_the_ledger_sealed_is_refused_and_never_seals_again(crashed, new_session, store):
    with pytest.raises(RuntimeError, match="is sealed; only an incomplete capture can be resumed"):
        new_session(capture_id=crashed, resuming=True).open()
    assert len(sealed_ids(store)) == 1


def test_captures_verify_names_a_capture_sealed_twice(crashed, store):
    first = next(e for e in CustodyLedger(store.root).events(crashed) if e.event == EventKind.CAPTURE_SEALED)
    CustodyLedger(store.root).append(EventKind.CAPTURE_SEALED, crashed, **first.data)
    problems = verify_capture(store, crashed).problems
    assert any(f"capture {crashed} is sealed 2 times" in p for p in problems), problems


def test_crawl_resume_after_a_crash_past_the_seal_event_is_refused(cli, write_profile):
    with TinyShop(items=3) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        cid = cli.crawl(profile)["capture_id"]
        crash_after_the_seal_event(LocalStore(cli.store), cid)
        proc = cli.run("crawl", str(profile), "--allow-private", "--resume", cid)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"capture {cid} is sealed; only an incomplete capture can be resumed" in proc.stderr
    assert [c["state"] for c in cli.json("captures", "list", "--json")] == ["sealed"]
    assert len(sealed_ids(LocalStore(cli.store))) == 1
    assert cli.run("captures", "verify", cid).returncode == 0
