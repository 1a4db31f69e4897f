"""The archive outbox: what is sealed locally but not yet proven to be in S3 (``archive/outbox.sqlite``).

One row per (capture, key): ``pending`` until an upload is proven, then ``archived`` with the bucket's
version id, checksum and retain-until; ``failed`` with the reason when an object cannot be archived as
it is (checksum mismatch, a refused overwrite, a damaged local object). Pending rows carry the number
of attempts, the last reason and when to try again (exponential backoff); failed rows wait for an
operator (``archive push ID`` puts them back in the queue). A multipart upload in progress is written
down (``upload_id``) before its first part, so a crash or outage never leaves an upload nobody aborts.

The outbox is part of the store's record, unlike ``index.sqlite``: deleting it loses the queue (the
custody ledger still says what was archived). Nothing in the local store is ever removed because it was
archived.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_crawler.durable import exclusive_lock
from evidence_crawler.models import Digests
from evidence_crawler.redact import redact_text
from evidence_crawler.timeutil import iso

PENDING, ARCHIVED, FAILED = "pending", "archived", "failed"

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    capture_id TEXT NOT NULL, key TEXT NOT NULL, bucket TEXT NOT NULL,
    name TEXT NOT NULL, role TEXT NOT NULL, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, blake3 TEXT NOT NULL, size INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',
    upload_id TEXT, version_id TEXT, checksum_sha256 TEXT, retention_mode TEXT, retain_until TEXT,
    legal_hold INTEGER NOT NULL DEFAULT 0, queued_at TEXT NOT NULL, archived_at TEXT,
    PRIMARY KEY (capture_id, key)
);
CREATE INDEX IF NOT EXISTS objects_due ON objects (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS objects_key ON objects (key);
CREATE TABLE IF NOT EXISTS captures (
    capture_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, queued_at TEXT NOT NULL,
    unlocked_allowed TEXT, archived_at TEXT
);
"""


@dataclass(frozen=True)
class OutboxEntry:
    capture_id: str
    key: str
    bucket: str
    name: str
    role: str
    path: str  # relative to the store root
    sha256: str
    blake3: str
    size: int
    state: str = PENDING
    attempts: int = 0
    next_attempt_at: float = 0.0
    reason: str = ""
    upload_id: str | None = None
    version_id: str | None = None
    checksum_sha256: str | None = None
    retention_mode: str | None = None
    retain_until: str | None = None
    legal_hold: int = 0
    queued_at: str = ""
    archived_at: str | None = None

    @property
    def digests(self) -> Digests:
        return Digests(sha256=self.sha256, blake3=self.blake3, size=self.size)


FIELDS = list(OutboxEntry.__dataclass_fields__)


