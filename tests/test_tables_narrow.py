"""Ids and paths a user copies print whole on one line on an 80- or 60-column terminal (never cut or folded)."""

from __future__ import annotations

import pytest
from rich.console import Console

from evidence_crawler.commands.tables import Col, print_table
from tests.servers.tinyshop import TinyShop

PROFILE = """\
name: a-shop-profile-with-a-rather-long-descriptive-name
start_urls: [{url}]
follow: ["a.list", "a.item"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
limits: {{max_pages: 20}}
"""
AOM = "evidence_crawler/profiles/allofmp3-demo.yaml"


def _lines(text: str) -> list[str]:
    return text.splitlines()


def assert_whole(value: str, output: str) -> None:
    assert any(value in line for line in _lines(output)), f"{value!r} not on one line of:\n{output}"


@pytest.fixture
def two_captures(cli, write_profile):
    with TinyShop(items=3) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        return cli, [cli.crawl(profile)["capture_id"] for _ in range(2)]


@pytest.mark.parametrize("columns", [80, 60])
def test_captures_list_and_show_print_ids_and_paths_whole(two_captures, columns):
    cli, ids = two_captures
    env = {"COLUMNS": str(columns)}
    listed = cli.run("captures", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    for cid in ids:
        assert_whole(cid, listed.stdout)
    assert all(len(line) <= columns or any(cid in line for cid in ids) for line in _lines(listed.stdout))
    show = cli.run("captures", "show", ids[0], env=env)
    assert show.returncode == 0, show.stderr
    info = cli.json("captures", "show", ids[0], "--json")
    assert_whole(f"manifest: {info['manifest']}", show.stdout)
    for page in info["pages"]:
        assert_whole(page["url"], show.stdout)
        assert_whole(page["sha256"], show.stdout)


@pytest.mark.parametrize("columns", [80, 60])
def test_schedule_list_prints_the_name_whole(cli, columns):
    name = "nightly-allofmp3-demo-shop-capture-for-case-2026-0042"
    proc = cli.run("schedule", "add", name, "--profile", AOM, "--cron", "0 */6 * * *")
    assert proc.returncode == 0, proc.stderr
    listed = cli.run("schedule", "list", env={"COLUMNS": str(columns)})
    assert listed.returncode == 0, listed.stderr
    assert_whole(name, listed.stdout)


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_a_table_never_cuts_a_copyable_column_and_fits_the_width(width):
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115 - closed with console
    key = "s3-object-key/captures/20261202T025545Z-shop-1a2b3c/artifacts/pages.jsonl"
    print_table([Col("object"), Col("key", copy=True), Col("state"), Col("reason")],
                [["pages.jsonl", key, "archived", "a long reason that can fold over several lines " * 2]],
                console=console)
    text = console.export_text()
    console.file.close()
    assert_whole(key, text)
    assert all(len(line) <= max(width, len(key) + len("key: ")) for line in _lines(text))
