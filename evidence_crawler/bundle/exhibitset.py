"""The exhibits of a bundle: chosen per capture (``exhibits.py``), each with a screenshot as a bundle
member: the capture-time screenshot when the page was rendered at capture, else one rendered now from
the archived bytes (``archiverender.py``, one browser for all of them), as ``evidence/exhibit-NN.png``
(one folder deep, as WACZ validators require of extra members). Added before ``evidence/manifest.json``,
so the manifest, its signature and its timestamp cover the screenshots too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.bundle.archiverender import ArchivedAt, ArchiveRenderer
from evidence_crawler.bundle.exhibits import choose
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.sealed import ExportedCapture
from evidence_crawler.timeutil import iso


def exhibit_member(n: int) -> str:
    return f"evidence/exhibit-{n:02d}.png"


def archive_index(entries: list[dict[str, Any]], warc_dir: Path) -> dict[str, ArchivedAt]:
    """URL -> the record that answers it at replay: the first 200, else the first answer recorded."""
    index: dict[str, ArchivedAt] = {}
    best: dict[str, bool] = {}
    for e in entries:
        if e.get("robots") or not e.get("warc_file"):
            continue
        ok = e.get("status") == 200
        if e["url"] not in index or (ok and not best[e["url"]]):
            index[e["url"]], best[e["url"]] = ArchivedAt(warc_dir / e["warc_file"], e["warc_offset"]), ok
    return index


def choose_exhibits(exported: list[ExportedCapture], patterns: list[Any], max_exhibits: int,
                    finding_urls: set[str]) -> list[dict[str, Any]]:
    """Every capture's exhibits, numbered from 1, within one ``max_exhibits`` budget shared in capture order."""
    out: list[dict[str, Any]] = []
    for x in exported:
        left = max_exhibits - len(out)
        if left <= 0:
            break
        items = [i.model_dump(mode="json") for i in x.items]
        out += choose(x.entries, items, patterns, left, finding_urls)
    for n, ex in enumerate(out, 1):
        ex["n"] = n
    return out


def add_exhibit_shots(w: WaczWriter, exhibits: list[dict[str, Any]], exported: list[ExportedCapture],
                      root: Path, chromium: str, tmp: Path) -> None:
    """Give each exhibit ``image_src`` (relative to the report), ``image_file`` (on disk, for printing),
    ``image_sha256`` and ``shot`` ("capture" | "archive" | None) with ``shot_at``."""
    by_id = {x.sealed.id: x for x in exported}
    todo = []
    for ex in exhibits:
        x = by_id[ex["capture_id"]]
        arts = {a.name: (a, s) for a, s in zip(x.summary.artifacts, x.sealed.manifest.artifacts, strict=True)}
        if ex.get("screenshot") in arts:
            art, sealed = arts[ex["screenshot"]]
            ex.update(image_src=art.member.removeprefix("evidence/"), image_file=root / sealed.path,
                      image_sha256=art.sha256, shot="capture", shot_at=ex.get("fetched_at"))
        else:
            ex.update(image_src=None, image_file=None, image_sha256=None, shot=None, shot_at=None)
            todo.append(ex)
    if not todo:
        return
    indexes = {cid: archive_index(x.archived or x.entries, x.sealed.dir / "artifacts") for cid, x in by_id.items()}
    with ArchiveRenderer(chromium) as renderer:
        for ex in todo:
            png = renderer.render(ex["url"], indexes[ex["capture_id"]])
            if png is None:
                continue
            path = tmp / f"exhibit-{ex['n']:02d}.png"
            path.write_bytes(png)
            member = w.add_file(exhibit_member(ex["n"]), path)
            ex.update(image_src=member.path.removeprefix("evidence/"), image_file=path, image_sha256=member.sha256,
                      shot="archive", shot_at=iso())
