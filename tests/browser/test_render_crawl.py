"""``render: true`` in crawls: prices written by JavaScript are extracted from the rendered DOM, the raw
bytes of every page and sub-resource stay in the WARC, a killed browser costs one retry, and a crawl
with ``render: false`` never starts (or imports) a browser."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
import yaml

from evidence_crawler.demo import DemoSite, expected_items
from tests.browser.conftest import needs_chromium
from tests.conftest import PROFILES, ROOT, Cli
from tests.servers.browserpages import BrowserPages

pytestmark = needs_chromium
JS_PROFILE = PROFILES / "allofmp3-js-demo.yaml"


def _profile_copy(tmp_path: Path, base_url: str, **changes) -> Path:
    data = yaml.safe_load(JS_PROFILE.read_text(encoding="utf-8"))
    data.update({"start_urls": [f"{base_url}js/"], **changes})
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_render_true_extracts_every_javascript_price_exactly(tmp_path):
    cli = Cli(tmp_path / "store")
    with DemoSite("allofmp3") as site:
        summary = cli.crawl(_profile_copy(tmp_path, site.base_url))
        expected = {f"/js{e['url_path']}": e for e in expected_items("allofmp3")}
    assert summary["state"] == "sealed"
    products = {i["url"].split(str(site.port), 1)[1]: i for i in cli.items(summary["capture_id"])
                if i["kind"] == "product"}
    assert set(products) == set(expected)
    for path, exp in expected.items():
        got = products[path]
        assert got["fields"] == exp["fields"], path
        assert [{k: o[k] for k in ("format", "price", "amount", "currency")} for o in got["offers"]] == \
            exp["offers"], path
    assert summary["offers"] == sum(len(e["offers"]) for e in expected.values())
    manifest = cli.json("captures", "show", summary["capture_id"], "--json")
    assert manifest["state"] == "sealed"
    pages_file = cli.store / "captures" / summary["capture_id"] / "artifacts" / "pages.jsonl"
    pages = [json.loads(line)["url"] for line in pages_file.read_text().splitlines()]
    assert sum("/js/api/offers/" in u for u in pages) == len(expected)  # every XHR's raw bytes are recorded
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0


def test_render_false_reports_zero_offers_on_javascript_pages(tmp_path):
    cli = Cli(tmp_path / "store")
    with DemoSite("allofmp3") as site:
        summary = cli.crawl(_profile_copy(tmp_path, site.base_url, render=False))
    products = [i for i in cli.items(summary["capture_id"]) if i["kind"] == "product"]
    assert len(products) == len(expected_items("allofmp3"))
    assert summary["offers"] == 0 and all(p["offers"] == [] for p in products)
    manifest = json.loads((cli.store / "captures" / summary["capture_id"] / "manifest.json").read_text())
    assert "browser" not in manifest and manifest["environment"]["browser"] is None  # no browser was used


def test_a_crawl_without_render_never_imports_playwright(tmp_path):
    with DemoSite("allofmp3") as site:
        profile = _profile_copy(tmp_path, site.base_url, render=False, limits={"max_pages": 5})
        code = ("import sys\nfrom evidence_crawler.cli import app\ntry:\n    app(sys.argv[1:])\n"
                "except SystemExit as e:\n    assert not e.code, e.code\n"
                "print('PLAYWRIGHT' if any(m.startswith('playwright') for m in sys.modules) else 'CLEAN')\n")
        proc = subprocess.run([sys.executable, "-c", code, "--store", str(tmp_path / "store"), "crawl", str(profile),
                               "--allow-private", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("CLEAN")


def _chromium_under(pid: int) -> list[psutil.Process]:
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [k for k in kids if "chrom" in k.name().lower()]


@pytest.mark.slow
# a chaos test: the kill lands at a moment the test cannot pin down on a loaded 2-core machine (failed once
# in a full run, passes alone); rerun rather than loosen what it asserts
@pytest.mark.flaky(reruns=2)
def test_browser_killed_mid_render_fails_that_page_cleanly_and_retries_it(cli, write_profile):
    with BrowserPages(slow_s=8.0) as pages:
        profile = write_profile(f"name: killtest\nstart_urls: ['{pages.url}/slow', '{pages.url}/page']\n"
                                "follow: []\nrender: all\n")
        proc = cli.start("crawl", str(profile), "--allow-private", "--json")
        killed: list[int] = []

        def killer() -> None:
            if pages.slow_started.wait(120):
                for p in _chromium_under(proc.pid):
                    try:
                        p.send_signal(signal.SIGKILL)
                        killed.append(p.pid)
                    except psutil.NoSuchProcess:
                        pass

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        out, err = proc.communicate(timeout=300)
        t.join(5)
    assert killed, "no Chromium process was found to kill"
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["state"] == "sealed"
    kinds = [(e["kind"], e["url"].rsplit("/", 1)[1]) for e in summary["errors"]]
    assert ("render_retry", "slow") in kinds and not any(k == "render_failed" for k, _ in kinds)
    renders = [json.loads(line) for line in (cli.store / "captures" / summary["capture_id"]
                                                           / "artifacts" / "renders.jsonl").read_text().splitlines()]
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in renders}
    assert by_url["slow"]["attempt"] == 2 and "page" in by_url
