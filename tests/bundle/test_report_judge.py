"""The report a judge reads (issue 17 item 1): summary, conditions checklist, exhibits with screenshots and
hyperlink paths, offers per item, CSV annexes, header/footer on every PDF page; both languages."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from evidence_crawler.bundle.annexes import csv_bytes, neutral, offer_lines
from evidence_crawler.bundle.checklist import checklist
from evidence_crawler.bundle.exhibits import Navigation, choose
from evidence_crawler.bundle.offertable import MAX_FORMAT_COLUMNS, offer_groups, price_ranges
from evidence_crawler.bundle.pdf import find_chromium
from evidence_crawler.bundle.report import render_report, report_pdf
from evidence_crawler.bundle.strings import section
from evidence_crawler.profile import compile_linear
from tests.bundle.conftest import CHROMIUM, HOSTILE, export, unzip

ENV = {"tool": {"name": "evidence-crawler", "version": "0.1.0"}, "python": "3.11.7", "dependencies": {},
       "os": {"platform": "Linux-6.1-x86_64"}, "hostname": "capture-01", "operator": "Jeanne Martin",
       "operator_source": "EVIDENCE_OPERATOR", "local_ips": ["192.0.2.10"],
       "dns": {"shop.example": {"addresses": ["203.0.113.5"], "resolved_at": "2026-01-05T10:00:00Z"}},
       "proxy_variables": {}, "clock_utc": "2026-01-05T10:20:00Z", "user_agent": "evidence-crawler/0.1 (+case)"}
R1_FIELDS = {  # the environment facts recorded at capture by issue 17 item 3 (names as agreed)
    "organisation": "Cabinet Exemple",
    "machine": {"cpu_model": "Intel Xeon E-2236", "cpu_count": 12, "memory_bytes": 34359738368},
    "tool_files": {"sha256": "ab" * 32, "files": 321, "method": "sorted paths + file sha256"},
    "browser": {"name": "chromium", "version": "131.0.6778.85", "executable": "/usr/lib/chromium/chromium",
                "proxy": "http://127.0.0.1:9 (dead proxy)"},
    "dns_resolvers": {"source": "resolv.conf", "servers": ["198.51.100.53"], "config_file": "/etc/resolv.conf"},
    "public_ip": {"ip": "198.51.100.77", "source_url": "http://127.0.0.1:8999/ip",
                  "checked_at": "2026-01-05T10:00:01Z"},
    "clock": {"system_utc": "2026-01-05T10:00:00.5Z", "checked": True, "server": "127.0.0.1:123", "offset_s": 0.0123,
              "round_trip_s": 0.0004, "stratum": 2, "checked_at": "2026-01-05T10:00:00Z"},
    "clean_state": {"http": "new cookie jar, no cache, no history", "browser": "new context per page, no storage",
                    "cookies_in": "none"},
    "robots": {"obeyed": True, "user_agent": "evidence-crawler/0.1 (+case)"},
}
LINK_TEXT = "Album <b>Группа крови</b> — 2 formats"


def capture_ctx(env: dict) -> dict:
    return {"id": "20260105T100000Z-shop-abc123", "profile": "shop", "start_urls": ["https://shop.example/"],
            "started_at": "2026-01-05T10:00:00Z", "finished_at": "2026-01-05T10:20:00Z", "finish_reason": "finished",
            "counts": {"pages": 3, "items": 1, "offers": 2, "p2p": 0, "errors": 0},
            "errors": {"failed": 0, "failures": {}, "stopped": 0, "policy_stops": {}}, "manifest_sha256": "cd" * 32,
            "sealed_seq": 7, "sealed_hash": "ef" * 32, "seal_stamp": None, "seal_signed": None,
            "environment": env, "settings": {"ROBOTSTXT_OBEY": True}}


# ---- checklist -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_checklist_line_prints_its_recorded_value(lang):
    groups = checklist(capture_ctx({**ENV, **R1_FIELDS}), lang)
    assert [g["key"] for g in groups] == list(section("checklist"))
    lines = {(g["key"], n): line for g in groups for n, line in enumerate(g["lines"])}
    assert all(line["recorded"] for line in lines.values()), [k for k, v in lines.items() if not v["recorded"]]
    text = " | ".join(line["value"] for line in lines.values())
    for fact in ("Jeanne Martin", "Cabinet Exemple", "Intel Xeon E-2236", "12", "32.0 GiB", "ab" * 32, "321",
                 "131.0.6778.85", "198.51.100.77", "http://127.0.0.1:8999/ip", "198.51.100.53", "/etc/resolv.conf",
                 "shop.example → 203.0.113.5", "0.0123", "127.0.0.1:123", "stratum 2", "new cookie jar",
                 "new context per page", "2026-01-05T10:00:00Z", "2026-01-05T10:20:00Z", "evidence-crawler/0.1"):
        assert fact in text, fact


@pytest.mark.parametrize(("lang", "missing"), [("en", "not recorded"), ("fr", "non enregistré")])
def test_an_older_capture_says_not_recorded_and_never_invents(lang, missing):
    groups = checklist(capture_ctx(ENV), lang)
    by_key = {g["key"]: g["lines"] for g in groups}
    for key, n in (("operator", 1), ("machine", 2), ("machine", 3), ("software", 1), ("software", 2),
                   ("network", 1), ("network", 2), ("clock", 1), ("clean_state", 0), ("clean_state", 2)):
        assert by_key[key][n]["value"] == missing and not by_key[key][n]["recorded"], (key, n)
    assert by_key["machine"][0]["value"] == "capture-01" and by_key["network"][3]["recorded"]


def test_failed_checks_print_their_reason():
    env = {**ENV, "public_ip": {"ip": None, "error": "EVIDENCE_PUBLIC_IP_URLS not set"},
           "clock": {"system_utc": "2026-01-05T10:00:00Z", "checked": False, "error": "EVIDENCE_NTP_SERVERS not set"}}
    lines = {g["key"]: g["lines"] for g in checklist(capture_ctx(env), "fr")}
    assert lines["network"][1]["value"] == "non déterminée: EVIDENCE_PUBLIC_IP_URLS not set"
    assert lines["clock"][1]["value"] == "non contrôlée: EVIDENCE_NTP_SERVERS not set"


# ---- annexes, offers, exhibits ------------------------------------------------------------------


def test_csv_annexes_have_a_bom_and_no_formula_runs():
    items = [{"kind": "product", "key": "1", "url": "https://s/1", "capture_id": "c",
              "fields": {"title": "=HYPERLINK(\"http://x\")", "artist": "Кино"},
              "offers": [{"format": "+mp3", "price": "-1,99 €", "amount": "1.99", "currency": "EUR"}]},
             {"kind": "product", "key": "2", "url": "https://s/2", "duplicate_of": "1", "fields": {}, "offers": [{}]}]
    data = csv_bytes(("key", "artist", "title", "format", "price"), offer_lines(items))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows == [["key", "artist", "title", "format", "price"],
                    ["1", "Кино", "'=HYPERLINK(\"http://x\")", "'+mp3", "'-1,99 €"]]
    assert neutral("@SUM(A1)") == "'@SUM(A1)" and neutral("12") == "12" and neutral(None) == ""


def test_offers_are_one_row_per_item_grouped_by_artist():
    def item(n, artist, offers):
        return {"kind": "product", "key": str(n), "url": f"https://s/{n}",
                "fields": {"title": f"T{n}", "artist": artist},
                "offers": [{"format": f, "price": f"{a} $", "amount": a, "currency": "USD"} for f, a in offers]}
    items = [item(1, "Кино", [("mp3", "1.5"), ("flac", "3")]), item(2, "Ария", [("mp3", "0.5")]),
             item(3, "Кино", [("flac", "2")])]
    groups = offer_groups(items)
    assert [g["artist"] for g in groups] == ["Ария", "Кино"]
    kino = groups[1]
    assert kino["formats"] == ["mp3", "flac"] and [r["title"] for r in kino["rows"]] == ["T1", "T3"]
    assert kino["rows"][1]["by_format"] == {"flac": [items[2]["offers"][0]]}
    assert price_ranges(items) == [{"currency": "USD", "low": "0.5", "high": "3", "offers": "4"}]
    many = offer_groups([item(9, None, [(f"f{n}", "1") for n in range(MAX_FORMAT_COLUMNS + 1)])])
    assert many[0]["artist"] is None and many[0]["formats"] == [] and len(many[0]["rows"][0]["offers"]) == 7


def _entry(url, referrer=None, depth=0, link_text=None, ctype="text/html", status=200):
    return {"url": url, "referrer": referrer, "depth": depth, "link_text": link_text, "content_type": ctype,
            "status": status, "robots": False, "fetched_at": "t", "sha256": "0" * 64}


NAV = [_entry("https://s/"), _entry("https://s/robots.txt", ctype="text/plain"),
       _entry("https://s/cat/1", "https://s/", 1, "Catalogue"), _entry("https://s/cat/2", "https://s/cat/1", 2, "Next"),
       _entry("https://s/item/3", "https://s/cat/2", 3, "Album three"),
       _entry("https://s/item/1", "https://s/cat/1", 2, "Album one"),
       _entry("https://s/item/2", "https://s/cat/1", 2, "Album two")]
ITEMS = [{"kind": "product", "key": k, "url": f"https://s/item/{k}", "fields": {}, "offers": []} for k in "123"]


def test_exhibits_are_the_start_page_the_paths_and_the_items_findings_first():
    chosen = choose(NAV, ITEMS, [], 20, set())
    assert [e["url"] for e in chosen] == ["https://s/", "https://s/cat/1", "https://s/cat/2", "https://s/item/3",
                                          "https://s/item/1", "https://s/item/2"]  # navigation (capture) order
    budget = choose(NAV, ITEMS, [], 3, {"https://s/item/3"})  # item 3 needs 4 pages: it no longer fits
    assert [e["url"] for e in budget] == ["https://s/", "https://s/cat/1", "https://s/item/1"]
    found_first = choose(NAV, ITEMS, [], 4, {"https://s/item/3"})
    assert [e["url"].rsplit("/", 2)[-2:] for e in found_first][-1] == ["item", "3"]
    path = Navigation(NAV).path("https://s/item/3")
    assert [(h["url"], h["link_text"]) for h in path] == [
        ("https://s/", None), ("https://s/cat/1", "Catalogue"), ("https://s/cat/2", "Next"),
        ("https://s/item/3", "Album three")]


def test_exhibit_regexes_are_re2_and_pick_matching_pages_in_order():
    chosen = choose(NAV, ITEMS, [compile_linear(r"/item/[12]$"), compile_linear(r"/$")], 20, set())
    assert [e["url"] for e in chosen] == ["https://s/", "https://s/item/1", "https://s/item/2"]
    with pytest.raises(ValueError, match="linear-time"):
        compile_linear(r"(a)\1")


# ---- the printed report (real Chromium, synthetic bundle data) ----------------------------------


def _context(tmp: Path, lang: str, exhibits: int = 2) -> dict:
    shots = []
    for n in range(1, exhibits + 1):
        img = Image.new("RGB", (1280, 900), (255, 255, 255))
        for x in range(100, 1100):
            for y in range(100 + n, 140 + n):
                img.putpixel((x, y), (20 * n % 255, 40, 160))
        path = tmp / f"src-{n}.png"
        img.save(path)
        shots.append(path)
    exs = []
    for n, shot in enumerate(shots, 1):
        exs.append({"n": n, "capture_id": "c", "url": f"https://shop.example/item/{n}", "title": f"Album {n} {HOSTILE}",
                    "fetched_at": f"2026-01-05T10:00:0{n % 10}Z", "status": 200, "ip": "203.0.113.5",
                    "sha256": f"{n:x}" * 64, "image_src": f"exhibit-{n:02d}.png", "image_file": shot,
                    "image_sha256": "9" * 64, "shot": "archive", "shot_at": "2026-01-06T09:00:00Z",
                    "path": [{"url": "https://shop.example/", "link_text": None},
                             {"url": "https://shop.example/catalogue", "link_text": "Catalogue complet"},
                             {"url": f"https://shop.example/item/{n}", "link_text": LINK_TEXT}]})
    items = [{"kind": "product", "key": "1", "url": "https://shop.example/item/1",
              "fields": {"title": "Группа крови", "artist": "Кино"},
              "offers": [{"format": "mp3-320", "price": "1,99 €", "amount": "1.99", "currency": "EUR"},
                         {"format": "flac", "price": "3,49 €", "amount": "3.49", "currency": "EUR"}]}]
    return {"case": {"reference": "RG-24/0042", "title": ""}, "created": "2026-01-06T09:00:00Z",
            "exporter": "J. Martin",
            "software": "evidence-crawler 0.1.0", "tokens": [{"path": "evidence/timestamp-0.tsr",
            "gen_time": "2026-01-06T09:00:01Z", "url": "http://127.0.0.1/tsr", "tsa_name": "Test TSA", "signer": "",
            "serial": "1", "policy": "1.2.3"}], "items": items, "tsa_failures": [], "timestamped": True,
            "fingerprint": "sha256:" + "1" * 64, "manifest_sha256": "0123456789abcdef" + "f" * 48,
            "custody": {"events": 3, "first_seq": 1, "last_seq": 3, "first_prev": "0" * 64, "last_hash": "a" * 64,
                        "store_head": {"seq": 3, "hash": "a" * 64}},
            "items_only": None, "diff": None, "findings": [], "exhibits": exs,
            "annexes": [{"path": "evidence/pages.csv", "sha256": "5" * 64, "size": 10}],
            "captures": [capture_ctx({**ENV, **R1_FIELDS})]}


def _pages_text(pdf: Path) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                         check=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for p in range(1, n + 1)]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make system-deps)")
@pytest.mark.parametrize(("lang", "words"), [
    ("en", {"summary": "Summary", "page": "page {x} of {y}", "missing": "not recorded", "exhibit": "Exhibit",
            "link": "link followed", "archive": "rendered from the archive at export, 2026-01-06T09:00:00Z"}),
    ("fr", {"summary": "Synthèse", "page": "page {x} sur {y}", "missing": "non enregistré", "exhibit": "Pièce",
            "link": "lien suivi", "archive": "rendu à partir de l'archive lors de l'export, 2026-01-06T09:00:00Z"}),
])
def test_the_printed_report_has_summary_checklist_exhibits_and_a_footer_on_every_page(tmp_path, lang, words):
    ctx = _context(tmp_path, lang)
    checks = [line for g in checklist(copy.deepcopy(ctx["captures"][0]), lang) for line in g["lines"]]
    html = render_report(lang, copy.deepcopy(ctx))
    assert "<script" not in html.decode().lower() and "&lt;b&gt;Группа крови&lt;/b&gt;" in html.decode()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(html, lang, ctx, find_chromium(CHROMIUM), tmp_path))
    pages = _pages_text(pdf)
    assert words["summary"] in pages[0] and "RG-24/0042" in pages[0] and "Кино" not in pages[0]
    for n, text in enumerate(pages, 1):  # header and footer on every page
        assert words["page"].format(x=n, y=len(pages)) in text, (n, text[-300:])
        assert text.count("RG-24/0042") >= 2 and "0123456789abcdef" in text, (n, text[:300])
    flat = re.sub(r"\s+", " ", " ".join(pages))
    for line in checks:
        assert line["label"].split()[0] in flat, line["label"]
        assert (line["value"] if len(line["value"]) < 25 else line["value"][:20]) in flat, line
    assert " missing\">" not in html.decode() and words["missing"] in flat  # every fact recorded; intro says it
    for n in (1, 2):
        assert f"{words['exhibit']} {n}" in flat
    assert flat.count("Catalogue complet") == 2 and flat.count("Группа крови</b> — 2 formats") == 2
    assert flat.count(words["link"]) == 4 and words["archive"] in flat
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    images = [line for line in listing.splitlines()[2:] if line.split()[2] == "image"]
    assert len(images) == 2 and all(line.split()[3] == "1280" for line in images), listing
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    (first,) = tmp_path.glob("p-*.png")
    with Image.open(first) as img:
        assert img.convert("L").getextrema()[0] < img.convert("L").getextrema()[1]  # page one is drawn, not blank


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make system-deps)")
@pytest.mark.slow
def test_fifty_exhibits_stay_one_per_page_with_full_width_images(tmp_path):
    ctx = _context(tmp_path, "en", exhibits=50)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(render_report("en", copy.deepcopy(ctx)), "en", ctx, find_chromium(CHROMIUM), tmp_path))
    pages = _pages_text(pdf)
    assert len(pages) <= 60
    for n in range(1, 51):
        assert sum(f"Exhibit {n}: Album {n} " in p for p in pages) == 1, n


# ---- export end to end (the hostile-title shop, crawled without a browser) ----------------------


def test_export_renders_exhibits_from_the_archive_and_lists_the_annexes(sealed, tsa, tmp_path):
    cli, cid = sealed
    out = tmp_path / "case.wacz"
    proc = export(cli, cid, out, tsa, "--json", "--case-ref", "EXH-1", "--exhibit", r"/item/\d+$",
                  "--exhibit", r"/item/1$", "--max-exhibits", "2")
    result = json.loads(proc.stdout)
    assert [e["screenshot"] for e in result["exhibits"]] == ["archive", "archive"]
    root = unzip(out, tmp_path / "x")
    listed = {r["path"]: r["hash"] for r in json.loads((root / "datapackage.json").read_text())["resources"]}
    manifest = json.loads((root / "evidence/manifest.json").read_text())
    html = (root / "evidence/report.html").read_text()
    for name in ("evidence/exhibit-01.png", "evidence/exhibit-02.png", "evidence/pages.csv", "evidence/offers.csv"):
        assert name in listed and name in manifest["members"], name
        assert manifest["members"][name]["sha256"] in html or name.endswith(".png")
    with Image.open(root / "evidence/exhibit-01.png") as img:
        assert img.width == 1280 and img.convert("L").getextrema()[0] < img.convert("L").getextrema()[1]  # not blank
    assert "rendered from the archive at export" in html and "<script" not in html.lower()
    assert 'class="pages' not in html  # no page-per-row table any more: pages.csv is the annex
    pages_csv = (root / "evidence/pages.csv").read_bytes()
    assert pages_csv.startswith(b"\xef\xbb\xbf") and b"/item/1" in pages_csv
    assert cli.run("verify", str(out)).returncode == 0
    from tests.bundle.test_export import WACZ
    proc = subprocess.run([str(WACZ), "validate", "-f", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--exhibit", r"(a)\1"), "--exhibit: regex"), (("--max-exhibits", "0"), "--max-exhibits 0")])
def test_bad_exhibit_options_are_refused_in_one_line(sealed, tsa, tmp_path, args, message):
    cli, cid = sealed
    proc = export(cli, cid, tmp_path / "x.wacz", tsa, *args, expect=2)
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.wacz").exists()


def test_exhibit_pages_keep_hostile_titles_escaped(bundle_en):
    html = zipfile.ZipFile(bundle_en).read("evidence/report.html").decode()
    shown = re.findall(r'<em class="page-title">(.*?)</em>', html, re.S)
    assert shown and all("<script" not in s for s in shown)
