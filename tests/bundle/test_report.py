"""The report: page-derived text stays inert in a real browser; the PDFs render, in English and French."""

from __future__ import annotations

import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.bundle.pdf import chromium_command
from tests.bundle.conftest import CHROMIUM, HOSTILE

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make system-deps)")


def _member(bundle: Path, name: str, dest: Path) -> Path:
    dest.write_bytes(zipfile.ZipFile(bundle).read(name))
    return dest


def test_script_in_a_page_title_renders_inert_in_chromium(bundle_en, tmp_path):
    html = _member(bundle_en, "evidence/report.html", tmp_path / "report.html")
    assert "<script" not in html.read_text().lower()
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(chromium_command(CHROMIUM, Path(profile)) + [
            "--virtual-time-budget=2000", "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert proc.returncode == 0 and "</html>" in dom, proc.stderr[-2000:]
    assert "<script" not in dom.lower(), "a script element reached the DOM"
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "PWNED" not in title and title.startswith("Evidence report"), title
    shown = re.findall(r'<em class="page-title">(.*?)</em>', dom, re.S)
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert any(escaped in s for s in shown), shown[:3]
    assert "Hostile &lt;b&gt;title&lt;/b&gt; shop" in dom  # the --title option is text too


@pytest.mark.parametrize(("fixture", "headers"), [
    ("bundle_en", ["Offers", "Item", "a column per format", "Trusted timestamps"]),
    ("bundle_fr", ["Offres", "Article", "une colonne par format", "Horodatages"]),
])
def test_pdf_renders_with_the_offers_table(request, tmp_path, fixture, headers):
    pdf = _member(request.getfixturevalue(fixture), "evidence/report.pdf", tmp_path / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for h in headers:
        assert h in text, (h, text[:1500])
    for cell in ("mp3-320", "flac", "2,99 €", "8,49 €", "EUR"):
        assert cell in text, cell
