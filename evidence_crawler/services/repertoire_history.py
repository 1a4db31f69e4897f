"""``history NAME|PROFILE --repertoire NAME``: per matched work, the first and last capture that offered it.

Each sealed capture of the target (as ``history`` finds them) is taken with its findings against the
repertoire's latest version: those ``match`` stored, else a run now with the default options (stored and
recorded like any ``match``, so the figures shown are sealed findings). A work counts as offered in a capture
when it has a match there; ``review`` says when every one of its matches needed review.
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.models.findings import MatchFinding
from evidence_crawler.services.findings import findings_for
from evidence_crawler.services.history import history
from storage.local import LocalStore


def _price(matches: list[MatchFinding]) -> dict[str, Any]:
    """The cheapest offer among this capture's matches of one work (and its ratio), as the findings give it."""
    priced = [m for m in matches if m.price.cheapest is not None]
    best = min(priced, key=lambda m: -(m.price.ratio or 0)) if priced else None
    return {"cheapest": best.price.cheapest.model_dump() if best else None,
            "ratio": best.price.ratio if best else None, "urls": sorted({m.item.url for m in matches})}


def repertoire_history(store: LocalStore, target: str, repertoire: str) -> dict[str, Any]:
    rows = [r for r in history(store, target)["rows"] if r.get("result") == "sealed"]
    works: dict[int, dict[str, Any]] = {}
    ref = None
    for r in rows:
        stored = findings_for(store, r["capture_id"], repertoire)
        ref = stored.findings.repertoire
        by_row: dict[int, list[MatchFinding]] = {}
        for m in stored.findings.matches:
            by_row.setdefault(m.work.row, []).append(m)
        for row, matches in by_row.items():
            entry = works.setdefault(row, {"work": matches[0].work.model_dump(mode="json"), "review": True,
                                           "captures": []})
            entry["review"] = entry["review"] and all(m.review for m in matches)
            entry["captures"].append({"capture_id": r["capture_id"], "started_at": r["started_at"],
                                      "findings_sha256": stored.sha256, **_price(matches)})
    out = []
    for row in sorted(works):
        entry = works[row]
        entry["first"], entry["last"] = entry["captures"][0], entry["captures"][-1]
        out.append(entry)
    return {"target": target, "repertoire": ref.model_dump() if ref else {"name": repertoire},
            "captures": [r["capture_id"] for r in rows], "works": out}
