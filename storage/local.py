"""Content-addressed directory store: the embedded default (``./evidence-store``).

Layout::

    custody.jsonl, custody.lock       the chain-of-custody ledger (evidence_crawler.custody)
    index.sqlite                      derived index, rebuildable (storage.index)
    objects/sha256/ab/<hex>           every sealed artifact, named by its sha256, mode 0444
    captures/<id>/state.json          lifecycle pointer (capturing/sealed/failed/discarded)
    captures/<id>/work/               files being written by a live crawl (WARC, jsonl, jobdir)
    captures/<id>/artifacts/<name>    hard links to the sealed objects, with readable names
    captures/<id>/manifest.json       the sealed manifest (also an object)

Writes go to a temporary name in the destination folder, are fsync'ed, then renamed
(``evidence_crawler.durable``), so a crash never leaves a half-written file under a final name.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from evidence_crawler.durable import READ_ONLY, fsync_file, publish, temp_name, write_json
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import Digests
from evidence_crawler.timeutil import utcnow


@dataclass(frozen=True)
class LocalObject:
    key: str
    digests: Digests


class LocalStore:
    """The :class:`storage.base.ArtifactStore` on a local (or shared) file system; also holds the captures."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()

    @classmethod
    def from_uri(cls, uri: str) -> LocalStore:
        """``file:///abs/path``, ``file://localhost/abs/path`` or a plain path."""
        parts = urlsplit(uri)
        if parts.scheme.lower() != "file":
            return cls(uri)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{uri!r}: a file:// store must be on this machine (no host, or localhost)")
        return cls(unquote(parts.path))

    # --- content-addressed objects -------------------------------------------------------------
    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / "sha256" / sha256[:2] / sha256

    def put_file(self, src: Path, digests: Digests | None = None,
                 metadata: Mapping[str, str] | None = None) -> LocalObject:
        """Hash ``src`` (unless the caller just did: ``digests``) and place it under its sha256 (hard link
        when possible, else an atomic copy). ``metadata`` is not kept: readable names are links in the
        capture folder (:meth:`link_artifact`)."""
        digests = digests or digest_file(src)
        dest = self.object_path(digests.sha256)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_name(dest)
            try:
                try:
                    os.link(src, tmp)
                except OSError:
                    shutil.copyfile(src, tmp)
                    fsync_file(tmp)
                os.chmod(tmp, READ_ONLY)
                publish(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
        elif dest.stat().st_size != digests.size:
            raise OSError(f"object {dest} exists with a different size: the store is damaged")
        return LocalObject(key=str(dest.relative_to(self.root)), digests=digests)

    def stat(self, sha256: str) -> Digests | None:
        path = self.object_path(sha256)
        return digest_file(path) if path.exists() else None

    def open(self, sha256: str) -> BinaryIO:
        return open(self.object_path(sha256), "rb")

    # --- captures ------------------------------------------------------------------------------
    def new_capture_id(self, profile_name: str, now: datetime | None = None) -> str:
        stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
        return f"{stamp}-{profile_name}-{secrets.token_hex(3)}"

    def capture_dir(self, capture_id: str) -> Path:
        if "/" in capture_id or capture_id.startswith(".") or not capture_id:
            raise ValueError(f"not a capture id: {capture_id!r}")
        return self.root / "captures" / capture_id

    def capture_ids(self) -> list[str]:
        base = self.root / "captures"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / "state.json").exists())

    def read_state(self, capture_id: str) -> dict[str, Any]:
        path = self.capture_dir(capture_id) / "state.json"
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise KeyError(f"no capture {capture_id!r} in {self.root}") from None

    def write_state(self, capture_id: str, state: dict[str, Any]) -> None:
        write_json(self.capture_dir(capture_id) / "state.json", state)

    def link_artifact(self, capture_id: str, name: str, sha256: str) -> Path:
        """Give a sealed object its readable name in the capture folder (same inode, read-only)."""
        dest = self.capture_dir(capture_id) / "artifacts" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.unlink()
        try:
            os.link(self.object_path(sha256), dest)
        except OSError:
            shutil.copyfile(self.object_path(sha256), dest)
            os.chmod(dest, READ_ONLY)
        return dest
