"""End-to-end: crawl the demo shops (and the books corpus) through the CLI and check every item.

Only the command-line contract is used, as an investigator would use it:

    evidence-crawler --store DIR crawl PROFILE --start-url URL --allow-private --json
        -> one JSON object: capture_id, pages, items, offers, errors (list); exit 0 once sealed
    evidence-crawler --store DIR items CAPTURE_ID
        -> JSON lines: url, kind ("product" | "p2p"), fields, offers, page_sha256[, duplicate_of]
    evidence-crawler --store DIR captures verify CAPTURE_ID  -> exit 0

Every album and every price is compared with the demo catalogue's ground truth, Cyrillic exact.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from evidence_crawler.demo import DemoSite, expected_items
from tests.conftest import CORPUS, PROFILES, Cli
from tests.servers.static import books_site_fixture

BOOKS = CORPUS / "books.toscrape.com"


def crawl(store: Path, profile: str | Path, start_url: str, *extra: str, timeout: float = 600) -> dict:
    proc = Cli(store).run("crawl", str(profile), "--start-url", start_url, "--allow-private", "--json", *extra,
                          timeout=timeout)
    assert proc.returncode == 0, f"crawl failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    summary = json.loads(proc.stdout)
    for key in ("capture_id", "pages", "items", "offers", "errors"):
        assert key in summary, f"summary lacks {key!r}: {summary}"
    assert isinstance(summary["errors"], list)
    return summary


def items(store: Path, capture_id: str) -> list[dict]:
    rows = Cli(store).items(capture_id)
    for row in rows:
        for key in ("url", "kind", "fields", "offers", "page_sha256"):
            assert key in row, f"item lacks {key!r}: {row}"
    return rows


def verify(store: Path, capture_id: str) -> None:
    proc = Cli(store).run("captures", "verify", capture_id)
    assert proc.returncode == 0, f"verify failed:\n{proc.stdout}\n{proc.stderr}"


def products_by_path(rows: list[dict]) -> dict[str, dict]:
    """Product items keyed by URL path; an item seen twice (duplicate_of set) counts once."""
    found: dict[str, dict] = {}
    for row in rows:
        if row["kind"] != "product" or row.get("duplicate_of"):
            continue
        path = urlsplit(row["url"]).path
        assert path not in found, f"product counted twice: {path}"
        found[path] = row
    return found


def p2p_set(rows: list[dict]) -> set[tuple[str, str, str, str]]:
    return {
        (r["fields"]["scheme"], r["fields"]["name"], str(r["fields"]["size"]), r["fields"]["hash"].lower())
        for r in rows
        if r["kind"] == "p2p" and not r.get("duplicate_of")
    }


def expected_p2p(expected: list[dict]) -> set[tuple[str, str, str, str]]:
    return {(p["scheme"], p["name"], p["size"], p["hash"].lower()) for i in expected for p in i["p2p"]}


def assert_offers(path: str, got: list[dict], want: list[dict]) -> None:
    by_format = {o.get("format"): o for o in got}
    assert len(got) == len(want), f"{path}: {len(got)} offers, expected {len(want)}: {got}"
    for w in want:
        g = by_format.get(w["format"])
        assert g is not None, f"{path}: no offer {w['format']!r} in {got}"
        assert g["price"] == w["price"], (path, g, w)
        assert Decimal(str(g["amount"])) == Decimal(w["amount"]), (path, g, w)
        assert g["currency"] == w["currency"], (path, g, w)


@pytest.fixture(scope="module")
def aom_capture(tmp_path_factory):
    store = tmp_path_factory.mktemp("store-aom")
    with DemoSite("allofmp3") as site:
        summary = crawl(store, PROFILES / "allofmp3-demo.yaml", site.base_url)
    return store, summary, items(store, summary["capture_id"])


@pytest.fixture(scope="module")
def sugar_capture(tmp_path_factory):
    store = tmp_path_factory.mktemp("store-sugar")
    with DemoSite("mp3sugar") as site:
        summary = crawl(store, PROFILES / "mp3sugar-demo.yaml", site.base_url)
    return store, summary, items(store, summary["capture_id"])


# ---- allofmp3 ----------------------------------------------------------------------------------


def test_allofmp3_every_album_and_price(aom_capture):
    _, summary, rows = aom_capture
    expected = expected_items("allofmp3")
    found = products_by_path(rows)
    assert sorted(found) == sorted(i["url_path"] for i in expected)
    for item in expected:
        got = found[item["url_path"]]
        for name, value in item["fields"].items():
            assert got["fields"].get(name) == value, (item["url_path"], name, got["fields"])
        assert_offers(item["url_path"], got["offers"], item["offers"])
        assert len(got["page_sha256"]) == 64
    assert summary["offers"] >= sum(len(i["offers"]) for i in expected)
    assert not [e for e in summary["errors"] if "/release/" in json.dumps(e, ensure_ascii=False)]


def test_allofmp3_p2p_links(aom_capture):
    _, _, rows = aom_capture
    assert p2p_set(rows) == expected_p2p(expected_items("allofmp3"))


def test_allofmp3_trap_and_gate_are_contained(aom_capture):
    _, summary, rows = aom_capture
    assert summary["pages"] < 300, "the /news/calendar trap was not cut off"
    assert not [r for r in rows if urlsplit(r["url"]).path.startswith(("/cart", "/login"))]


def test_allofmp3_capture_verifies(aom_capture):
    store, summary, _ = aom_capture
    verify(store, summary["capture_id"])


# ---- mp3sugar ----------------------------------------------------------------------------------


def test_mp3sugar_every_album_and_price(sugar_capture):
    _, summary, rows = sugar_capture
    expected = expected_items("mp3sugar")
    found = products_by_path(rows)
    assert set(found) <= {i["url_path"] for i in expected}
    for item in (i for i in expected if i["source"] == "html"):
        assert item["url_path"] in found, f"missed {item['url_path']}"
        got = found[item["url_path"]]
        for name, value in item["fields"].items():
            assert got["fields"].get(name) == value, (item["url_path"], name, got["fields"])
        assert_offers(item["url_path"], got["offers"], item["offers"])
    assert not summary["errors"] or all("/albums/" not in json.dumps(e) for e in summary["errors"])


def test_mp3sugar_jsonld_only_pages_fall_back_to_schema_org(tmp_path):
    """A profile with no ``fields:`` takes items from schema.org; only the JSON-LD pages have any.

    The shipped profile's CSS finds nothing on these "new-style" pages, so this crawl uses the same
    profile minus ``fields``/``offers``: the YAML-only way to onboard a JSON-LD shop.
    """
    prof = yaml.safe_load((PROFILES / "mp3sugar-demo.yaml").read_text("utf-8"))
    del prof["fields"], prof["offers"]
    prof["name"] = "mp3sugar-demo-jsonld"
    path = tmp_path / "mp3sugar-jsonld.yaml"
    path.write_text(yaml.safe_dump(prof, allow_unicode=True), "utf-8")
    store = tmp_path / "store"
    with DemoSite("mp3sugar") as site:
        summary = crawl(store, path, site.base_url)
    found = products_by_path(items(store, summary["capture_id"]))
    want = [i for i in expected_items("mp3sugar") if i["source"] == "json-ld"]
    assert want and sorted(found) == sorted(i["url_path"] for i in want)
    for item in want:
        got = found[item["url_path"]]
        assert got["fields"].get("title") == item["fields"]["title"], got
        assert got["fields"].get("artist") == item["fields"]["artist"], got
        assert sorted(
            (o["price"], Decimal(str(o["amount"])), o["currency"]) for o in got["offers"]
        ) == sorted((o["price"], Decimal(o["amount"]), o["currency"]) for o in item["offers"])
    verify(store, summary["capture_id"])


def test_mp3sugar_p2p_links(sugar_capture):
    _, _, rows = sugar_capture
    assert p2p_set(rows) == expected_p2p(expected_items("mp3sugar"))


def test_mp3sugar_capture_verifies(sugar_capture):
    store, summary, _ = sugar_capture
    verify(store, summary["capture_id"])


# ---- books.toscrape.com corpus -----------------------------------------------------------------


books_site = pytest.fixture(books_site_fixture, scope="module", name="books_site")


@pytest.mark.corpus
@pytest.mark.timeout(1800)
@pytest.mark.slow
def test_books_corpus_all_products(books_site, tmp_path):
    lines = (BOOKS / "ground_truth.jsonl").read_text("utf-8").splitlines()
    truth = {row["url_path"]: row for row in map(json.loads, lines)}
    assert len(truth) == 1000
    summary = crawl(
        tmp_path, PROFILES / "books-toscrape.yaml", books_site, "--max-pages", "5000", timeout=1700
    )
    rows = items(tmp_path, summary["capture_id"])
    found = products_by_path(rows)
    assert len(found) == 1000, f"{len(found)} distinct products"
    assert set(found) == set(truth)
    for path, want in truth.items():
        got = found[path]
        assert got["fields"].get("title") == want["title"], path
        assert got["fields"].get("availability") == want["availability"], path
        assert got["fields"].get("upc") == want["upc"], path
        assert got["fields"].get("price") == want["price_text"], path
        assert len(got["offers"]) == 1, (path, got["offers"])
        offer = got["offers"][0]
        assert Decimal(str(offer["amount"])) == Decimal(str(want["price"])), (path, offer)
        assert offer["currency"] == "GBP", (path, offer)
    verify(tmp_path, summary["capture_id"])
