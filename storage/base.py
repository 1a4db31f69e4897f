"""The storage protocol every backend implements (``local.LocalStore``, ``s3.S3ObjectLockStore``)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from evidence_crawler.models import Digests


class StoredObject(Protocol):
    key: str  # backend-relative key, e.g. ``objects/sha256/ab/abcdef...``
    digests: Digests


class ArtifactStore(Protocol):
    """Put bytes once under their sha256; never rewrite; open them again for verification."""

    def put_file(self, src: Path) -> StoredObject: ...

    def stat(self, sha256: str) -> Digests | None: ...

    def open(self, sha256: str) -> BinaryIO: ...
