#!/usr/bin/env python3
"""``make bench``, match round: 100,000 catalogue works against 20,000 shop items (issue 13).

A benchmark, not a test: it prints numbers and exits 0. Everything is generated in memory from a fixed
seed: 10,000 artists (half Cyrillic, half Latin with diacritics) with 10 works each; 20,000 items, 70% of
them works spelled as shops spell them (transliterated, suffixed, accents dropped, a typo) and 30% not in
the catalogue. Measured: building the look-up index, matching (dictionary methods, then the blocked fuzzy
pairs), pairs scored and pairs per second. Baseline: the naive all-pairs match, every item's
"artist title" scored against every work's with rapidfuzz ``process.extract`` (C++ loop over all
choices); it is timed on a sample of items and extrapolated to 20,000, as printed.

Options: --works N, --items N, --naive-sample N.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_crawler.models import Item  # noqa: E402
from evidence_crawler.repertoire.match import WorkIndex, match_items  # noqa: E402
from evidence_crawler.repertoire.records import Work  # noqa: E402

CYR = "бвгджзклмнпрстфхцчшщ", "аеёиоуыэюя"
LAT = "bcdfghjklmnprstvz", "aeiouéèàôü"
TO_LATIN = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(), strict=True))


def word(r: random.Random, cyrillic: bool) -> str:
    cons, vow = CYR if cyrillic else LAT
    return "".join(r.choice(cons) + r.choice(vow) for _ in range(r.randint(2, 4))).capitalize()


def latin(text: str) -> str:
    return "".join(TO_LATIN.get(c.lower(), c).replace("_", "") if c.lower() in TO_LATIN else c for c in text).title()


def generate(n_works: int, n_items: int, seed: int = 13) -> tuple[list[Work], list[Item]]:
    r = random.Random(seed)
    works: list[Work] = []
    artists = [(" ".join(word(r, i % 2 == 0) for _ in range(r.randint(1, 2))), i % 2 == 0)
               for i in range(n_works // 10)]
    for artist, cyr in artists:
        for _ in range(10):
            works.append(Work(row=len(works) + 2, artist=artist,
                              title=" ".join(word(r, cyr) for _ in range(r.randint(1, 3)))))
    items = []
    for n in range(n_items):
        if r.random() < 0.7:
            w = r.choice(works)
            a, t = w.artist, w.title
            roll = r.random()
            if roll < 0.4 and any("\u0400" <= c <= "\u04ff" for c in a):
                a, t = latin(a), latin(t)
            elif roll < 0.6:
                t += r.choice([" (2006 Remaster)", " [FLAC]", " (Deluxe Edition)"])
            elif roll < 0.7 and len(t) > 6:
                i = r.randrange(1, len(t) - 1)
                t = t[:i] + t[i + 1:]
        else:
            cyr = r.random() < 0.5
            a, t = word(r, cyr), word(r, cyr)
        url = f"http://127.0.0.1:8765/r/{n}"
        items.append(Item(url=url, key=url, fields={"artist": a, "title": t}, page_sha256=f"{n:064x}"))
    return works, items


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--naive-sample", type=int, default=100)
    args = ap.parse_args()
    t0 = time.perf_counter()
    works, items = generate(args.works, args.items)
    t1 = time.perf_counter()
    index = WorkIndex(works)
    t2 = time.perf_counter()
    run = match_items(index, items)
    t3 = time.perf_counter()
    sure = sum(not c.review for c in run.candidates)
    methods: dict[str, int] = {}
    for c in run.candidates:
        methods[c.method] = methods.get(c.method, 0) + 1
    choices = [f"{w.artist} {w.title}" for w in works]
    sample = items[: args.naive_sample]
    t4 = time.perf_counter()
    for it in sample:
        process.extract(f"{it.fields['artist']} {it.fields['title']}", choices, scorer=fuzz.ratio, limit=1)
    naive_sample_s = time.perf_counter() - t4
    naive_s = naive_sample_s * len(items) / len(sample)
    result = {
        "works": len(works), "items": len(items), "generate_s": round(t1 - t0, 2),
        "index_s": round(t2 - t1, 2), "match_s": round(t3 - t2, 2), "total_s": round(t3 - t1, 2),
        "pairs_scored": run.pairs_scored, "pairs_per_s": round(run.pairs_scored / max(t3 - t2, 1e-9)),
        "candidates": len(run.candidates), "confirmed": sure, "methods": methods,
        "naive_pairs": len(works) * len(items), "naive_sample_items": len(sample),
        "naive_sample_s": round(naive_sample_s, 2), "naive_extrapolated_s": round(naive_s, 1),
        "naive_pairs_per_s": round(len(works) * len(sample) / naive_sample_s),
    }
    print(f"match: {len(works):,} works x {len(items):,} items")
    print(f"  index {result['index_s']} s + match {result['match_s']} s = {result['total_s']} s "
          f"(target <= 30 s); {run.pairs_scored:,} blocked fuzzy pairs scored "
          f"({result['pairs_per_s']:,} per second of match time)")
    print(f"  {len(run.candidates):,} candidates, {sure:,} confirmed; by method {methods}")
    print(f"  naive all-pairs: {result['naive_pairs']:,} pairs; {len(sample)} items took {naive_sample_s:.2f} s "
          f"-> extrapolated {naive_s:.0f} s for {len(items):,} items ({result['naive_pairs_per_s']:,} pairs/s)")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "match.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
