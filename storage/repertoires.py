"""The store's repertoire registry: ``repertoires/<name>/<version>.json``, one file per import, never rewritten.

The imported catalogue itself is a content-addressed object (``objects/sha256/...``, read-only) like every
artifact; a version file points at it. Versions are numbered under a lock on ``repertoires/<name>/.lock``
and published without replacing (``durable.publish(replace=False)``), so two imports of one name at once get
versions N and N+1, and an existing version can never be overwritten.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from evidence_crawler.durable import READ_ONLY, exclusive_lock, fsync_file, publish, temp_name
from evidence_crawler.models import Digests, RepertoireVersion
from storage.local import LocalStore

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VERSION_RE = re.compile(r"^(\d+)\.json$")


class UnknownRepertoire(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise ValueError(f"--name {name!r}: a repertoire name is 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    return name


class RepertoireBook:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.root = store.root / "repertoires"

    def stage(self, src: Path) -> Path:
        """A private copy of ``src`` inside the store: the bytes parsed are then the bytes kept, and the
        user's own file is neither hard-linked into the store nor made read-only."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(self.root / "incoming")
        shutil.copyfile(src, tmp)
        fsync_file(tmp)
        return tmp

    def versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not NAME_RE.match(name) or not folder.is_dir():
            return []
        return sorted(int(m.group(1)) for p in folder.iterdir() if (m := VERSION_RE.match(p.name)))

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def get(self, name: str, version: int | None = None) -> RepertoireVersion:
        versions = self.versions(name)
        if not versions:
            raise UnknownRepertoire(f"no repertoire {name!r} in {self.store.root} (repertoire import FILE "
                                    f"--name {name})")
        if version is None:
            version = versions[-1]
        if version not in versions:
            raise UnknownRepertoire(f"repertoire {name!r} has no version {version} (versions: "
                                    f"{', '.join(map(str, versions))})")
        return RepertoireVersion.read(self.root / name / f"{version}.json")

    def add(self, staged: Path, digests: Digests, **fields) -> RepertoireVersion:
        """Store ``staged`` as an object and register it as the next version of ``fields['name']``."""
        name = check_name(fields["name"])
        obj = self.store.put_file(staged, digests)
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(folder / ".lock"):
            version = (self.versions(name) or [0])[-1] + 1
            record = RepertoireVersion(version=version, sha256=digests.sha256, blake3=digests.blake3,
                                       size=digests.size, object=obj.key, **fields)
            dest = folder / f"{version}.json"
            tmp = temp_name(dest)
            tmp.write_bytes(record.dump_bytes())
            fsync_file(tmp)
            os.chmod(tmp, READ_ONLY)
            publish(tmp, dest, replace=False)
        return record

    def object_path(self, record: RepertoireVersion) -> Path:
        return self.store.object_path(record.sha256)
