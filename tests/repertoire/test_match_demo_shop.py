"""End to end on the allofmp3 demo shop: a rights holder's catalogue in Latin spellings, matched against the
Cyrillic shop, stored as evidence, exported with the catalogue, verified offline, tracked over captures."""

from __future__ import annotations

import json
import zipfile
from urllib.parse import urlsplit

import pytest

from evidence_crawler.demo import DemoSite
from evidence_crawler.demo.tsa import LocalTSA
from tests.bundle.conftest import corrupt, export
from tests.conftest import PROFILES, Cli

# How a collecting society writes the shop's albums (evidence_crawler/demo/data.py): transliterated, edition
# notes, "The" added, an accent dropped; a decoy (same artist, near title) and a work the shop does not sell.
CATALOGUE = """\
artist;title;kind;rights_holder;ref_price;ref_currency
Kino;Gruppa krovi;album;RAO;9,99;EUR
Zemfira;Prosti menya moya lyubov;album;RAO;12,99;EUR
Akvarium;Radio Afrika (Remastered 2001);album;RAO;9,99;EUR
Splin;Granatovyi albom;album;RAO;9,99;EUR
Nautilus Pompilius;Knyaz tishiny;album;RAO;9,99;EUR
Kino;Chernyi albom;album;RAO;9,99;EUR
Radiohead;OK Computer [Deluxe];album;Warner;11,99;EUR
The Nirvana;Nevermind;album;Universal;10,99;EUR
Kino;Gruppa krovi 2;album;RAO;9,99;EUR
Queen;Innuendo;album;EMI;9,99;EUR
"""
EXPECTED = {2: "/release/4", 3: "/release/8", 4: "/release/12", 5: "/release/24", 6: "/release/40",
            7: "/release/6", 8: "/release/21", 9: "/release/37"}  # catalogue row (header = row 1) -> album page


@pytest.fixture(scope="module")
def local_tsa(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as t:
        yield t


@pytest.fixture(scope="module")
def matched(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("match")
    cli = Cli(tmp / "store")
    with DemoSite("allofmp3") as site:
        ids = [cli.crawl(PROFILES / "allofmp3-demo.yaml", "--start-url", site.base_url)["capture_id"]
               for _ in range(2)]
    catalogue = tmp / "rao.csv"
    catalogue.write_bytes(CATALOGUE.encode("cp1251"))
    cli.json("repertoire", "import", str(catalogue), "--name", "rao", "--json")
    return cli, ids, tmp


@pytest.mark.slow
def test_the_latin_catalogue_finds_the_cyrillic_albums_and_nothing_else(matched):
    cli, ids, _tmp = matched
    findings = cli.json("match", ids[0], "--repertoire", "rao", "--fx", "USD:EUR=0.92", "--json")
    assert findings["capture_id"] == ids[0] and findings["repertoire"]["works"] == 10
    confirmed = {m["work"]["row"]: urlsplit(m["item"]["url"]).path for m in findings["matches"] if not m["review"]}
    assert confirmed == EXPECTED
    assert not any(m["work"]["row"] in (10, 11) for m in findings["matches"])  # decoy and unsold work
    assert findings["unmatched_works"] == 2
    kino = next(m for m in findings["matches"] if m["work"]["row"] == 2)
    assert kino["method"] == "transliterated" and kino["item"]["fields"]["title"] == "Группа крови"
    assert kino["warc"]["file"].endswith(".warc.gz") and kino["warc"]["offset"] >= 0 and kino["page_sha256"]
    cheapest = kino["price"]["cheapest"]
    assert cheapest["currency"] == "USD" and kino["price"]["ratio"] == round(
        9.99 / (float(cheapest["amount"]) * 0.92), 3)
    assert findings["by_rights_holder"]["RAO"]["works"] == 6


@pytest.mark.slow
def test_findings_are_sealed_objects_tied_to_capture_and_repertoire_and_rerun_gives_the_same_bytes(matched):
    cli, ids, _tmp = matched
    first = cli.run("match", ids[0], "--repertoire", "rao", "--json").stdout
    second = cli.run("match", ids[0], "--repertoire", "rao", "--json").stdout
    assert first == second
    events = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    computed = [e for e in events if e["event"] == "findings_computed" and e["capture_id"] == ids[0]]
    data = computed[-1]["data"]
    assert (data["repertoire"], data["repertoire_version"]) == ("rao", 1)
    obj = cli.store / data["object"]
    assert obj.read_text("utf-8") == first and data["findings_sha256"] in str(obj)
    human = cli.run("match", ids[0], "--repertoire", "rao")
    assert human.returncode == 0 and "RAO: 6 works" in human.stdout and ids[0] in human.stdout


@pytest.mark.slow
def test_match_refuses_unknown_captures_and_repertoires_and_bad_rates(matched):
    cli, ids, _tmp = matched
    for args, text in ((("nope", "--repertoire", "rao"), "no capture 'nope'"),
                       ((ids[0], "--repertoire", "sacem"), "no repertoire 'sacem'"),
                       ((ids[0], "--repertoire", "rao", "--fx", "USD-EUR"), "expected FROM:TO=RATE")):
        proc = cli.run("match", *args)
        assert proc.returncode == 2 and text in proc.stderr, proc.stderr


@pytest.mark.slow
def test_export_with_the_repertoire_verifies_and_a_changed_findings_file_fails(matched, local_tsa):
    cli, ids, tmp = matched
    out = tmp / "case.wacz"
    export(cli, ids[0], out, local_tsa, "--repertoire", "rao", "--lang", "fr")
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"evidence/findings.json", "evidence/repertoire-rao-v1.csv", "evidence/findings.schema.json"} <= names
        assert z.read("evidence/repertoire-rao-v1.csv") == CATALOGUE.encode("cp1251")
        manifest = json.loads(z.read("evidence/manifest.json"))
        listed = {r["path"] for r in json.loads(z.read("datapackage.json"))["resources"]}
        report = z.read("evidence/report.html").decode()
    assert "evidence/findings.json" in listed and manifest["findings"][0]["repertoire"]["version"] == 1
    assert "Œuvres du répertoire proposées" in report and "Группа крови" in report
    ok = cli.json("verify", str(out), "--json")
    assert ok["valid"] and ok["checked"]["findings_matches"] >= 8
    bad = corrupt(out, tmp / "bad.wacz", "evidence/findings.json", 0.4)
    proc = cli.run("verify", str(bad))
    assert proc.returncode == 1 and "evidence/findings.json" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_history_names_the_first_and_last_capture_offering_each_work(matched):
    cli, ids, _tmp = matched
    result = cli.json("history", "allofmp3-demo", "--repertoire", "rao", "--json")
    assert result["captures"] == ids
    by_row = {w["work"]["row"]: w for w in result["works"]}
    assert set(EXPECTED) <= set(by_row)
    kino = by_row[2]
    assert (kino["first"]["capture_id"], kino["last"]["capture_id"]) == tuple(ids) and not kino["review"]
    assert kino["first"]["cheapest"]["currency"] == "USD"
