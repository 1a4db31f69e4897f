"""SQLite index of captures, pages, items and offers: derived, rebuildable, never the source of truth.

Rebuilt into a temporary file and renamed over the old one, so a crash mid-rebuild leaves the previous
index intact. ``add_capture`` upserts one sealed capture after a crawl.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.models import CaptureManifest

SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (id TEXT PRIMARY KEY, profile TEXT, state TEXT, started_at TEXT,
    finished_at TEXT, pages INT, items INT, offers INT, manifest_sha256 TEXT);
CREATE TABLE IF NOT EXISTS pages (capture_id TEXT, url TEXT, status INT, fetched_at TEXT, sha256 TEXT,
    blake3 TEXT, size INT, ip TEXT, warc_file TEXT, warc_offset INT, referrer TEXT, depth INT);
CREATE TABLE IF NOT EXISTS items (capture_id TEXT, url TEXT, key TEXT, kind TEXT, fields TEXT,
    page_sha256 TEXT, duplicate_of TEXT);
CREATE TABLE IF NOT EXISTS offers (capture_id TEXT, item_url TEXT, item_key TEXT, idx INT, format TEXT,
    price TEXT, amount TEXT, currency TEXT, fields TEXT);
CREATE INDEX IF NOT EXISTS pages_capture ON pages(capture_id);
CREATE INDEX IF NOT EXISTS items_capture ON items(capture_id, key);
CREATE INDEX IF NOT EXISTS offers_capture ON offers(capture_id, item_key);
"""


class CaptureIndex:
    def __init__(self, store_root: Path) -> None:
        self.path = Path(store_root) / "index.sqlite"
        self.root = Path(store_root)

    def _connect(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.executescript(SCHEMA)
        return db

    def _insert(self, db: sqlite3.Connection, capture_id: str) -> bool:
        cdir = self.root / "captures" / capture_id
        manifest_path = cdir / "manifest.json"
        if not manifest_path.exists():
            return False
        manifest = CaptureManifest.read(manifest_path)
        if manifest.part_of:
            return False  # a distributed worker's part: its pages and items are indexed with the merged capture
        arts = {a.name: self.root / a.path for a in manifest.artifacts}
        counts = manifest.counts
        for table in ("captures", "pages", "items", "offers"):
            db.execute(f"DELETE FROM {table} WHERE {'id' if table == 'captures' else 'capture_id'} = ?",
                       (capture_id,))
        db.execute("INSERT INTO captures VALUES (?,?,?,?,?,?,?,?,?)", (
            capture_id, manifest.profile.name, manifest.state, manifest.started_at,
            manifest.finished_at, counts.pages, counts.items, counts.offers,
            None))
        db.executemany("INSERT INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
            (capture_id, p["url"], p["status"], p["fetched_at"], p["sha256"], p["blake3"], p["size"],
             p.get("ip"), p["warc_file"], p["warc_offset"], p.get("referrer"), p.get("depth"))
            for p in iter_jsonl(arts["pages.jsonl"])))
        for item in iter_jsonl(arts["items.jsonl"]):
            db.execute("INSERT INTO items VALUES (?,?,?,?,?,?,?)", (
                capture_id, item["url"], item["key"], item["kind"], json.dumps(item["fields"], ensure_ascii=False),
                item["page_sha256"], item.get("duplicate_of")))
            db.executemany("INSERT INTO offers VALUES (?,?,?,?,?,?,?,?,?)", (
                (capture_id, item["url"], item["key"], i, o.get("format"), o.get("price"), o.get("amount"),
                 o.get("currency"), json.dumps(o, ensure_ascii=False))
                for i, o in enumerate(item.get("offers", []))))
        return True

    def add_capture(self, capture_id: str) -> None:
        with self._connect(self.path) as db:
            self._insert(db, capture_id)

    def rebuild(self) -> int:
        tmp = self.path.with_suffix(".sqlite.rebuild")
        tmp.unlink(missing_ok=True)
        count = 0
        db = self._connect(tmp)
        try:
            with db:
                base = self.root / "captures"
                for cdir in sorted(base.iterdir()) if base.is_dir() else []:
                    count += self._insert(db, cdir.name)
        finally:
            db.close()
        os.replace(tmp, self.path)
        return count

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, params).fetchall()
