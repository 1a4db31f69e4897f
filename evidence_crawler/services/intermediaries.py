"""Reading a sealed capture's intermediaries (issue 18): the manifest section, as the CLI and the bundle want it."""

from __future__ import annotations

from typing import Any

from evidence_crawler.models import IntermediariesSection
from evidence_crawler.services.captures import load_manifest, require_sealed
from storage.local import LocalStore


class NoIntermediaries(Exception):
    """The capture is not sealed, unknown, or was sealed without the step; the message says which."""


def capture_intermediaries(store: LocalStore, capture_id: str) -> IntermediariesSection:
    require_sealed(store, capture_id, NoIntermediaries, "its intermediaries are recorded at sealing")
    manifest = load_manifest(store, capture_id)
    if manifest is None or manifest.intermediaries is None:
        raise NoIntermediaries(f"capture {capture_id} has no intermediaries section (captured with "
                               "--no-intermediaries, as a distributed part, or by an older version)")
    return manifest.intermediaries


def as_json(capture_id: str, section: IntermediariesSection) -> dict[str, Any]:
    """``intermediaries CAPTURE_ID --json``: one entry per intermediary, then what the step asked and when."""
    failed = [lk.model_dump(mode="json") for lk in section.lookups if lk.outcome not in ("ok", "nodata")]
    return {"capture_id": capture_id,
            "intermediaries": [i.model_dump(mode="json") for i in section.intermediaries],
            "registered_domains": section.registered_domains, "hosts": section.hosts,
            "resolvers": section.resolvers, "started_at": section.started_at, "finished_at": section.finished_at,
            "budget_exhausted": section.budget_exhausted, "lookups": len(section.lookups),
            "lookups_failed": failed, "error": section.error}
