"""Matching a few items end to end into findings: methods, review flags, prices, WARC links, same bytes."""

import json
import time

import pytest

from evidence_crawler.models import Item, PageRecord
from evidence_crawler.repertoire.findings import RepertoireRef, build_findings, findings_bytes
from evidence_crawler.repertoire.match import FieldMapping, MatchOptions, WorkIndex, match_items
from evidence_crawler.repertoire.pricing import parse_fx
from evidence_crawler.repertoire.records import Work

WORKS = [
    Work(row=2, artist="Земфира", title="Вендетта", upc="0036000291452", ref_price="9.99", ref_currency="EUR",
         rights_holder="РАО"),
    Work(row=3, artist="Mylène Farmer", title="Désenchantée", kind="track", ref_price="1.29", ref_currency="EUR",
         rights_holder="SACEM"),
    Work(row=4, artist="Кино", title="Группа крови", rights_holder="РАО"),
    Work(row=5, artist="Кино", title="Группа крови", kind="track", rights_holder="РАО"),
    Work(row=6, artist="Queen", title="Innuendo"),
]
REF = RepertoireRef(name="rao", version=1, sha256="0" * 64, works=len(WORKS))


def item(n: int, fields: dict, offers: list | None = None, kind: str = "product") -> Item:
    return Item(kind=kind, url=f"http://127.0.0.1:8765/r/{n}", key=f"k{n}", fields=fields, offers=offers or [],
                page_sha256=f"{n:064x}", record_id=f"<urn:uuid:{n}>")


ITEMS = [
    item(1, {"artist": "Zemfira", "title": "Vendetta (2005) [FLAC]"},
         [{"amount": "2.00", "currency": "USD"}, {"amount": "150.00", "currency": "RUB"}]),
    item(2, {"name": "Mylene Farmer - Desenchantee.flac"}, kind="p2p"),
    item(3, {"artist": "Kino", "title": "Gruppa krovi"}),
    item(4, {"band": "Queen", "album": "Innuedno", "barcode": "not a code"}),
    item(5, {"artist": "Unknown", "title": "Something", "ean": "036000291452"}, [{"amount": "1.00",
                                                                              "currency": "EUR"}]),
    item(6, {"artist": "Земфира", "title": "Вендетта"}),
]
PAGES = [PageRecord(url=i.url, status=200, fetched_at="t", received_at="t", ip="127.0.0.1", sha256=i.page_sha256,
                    blake3="b", size=1, warc_file="capture-00000.warc.gz", warc_offset=100 * n,
                    warc_length=10, record_id=i.record_id, request_record_id="r")
         for n, i in enumerate(ITEMS) if i.kind == "product"]


def run(items=ITEMS, mapping=FieldMapping(), fx=None):
    index = WorkIndex(WORKS)
    options = MatchOptions()
    result = match_items(index, items, mapping, options)
    return build_findings("cap-1", REF, WORKS, items, PAGES, result, options, fx or {})


def by_url(findings):
    return {(m.item.url.rsplit("/", 1)[1], m.work.row): m for m in findings.matches}


def test_each_method_is_named_and_certain_ones_need_no_review():
    found = by_url(run())
    assert (found["1", 2].method, found["1", 2].review) == ("transliterated", False)
    assert (found["2", 3].method, found["2", 3].review) == ("normalised", False)  # p2p file name, split at " - "
    assert (found["5", 2].method, found["5", 2].score) == ("code", 100)  # UPC-A on the item, GTIN-13 in the row
    assert found["6", 2].method == "exact"


def test_album_and_track_of_one_name_are_both_kept_for_review_when_the_item_does_not_say():
    found = by_url(run())
    assert found["3", 4].review and found["3", 5].review
    kinded = by_url(run([item(3, {"artist": "Kino", "title": "Gruppa krovi", "kind": "Track"})]))
    assert list(kinded) == [("3", 5)] and not kinded["3", 5].review


def test_profile_mapping_names_the_item_fields_and_a_typo_is_fuzzy():
    found = by_url(run(mapping=FieldMapping(artist="band", title="album", upc="barcode")))
    m = found["4", 6]
    assert m.method == "fuzzy" and 80 <= m.score < 97 and m.review


def test_price_is_compared_in_the_reference_currency_through_given_rates():
    found = by_url(run(fx=parse_fx(["USD:EUR=0.92", "EUR:RUB=50"])))  # 2 USD = 1.84 EUR < 150 RUB = 3 EUR
    price = found["1", 2].price
    assert price.cheapest.model_dump() == {"amount": "2.00", "currency": "USD"}
    assert price.ratio == pytest.approx(9.99 / 1.84, abs=0.001)
    without = by_url(run())["1", 2].price
    assert without.ratio is None and without.cheapest.currency == "RUB"


def test_warc_file_and_offset_point_at_the_item_page():
    found = by_url(run())
    assert found["1", 2].warc.model_dump() == {"file": "capture-00000.warc.gz", "offset": 0}
    assert found["2", 3].warc.file is None  # p2p items come from links; their page is the one they were on


def test_summary_per_rights_holder_counts_confirmed_works_and_offers():
    findings = run(fx=parse_fx(["USD:EUR=0.92"]))
    rao = findings.by_rights_holder["РАО"]
    assert (rao.works, rao.offers, rao.review) == (1, 3, 2)
    assert findings.unmatched_works == 1  # Queen: its item names its fields band/album, not mapped here


def test_same_inputs_give_the_same_bytes_whatever_the_item_order():
    one = findings_bytes(run(fx=parse_fx(["USD:EUR=0.92"])))
    two = findings_bytes(run(items=list(reversed(ITEMS)), fx=parse_fx(["USD:EUR=0.92"])))
    assert one == two
    data = json.loads(one)
    assert set(data) >= {"capture_id", "repertoire", "matches", "unmatched_works", "by_rights_holder", "fx"}
    assert set(data["matches"][0]) == {"work", "item", "score", "method", "review", "offers", "page_sha256",
                                       "warc", "price"}
    assert data["matches"][0]["work"]["row"] == 2 and set(data["matches"][0]["item"]) == {"url", "key", "fields"}


@pytest.mark.parametrize(("spec", "why"), [("USD-EUR=0.92", "expected FROM:TO=RATE"), ("USD:EUO=1", "EUO is not"),
                                           ("USD:USD=1", "two currencies"), ("USD:EUR=0", "non-zero")])
def test_bad_fx_rates_are_one_line_errors(spec, why):
    with pytest.raises(ValueError, match=why):
        parse_fx([spec])


def test_one_pair_given_twice_with_different_rates_is_refused():
    with pytest.raises(ValueError, match="given twice"):
        parse_fx(["USD:EUR=0.92", "usd:eur=0.93"])


def test_a_huge_shop_title_is_bounded_not_scored_whole():
    huge = item(9, {"artist": "Zemfira", "title": "Vendetta " + "la " * 300_000})
    started = time.perf_counter()
    result = match_items(WorkIndex(WORKS), [huge])
    assert time.perf_counter() - started < 5 and not [c for c in result.candidates if not c.review]
