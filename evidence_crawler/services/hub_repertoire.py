"""``p2p hub --repertoire NAME``: one search per catalogue work, and each share matched to a work.

Searches: "artist title" of each work, in catalogue order, once each (case-folded), words only (DC hubs
match every word as a substring of the path, so a lone "-" would match nearly everything), at most
``max_searches`` (default 100; each search waits ``search_wait`` seconds for results, and the survey's
``--duration`` still bounds the whole). Works with neither artist nor title give no search and are counted.

Matching: every ``p2p_share`` item (search result or file-list entry) goes through the repertoire matcher
(``repertoire.match``) on its file name ("Artist - Title.mp3", or the parent folder as the artist), the
same code ``match`` uses; the best work goes in the share's ``matched_work`` field (``None`` when no work
matched). The search term's own work stays in ``work``: what was searched is not what was found.
"""

from __future__ import annotations

import re
from typing import Any

from evidence_crawler.models import Item
from evidence_crawler.models.manifest import HubRepertoire
from evidence_crawler.p2phub.profile import HubSurveySpec
from evidence_crawler.p2phub.records import SearchTerm
from evidence_crawler.repertoire.match import WorkIndex, match_items
from evidence_crawler.services.repertoire import load_version
from storage.local import LocalStore

MAX_SEARCHES = 100
_WORD = re.compile(r"\w[\w'’.&]*", re.UNICODE)


def work_label(artist: str | None, title: str | None) -> str:
    return " - ".join(p for p in (artist, title) if p)


def repertoire_searches(store: LocalStore, name: str, version: int | None,
                        max_searches: int = MAX_SEARCHES) -> tuple[HubRepertoire, list[SearchTerm]]:
    """The searches a repertoire version gives; RepertoireUnusable (one line) for an unknown name."""
    record, catalogue = load_version(store, name, version)
    terms: list[SearchTerm] = []
    seen: set[str] = set()
    skipped = 0
    for work in catalogue.works:
        words = _WORD.findall(f"{work.artist or ''} {work.title or ''}")
        if not words:
            skipped += 1
            continue
        text = " ".join(words)[:200].strip()
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        if len(terms) < max_searches:
            terms.append(SearchTerm(term=text, work=work_label(work.artist, work.title)))
    ref = HubRepertoire(name=record.name, version=record.version, sha256=record.sha256, works=len(catalogue.works),
                        searches=len(terms), max_searches=max_searches, skipped=skipped)
    return ref, terms


def match_shares(store: LocalStore, ref: HubRepertoire | None, items: list[Item]) -> list[Item]:
    """The items with ``matched_work`` set on every ``p2p_share`` (None without a repertoire or a match)."""
    shares = [i for i, item in enumerate(items) if item.kind == "p2p_share"]
    found: dict[int, dict[str, Any]] = {}
    if ref is not None and shares:
        _, catalogue = load_version(store, ref.name, ref.version)
        works = list(catalogue.works)
        run = match_items(WorkIndex(works), [items[i] for i in shares])
        for c in sorted(run.candidates, key=lambda c: (-c.score, c.work)):
            w = works[c.work]
            found.setdefault(shares[c.item], {"repertoire": ref.name, "version": ref.version, "row": w.row,
                                              "artist": w.artist, "title": w.title, "method": c.method,
                                              "score": c.score, "review": c.review})
    return [item.model_copy(update={"fields": {**item.fields, "matched_work": found.get(i)}})
            if item.kind == "p2p_share" else item for i, item in enumerate(items)]


def repertoire_ref(store: LocalStore, spec: HubSurveySpec) -> HubRepertoire | None:
    if not spec.repertoire:
        return None
    return repertoire_searches(store, spec.repertoire, spec.repertoire_version, spec.max_searches)[0]
