"""The report at scale and on the demo shop: the books corpus (1,000 products) prints in at most 40 pages and
8 MB at the default settings; the demo shop's exhibits (crawled without a browser) show its album pages with
their price tables, rendered at export from the archive."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.demo import DemoSite
from tests.bundle.conftest import CHROMIUM, export, unzip
from tests.conftest import PROFILES, Cli
from tests.servers.static import books_site_fixture

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")]

books_site = pytest.fixture(books_site_fixture, scope="module", name="books_site")


def _crawl(cli: Cli, profile: Path, url: str, *extra: str) -> str:
    proc = cli.run("crawl", str(profile), "--start-url", url, "--allow-private", "--json", *extra, timeout=1700)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)["capture_id"]


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.mark.corpus
@pytest.mark.timeout(3000)
def test_the_books_report_fits_in_40_pages_and_8_mb(books_site, tsa, tmp_path):
    cli = Cli(tmp_path / "store")
    cid = _crawl(cli, PROFILES / "books-toscrape.yaml", books_site, "--max-pages", "5000")
    out = tmp_path / "books.wacz"
    result = json.loads(export(cli, cid, out, tsa, "--json", "--case-ref", "BOOKS").stdout)
    assert len(result["exhibits"]) == 20 and result["items"] == 1000
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(zipfile.ZipFile(out).read("evidence/report.pdf"))
    assert _pdf_pages(pdf) <= 40 and pdf.stat().st_size <= 8 << 20, (_pdf_pages(pdf), pdf.stat().st_size)
    offers = zipfile.ZipFile(out).read("evidence/offers.csv").decode("utf-8-sig").splitlines()
    assert len(offers) == 1001  # header + every offer, in the annex


@pytest.mark.timeout(1200)
def test_the_demo_exhibits_show_the_album_pages_price_tables(tsa, tmp_path):
    cli = Cli(tmp_path / "store")
    with DemoSite("allofmp3") as site:
        cid = _crawl(cli, PROFILES / "allofmp3-demo.yaml", site.base_url)
    out = tmp_path / "demo.wacz"
    result = json.loads(export(cli, cid, out, tsa, "--json", "--lang", "fr", "--case-ref", "DEMO").stdout)
    albums = [e for e in result["exhibits"] if "/release/" in e["url"]]
    assert albums and all(e["screenshot"] == "archive" for e in result["exhibits"])
    root = unzip(out, tmp_path / "x")
    html = (root / "evidence/report.html").read_text()
    assert "rendu à partir de l&#39;archive lors de l&#39;export" in html
    block_re = r'<div class="exhibit" id="exhibit-(\d+)">(.*?)</div>\s*(?=<div class="exhibit"|<p|</section)'
    blocks = dict(re.findall(block_re, html, re.S))
    warc = next((root / "archive").glob("*.warc.gz"))
    bodies = {}
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                bodies.setdefault(record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read())
    start = Image.open(root / "evidence/exhibit-01.png").convert("L")
    for e in albums:
        block = blocks[str(e["n"])]
        assert e["url"] in block and f"exhibit-{e['n']:02d}.png" in block
        assert re.search(rb'<table class="?buy', bodies[e["url"]], re.I)  # the page drawn holds the price table
        with Image.open(root / f"evidence/exhibit-{e['n']:02d}.png") as img:
            grey = img.convert("L")
            low, high = grey.getextrema()
            assert high - low > 100 and grey.tobytes() != start.tobytes()  # drawn, and not the start page
    pdf = root / "evidence/report.pdf"
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(listing.splitlines()) - 2 >= len(result["exhibits"])
