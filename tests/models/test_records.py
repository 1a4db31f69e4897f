"""The typed records: what the previous code wrote still loads, and what we write reads back the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from evidence_crawler.models import (
    CaptureError,
    CaptureManifest,
    CustodyEvent,
    DistributedCapture,
    DistributedPart,
    EventKind,
    Item,
    PageRecord,
    RenderRecord,
)
from evidence_crawler.models.schemas import SCHEMAS, json_schema

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "tests" / "fixtures" / "legacy-store-v1"
LINES = {"pages.jsonl": PageRecord, "items.jsonl": Item, "errors.jsonl": CaptureError}


def _legacy_manifests() -> list[Path]:
    return sorted(LEGACY.glob("captures/*/manifest.json"))


@pytest.mark.parametrize("path", _legacy_manifests(), ids=lambda p: p.parent.name)
def test_a_manifest_sealed_by_the_previous_code_reads_and_writes_back_byte_for_byte(path):
    raw = path.read_bytes()
    manifest = CaptureManifest.read(raw)
    assert manifest.dump_bytes() == raw
    assert manifest.counts.pages == sum(1 for _ in open(path.parent / "artifacts" / "pages.jsonl"))
    assert {a.role for a in manifest.artifacts} >= {"warc", "pages", "items", "errors", "profile"}


@pytest.mark.parametrize("name", sorted(LINES))
def test_every_line_the_previous_code_wrote_is_a_valid_record(name):
    paths = sorted(LEGACY.glob(f"captures/*/artifacts/{name}"))
    assert paths
    for path in paths:
        for line in path.read_bytes().splitlines():
            LINES[name].model_validate_json(line)


def test_every_legacy_custody_line_is_an_event_of_a_known_kind():
    events = [CustodyEvent.model_validate_json(line) for line in (LEGACY / "custody.jsonl").read_bytes().splitlines()]
    assert {e.event for e in events} >= {EventKind.CAPTURE_STARTED, EventKind.ARTIFACT_WRITTEN,
                                         EventKind.CAPTURE_SEALED}


def _with(manifest: CaptureManifest, **update) -> CaptureManifest:
    data = json.loads(manifest.dump_bytes())
    return CaptureManifest.model_validate({**{k: v for k, v in data.items() if k != "artifacts"}, **update,
                                           "artifacts": data["artifacts"]})


def test_optional_sections_are_absent_unless_given_and_typed_when_given():
    base = CaptureManifest.read(_legacy_manifests()[0])
    assert b'"distributed"' not in base.dump_bytes() and b'"browser"' not in base.dump_bytes()
    part = _with(base, distributed={"capture_id": "c", "worker": "w1", "host": "h"})
    assert isinstance(part.distributed, DistributedPart) and b"salvaged_by" not in part.dump_bytes()
    merged = _with(base, distributed={"frontier": "redis", "engine": "scrapy-redis", "duplicate_pages": 0, "workers": [
        {"worker": "w2", "host": None, "pid": "1", "started_at": None, "finished_at": None, "state": "lost",
         "part_capture_id": None, "requeued_requests": 3, "merged": False, "part_discarded": False}]})
    assert isinstance(merged.distributed, DistributedCapture)
    again = CaptureManifest.read(merged.dump_bytes())
    assert again.dump_bytes() == merged.dump_bytes()
    assert "part_store" not in json.loads(again.dump_bytes())["distributed"]["workers"][0]


def test_a_manifest_with_a_field_nobody_defined_is_refused():
    data = json.loads(_legacy_manifests()[0].read_bytes())
    with pytest.raises(ValidationError, match="extra_field"):
        CaptureManifest.model_validate({**data, "extra_field": 1})
    with pytest.raises(ValidationError, match="format"):
        CaptureManifest.model_validate({**data, "format": "evidence-crawler/manifest/2"})


def test_a_render_line_keeps_its_keys_in_the_order_they_were_written():
    line = {"seq": 1, "url": "http://s/", "final_url": "http://s/", "partial": False, "attempt": 1,
            "document_record_id": "<urn:uuid:1>", "artifacts": {"screenshot": {"name": "r.png", "sha256": "a",
                                                                               "size": 3}}}
    render = RenderRecord(**line)
    assert render.dump() == line and list(render.dump()) == list(line)
    assert render.screenshot_name() == "r.png"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_a_valid_json_schema_that_accepts_legacy_files(name):
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    samples = {"manifest": [json.loads(p.read_bytes()) for p in _legacy_manifests()],
               "custody-event": [json.loads(x) for x in (LEGACY / "custody.jsonl").read_bytes().splitlines()],
               "page": [json.loads(x) for p in LEGACY.glob("captures/*/artifacts/pages.jsonl")
                        for x in p.read_bytes().splitlines()],
               "item": [json.loads(x) for p in LEGACY.glob("captures/*/artifacts/items.jsonl")
                        for x in p.read_bytes().splitlines()]}.get(name, [])
    for doc in samples:
        validator.validate(doc)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evidence_crawler.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_schema_command_prints_each_schema_and_lists_the_names_without_one():
    listed = _cli("schema")
    assert listed.returncode == 0
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == list(SCHEMAS)
    for name in SCHEMAS:
        out = _cli("schema", name)
        assert out.returncode == 0, out.stderr
        printed = json.loads(out.stdout)
        assert printed == json_schema(name)
        jsonschema.Draft202012Validator.check_schema(printed)
    unknown = _cli("schema", "nope")
    assert unknown.returncode == 2 and "manifest, bundle-manifest" in unknown.stderr
