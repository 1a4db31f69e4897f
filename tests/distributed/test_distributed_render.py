"""Rendering profiles work distributed too: each worker renders in its own Chromium; the merged capture's
renders.jsonl names the screenshots, DOMs and PDFs exactly as the capture names them."""

from __future__ import annotations

import json

import pytest

from evidence_crawler.demo import DemoSite, expected_items
from tests.browser.conftest import needs_chromium
from tests.distributed.test_coordination import PROFILE, _cli, _done


@needs_chromium
@pytest.mark.slow
def test_two_workers_render_the_js_shop(tmp_path, redis_url):
    env: dict = {}
    store = tmp_path / "store"
    profile = PROFILE.with_name("allofmp3-js-demo.yaml")
    with DemoSite("allofmp3") as site:
        coord = _cli(store, "crawl", str(profile), "--start-url", site.base_url.rstrip("/") + "/js/",
                     "--allow-private", "--redis", redis_url, "--json", env=env)
        workers = [_cli(store, "worker", "--redis", redis_url, "--once", "--wait", "30", "--json", env=env)
                   for _ in range(2)]
        summary = _done(coord)
        for w in workers:
            _done(w)
    albums = [i for i in expected_items("allofmp3") if i.get("offers")]
    assert summary["state"] == "sealed"
    assert summary["offers"] == sum(len(i["offers"]) for i in albums)
    cid = summary["capture_id"]
    manifest = json.loads((store / "captures" / cid / "manifest.json").read_text())
    names = {a["name"] for a in manifest["artifacts"]}
    rows = [json.loads(line) for line in (store / "captures" / cid / "artifacts" / "renders.jsonl").read_text()
            .splitlines()]
    assert len({r["worker"] for r in rows}) == 2  # both workers rendered
    assert all(ref["name"] in names for r in rows for ref in r["artifacts"].values())
    assert len(names) == len(manifest["artifacts"])  # no name twice
