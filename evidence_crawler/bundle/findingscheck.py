"""``verify``'s check of repertoire findings (bundles exported with ``--repertoire``).

The faithful check without the matching engine: the findings file is the one the ``findings_computed``
custody event of its capture hashed, against the catalogue copy the bundle carries (same sha256), and every
match points at an item of the capture's sealed ``items.jsonl`` as it was sealed (url, key, fields, offers,
page_sha256) and at that page's WARC record (file, offset) in the sealed ``pages.jsonl``. Whether the match
itself is right is for the expert: the catalogue is in the bundle, so the match can be re-run.
"""

from __future__ import annotations

import json
from typing import Any

from evidence_crawler.models import BundleManifest, EventKind, Findings


def _sealed_lines(b: Any, member: str | None) -> list[dict]:
    if not member:
        return []
    try:
        return [json.loads(line) for line in (b.doc(member) or b"").splitlines() if line.strip()]
    except ValueError:
        return []  # named by the capture checks


def check_findings(b: Any, manifest: BundleManifest, events: list[dict]) -> None:
    """``b`` is the verifier's bundle (``doc``, ``scans``, ``problem``, ``report``); problems are named."""
    captures = {c.capture_id: {a.name: a.member for a in c.artifacts} for c in manifest.captures}
    for ref in manifest.findings:
        scan, rep = b.scans.get(ref.member), b.scans.get(ref.repertoire.member)
        if scan is None or scan.sha256 != ref.sha256:
            b.problem(f"{ref.member}: missing or not the findings of {ref.capture_id} the manifest names")
            continue
        if rep is None or rep.sha256 != ref.repertoire.sha256:
            b.problem(f"{ref.repertoire.member}: missing or not repertoire {ref.repertoire.name} "
                      f"v{ref.repertoire.version} (sha256 {ref.repertoire.sha256})")
        computed = [e for e in events if e["capture_id"] == ref.capture_id
                    and e["event"] == EventKind.FINDINGS_COMPUTED and e["data"].get("findings_sha256") == ref.sha256]
        if not any(e["data"].get("repertoire_sha256") == ref.repertoire.sha256 for e in computed):
            b.problem(f"{ref.member}: no findings_computed custody event of {ref.capture_id} names it and "
                      f"repertoire sha256 {ref.repertoire.sha256}")
        try:
            findings = Findings.model_validate_json(b.doc(ref.member) or b"")
        except ValueError:
            b.problem(f"{ref.member}: not a findings file")
            continue
        if (findings.capture_id, findings.repertoire.sha256) != (ref.capture_id, ref.repertoire.sha256):
            b.problem(f"{ref.member}: names capture {findings.capture_id} / repertoire {findings.repertoire.sha256}, "
                      f"not those of the manifest")
        _check_matches(b, ref.member, findings, captures.get(ref.capture_id, {}))
        b.report.count("findings_matches", len(findings.matches))


def _check_matches(b: Any, member: str, findings: Findings, artifacts: dict[str, str]) -> None:
    items = {json.dumps([i.get("url"), i.get("key"), i.get("fields"), i.get("offers", []), i.get("page_sha256")],
                        sort_keys=True, ensure_ascii=False) for i in _sealed_lines(b, artifacts.get("items.jsonl"))}
    pages = {(p.get("sha256"), p.get("warc_file"), p.get("warc_offset"))
             for p in _sealed_lines(b, artifacts.get("pages.jsonl"))}
    for m in findings.matches:
        key = json.dumps([m.item.url, m.item.key, m.item.fields, m.offers, m.page_sha256], sort_keys=True,
                         ensure_ascii=False)
        if key not in items:
            b.problem(f"{member}: row {m.work.row} -> {m.item.url}: not an item of the sealed items.jsonl "
                      "(url, fields, offers or page differ)")
        elif m.warc.file is not None and (m.page_sha256, m.warc.file, m.warc.offset) not in pages:
            b.problem(f"{member}: row {m.work.row} -> {m.item.url}: page {m.page_sha256} is not at "
                      f"{m.warc.file} offset {m.warc.offset} in the sealed pages.jsonl")
