"""The scheduler core, driven by an injected clock: coalescing, no slot twice, no overlap, failures recorded.

Most tests replace the run itself with a recorder (the crawl is not what they are about); the last one
runs real crawls of the demo shop as child processes, seconds apart on the injected clock, changing
the shop in between, and diffs the two sealed captures.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from evidence_crawler.cron import CronError, check_cron
from evidence_crawler.demo import DemoSite
from evidence_crawler.durable import try_lock
from evidence_crawler.services.diff import diff_captures
from evidence_crawler.services.scheduled_run import ScheduledRunner
from evidence_crawler.services.scheduler import Scheduler, SchedulerBusy
from evidence_crawler.timeutil import iso
from storage.local import LocalStore
from storage.schedules import Schedule, ScheduleBook
from tests.conftest import PROFILES

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class Clock:
    """Time that moves only when the scheduler sleeps; ``stop_after`` sleeps it stops the scheduler."""

    def __init__(self, start: datetime) -> None:
        self.t = start
        self.stop_after: tuple[int, Scheduler] | None = None

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        if self.stop_after is not None:
            left, sched = self.stop_after
            self.stop_after = (left - 1, sched)
            if left <= 1:
                sched.stop()
                return
        self.t += timedelta(seconds=seconds)


class Recorder:
    """Stands in for a run: remembers (schedule, slot, coalesced)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def __call__(self, schedule, trigger, slot, coalesced):
        self.calls.append((schedule.name, slot, coalesced))
        return {"result": "sealed"}


def add(store, cron="0 * * * *", name="shop", created=T0, **options) -> ScheduleBook:
    book = ScheduleBook(store)
    book.add(Schedule(name=name, cron=cron, profile=str(PROFILES / "allofmp3-demo.yaml"), created_at=iso(created),
                      **options))
    return book


def scheduler(store, clock: Clock, run=None, **kw) -> Scheduler:
    return Scheduler(store, now=clock.now, sleep=clock.sleep, run=run, **kw)


def test_missed_slots_coalesce_into_one_run(tmp_path):
    add(tmp_path)
    clock, runs = Clock(T0 + timedelta(hours=5, minutes=30)), Recorder()
    s = scheduler(tmp_path, clock, runs)
    s.tick()
    s.wait_idle()
    assert runs.calls == [("shop", "2024-01-01T05:00:00.000000Z", 4)]  # 01:00..05:00 -> one run
    s.tick()
    s.wait_idle()
    assert len(runs.calls) == 1


def test_clock_jump_backwards_never_repeats_a_slot(tmp_path, caplog):
    add(tmp_path)
    clock, runs = Clock(T0 + timedelta(hours=1, seconds=5)), Recorder()
    s = scheduler(tmp_path, clock, runs)
    s.tick()
    with caplog.at_level(logging.WARNING, "evidence_crawler.scheduler"):
        for back in (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1, minutes=59)):
            clock.t = T0 + back  # NTP step backwards, then the clock catches up again
            s.tick()
    assert caplog.text.count("behind the last slot run") == 1
    clock.t = T0 + timedelta(hours=2)
    s.tick()
    s.wait_idle()
    assert runs.calls == [("shop", "2024-01-01T01:00:00.000000Z", 0), ("shop", "2024-01-01T02:00:00.000000Z", 0)]


def test_restart_keeps_schedules_and_does_not_double_run(tmp_path):
    add(tmp_path, cron="*/10 * * * *")
    clock, runs = Clock(T0 + timedelta(seconds=1)), Recorder()
    first = scheduler(tmp_path, clock, runs, tick_s=3600)
    clock.stop_after = (4, first)  # sleeps to 00:10, 00:20, 00:30, then SIGTERM
    assert first.run_forever() == 0
    assert [c[1][11:16] for c in runs.calls] == ["00:10", "00:20", "00:30"]
    restarted = scheduler(tmp_path, clock, runs, tick_s=3600)  # a new process reading the same store
    clock.stop_after = (1, restarted)
    assert restarted.run_forever() == 0
    assert len(runs.calls) == 3
    assert [s.name for s in ScheduleBook(tmp_path).all()] == ["shop"]
    assert ScheduleBook(tmp_path).get("shop").last_slot == "2024-01-01T00:30:00.000000Z"


def test_a_schedule_is_not_run_for_slots_before_it_was_added(tmp_path):
    add(tmp_path, created=T0 + timedelta(minutes=59))
    clock, runs = Clock(T0 + timedelta(minutes=59, seconds=30)), Recorder()
    s = scheduler(tmp_path, clock, runs)
    s.tick()
    assert runs.calls == []
    assert s.seconds_to_next() == pytest.approx(30, abs=0.01)  # sleeps until the 01:00 slot, not a full tick


