"""Item search across captures: one query on a derived SQLite index of folded text.

Folding is the repertoire matcher's (``repertoire.translit.skeletons``): case, diacritics and Cyrillic
romanised the ways shops and catalogues write it, so "Земфира", "Zemfira" and "ZEMFIRA" find the same
album. The index (``<store>/search.sqlite``) is derived: deleted or stale, it is rebuilt from the sealed
``items.jsonl`` files, which stay the truth.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
from pathlib import Path
from typing import Any

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.repertoire.translit import skeletons
from evidence_crawler.services.captures import capture_file, list_captures
from storage.local import LocalStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS indexed (capture_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS items (capture_id TEXT, n INT, url TEXT, key TEXT, fields TEXT, offers TEXT,
                                  folded TEXT, plain TEXT);
CREATE INDEX IF NOT EXISTS items_capture ON items(capture_id);
"""
MAX_TEXT = 4000  # folded text kept per item: hostile shops write megabytes into one field


def _text(item: dict[str, Any]) -> str:
    values = [str(v) for v in item.get("fields", {}).values() if isinstance(v, str | int | float)]
    return " ".join(values + [item.get("key", "")])[:MAX_TEXT]


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SearchIndex:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.path = Path(store.root) / "search.sqlite"
        self._lock = threading.Lock()  # one refresh at a time: two requests must not index a capture twice

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        db.executescript(SCHEMA)
        return db

    def refresh(self, db: sqlite3.Connection) -> None:
        done = {row[0] for row in db.execute("SELECT capture_id FROM indexed")}
        for c in list_captures(self.store):
            if c["state"] != "sealed" or c["id"] in done or c.get("part_of"):
                continue
            rows = []
            for n, item in enumerate(iter_jsonl(capture_file(self.store, c["id"], "items.jsonl"))):
                text = _text(item)
                rows.append((c["id"], n, item["url"], item.get("key", ""),
                             json.dumps(item.get("fields", {}), ensure_ascii=False),
                             json.dumps(item.get("offers", []), ensure_ascii=False),
                             " | ".join(skeletons(text)) if text else "", _plain(text)))
            with db:
                db.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?)", rows)
                db.execute("INSERT INTO indexed VALUES (?)", (c["id"],))

    def search(self, query: str, limit: int = 200) -> list[dict[str, Any]]:
        query = query.strip()[:200]
        if not query:
            return []
        folded = [s for s in skeletons(query) if s]
        clauses = ["plain LIKE ? ESCAPE '\\'"] + ["folded LIKE ? ESCAPE '\\'"] * len(folded)
        args = [f"%{_escape_like(_plain(query))}%"] + [f"%{_escape_like(s)}%" for s in folded]
        with self._lock, self._connect() as db:
            self.refresh(db)
            cur = db.execute(f"SELECT capture_id, n, url, key, fields, offers FROM items WHERE {' OR '.join(clauses)} "
                             "ORDER BY capture_id DESC, n LIMIT ?", (*args, limit))
            return [{"capture_id": cid, "n": n, "url": url, "key": key, "fields": json.loads(fields),
                     "offers": json.loads(offers)} for cid, n, url, key, fields, offers in cur]
