"""Older manifests load without the conditions ("not recorded"); new ones write every field and read back
byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from evidence_crawler.models import CaptureManifest, PageRecord, PublicIp

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-store-v1"
CONDITIONS = ("machine", "tool_files", "browser", "dns_resolvers", "public_ip", "clock", "clean_state", "robots")


def legacy_manifest() -> Path:
    return sorted(LEGACY.glob("captures/*/manifest.json"))[0]


def test_a_legacy_manifest_has_no_conditions_and_writes_back_unchanged():
    raw = legacy_manifest().read_bytes()
    manifest = CaptureManifest.read(raw)
    assert all(getattr(manifest.environment, name) is None for name in CONDITIONS)
    assert manifest.dump_bytes() == raw


def test_conditions_write_every_field_and_read_back_byte_for_byte():
    data = json.loads(legacy_manifest().read_bytes())
    data["environment"].update(
        public_ip=PublicIp(error="not determined: EVIDENCE_PUBLIC_IP_URLS is not set").model_dump(),
        machine={"cpu_model": None, "cpu_count": 2, "memory_bytes": 1024},
        clock={"system_utc": "2026-12-02T00:00:00.000000Z", "checked": False, "error": "unchecked: x"})
    manifest = CaptureManifest.model_validate(data)
    written = manifest.dump_bytes()
    env = json.loads(written)["environment"]
    assert env["public_ip"] == {"ip": None, "source_url": None, "checked_at": None,
                                "error": "not determined: EVIDENCE_PUBLIC_IP_URLS is not set", "answer_sha256": None}
    assert env["clock"]["offset_s"] is None and env["clock"]["server"] is None  # stated as null, not left out
    assert CaptureManifest.read(written).dump_bytes() == written


def test_a_page_line_without_link_text_still_reads():
    line = {"url": "http://shop/", "status": 200, "fetched_at": "t", "received_at": "t", "ip": None, "sha256": "0",
            "blake3": "0", "size": 0, "warc_file": "w", "warc_offset": 0, "warc_length": 1, "record_id": "r",
            "request_record_id": "q"}
    assert PageRecord(**line).link_text is None
    assert PageRecord(**line, link_text="Кино").link_text == "Кино"
