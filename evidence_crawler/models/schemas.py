"""The JSON Schemas we promise, by name: printed by ``evidence-crawler schema NAME`` and carried in every
exported bundle as ``evidence/<name>.schema.json``, so any JSON Schema tool can check the bundle's files."""

from __future__ import annotations

import json

from pydantic import BaseModel

from evidence_crawler.models.bundle import BundleManifest
from evidence_crawler.models.custody import CustodyEvent
from evidence_crawler.models.findings import Findings
from evidence_crawler.models.items import Item
from evidence_crawler.models.manifest import CaptureManifest
from evidence_crawler.models.records import PageRecord

SCHEMAS: dict[str, type[BaseModel]] = {
    "manifest": CaptureManifest,  # captures/<id>/manifest.json; evidence/<capture>.manifest.json
    "bundle-manifest": BundleManifest,  # evidence/manifest.json
    "custody-event": CustodyEvent,  # each line of custody.jsonl
    "page": PageRecord,  # each line of pages.jsonl
    "item": Item,  # each line of items.jsonl
    "findings": Findings,  # match's sealed findings; evidence/findings.json
}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(name: str) -> dict:
    """The schema of ``name`` (KeyError for an unknown one), with its dialect and a title."""
    model = SCHEMAS[name]
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema()}


def schema_bytes(name: str) -> bytes:
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False).encode() + b"\n"
