"""The labelled set (tests/data/repertoire, written by make_set.py): precision, recall, decoys."""

import json
from pathlib import Path

import pytest

from evidence_crawler.models import Item
from evidence_crawler.repertoire.catalogue import load_catalogue
from evidence_crawler.repertoire.match import WorkIndex, match_items

DATA = Path(__file__).parent.parent / "data" / "repertoire"


@pytest.fixture(scope="module")
def outcome():
    catalogue = load_catalogue(DATA / "catalogue.csv")
    items = [Item(**json.loads(line)) for line in (DATA / "shop.jsonl").read_text("utf-8").splitlines()]
    labels = json.loads((DATA / "labels.json").read_text("utf-8"))
    run = match_items(WorkIndex(catalogue.works), items)
    sure, unsure = set(), set()
    for c in run.candidates:
        (unsure if c.review else sure).add((items[c.item].key, catalogue.works[c.work].row))
    return catalogue, labels, sure, unsure


def test_the_set_is_large_and_covers_cyrillic_french_and_decoys(outcome):
    catalogue, labels, _, _ = outcome
    assert len(catalogue.works) >= 300
    assert sum(any("\u0400" <= ch <= "\u04ff" for ch in w.artist) for w in catalogue.works) >= 150
    assert sum(any(ch in "éèêëàâçôûîïœ" for ch in (w.artist + w.title).lower()) for w in catalogue.works) >= 50
    kinds = [v["how"] for v in labels.values() if v["how"].startswith("decoy:")]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "decoy:other-artist": 25, "decoy:near-title": 25, "decoy:substring": 25}


def test_confirmed_matches_reach_precision_098_and_recall_095(outcome):
    _, labels, sure, _ = outcome
    truth = {(key, v["row"]) for key, v in labels.items() if v["row"] is not None}
    correct = len(sure & truth)
    precision, recall = correct / len(sure), correct / len(truth)
    assert precision >= 0.98, sorted(sure - truth)
    assert recall >= 0.95, sorted(truth - sure)


def test_every_decoy_is_unmatched_or_flagged_for_review(outcome):
    _, labels, sure, _ = outcome
    decoys = {key for key, v in labels.items() if v["how"].startswith("decoy:")}
    assert not {key for key, _ in sure} & decoys


def test_transliterated_shop_spellings_are_confirmed_not_sent_to_review(outcome):
    _, labels, sure, _ = outcome
    spelled = {(k, v["row"]) for k, v in labels.items() if v["row"] and ("iso9" in v["how"] or "bgn" in v["how"])}
    assert len(spelled) >= 60
    assert len(spelled & sure) / len(spelled) >= 0.97