class ArchiveOutbox:
    def __init__(self, store_root: str | Path) -> None:
        self.dir = Path(store_root).absolute() / "archive"
        self.path = self.dir / "outbox.sqlite"
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One connection per outbox object, shared by threads under a lock. WAL with synchronous=FULL: every
        commit is on disk (one fsync), and readers (``archive status``) never wait for a drain."""
        with self._lock:
            if self._conn is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(SCHEMA)
                self._conn = conn
            yield self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def draining(self):
        """One drainer per store at a time (scheduled crawls may finish together); others wait their turn."""
        return exclusive_lock(self.dir / "outbox.lock")

    # --- writing -------------------------------------------------------------------------------
    def enqueue(self, capture_id: str, bucket: str, entries: list[dict[str, Any]]) -> int:
        """Queue a capture's objects (once: queueing it again changes nothing); returns rows added."""
        now = iso()
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO captures (capture_id, bucket, queued_at) VALUES (?, ?, ?)",
                       (capture_id, bucket, now))
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO objects (capture_id, key, bucket, name, role, path, sha256, blake3, size, "
                "queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(capture_id, e["key"], bucket, e["name"], e["role"], e["path"], e["sha256"], e["blake3"],
                  e["size"], now) for e in entries])
            added = db.total_changes - before
        return added

    def requeue_failed(self, capture_id: str | None = None) -> int:
        with self._db() as db:
            cur = db.execute("UPDATE objects SET state=?, next_attempt_at=0 WHERE state=?"
                             + (" AND capture_id=?" if capture_id else ""),
                             (PENDING, FAILED, *([capture_id] if capture_id else [])))
            return cur.rowcount

    def set_upload(self, entry: OutboxEntry, upload_id: str | None) -> None:
        self._update(entry, upload_id=upload_id)

    def mark_archived(self, entry: OutboxEntry, obj: dict[str, Any]) -> None:
        self._update(entry, state=ARCHIVED, reason="", upload_id=None, version_id=obj.get("version_id"),
                     checksum_sha256=obj["checksum_sha256"], retention_mode=obj.get("retention_mode"),
                     retain_until=obj.get("retain_until"), legal_hold=int(bool(obj.get("legal_hold"))),
                     archived_at=iso())

    def mark_retry(self, entry: OutboxEntry, reason: str, delay_s: float) -> None:
        self._update(entry, state=PENDING, reason=redact_text(reason), attempts=entry.attempts + 1,
                     next_attempt_at=time.time() + delay_s)

    def mark_failed(self, entry: OutboxEntry, reason: str) -> None:
        self._update(entry, state=FAILED, reason=redact_text(reason), attempts=entry.attempts + 1)

    def _update(self, entry: OutboxEntry, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self._db() as db:
            db.execute(f"UPDATE objects SET {cols} WHERE capture_id=? AND key=?",
                       (*values.values(), entry.capture_id, entry.key))

    def note_unlocked(self, capture_id: str, how: str) -> bool:
        """Record that this capture went to a bucket without Object Lock; True the first time."""
        with self._db() as db:
            cur = db.execute("UPDATE captures SET unlocked_allowed=? WHERE capture_id=? AND unlocked_allowed IS NULL",
                             (how, capture_id))
            return cur.rowcount == 1

    def note_capture_archived(self, capture_id: str) -> bool:
        """Mark the capture complete when every row is archived; True only the time it becomes so."""
        with self._transaction() as db:
            left = db.execute("SELECT COUNT(*) FROM objects WHERE capture_id=? AND state!=?",
                              (capture_id, ARCHIVED)).fetchone()[0]
            cur = db.execute("UPDATE captures SET archived_at=? WHERE capture_id=? AND archived_at IS NULL AND ?=0",
                             (iso(), capture_id, left))
        return cur.rowcount == 1

    # --- reading -------------------------------------------------------------------------------
    def due(self, bucket: str, capture_id: str | None = None, force: bool = False) -> list[OutboxEntry]:
        """Pending rows whose backoff has passed (all with ``force``). What is not archived yet follows the
        configured bucket: after fixing a wrong bucket name, the queue drains to the right one."""
        with self._db() as db:
            db.execute("UPDATE objects SET bucket=? WHERE state!=? AND bucket!=?", (bucket, ARCHIVED, bucket))
        sql = f"SELECT {', '.join(FIELDS)} FROM objects WHERE state=?"
        args: list[Any] = [PENDING]
        if not force:
            sql += " AND next_attempt_at<=?"
            args.append(time.time())
        if capture_id:
            sql += " AND capture_id=?"
            args.append(capture_id)
        # the manifest goes last: a capture's manifest in the bucket means its artifacts went before it
        return self._select(sql + " ORDER BY queued_at, capture_id, role='manifest', name, key", args)

    def is_archived(self, key: str) -> bool:
        """Some capture's row already put this key in the bucket (content-addressed objects are shared)."""
        with self._db() as db:
            return db.execute("SELECT 1 FROM objects WHERE key=? AND state=? LIMIT 1", (key, ARCHIVED)).fetchone() \
                is not None

    def held(self, key: str) -> OutboxEntry | None:
        """The row that best says where ``key`` is: archived if any capture's row is, else a pending one
        (its bytes still only in the local store); failed rows hold nothing."""
        rows = self._select(f"SELECT {', '.join(FIELDS)} FROM objects WHERE key=? AND state!=? "
                            "ORDER BY state=? DESC LIMIT 1", [key, FAILED, ARCHIVED])
        return rows[0] if rows else None

    def entries(self, capture_id: str | None = None) -> list[OutboxEntry]:
        sql = f"SELECT {', '.join(FIELDS)} FROM objects"
        args = [capture_id] if capture_id else []
        return self._select(sql + (" WHERE capture_id=?" if capture_id else "") + " ORDER BY capture_id, name, key",
                            args)

    def captures(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        with self._db() as db:
            rows = db.execute("SELECT capture_id, bucket, queued_at, unlocked_allowed, archived_at FROM captures")
            return {r[0]: {"bucket": r[1], "queued_at": r[2], "unlocked_allowed": r[3], "archived_at": r[4]}
                    for r in rows}

    def _select(self, sql: str, args: list[Any]) -> list[OutboxEntry]:
        if not self.path.exists():
            return []
        with self._db() as db:
            return [OutboxEntry(**dict(zip(FIELDS, row, strict=True))) for row in db.execute(sql, args)]
