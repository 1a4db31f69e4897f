"""Sealed (and unsealed) captures laid out as the crawler leaves them, with chosen items and pages.

For pinning down diff semantics without crawling; the end-to-end tests crawl the real demo shops.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

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
        (d / "manifest.json").write_text(json.dumps({
            "capture_id": cid, "state": "sealed", "started_at": state["started_at"],
            "finished_at": state["started_at"], "profile": {"name": name}, "settings": {}, "artifacts": []}))
    return cid


def offer(fmt: str, amount: str, **extra) -> dict:
    return {"format": fmt, "price": f"${amount}", "amount": amount, "currency": "USD", **extra}
