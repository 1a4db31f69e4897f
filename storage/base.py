"""The store protocol the local store, the S3 archive and its spool implement, and the URI scheme map.

Like Scrapy's ``FilesStoreProtocol`` + ``STORE_SCHEMES`` (``scrapy/pipelines/files.py``): three calls, and a
URI names the backend. ``put_file`` takes a path, not a stream, because every backend needs one: the local
store hard-links it, S3 reads parts of it in parallel, the spool keeps it in place until it is drained.
``metadata`` (``capture-id``, ``name``, ``role``) describes the object where a backend keeps such things
(S3 object metadata, the spool's outbox row); the content-addressed local store names files elsewhere.

Backends are listed by dotted path and imported only when asked for, so opening a local store never
imports boto3.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import urlsplit

from evidence_crawler.models import Digests


@runtime_checkable
class StoredObject(Protocol):
    key: str  # backend-relative key, e.g. ``objects/sha256/ab/abcdef...`` or ``evidence/sha256/abcdef...``
    digests: Digests


@runtime_checkable
class ArtifactStore(Protocol):
    """Put bytes once under their sha256; never rewrite; stat and open them again for verification."""

    def put_file(self, src: Path, digests: Digests | None = None,
                 metadata: Mapping[str, str] | None = None) -> StoredObject: ...

    def stat(self, sha256: str) -> Digests | None: ...

    def open(self, sha256: str) -> BinaryIO: ...


# scheme -> "module.Class"; the class has ``from_uri(uri, **options)``
STORE_SCHEMES: dict[str, str] = {
    "file": "storage.local.LocalStore",
    "s3": "storage.s3.S3ObjectLockStore",
}


def scheme_of(uri: str | Path) -> str:
    """``file`` for a plain path (``EVIDENCE_STORE`` has always been one), else the URI's scheme."""
    scheme = urlsplit(str(uri)).scheme
    return scheme.lower() if len(scheme) > 1 else "file"  # one letter: a Windows drive, still a path


def open_store(uri: str | Path, **options: Any) -> ArtifactStore:
    """The store ``uri`` names (``file://``, a plain path, ``s3://bucket/prefix``); ``options`` go to its
    backend (for S3: client, retention policy, uploader, on_refusal)."""
    scheme = scheme_of(uri)
    try:
        module, _, name = STORE_SCHEMES[scheme].rpartition(".")
    except KeyError:
        raise ValueError(f"no store for scheme {scheme!r} in {str(uri)!r} (known: "
                         f"{', '.join(sorted(STORE_SCHEMES))})") from None
    return getattr(importlib.import_module(module), name).from_uri(str(uri), **options)
