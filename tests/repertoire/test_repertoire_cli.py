"""``repertoire import|list|show`` through the CLI: versions in the store, never overwritten; bad files refused."""

from __future__ import annotations

import json
import os

import openpyxl

from evidence_crawler.hashing import digest_file

CATALOGUE = ("Artist;Title;Kind;Rights Holder;Ref_Price;Ref_Currency\n"
             "Земфира;Вендетта;album;РАО;9,99;EUR\n"
             "Кино;Группа крови;album;РАО;8,99;EUR\n")


def write_1251(path, text=CATALOGUE):
    path.write_bytes(text.encode("cp1251"))
    return path


def test_import_keeps_the_file_read_only_in_the_store_and_records_custody(cli, tmp_path):
    src = write_1251(tmp_path / "rao.csv")
    result = cli.json("repertoire", "import", str(src), "--name", "rao", "--json")
    assert (result["version"], result["works"], result["rows"], result["delimiter"]) == (1, 2, 2, ";")
    assert result["encoding"].startswith("cp1251") and result["sha256"] == digest_file(src).sha256
    obj = cli.store / result["object"]
    assert obj.read_bytes() == src.read_bytes() and not os.stat(obj).st_mode & 0o222
    assert os.stat(src).st_mode & 0o200 and os.stat(src).st_ino != os.stat(obj).st_ino  # the user's file untouched
    events = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "repertoire_imported"
    assert {k: events[-1]["data"][k] for k in ("name", "version", "sha256", "rows", "skipped")} == {
        "name": "rao", "version": 1, "sha256": result["sha256"], "rows": 2, "skipped": 0}


def test_importing_a_name_again_makes_a_new_version_and_show_reads_either(cli, tmp_path):
    cli.json("repertoire", "import", str(write_1251(tmp_path / "a.csv")), "--name", "rao", "--json")
    second = write_1251(tmp_path / "b.csv", CATALOGUE + "Сплин;Новые люди;album;РАО;7,99;EUR\n")
    assert cli.json("repertoire", "import", str(second), "--name", "rao", "--json")["version"] == 2
    listed = cli.json("repertoire", "list", "--json")
    assert [(r["name"], r["version"], r["works"]) for r in listed] == [("rao", 1, 2), ("rao", 2, 3)]
    latest = cli.json("repertoire", "show", "rao", "--json")
    assert latest["version"] == 2 and latest["versions"] == [1, 2]
    assert [w["artist"] for w in latest["catalogue"]] == ["Земфира", "Кино", "Сплин"]
    old = cli.json("repertoire", "show", "rao", "--version", "1", "--json")
    assert old["works"] == 2 and old["catalogue"][0]["ref_price"] == "9.99"
    proc = cli.run("repertoire", "show", "rao")
    assert proc.returncode == 0 and "Новые люди" in proc.stdout and latest["sha256"] in proc.stdout


def test_an_xlsx_catalogue_is_imported_with_formulas_as_text(cli, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["artist", "title", "upc", "notes"])
    sheet.append(["Mylène Farmer", "Désenchantée", "036000291452", '=HYPERLINK("http://x.example","buy")'])
    path = tmp_path / "sacem.xlsx"
    book.save(path)
    assert cli.json("repertoire", "import", str(path), "--name", "sacem", "--json")["ext"] == "xlsx"
    work = cli.json("repertoire", "show", "sacem", "--json")["catalogue"][0]
    assert work["upc"] == "0036000291452" and work["extra"]["notes"].startswith("=HYPERLINK(")


def test_a_bad_row_refuses_the_file_naming_it_and_nothing_is_written(cli, tmp_path):
    src = write_1251(tmp_path / "bad.csv", CATALOGUE + "Кино;;album;РАО;1;EUR\n")
    proc = cli.run("repertoire", "import", str(src), "--name", "rao")
    assert proc.returncode == 2 and f"{src}:4: neither artist and title nor an isrc/upc" in proc.stderr
    assert not (cli.store / "repertoires").exists() and not (cli.store / "custody.jsonl").exists()
    assert cli.json("repertoire", "list", "--json") == []


def test_skip_bad_rows_imports_the_others_and_lists_each_skipped_row(cli, tmp_path):
    src = write_1251(tmp_path / "bad.csv", CATALOGUE + "Кино;;album;РАО;1;EUR\nКино;Группа крови;album;РАО;8,99;EUR\n")
    result = cli.json("repertoire", "import", str(src), "--name", "rao", "--skip-bad-rows", "--json")
    assert result["works"] == 2 and result["skipped_count"] == 2
    assert [(s["row"], s["reason"]) for s in result["skipped"]] == [
        (4, "neither artist and title nor an isrc/upc"), (5, "duplicate of row 3")]


def test_unknown_names_versions_and_files_are_one_line_errors(cli, tmp_path):
    for args, text in ((("show", "nope"), "no repertoire 'nope'"),
                       (("import", str(tmp_path / "missing.csv"), "--name", "x"), "no such file"),
                       (("import", str(write_1251(tmp_path / "a.csv")), "--name", "../x"), "a repertoire name")):
        proc = cli.run("repertoire", *args)
        assert proc.returncode == 2 and text in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    cli.json("repertoire", "import", str(tmp_path / "a.csv"), "--name", "rao", "--json")
    proc = cli.run("repertoire", "show", "rao", "--version", "3")
    assert proc.returncode == 2 and "has no version 3 (versions: 1)" in proc.stderr
