"""Which catalogue work each captured item is, by the strongest method that finds one.

Methods, strongest first: ``code`` (ISRC or UPC/EAN equal), ``exact``, ``normalised``, ``transliterated``
(dictionary look-ups, each a certainty) and ``fuzzy``. Fuzzy pairs are not all pairs: an item is only
compared with works whose artist shares a skeleton token (or its first four letters) with the item's
artist, and only those pairs are scored. rapidfuzz's ``process.cdist``/``cpdist`` would score them on two
threads but need numpy, which the project does not install; scored one by one with a score cutoff the
blocked pairs of 100,000 works x 20,000 items take seconds (bench/match.py), so threads would buy little.
A fuzzy score is the weaker of the artist score (token order free) and the title score (plain ratio, so a
title that is only a part of another scores low). An item keeps its best work(s); two different works tied
for best, or a fuzzy score under ``review_below``, come out with ``review: true``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz

from evidence_crawler.models import Item
from evidence_crawler.models.findings import Method
from evidence_crawler.repertoire.codes import item_gtin, item_isrc
from evidence_crawler.repertoire.normalise import (
    artist_skeletons,
    exact,
    normalise_artist,
    normalise_title,
    split_artist_title,
    title_skeletons,
)
from evidence_crawler.repertoire.records import Frozen, Work

MAX_TEXT = 500  # characters of a shop's artist/title used for matching: fuzzy scoring is quadratic in length
P2P_SUFFIX_RE = re.compile(r"\.(?:rar|zip|7z|torrent|mp3|flac|ape|wav|m4a|ogg|iso|cue)$", re.IGNORECASE)


class FieldMapping(Frozen):
    """Which item field holds what (a profile's ``match:``); default: fields named like the columns."""

    artist: str = "artist"
    title: str = "title"
    isrc: str = "isrc"
    upc: str = "upc"
    ean: str = "ean"
    kind: str = "kind"


class MatchOptions(Frozen):
    min_score: int = 80  # fuzzy candidates under this are dropped
    # fuzzy candidates under this are kept with review: true. 97 lets one dropped letter in a title of 17 or
    # more letters through (a typo) and sends one changed letter in a shorter one ("Прогулка"/"Прогулки": another
    # work?) to a person.
    review_below: int = 97
    block_cap: int = 200  # a blocking token shared by more artists than this (and 1%) is too common to use


class Candidate(Frozen):
    work: int  # index into the works given
    item: int  # index into the items given
    score: int
    method: Method
    review: bool


class MatchRun(Frozen):
    candidates: tuple[Candidate, ...]
    pairs_scored: int  # artist pairs + title pairs given to rapidfuzz


class ItemKeys(Frozen):
    artist: str | None
    title: str | None
    isrc: str | None
    gtin: str | None
    kind: str | None


def item_keys(item: Item, mapping: FieldMapping) -> ItemKeys:
    """What the item says it is; a p2p item's file name, or a lone 'Artist - Title', is split at the dash.

    A hub share (``p2p_share``) is named by its path: the file name, and when that has no dash, the folder
    it is in as the artist ("/Music/Kino/Gruppa krovi.mp3")."""
    f = item.fields
    folder = None
    if item.kind == "p2p_share":
        *dirs, name = re.split(r"[/\\]+", str(f.get("path") or "").strip("/\\")[-2 * MAX_TEXT:]) or [""]
        folder, title = (dirs[-1] if dirs else None), P2P_SUFFIX_RE.sub("", name)
    else:
        title = f.get(mapping.title) or (P2P_SUFFIX_RE.sub("", str(f.get("name") or "")) if item.kind == "p2p"
                                         else None)
    artist = f.get(mapping.artist)
    if title and not artist:
        artist, title = split_artist_title(str(title)[:2 * MAX_TEXT])
        artist = artist or folder
    kind = str(f.get(mapping.kind) or "").casefold()
    return ItemKeys(artist=str(artist)[:MAX_TEXT] if artist else None, title=str(title)[:MAX_TEXT] if title else None,
                    isrc=item_isrc(f.get(mapping.isrc)), gtin=item_gtin(f.get(mapping.upc) or f.get(mapping.ean)),
                    kind=kind if kind in ("album", "track") else None)


def _tokens(artist: str) -> list[str]:
    out = []
    for t in artist.split():
        if len(t) >= 2 or t.isdigit():
            out.append(t)
            if len(t) > 4:
                out.append("p:" + t[:4])
    return out


class WorkIndex:
    """Look-up tables over one catalogue, built once and reused for every capture matched against it."""

    def __init__(self, works: Sequence[Work]):
        self.works = works
        self.by_code: dict[str, list[int]] = defaultdict(list)
        self.by_key: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        self.artist_ids: dict[str, int] = {}
        self.artist_works: list[list[int]] = []
        self.titles: list[str] = []
        artist_keys: dict[str, tuple[str, tuple[str, ...]]] = {}  # a catalogue repeats each artist many times
        for i, w in enumerate(works):
            for code in (w.isrc, w.upc):
                if code:
                    self.by_code[code].append(i)
            artist = w.artist or ""
            if artist not in artist_keys:
                artist_keys[artist] = normalise_artist(artist), artist_skeletons(artist)
            (na, sas), nt, sts = artist_keys[artist], normalise_title(w.title), title_skeletons(w.title)
            self.titles.append(sts[0])
            if not (w.artist and w.title):
                continue
            self.by_key["exact", exact(w.artist), exact(w.title)].append(i)
            self.by_key["normalised", na, nt].append(i)
            for sa in sas:
                for st in sts:
                    self.by_key["transliterated", sa, st].append(i)
            aid = self.artist_ids.setdefault(sas[0], len(self.artist_ids))
            if aid == len(self.artist_works):
                self.artist_works.append([])
            self.artist_works[aid].append(i)
        self.artists = list(self.artist_ids)
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for aid, artist in enumerate(self.artists):
            for t in dict.fromkeys(_tokens(artist)):
                self.blocks[t].append(aid)

    def candidate_artists(self, artist: str, cap: int) -> set[int]:
        postings = [self.blocks[t] for t in dict.fromkeys(_tokens(artist)) if t in self.blocks]
        usable = [p for p in postings if len(p) <= cap] or sorted(postings, key=len)[:1]
        return {aid for p in usable for aid in p}


def _kind_ok(work: Work, keys: ItemKeys) -> bool:
    return keys.kind is None or work.kind == keys.kind


def _lookup(index: WorkIndex, keys: ItemKeys) -> tuple[Method, list[int]] | None:
    codes = [c for c in (keys.isrc, keys.gtin) if c]
    found = sorted({w for c in codes for w in index.by_code.get(c, ())})
    if found:
        return "code", found
    if not (keys.artist and keys.title):
        return None
    na, nt = normalise_artist(keys.artist), normalise_title(keys.title)
    tries: list[tuple[Method, list[tuple[str, str]]]] = [
        ("exact", [(exact(keys.artist), exact(keys.title))]), ("normalised", [(na, nt)]),
        ("transliterated", [(sa, st) for sa in artist_skeletons(keys.artist) for st in title_skeletons(keys.title)])]
    for method, pairs in tries:
        hits = sorted({w for a, t in pairs for w in index.by_key.get((method, a, t), ())
                       if _kind_ok(index.works[w], keys)})
        if hits:
            return method, hits
    return None


def match_items(index: WorkIndex, items: Sequence[Item], mapping: FieldMapping = FieldMapping(),
                options: MatchOptions = MatchOptions()) -> MatchRun:
    """Each item's best work(s). Duplicate items (``duplicate_of`` set) are the same offer again: skipped."""
    out: list[Candidate] = []
    fuzzy: list[tuple[int, str, str, ItemKeys]] = []
    for i, item in enumerate(items):
        if item.duplicate_of:
            continue
        keys = item_keys(item, mapping)
        found = _lookup(index, keys)
        if found:
            method, works = found
            out += [Candidate(work=w, item=i, score=100, method=method, review=len(works) > 1) for w in works]
        elif keys.artist and keys.title:
            sa, st = artist_skeletons(keys.artist)[0], title_skeletons(keys.title)[0]
            if sa and st:
                fuzzy.append((i, sa, st, keys))
    pairs = _fuzzy(index, fuzzy, options, out)
    out.sort(key=lambda c: (c.work, c.item))
    return MatchRun(candidates=tuple(out), pairs_scored=pairs)


def _score(scorer, queries: list[str], choices: list[str], cutoff: int) -> list[float]:
    """Pairwise scores (0 under the cutoff: rapidfuzz then stops early)."""
    return [scorer(q, c, score_cutoff=cutoff) for q, c in zip(queries, choices, strict=True)]


def _fuzzy(index: WorkIndex, wanted: list[tuple[int, str, str, ItemKeys]], options: MatchOptions,
           out: list[Candidate]) -> int:
    cap = max(options.block_cap, len(index.artists) // 100)
    item_artists = sorted({sa for _, sa, _, _ in wanted})
    a_query, a_choice, a_pair = [], [], []
    for sa in item_artists:
        for aid in sorted(index.candidate_artists(sa, cap)):
            a_query.append(sa)
            a_choice.append(index.artists[aid])
            a_pair.append((sa, aid))
    a_scores = _score(fuzz.token_sort_ratio, a_query, a_choice, options.min_score)
    near: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for (sa, aid), score in zip(a_pair, a_scores, strict=True):
        if score >= options.min_score:
            near[sa].append((aid, float(score)))
    t_query, t_choice, t_pair = [], [], []
    for i, sa, st, keys in wanted:
        for aid, a_score in near.get(sa, ()):
            for w in index.artist_works[aid]:
                if _kind_ok(index.works[w], keys):
                    t_query.append(st)
                    t_choice.append(index.titles[w])
                    t_pair.append((i, w, a_score))
    t_scores = _score(fuzz.ratio, t_query, t_choice, options.min_score)
    best: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (i, w, a_score), t_score in zip(t_pair, t_scores, strict=True):
        score = int(min(a_score, float(t_score)))  # floor: 94.9 is not 95
        if score >= options.min_score:
            best[i].append((score, w))
    for i, scored in best.items():
        top = max(s for s, _ in scored)
        works = sorted(w for s, w in scored if s == top)
        out += [Candidate(work=w, item=i, score=top, method="fuzzy",
                          review=top < options.review_below or len(works) > 1) for w in works]
    return len(a_query) + len(t_query)
