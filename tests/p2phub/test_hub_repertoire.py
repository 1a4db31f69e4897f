"""``p2p hub --repertoire NAME``: one search per work, bounded by ``--max-searches``, and every share matched
to a work of that repertoire by its path (against the NMDC fixture hub, whose user shares two works)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence_crawler.models import CaptureManifest
from tests.p2phub.fixture_hubs import NmdcFixture

CATALOGUE = ("artist,title\n"
             "Kino,Gruppa krovi\n"
             "Zemfira,Vendetta\n"
             "KINO,gruppa KROVI\n"  # the same work again: the catalogue skips it
             "Aquarium,Rock-n-roll mertv\n"
             ",\n")


@pytest.fixture
def hub():
    server = NmdcFixture()
    yield server
    server.close()


@pytest.fixture
def rao(cli, tmp_path):
    src = tmp_path / "rao.csv"
    src.write_text(CATALOGUE, encoding="utf-8")
    return cli.json("repertoire", "import", str(src), "--name", "rao", "--skip-bad-rows", "--json")


def shares(cli, capture_id):
    return [i["fields"] for i in cli.items(capture_id) if i["kind"] == "p2p_share"]


@pytest.mark.slow
def test_one_search_per_work_and_each_share_matched_to_its_work(cli, hub, rao):
    summary = cli.json("p2p", "hub", hub.url, "--allow-private", "--json", "--repertoire", "rao",
                       "--filelists", "1", "--search", "flac")
    assert summary["state"] == "sealed" and summary["hub"]["end"]["reason"] == "completed"
    assert hub.searches == [b"$Search Hub:evidence-survey F?T?0?1?" + t for t in (
        b"flac", b"Kino$Gruppa$krovi", b"Zemfira$Vendetta", b"Aquarium$Rock$n$roll$mertv")]
    found = {(s["source"], s["path"], s["term"], s["work"], (s["matched_work"] or {}).get("row"))
             for s in shares(cli, summary["capture_id"])}
    assert found == {("search", "Zemfira\\Vendetta.flac", "flac", None, 3),
                     ("search", "Kino\\Gruppa krovi.mp3", "Kino Gruppa krovi", "Kino - Gruppa krovi", 2),
                     ("search", "Zemfira\\Vendetta.flac", "Zemfira Vendetta", "Zemfira - Vendetta", 3),
                     ("filelist", "/Kino/Gruppa krovi.mp3", None, None, 2),
                     ("filelist", "/Zemfira/Vendetta.flac", None, None, 3)}
    matched = next(s["matched_work"] for s in shares(cli, summary["capture_id"]) if s["term"] == "flac")
    assert matched == {"repertoire": "rao", "version": 1, "row": 3, "artist": "Zemfira", "title": "Vendetta",
                       "method": "exact", "score": 100, "review": False}
    section = CaptureManifest.read(summary["manifest"]).p2p_hub
    assert section.repertoire.model_dump() == {"name": "rao", "version": 1, "sha256": rao["sha256"], "works": 3,
                                               "searches": 3, "max_searches": 100, "skipped": 0}
    assert section.searches == ["flac", "Kino Gruppa krovi", "Zemfira Vendetta", "Aquarium Rock n roll mertv"]
    profile = (Path(summary["manifest"]).parent / "artifacts" / "profile.yaml").read_text()
    assert "repertoire: rao" in profile and "repertoire_version: 1" in profile
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0


def test_max_searches_bounds_the_repertoire_searches(cli, hub, rao):
    summary = cli.json("p2p", "hub", hub.url, "--allow-private", "--json", "--repertoire", "rao",
                       "--max-searches", "1")
    assert hub.searches == [b"$Search Hub:evidence-survey F?T?0?1?Kino$Gruppa$krovi"]
    section = CaptureManifest.read(summary["manifest"]).p2p_hub
    assert (section.repertoire.searches, section.repertoire.max_searches) == (1, 1)


def test_without_repertoire_shares_have_no_matched_work_and_match_reads_them_later(cli, hub, rao):
    summary = cli.json("p2p", "hub", hub.url, "--allow-private", "--json", "--search", "Kino")
    assert [s["matched_work"] for s in shares(cli, summary["capture_id"])] == [None]
    assert CaptureManifest.read(summary["manifest"]).p2p_hub.repertoire is None
    findings = cli.json("match", summary["capture_id"], "--repertoire", "rao", "--json")  # the same matcher
    assert [(m["item"]["fields"]["path"], m["work"]["row"], m["method"]) for m in findings["matches"]] == [
        ("Kino\\Gruppa krovi.mp3", 2, "exact")]


def test_unknown_repertoire_is_a_one_line_error_before_anything_is_captured(cli, hub):
    proc = cli.run("p2p", "hub", hub.url, "--allow-private", "--repertoire", "nope")
    assert proc.returncode == 2 and "nope" in proc.stderr and "Traceback" not in proc.stderr
    assert hub.searches == [] and not (cli.store / "captures").exists()
