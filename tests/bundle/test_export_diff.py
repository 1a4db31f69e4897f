"""`export OLD NEW --diff`: the bundle carries what changed between two captures, in data and in the report."""

from __future__ import annotations

import json
import zipfile

import pytest

from evidence_crawler.demo import DemoSite
from tests.bundle.conftest import export
from tests.conftest import PROFILES, Cli


@pytest.mark.slow
def test_export_with_diff_adds_diff_member_and_report_section(tsa, tmp_path):
    cli = Cli(tmp_path / "store")
    profile = PROFILES / "allofmp3-demo.yaml"
    with DemoSite("allofmp3") as site:
        old = cli.crawl(profile, "--start-url", site.base_url)["capture_id"]
        site.catalog.set_price_factor(1, "2")
        site.catalog.remove_album(2)
        new = cli.crawl(profile, "--start-url", site.base_url)["capture_id"]
    out = tmp_path / "case.wacz"
    export(cli, old, out, tsa, new, "--diff", "--case-ref", "DIFF-1")
    with zipfile.ZipFile(out) as z:
        diff = json.loads(z.read("evidence/diff.json"))
        manifest = json.loads(z.read("evidence/manifest.json"))
        report = z.read("evidence/report.html").decode()
    assert (diff["old"], diff["new"]) == (old, new)
    assert [r["url"].rsplit("/", 1)[1] for r in diff["removed"]] == ["2"]
    assert [c["url"].rsplit("/", 1)[1] for c in diff["changed"]] == ["1"]
    assert manifest["diff"]["changed"] == 1 and manifest["diff"]["removed"] == 1
    change = diff["changed"][0]["changes"][0]
    assert 'id="diff-changes"' in report and change["after"] in report
    verify = cli.run("verify", str(out))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_export_diff_needs_two_captures(tsa, sealed, tmp_path):
    cli, cid = sealed
    proc = export(cli, cid, tmp_path / "x.wacz", tsa, "--diff", expect=2)
    assert "--diff needs two captures" in proc.stderr
