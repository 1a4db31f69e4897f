"""``diff``: items added, removed and changed between two sealed captures, field by field and offer by offer.

The semantics are pinned on small hand-made sealed captures (``fake_captures``); the end-to-end test
crawls the real demo shop twice through the CLI, changing prices and the catalogue in between, and
checks that ``diff --json`` reports exactly those changes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from evidence_crawler.demo import DemoSite
from evidence_crawler.services.diff import DiffUnusable, diff_captures
from storage.local import LocalStore
from tests.conftest import PROFILES, Cli
from tests.services.fake_captures import make_capture, offer


def test_price_change_is_reported_per_offer_with_amounts(tmp_path):
    a = make_capture(tmp_path, "a", [{"url": "u1", "fields": {"title": "T"}, "offers": [offer("128", "1.00"),
                                                                                           offer("320", "2.00")]}])
    b = make_capture(tmp_path, "b", [{"url": "u1", "fields": {"title": "T"}, "offers": [offer("128", "1.00"),
                                                                                           offer("320", "2.50")]}])
    result = diff_captures(LocalStore(tmp_path), a, b)
    assert result["changed"] == [{"url": "u1", "key": "u1", "changes": [
        {"field": "offers[320].price", "before": "$2.00", "after": "$2.50"},
        {"field": "offers[320].amount", "before": "2.00", "after": "2.50"}]}]
    assert result["added"] == result["removed"] == [] and result["unchanged"] == 0


def test_amounts_are_compared_as_decimals(tmp_path):
    one = {"url": "u1", "fields": {"title": "T"}, "offers": [{"format": "128", "amount": "1.5", "currency": "USD"}]}
    two = {"url": "u1", "fields": {"title": "T"}, "offers": [{"format": "128", "amount": "1.50", "currency": "USD"}]}
    result = diff_captures(LocalStore(tmp_path), make_capture(tmp_path, "a", [one]), make_capture(tmp_path, "b", [two]))
    assert result["changed"] == [] and result["unchanged"] == 1


def test_items_are_matched_on_the_profile_key_field_when_they_move(tmp_path):
    old = {"url": "http://shop.example/r/1", "key": "CAT-1", "fields": {"title": "T", "catno": "CAT-1"}}
    new = {"url": "http://shop.example/album/t", "key": "CAT-1", "fields": {"title": "T (remaster)", "catno": "CAT-1"}}
    a = make_capture(tmp_path, "a", [old], key="catno")
    b = make_capture(tmp_path, "b", [new], key="catno")
    result = diff_captures(LocalStore(tmp_path), a, b)
    assert result["added"] == [] and result["removed"] == []
    assert result["changed"] == [{"url": "http://shop.example/album/t", "key": "CAT-1", "changes": [
        {"field": "url", "before": "http://shop.example/r/1", "after": "http://shop.example/album/t"},
        {"field": "title", "before": "T", "after": "T (remaster)"}]}]


def test_offers_are_matched_on_offers_key_and_appear_or_disappear_whole(tmp_path):
    old = {"url": "u1", "fields": {},
           "offers": [offer("MP3 128", "1.00", kbps="128"), offer("FLAC", "9.00", kbps="0")]}
    new = {"url": "u1", "fields": {},
           "offers": [offer("MP3 128k", "1.20", kbps="128"), offer("AAC", "3.00", kbps="256")]}
    a = make_capture(tmp_path, "a", [old], offers_key="kbps")
    b = make_capture(tmp_path, "b", [new], offers_key="kbps")
    result = diff_captures(LocalStore(tmp_path), a, b)
    assert result["offer_key"] == "kbps"
    assert result["changed"][0]["changes"] == [
        {"field": "offers[128].format", "before": "MP3 128", "after": "MP3 128k"},
        {"field": "offers[128].price", "before": "$1.00", "after": "$1.20"},
        {"field": "offers[128].amount", "before": "1.00", "after": "1.20"},
        {"field": "offers[256]", "before": None, "after": offer("AAC", "3.00", kbps="256")},
        {"field": "offers[0]", "before": offer("FLAC", "9.00", kbps="0"), "after": None}]


def test_added_removed_unchanged_skip_p2p_and_duplicates(tmp_path):
    keep = {"url": "u1", "fields": {"title": "same"}, "offers": [offer("128", "1.00")]}
    gone = {"url": "u2", "fields": {"title": "gone"}, "offers": [offer("128", "2.00")]}
    new = {"url": "u3", "fields": {"title": "new"}, "offers": [offer("128", "3.00")]}
    dup = {"url": "u1-alias", "fields": {"title": "same"}, "duplicate_of": "u1"}
    p2p = {"url": "u1", "kind": "p2p", "key": "ed2k://x", "fields": {"name": "x"}}
    a = make_capture(tmp_path, "a", [keep, gone, p2p])
    b = make_capture(tmp_path, "b", [keep, new, dup])
    result = diff_captures(LocalStore(tmp_path), a, b)
    assert result["added"] == [{"url": "u3", "key": "u3", "fields": {"title": "new"}, "offers": [offer("128", "3.00")]}]
    assert result["removed"] == [{"url": "u2", "key": "u2", "fields": {"title": "gone"},
                                  "offers": [offer("128", "2.00")]}]
    assert result["changed"] == [] and result["unchanged"] == 1


def test_pages_whose_bytes_changed_are_listed(tmp_path):
    a = make_capture(tmp_path, "a", [], pages={"http://s/": "aa", "http://s/x": "bb", "http://s/gone": "cc"})
    b = make_capture(tmp_path, "b", [], pages={"http://s/": "aa", "http://s/x": "dd", "http://s/new": "ee"})
    assert diff_captures(LocalStore(tmp_path), a, b)["pages_changed"] == [
        {"url": "http://s/x", "before": "bb", "after": "dd"}]


def test_unsealed_unknown_and_foreign_captures_are_refused(tmp_path):
    store = LocalStore(tmp_path)
    sealed = make_capture(tmp_path, "a", [])
    unsealed = make_capture(tmp_path, "b", [], sealed=False)
    other = make_capture(tmp_path, "c", [], name="other-shop")
    with pytest.raises(DiffUnusable, match="b is incomplete, not sealed"):
        diff_captures(store, sealed, unsealed)
    with pytest.raises(DiffUnusable, match="no capture 'nope'"):
        diff_captures(store, "nope", sealed)
    with pytest.raises(DiffUnusable, match="different profiles; use --force"):
        diff_captures(store, sealed, other)
    assert diff_captures(store, sealed, other, force=True)["profiles"] == ["shop", "other-shop"]


# ---- end to end: the demo shop, crawled twice through the CLI ------------------------------------


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    """allofmp3 crawled with ``key: title``; between the crawls one album's prices rise by half, one is
    withdrawn, one is added and one moves to a new URL (withdrawn and re-listed under a new id)."""
    tmp = tmp_path_factory.mktemp("diff-e2e")
    prof = yaml.safe_load((PROFILES / "allofmp3-demo.yaml").read_text("utf-8"))
    prof.update(name="allofmp3-by-title", key="title")
    profile = tmp / "by-title.yaml"
    profile.write_text(yaml.safe_dump(prof, allow_unicode=True), "utf-8")
    cli = Cli(tmp / "store")
    with DemoSite("allofmp3") as site:
        cat = site.catalog
        before = {a.id: cat.offers(a) for a in cat.albums()}
        gone = next(i for i in cat.expected_items() if i["url_path"] == "/release/2")
        first = cli.crawl(profile, "--start-url", site.base_url)
        moved = cat.album(5)
        cat.set_price_factor(1, "1.5")
        cat.remove_album(2)
        cat.remove_album(5)
        new_id = cat.add_album("Новый Артист", "Новый альбом", 2024)
        moved_id = cat.add_album(moved.artist, moved.title, moved.year, moved.genre)
        second = cli.crawl(profile, "--start-url", site.base_url)
        expected = {"site": site.base_url.rstrip("/"), "before": before, "after1": cat.offers(cat.album(1)),
                    "new": cat.album(new_id), "new_offers": cat.offers(cat.album(new_id)), "moved_id": moved_id,
                    "gone": gone}
    return cli, first["capture_id"], second["capture_id"], expected


@pytest.mark.slow
def test_demo_shop_diff_reports_exactly_the_changes(two_crawls):
    cli, old, new, exp = two_crawls
    result = cli.json("diff", old, new, "--json")
    base = exp["site"]
    changed = {c["key"]: c for c in result["changed"]}
    assert sorted(changed) == ["45", "Звезда по имени Солнце"]
    price_changes = []
    for b, a in zip(exp["before"][1], exp["after1"], strict=True):
        assert a.amount != b.amount
        price_changes += [{"field": f"offers[{b.format}].price", "before": b.price, "after": a.price},
                          {"field": f"offers[{b.format}].amount", "before": str(b.amount), "after": str(a.amount)}]
    assert changed["45"] == {"url": f"{base}/release/1", "key": "45", "changes": price_changes}
    assert changed["Звезда по имени Солнце"]["changes"] == [
        {"field": "url", "before": f"{base}/release/5", "after": f"{base}/release/{exp['moved_id']}"}]
    assert [i["key"] for i in result["added"]] == ["Новый альбом"]
    assert result["added"][0]["url"] == f"{base}/release/{exp['new'].id}"
    assert [(o["format"], Decimal(o["amount"])) for o in result["added"][0]["offers"]] == [
        (o.format, o.amount) for o in exp["new_offers"]]
    gone = exp["gone"]
    assert result["removed"] == [{"url": f"{base}/release/2", "key": gone["fields"]["title"],
                                  "fields": gone["fields"], "offers": gone["offers"]}]
    assert result["unchanged"] == 40 - 3
    assert f"{base}/release/1" in {p["url"] for p in result["pages_changed"]}


@pytest.mark.slow
def test_demo_shop_diff_human_output_is_a_table(two_crawls):
    cli, old, new, _ = two_crawls
    proc = cli.run("diff", old, new, env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout and "1 removed" in proc.stdout and "2 changed" in proc.stdout
    assert "offers[mp3-320].amount" in proc.stdout
