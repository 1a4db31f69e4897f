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
    # the conditions: the coordinator's own facts in the merged manifest, each worker's in its part manifest
    env = manifest["environment"]
    assert env["machine"]["cpu_count"] and len(env["tool_files"]["sha256"]) == 64 and env["robots"]["obeyed"]
    parts = [json.loads((store / "captures" / cid / "artifacts" / n).read_text()) for n in sorted(names)
             if n.startswith("part-")]
    for part in parts:
        part_env = part["environment"]
        assert part_env["browser"]["version"] and part_env["browser"]["proxy"] == "http://127.0.0.1:9"
        assert "new browser context" in part_env["clean_state"]["browser"]
        assert part_env["clean_state"]["cookies_in"] == 0 and part_env["public_ip"]["ip"] is None
    # the link texts travel through the shared frontier: item pages say which link led to them
    pages = [json.loads(line) for line in (store / "captures" / cid / "artifacts" / "pages.jsonl").read_text()
             .splitlines()]
    items = [p for p in pages if "/release/" in p["url"] and p["status"] == 200]
    assert items and all(p.get("link_text") for p in items)
