"""Technical intermediaries in a bundle (issue 18): ``evidence/intermediaries.json`` and the report section.

The member holds, per exported capture, the ``intermediaries`` section of its sealed manifest as it was
sealed (the manifest is in the bundle too, byte for byte): ``verify`` checks that the two agree and that
every piece of evidence naming a WARC file and offset points at a record of that WARC in the bundle. The
report section ("Technical intermediaries" / "Intermédiaires techniques") lists, per intermediary, what it
does for the site and the proof, so that a lawyer can turn it into notices. Names, contacts and details
come from RDAP servers and shop pages: hostile text, printed through the ``shop`` filter (escaped).
"""

from __future__ import annotations

import json
from typing import Any

from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.strings import strings
from evidence_crawler.models import CaptureManifest, IntermediariesSection

MEMBER = "evidence/intermediaries.json"
FORMAT = "evidence-crawler/bundle-intermediaries/1"

SHOWN_EVIDENCE = 5  # per intermediary in the report; the member has them all


def bundle_document(manifests: list[tuple[str, CaptureManifest]]) -> dict[str, Any] | None:
    """The member's content: each capture's sealed section (None when no capture has one)."""
    captures = [{"capture_id": cid, "section": m.intermediaries.model_dump(mode="json")}
                for cid, m in manifests if m.intermediaries is not None]
    return {"format": FORMAT, "captures": captures} if captures else None


def add_intermediaries(w: WaczWriter, manifests: list[tuple[str, CaptureManifest]]) -> dict[str, Any] | None:
    doc = bundle_document(manifests)
    if doc is not None:
        w.add_bytes(MEMBER, json.dumps(doc, indent=2, ensure_ascii=False).encode() + b"\n")
    return doc


def _proof(ev: dict[str, Any]) -> str:
    if ev.get("warc_file"):
        where = f"{ev['warc_file']} @ {ev['warc_offset']}"
    elif ev.get("page_sha256"):
        where = f"sha256 {ev['page_sha256']}"
    else:
        where = ev.get("record_id") or ""
    return f"{ev['kind']} {ev['target']} — {ev['detail']}" + (f" [{where}]" if where else "")


def report_intermediaries(doc: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """Per capture, the rows of the section: role (in the report's language), name, contact, proof lines."""
    out, roles = [], strings(lang, "roles")
    for cap in (doc or {}).get("captures", []):
        s = IntermediariesSection.model_validate(cap["section"])
        failed = [lk for lk in s.lookups if lk.outcome not in ("ok", "nodata")]
        rows = [{"role": roles[i.role], "name": i.name, "abuse": i.abuse_contact or "—",
                 "country": i.country or "—", "proofs": [_proof(e.model_dump()) for e in i.evidence[:SHOWN_EVIDENCE]],
                 "more": max(0, i.evidence_total - SHOWN_EVIDENCE)} for i in s.intermediaries]
        out.append({"capture_id": cap["capture_id"], "rows": rows, "failed": len(failed), "lookups": len(s.lookups),
                    "exhausted": s.budget_exhausted, "error": s.error})
    return out


def check_intermediaries(b: Any, manifest: Any) -> None:
    """``verify``: the member agrees with the sealed manifests in the bundle, and each proof naming a WARC
    file and offset points at a verified record of that WARC (``b``: the verifier's bundle)."""
    sealed = {}
    for cap in manifest.captures:
        try:
            m = CaptureManifest.read(b.doc(cap.manifest.member) or b"")
        except ValueError:
            continue  # named by the capture checks
        sealed[cap.capture_id] = (m, {a.name: a.member for a in cap.artifacts})
    expected = {cid for cid, (m, _) in sealed.items() if m.intermediaries is not None}
    if b.doc(MEMBER) is None:
        if expected:
            b.problem(f"{MEMBER}: missing, though {', '.join(sorted(expected))} recorded intermediaries")
        return
    try:
        doc = json.loads(b.doc(MEMBER))
        entries = {c["capture_id"]: IntermediariesSection.model_validate(c["section"]) for c in doc["captures"]}
    except (ValueError, KeyError, TypeError):
        b.problem(f"{MEMBER}: not an intermediaries document")
        return
    if set(entries) != expected:
        b.problem(f"{MEMBER}: lists captures {sorted(entries)}, the sealed manifests {sorted(expected)}")
    for cid, section in entries.items():
        if cid not in expected:
            continue
        m, members = sealed[cid]
        if section.model_dump(mode="json") != m.intermediaries.model_dump(mode="json"):
            b.problem(f"{MEMBER}: {cid} differs from the intermediaries section of its sealed manifest")
            continue
        for entry in section.intermediaries:
            for ev in entry.evidence:
                if ev.warc_file is None:
                    continue
                scan = b.scans.get(members.get(ev.warc_file, ""))
                if scan is None or ev.warc_offset not in scan.payloads:
                    b.problem(f"{MEMBER}: {entry.role} {entry.name}: no verified record at offset "
                              f"{ev.warc_offset} of {ev.warc_file}")
                b.report.count("intermediaries_proofs")
