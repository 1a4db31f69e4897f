"""The findings of one match run as a typed record and as deterministic bytes (they are sealed as evidence).

Same capture, same repertoire version, same options: the same bytes. Matches are ordered by catalogue row,
then item URL and key; keys are sorted; the options that shaped the result (scores, rates) are inside it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from evidence_crawler.models import Item, PageRecord
from evidence_crawler.models.findings import (
    Findings,
    HolderSummary,
    ItemRef,
    MatchFinding,
    RepertoireRef,
    WarcRef,
    Work,
)
from evidence_crawler.repertoire.match import Candidate, MatchOptions, MatchRun
from evidence_crawler.repertoire.pricing import price_finding

NO_HOLDER = "(no rights_holder)"


def _warc(item: Item, pages: dict[str, PageRecord]) -> WarcRef:
    page = pages.get(item.record_id or "") or pages.get(item.page_sha256)
    return WarcRef(file=page.warc_file if page else None, offset=page.warc_offset if page else None)


def build_findings(capture_id: str, repertoire: RepertoireRef, works: Sequence[Work], items: Sequence[Item],
                   pages: Sequence[PageRecord], run: MatchRun, options: MatchOptions,
                   fx: dict[str, str]) -> Findings:
    """``pages`` are the capture's page records: they give each item's WARC file and offset."""
    by_page = {p.record_id: p for p in pages if not p.robots} | {p.sha256: p for p in pages if p.status == 200}
    ordered: list[Candidate] = sorted(run.candidates, key=lambda c: (
        works[c.work].row, items[c.item].url, items[c.item].key, c.item))
    matches = [MatchFinding(
        work=works[c.work], item=ItemRef(url=items[c.item].url, key=items[c.item].key, fields=items[c.item].fields),
        score=c.score, method=c.method, review=c.review, offers=items[c.item].offers,
        page_sha256=items[c.item].page_sha256, warc=_warc(items[c.item], by_page),
        price=price_finding(works[c.work], items[c.item].offers, fx)) for c in ordered]
    return Findings(capture_id=capture_id, repertoire=repertoire, min_score=options.min_score,
                    review_below=options.review_below, fx=fx, matches=matches,
                    unmatched_works=len(works) - len({c.work for c in run.candidates}),
                    by_rights_holder=_by_holder(matches))


def _by_holder(matches: list[MatchFinding]) -> dict[str, HolderSummary]:
    sure: dict[str, list[MatchFinding]] = defaultdict(list)
    unsure: dict[str, set[int]] = defaultdict(set)
    for m in matches:
        holder = m.work.rights_holder or NO_HOLDER
        if m.review:
            unsure[holder].add(m.work.row)
        else:
            sure[holder].append(m)
    out = {}
    for holder in sorted(set(sure) | set(unsure)):
        confirmed = sure.get(holder, [])
        rows = {m.work.row for m in confirmed}
        ratios = [m.price.ratio for m in confirmed if m.price.ratio is not None]
        out[holder] = HolderSummary(works=len(rows), offers=sum(len(m.offers) for m in confirmed),
                                    cheapest_ratio=max(ratios) if ratios else None,
                                    review=len(unsure.get(holder, set()) - rows))
    return out


def findings_bytes(findings: Findings) -> bytes:
    """Canonical JSON: sorted keys, UTF-8 as is, two-space indent (people read it), one trailing newline."""
    return (json.dumps(findings.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, indent=2)
            + "\n").encode("utf-8")
