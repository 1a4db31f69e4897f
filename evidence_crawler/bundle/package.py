"""Write a WACZ zip: members streamed in and hashed as they pass, the file renamed into place at the end.

Every member is stored (no compression): WACZ asks for stored WARCs and indexes so replay tools can
seek into them, and a stored member's size in the zip is its real size (no ratio games for verifiers).
The zip is written to a temporary name next to the destination, fsync'ed, then renamed, so a crash or
a failed export never leaves a half-written bundle under the final name. An existing file at the
destination is never replaced unless asked (``commit(replace=True)``): without it the temporary file
is hard-linked to the final name, which fails if that name exists (no check-then-rename race).
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence_crawler.durable import fsync_file, publish, temp_name
from evidence_crawler.hashing import CHUNK, DualDigester

WACZ_VERSION = "1.1.1"
DATAPACKAGE, DIGEST = "datapackage.json", "datapackage-digest.json"


@dataclass(frozen=True)
class Member:
    path: str
    sha256: str
    blake3: str
    size: int

    def resource(self, name: str) -> dict:
        # "type": "file": frictionless would otherwise read .yaml/.json/.jsonl members as table schemas or
        # tables and report our site profile as an invalid schema; hashes and sizes are still checked.
        return {"name": name, "path": self.path, "type": "file", "hash": f"sha256:{self.sha256}",
                "bytes": self.size}


class WaczWriter:
    """``with WaczWriter(dest) as w: w.add_file(...); w.add_bytes(...); w.commit()``; no commit = no file."""

    def __init__(self, dest: Path, date_time: tuple[int, int, int, int, int, int] | None = None) -> None:
        self.dest = Path(dest).absolute()
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temp_name(self.dest)
        self.date_time = date_time or time.gmtime()[:6]
        self._zip = zipfile.ZipFile(self.tmp, "w", zipfile.ZIP_STORED, allowZip64=True)
        self.members: dict[str, Member] = {}

    def _info(self, path: str) -> zipfile.ZipInfo:
        if path in self.members or path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"bad or duplicate member name {path!r}")
        info = zipfile.ZipInfo(path, self.date_time)
        info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
        info.compress_type = zipfile.ZIP_STORED
        return info

    def add_stream(self, path: str, src: BinaryIO, size: int | None = None) -> Member:
        info = self._info(path)
        if size is not None:
            info.file_size = size
        d = DualDigester()
        with self._zip.open(info, "w", force_zip64=size is None or size > (1 << 31)) as out:
            while chunk := src.read(CHUNK):
                d.update(chunk)
                out.write(chunk)
        r = d.result()
        self.members[path] = member = Member(path, r.sha256, r.blake3, r.size)
        return member

    def add_file(self, path: str, src: Path) -> Member:
        with open(src, "rb") as fh:
            return self.add_stream(path, fh, os.fstat(fh.fileno()).st_size)

    def add_bytes(self, path: str, data: bytes) -> Member:
        info = self._info(path)
        self._zip.writestr(info, data)
        d = DualDigester()
        d.update(data)
        r = d.result()
        self.members[path] = member = Member(path, r.sha256, r.blake3, r.size)
        return member

    def add_json(self, path: str, obj) -> Member:
        return self.add_bytes(path, json.dumps(obj, indent=2, ensure_ascii=False).encode() + b"\n")

    def add_datapackage(self, title: str, description: str, created: str, software: str) -> Member:
        """``datapackage.json``: every member so far, once, with a unique name, its sha256 and size."""
        names = resource_names(list(self.members))
        package = {"profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
                   "description": description, "created": created, "software": software,
                   "resources": [m.resource(names[p]) for p, m in self.members.items()]}
        return self.add_json(DATAPACKAGE, package)

    def add_signed_datapackage(self, title: str, description: str, created: str, software: str,
                               sign: Callable[[str], dict]) -> None:
        """``datapackage.json``, then ``datapackage-digest.json`` with ``sign(hash_text)`` as its ``signedData``
        (the WACZ signature); nothing may be added after it."""
        hash_text = "sha256:" + self.add_datapackage(title, description, created, software).sha256
        self.add_bytes(DIGEST, digest_bytes({"path": DATAPACKAGE, "hash": hash_text, "signedData": sign(hash_text)}))

    def commit(self, replace: bool = False) -> Path:
        """Publish the zip under ``dest``; FileExistsError (temporary file removed) if ``dest`` exists and
        not ``replace``."""
        self._zip.close()
        fsync_file(self.tmp)
        publish(self.tmp, self.dest, replace=replace)
        return self.dest

    def abort(self) -> None:
        try:
            self._zip.close()
        finally:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> WaczWriter:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self.tmp.exists():
            self.abort()


def resource_names(paths: list[str]) -> dict[str, str]:
    """Unique frictionless resource names (``^[-a-z0-9._/]+$``) for member paths, stable in order."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for p in paths:
        base = re.sub(r"[^-a-z0-9._/]", "-", p.lower())
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        names[p] = name
    return names


def digest_bytes(doc: dict) -> bytes:
    """``datapackage-digest.json`` exactly as written; the verifier re-serialises and compares, so a byte
    changed anywhere in it (even in ``software``, which the signature does not cover) is caught."""
    return json.dumps(doc, indent=2, ensure_ascii=True).encode() + b"\n"
