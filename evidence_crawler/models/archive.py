"""What the archive records for one object of a sealed capture it copies to S3 (an outbox row)."""

from __future__ import annotations

from evidence_crawler.models.base import Frozen
from evidence_crawler.models.records import ArtifactRole


class ArchiveRecord(Frozen):
    key: str  # the S3 key: ``<prefix>/sha256/<hex>``, or ``<prefix>/captures/<id>/manifest.json``
    name: str
    role: ArtifactRole
    path: str  # the local object, relative to the store root
    sha256: str
    blake3: str
    size: int