def test_due_run_during_a_running_one_is_skipped_and_logged(tmp_path, caplog):
    book = add(tmp_path)
    clock = Clock(T0 + timedelta(hours=1))
    s = scheduler(tmp_path, clock)  # the real runner: the job lock decides
    with try_lock(book.job_lock_path("shop")), caplog.at_level(logging.WARNING, "evidence_crawler.scheduler"):
        s.tick()
        s.wait_idle()
        clock.t += timedelta(minutes=1)
        s.tick()  # the skipped slot is not retried
        s.wait_idle()
    runs = book.runs("shop")
    assert [r["result"] for r in runs] == ["skipped"]
    assert f"still running (pid {os.getpid()})" in runs[0]["reason"]
    assert runs[0]["slot"] == "2024-01-01T01:00:00.000000Z"
    assert "skipped" in caplog.text


def test_failed_run_records_its_reason_and_the_scheduler_goes_on(tmp_path):
    profile = tmp_path / "gone.yaml"
    book = ScheduleBook(tmp_path / "store")
    book.add(Schedule(name="shop", cron="0 * * * *", profile=str(profile), created_at=iso(T0)))
    clock = Clock(T0 + timedelta(hours=1))
    s = scheduler(tmp_path / "store", clock)
    s.tick()
    s.wait_idle()
    clock.t += timedelta(hours=1)
    s.tick()
    s.wait_idle()
    runs = book.runs("shop")
    assert [r["result"] for r in runs] == ["failed", "failed"]
    assert "cannot read profile" in runs[0]["reason"] and str(profile) in runs[0]["reason"]
    assert book.get("shop").last_run["result"] == "failed"
    events = [json.loads(line) for line in (tmp_path / "store" / "custody.jsonl").read_text().splitlines()]
    assert [(e["event"], e["data"]["result"]) for e in events] == [("schedule_run", "failed")] * 2


def test_second_scheduler_on_one_store_refuses(tmp_path):
    first, second = Scheduler(tmp_path), Scheduler(tmp_path)
    first.acquire()
    try:
        with pytest.raises(SchedulerBusy, match=f"another scheduler \\(pid {os.getpid()}\\) is running"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


@pytest.mark.parametrize("expr", ["61 * * * *", "* * *", "every hour", "0 0 31 2 *", "* * * * * * * *"])
def test_bad_cron_expressions_are_refused(expr):
    with pytest.raises(CronError, match="bad cron expression"):
        check_cron(expr)
    with pytest.raises(ValidationError):
        Schedule(name="x", cron=expr, profile="p.yaml", created_at=iso(T0))


@pytest.mark.slow
def test_two_scheduled_runs_seconds_apart_diff_exactly(tmp_path, monkeypatch):
    """Done-when: a demo shop changed between two scheduled runs; the diff names exactly the changes."""
    monkeypatch.setenv("EVIDENCE_AUTOTHROTTLE", "0")
    store = tmp_path / "store"
    with DemoSite("allofmp3") as site:
        base = site.base_url.rstrip("/")
        book = add(store, cron="* * * * * */2", start_urls=[site.base_url], allow_private=True)
        clock = Clock(T0 + timedelta(seconds=2))
        s = scheduler(store, clock, runner=ScheduledRunner(store))
        s.tick()
        s.wait_idle()
        cat = site.catalog
        before = {i: cat.offers(cat.album(i)) for i in (1, 3)}
        cat.set_price_factor(1, "1.25")
        cat.set_price_factor(3, "0.5")
        cat.remove_album(2)
        new_id = cat.add_album("Новый Артист", "Новый альбом", 2024)
        after = {i: cat.offers(cat.album(i)) for i in (1, 3)}
        clock.sleep(2)
        s.tick()
        s.wait_idle()
    runs = book.runs("shop")
    assert [(r["result"], r["slot"]) for r in runs] == [("sealed", "2024-01-01T00:00:02.000000Z"),
                                                        ("sealed", "2024-01-01T00:00:04.000000Z")]
    old, new = runs[0]["capture_id"], runs[1]["capture_id"]
    local = LocalStore(store)
    for cid in (old, new):
        manifest = json.loads((local.capture_dir(cid) / "manifest.json").read_bytes())
        assert manifest["settings"]["EVIDENCE_SCHEDULE"] == "shop"
    result = diff_captures(local, old, new)
    expected_changed = []
    for album_id in (1, 3):
        changes = []
        for b, a in zip(before[album_id], after[album_id], strict=True):
            assert Decimal(a.amount) != Decimal(b.amount)
            changes += [{"field": f"offers[{b.format}].price", "before": b.price, "after": a.price},
                        {"field": f"offers[{b.format}].amount", "before": str(b.amount), "after": str(a.amount)}]
        expected_changed.append({"url": f"{base}/release/{album_id}", "key": f"{base}/release/{album_id}",
                                 "changes": changes})
    assert sorted(result["changed"], key=lambda c: c["url"]) == expected_changed
    assert [i["url"] for i in result["added"]] == [f"{base}/release/{new_id}"]
    assert [i["url"] for i in result["removed"]] == [f"{base}/release/2"]
    assert result["unchanged"] == 40 - 3
