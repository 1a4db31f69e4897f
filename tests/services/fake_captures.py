"""Sealed (and unsealed) captures laid out as the crawler leaves them, with chosen items and pages.

For pinning down diff semantics without crawling; the end-to-end tests crawl the real demo shops.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from evidence_crawler.models import MANIFEST_FORMAT, CaptureManifest

PROFILE = """\
name: {name}
start_urls: [http://shop.example/]
{key}
fields: {{title: h1::text, catno: .catno::text}}
offers: {{selector: tr, fields: {{format: "::attr(data-format)", kbps: "::attr(data-kbps)", price: td::text}}{okey}}}
"""


def make_capture(store: Path, cid: str, items: list[dict], pages: dict[str, str] | None = None,
                 name: str = "shop", key: str = "", offers_key: str = "", sealed: bool = True) -> str:
    """A capture laid out as the crawler leaves it: state.json, manifest.json and artifacts/ (or work/)."""
    d = store / "captures" / cid
    files = d / ("artifacts" if sealed else "work")
    files.mkdir(parents=True)
    (files / "profile.yaml").write_text(PROFILE.format(name=name, key=f"key: {key}" if key else "",
                                                       okey=f", key: {offers_key}" if offers_key else ""))
    with open(files / "items.jsonl", "w") as fh:
        for item in items:
            fh.write(json.dumps({"kind": "product", "key": item["url"], "page_sha256": "0" * 64, **item}) + "\n")
    with open(files / "pages.jsonl", "w") as fh:
        for url, sha in (pages or {}).items():
            fh.write(json.dumps({"url": url, "sha256": sha}) + "\n")
    state = {"capture_id": cid, "profile": name, "state": "sealed" if sealed else "capturing",
             "pid": 999_999_999 if not sealed else os.getpid(), "host": socket.gethostname(),
             "started_at": f"2024-01-01T00:00:0{len(list(store.glob('captures/*')))}.000000Z"}
    (d / "state.json").write_text(json.dumps(state))
    if sealed:
        (d / "manifest.json").write_bytes(fake_manifest(cid, name, state["started_at"]).dump_bytes())
    return cid


def fake_manifest(cid: str, profile: str, at: str) -> CaptureManifest:
    """A sealed manifest with every required field (its artifacts are not listed: diff reads the files)."""
    environment = {"tool": {"name": "evidence-crawler", "version": "0"}, "python": "3", "dependencies": {},
                   "os": {}, "hostname": socket.gethostname(), "operator": "", "operator_source": "test",
                   "local_ips": [], "dns": {}, "proxy_variables": {}, "clock_utc": at, "user_agent": ""}
    return CaptureManifest(
        format=MANIFEST_FORMAT, capture_id=cid, state="sealed", started_at=at, finished_at=at,
        finish_reason="finished", profile={"name": profile, "path": "shop.yaml", "sha256": "0" * 64,
                                           "start_urls": ["http://shop.example/"], "allowed_domains": []},
        settings={}, environment=environment, navigation_path={"artifact": "pages.jsonl", "fields": ["url"]},
        counts={"pages": 0, "items": 0, "offers": 0, "p2p": 0, "errors": 0}, artifacts=[])


def offer(fmt: str, amount: str, **extra) -> dict:
    return {"format": fmt, "price": f"${amount}", "amount": amount, "currency": "USD", **extra}
