"""--no-intermediaries on every command that captures, kept by a schedule."""

from __future__ import annotations

from pathlib import Path

from evidence_crawler.services.scheduled_run import crawl_args
from storage.schedules import Schedule

AOM = Path(__file__).resolve().parents[2] / "evidence_crawler" / "profiles" / "allofmp3-demo.yaml"


def test_a_schedule_keeps_no_intermediaries_and_passes_it_to_its_crawl(cli):
    proc = cli.run("schedule", "add", "aom", "--profile", str(AOM), "--cron", "0 * * * *", "--no-intermediaries")
    assert proc.returncode == 0, proc.stderr
    [row] = cli.json("schedule", "list", "--json")
    assert row["intermediaries"] is False
    assert crawl_args(Schedule(**{k: v for k, v in row.items() if k != "next_run"}))[-1] == "--no-intermediaries"
    default = Schedule(name="x", cron="0 * * * *", profile=str(AOM), created_at="t")
    assert default.intermediaries is True and "--no-intermediaries" not in crawl_args(default)


def test_every_capturing_command_has_the_flag(cli):
    for command in (("crawl",), ("capture",), ("schedule", "add"), ("schedule", "run-once")):
        proc = cli.run(*command, "--help", env={"COLUMNS": "200"})
        assert "--no-intermediaries" in proc.stdout, command


def test_the_command_refuses_an_unknown_capture_in_one_line(cli):
    proc = cli.run("intermediaries", "nope")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "nope" in proc.stderr
