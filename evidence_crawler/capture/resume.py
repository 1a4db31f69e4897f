"""Resume repair: what a killed writer left in a capture's work folder, made consistent again.

Records are written by a background thread, so a kill can leave an item (extracted at once) whose page
record was still queued, and a WARC whose last record is torn. The torn tail is cut; a page line counts
only if its records are complete on disk; items whose page never reached the WARC are dropped (their page
is fetched again and they are extracted again). The caller states both repairs in custody
(``capture_resumed``). Used by ``crawl --resume`` and by the salvage of a dead distributed worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w3lib.url import canonicalize_url

from evidence_crawler.capture.linefiles import write_jsonl
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.warc import truncate_torn_tail


@dataclass
class Repair:
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical URL -> page in the WARC
    torn_bytes_cut: dict[str, int] = field(default_factory=dict)  # WARC file -> bytes cut from its tail
    items_dropped: int = 0  # items whose page record never reached the WARC


def _lines(path: Path) -> list[dict[str, Any]]:
    return list(iter_jsonl(path)) if path.exists() else []


def repair_work(work: Path) -> Repair:
    warcs = sorted((work / "warc").glob("*.warc.gz"))
    torn = {p.name: truncate_torn_tail(p) for p in warcs}
    sizes = {p.name: p.stat().st_size for p in warcs}
    repair = Repair(torn_bytes_cut={k: v for k, v in torn.items() if v})
    for page in _lines(work / "pages.jsonl"):
        if page["warc_offset"] + page["warc_length"] <= sizes.get(page["warc_file"], -1):
            repair.recorded[canonicalize_url(page["url"])] = page
    recorded_bodies = {p["sha256"] for p in repair.recorded.values()}
    items = _lines(work / "items.jsonl")
    kept = [i for i in items if i["page_sha256"] in recorded_bodies]
    if len(kept) != len(items):
        write_jsonl(work / "items.jsonl", kept)
    repair.items_dropped = len(items) - len(kept)
    return repair
