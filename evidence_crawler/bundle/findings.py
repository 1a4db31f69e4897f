"""Repertoire findings in a bundle (``export --repertoire NAME``): the sealed findings, the catalogue they
were matched against, and the report section "Works of the repertoire offered".

Members: ``evidence/findings.json`` (one capture; with several, ``evidence/<capture>.findings.json`` each),
the sealed bytes of ``match`` as the ``findings_computed`` custody event hashed them, and
``evidence/repertoire-<name>-v<N>.<csv|xlsx>``, the imported catalogue byte for byte, so the other side's
expert can re-run the match. The bundle manifest's ``findings`` section lists both with their sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.models import Findings, RepertoireVersion
from evidence_crawler.models.bundle import FindingsRef, RepertoireCopy

FINDINGS = "evidence/findings.json"
NO_HOLDER = "(no rights_holder)"



@dataclass(frozen=True)
class FindingsEntry:
    """What export hands over per capture: the sealed bytes and the catalogue version (object on disk)."""

    capture_id: str
    data: bytes
    sha256: str
    repertoire: RepertoireVersion
    repertoire_file: Path


def findings_member(capture_id: str, several: bool) -> str:
    return f"evidence/{capture_id}.findings.json" if several else FINDINGS


def repertoire_member(rep: RepertoireVersion) -> str:
    return f"evidence/repertoire-{rep.name}-v{rep.version}.{rep.ext}"


def add_findings(w: WaczWriter, entries: list[FindingsEntry]) -> list[FindingsRef]:
    refs, copied = [], set()
    for e in entries:
        member = w.add_bytes(findings_member(e.capture_id, len(entries) > 1), e.data)
        if member.sha256 != e.sha256:
            raise ValueError(f"findings of {e.capture_id}: the bytes written differ from the sealed findings")
        rep_member = repertoire_member(e.repertoire)
        if rep_member not in copied:
            copy = w.add_file(rep_member, e.repertoire_file)
            if copy.sha256 != e.repertoire.sha256:
                raise ValueError(f"{e.repertoire_file}: no longer matches repertoire {e.repertoire.name} "
                                 f"v{e.repertoire.version}")
            copied.add(rep_member)
        refs.append(FindingsRef(capture_id=e.capture_id, member=member.path, sha256=e.sha256,
                                matches=len(Findings.model_validate_json(e.data).matches),
                                repertoire=RepertoireCopy(name=e.repertoire.name, version=e.repertoire.version,
                                                          sha256=e.repertoire.sha256, member=rep_member)))
    return refs


def report_findings(entries: list[FindingsEntry]) -> list[dict[str, Any]]:
    """Per capture, per rights holder: the rows of the report section (all text is data, autoescaped)."""
    out = []
    for e in entries:
        f = Findings.model_validate_json(e.data)
        holders = []
        for holder, totals in f.by_rights_holder.items():
            rows = [_row(m) for m in f.matches if (m.work.rights_holder or NO_HOLDER) == holder]
            holders.append({"name": holder, "totals": totals.model_dump(), "rows": rows})
        out.append({"capture_id": f.capture_id, "repertoire": f.repertoire.model_dump(), "fx": f.fx,
                    "unmatched": f.unmatched_works, "holders": holders})
    return out


def _row(m) -> dict[str, Any]:
    fields = m.item.fields
    shown = " – ".join(str(fields[k]) for k in ("artist", "title") if fields.get(k)) or str(
        fields.get("name") or m.item.key)
    ref = m.price.reference
    return {"row": m.work.row, "work": " – ".join(x for x in (m.work.artist, m.work.title) if x),
            "kind": m.work.kind, "shown": shown, "url": m.item.url, "method": m.method, "score": m.score,
            "review": m.review,
            "offers": [f"{o.get('format') or ''} {o.get('price') or ''} ({o.get('amount')} {o.get('currency') or ''})"
                       .strip() for o in m.offers],
            "reference": f"{ref.amount} {ref.currency or ''}".strip() if ref else "",
            "ratio": m.price.ratio, "page_sha256": m.page_sha256,
            "warc": f"archive/{m.warc.file} @ {m.warc.offset}" if m.warc.file else ""}
