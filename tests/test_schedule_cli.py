"""``schedule``, ``diff`` and ``history`` as an operator runs them: real subprocesses, real demo shops.

    evidence-crawler --store S schedule add NAME --profile FILE --cron EXPR [crawl options]
    evidence-crawler --store S schedule run [--tick SECONDS]      (foreground; SIGTERM stops it, exit 0)
    evidence-crawler --store S schedule run-once NAME [--json]
    evidence-crawler --store S diff OLD NEW [--json] [--force]
    evidence-crawler --store S history NAME|PROFILE [--item KEY] [--json]
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from evidence_crawler.demo import DemoSite
from evidence_crawler.durable import try_lock
from storage.schedules import ScheduleBook
from tests.conftest import PROFILES, Cli
from tests.servers.tinyshop import PROFILE as TINY_PROFILE
from tests.servers.tinyshop import TinyShop
from tests.services.fake_captures import make_capture

AOM = PROFILES / "allofmp3-demo.yaml"


def start_scheduler(store: Path, env: dict | None = None) -> subprocess.Popen:
    return Cli(store, env).start("schedule", "run", "--tick", "0.2")


def stop_scheduler(proc: subprocess.Popen, timeout: float = 60) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"scheduler exit {proc.returncode}:\n{err[-3000:]}"
    return err


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def runs(store: Path) -> list[dict]:
    return ScheduleBook(store).runs()


# ---- bad input ---------------------------------------------------------------------------------


def test_add_list_remove_keep_the_crawl_options(cli, tmp_path):
    proc = cli.run("schedule", "add", "aom", "--profile", str(AOM), "--cron", "0 */6 * * *", "--allow-private",
                   "--max-pages", "50", "--start-url", "http://127.0.0.1:9/", "--export-to", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    [row] = cli.json("schedule", "list", "--json")
    assert row["name"] == "aom" and row["cron"] == "0 */6 * * *" and row["profile"] == str(AOM)
    assert row["allow_private"] is True and row["max_pages"] == 50 and row["start_urls"] == ["http://127.0.0.1:9/"]
    assert row["export_to"] == str(tmp_path / "out") and row["last_run"] is None
    assert row["next_run"][11:19] in {"00:00:00", "06:00:00", "12:00:00", "18:00:00"}
    again = cli.run("schedule", "add", "aom", "--profile", str(AOM), "--cron", "0 * * * *")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert cli.run("schedule", "remove", "aom").returncode == 0
    assert cli.json("schedule", "list", "--json") == []


@pytest.mark.parametrize("expr", ["61 * * * *", "*/5 * * *", "every six hours"])
def test_bad_cron_expression_is_refused(cli, expr):
    proc = cli.run("schedule", "add", "aom", "--profile", str(AOM), "--cron", expr)
    assert proc.returncode == 2
    assert "bad cron expression" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert cli.json("schedule", "list", "--json") == []


def test_unknown_profile_and_unknown_schedule_are_refused(cli, tmp_path):
    proc = cli.run("schedule", "add", "aom", "--profile", str(tmp_path / "missing.yaml"), "--cron", "0 * * * *")
    assert proc.returncode == 2 and "cannot read profile" in proc.stderr
    for args in (("remove", "nope"), ("run-once", "nope")):
        proc = cli.run("schedule", *args)
        assert proc.returncode == 2 and "no schedule 'nope'" in proc.stderr, proc.stderr
    proc = cli.run("history", "nope")
    assert proc.returncode == 2 and "no schedule, and no sealed capture of a profile, named 'nope'" in proc.stderr


def test_second_scheduler_on_one_store_refuses_clearly(cli):
    first = start_scheduler(cli.store)
    try:
        lock = cli.store / "schedules" / "scheduler.lock"
        wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), 30, "the first scheduler")
        second = cli.run("schedule", "run", "--tick", "0.2", timeout=30)
        assert second.returncode == 1
        assert f"another scheduler (pid {first.pid}) is running on this store" in second.stderr
    finally:
        stop_scheduler(first)


def test_diff_refuses_unsealed_unknown_and_foreign_captures(cli):
    a = make_capture(cli.store, "a", [{"url": "u1", "fields": {"title": "x"}}])
    b = make_capture(cli.store, "b", [{"url": "u1", "fields": {"title": "y"}}], name="other")
    c = make_capture(cli.store, "c", [], sealed=False)
    for args, message in (((a, c), "capture c is incomplete, not sealed"), (("a", "zz"), "no capture 'zz'"),
                          ((a, b), "different profiles; use --force")):
        proc = cli.run("diff", *args, "--json")
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    forced = cli.json("diff", a, b, "--json", "--force")
    assert forced["changed"] == [{"url": "u1", "key": "u1", "changes": [{"field": "title", "before": "x",
                                                                         "after": "y"}]}]


# ---- runs ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_run_once_records_render_archive_and_export_honestly(cli, write_profile, tmp_path):
    with TinyShop(items=5) as shop:
        profile = write_profile(TINY_PROFILE.format(url=shop.base_url))
        assert cli.run("schedule", "add", "tiny", "--profile", str(profile), "--cron", "0 0 * * *",
                       "--allow-private", "--render", "--archive", "--export-to", str(tmp_path / "out")).returncode == 0
        proc = cli.run("schedule", "run-once", "tiny", "--json")
    record = json.loads(proc.stdout)
    assert record["result"] == "sealed" and record["trigger"] == "manual"
    manifest = json.loads((cli.store / "captures" / record["capture_id"] / "manifest.json").read_text())
    assert manifest["browser"]["render"] is True  # --render reached the crawl: item pages were rendered
    assert record["export"]["ok"] is False and record["export"]["reason"].startswith("export failed: ")
    assert record["archive"]["ok"] or record["archive"]["reason"].startswith("archive failed: ")
    assert proc.returncode == 1  # sealed, but what the schedule asked for afterwards did not all happen
    assert cli.run("captures", "verify", record["capture_id"]).returncode == 0
    assert cli.json("schedule", "list", "--json")[0]["last_run"]["capture_id"] == record["capture_id"]
    with try_lock(ScheduleBook(cli.store).job_lock_path("tiny")):
        skipped = cli.run("schedule", "run-once", "tiny", "--json")
    assert skipped.returncode == 1 and json.loads(skipped.stdout)["result"] == "skipped"


def test_sigterm_interrupts_the_running_capture_cleanly(cli, write_profile):
    with TinyShop(items=300, delay_s=0.05) as shop:
        profile = write_profile(TINY_PROFILE.format(url=shop.base_url))
        assert cli.run("schedule", "add", "tiny", "--profile", str(profile), "--cron", "* * * * * *",
                       "--allow-private").returncode == 0
        proc = start_scheduler(cli.store, env={"EVIDENCE_CONCURRENCY": "2"})
        try:
            wait_for(lambda: [p for p in (cli.store / "captures").glob("*/work/pages.jsonl")
                              if p.read_bytes().count(b"\n") >= 10], 60, "a crawl in progress")
        finally:
            stop_scheduler(proc)
    done = [r for r in runs(cli.store) if r["result"] != "skipped"]
    assert [r["result"] for r in done] == ["interrupted"]
    capture_id = done[0]["capture_id"]
    [listed] = cli.json("captures", "list", "--json")
    assert listed["id"] == capture_id and listed["state"] == "incomplete"
    events = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events if e["capture_id"] == capture_id][-2:] == ["capture_interrupted",
                                                                                   "schedule_run"]
    assert events[-1]["data"]["result"] == "interrupted"
    row = cli.json("schedule", "list", "--json")[0]
    assert row["running"] is None and row["last_run"]["result"] == "interrupted"
    try_lock(cli.store / "schedules" / "scheduler.lock").release()  # released: a new scheduler may start


@pytest.mark.slow
def test_restart_coalesces_missed_runs_and_diff_reports_the_changes(cli):
    """Done-when, through the CLI: run, stop, change the shop, stay down, restart, diff the two captures."""
    with DemoSite("allofmp3") as site:
        base = site.base_url.rstrip("/")
        assert cli.run("schedule", "add", "aom", "--profile", str(AOM), "--cron", "* * * * * */2",
                       "--start-url", site.base_url, "--allow-private").returncode == 0
        proc = start_scheduler(cli.store)
        try:
            wait_for(lambda: any(r["result"] == "sealed" for r in runs(cli.store)), 60, "the first sealed run")
        finally:
            stop_scheduler(proc)
        first = next(r for r in runs(cli.store) if r["result"] == "sealed")
        cat = site.catalog
        before = cat.offers(cat.album(7))
        cat.set_price_factor(7, "2")
        cat.remove_album(12)
        new_id = cat.add_album("Новый Артист", "Новый альбом", 2024)
        after = cat.offers(cat.album(7))
        time.sleep(4.5)  # scheduler down: at least two slots go by
        restarted_at = len(runs(cli.store))
        proc = start_scheduler(cli.store)
        try:
            wait_for(lambda: any(r["result"] == "sealed" for r in runs(cli.store)[restarted_at:]), 60,
                     "a sealed run after the restart")
        finally:
            stop_scheduler(proc)
    later = [r for r in runs(cli.store)[restarted_at:] if r["result"] != "skipped"]
    assert later[0]["result"] == "sealed" and later[0]["coalesced"] >= 1
    slots = [r["slot"] for r in runs(cli.store)]
    assert len(slots) == len(set(slots)), f"a slot ran twice: {slots}"
    assert [s["name"] for s in cli.json("schedule", "list", "--json")] == ["aom"]

    result = cli.json("diff", first["capture_id"], later[0]["capture_id"], "--json")
    changes = []
    for b, a in zip(before, after, strict=True):
        changes += [{"field": f"offers[{b.format}].price", "before": b.price, "after": a.price},
                    {"field": f"offers[{b.format}].amount", "before": str(b.amount), "after": str(a.amount)}]
    assert result["changed"] == [{"url": f"{base}/release/7", "key": f"{base}/release/7", "changes": changes}]
    assert [i["url"] for i in result["added"]] == [f"{base}/release/{new_id}"]
    assert [i["url"] for i in result["removed"]] == [f"{base}/release/12"]
    assert result["unchanged"] == 38

    hist = cli.json("history", "aom", "--json")
    sealed = [r for r in hist["rows"] if r["result"] == "sealed"]
    assert [r["capture_id"] for r in sealed][0] == first["capture_id"] and len(sealed) >= 2
    assert all(r["items"] == 40 and r["offers"] == 120 for r in sealed)
    prices = sealed[-1]["prices"]["RUB" if cat.album(7).rouble else "USD"]
    assert Decimal(prices["max"]) >= max(a.amount for a in after)
    item = cli.json("history", "allofmp3-demo", "--item", f"{base}/release/7", "--json")
    amounts = [[o["amount"] for o in r["offers"]] for r in item["rows"] if r["present"]]
    assert amounts[0] == [str(o.amount) for o in before] and amounts[-1] == [str(o.amount) for o in after]
