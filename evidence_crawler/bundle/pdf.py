"""Print the HTML report to PDF with headless Chromium (Debian's ``chromium``), through Playwright's
``page.pdf`` so every page carries the header and footer (case reference, "page X of Y", the first 16
hex of the sha256 of ``evidence/manifest.json``). :func:`print_pdf` returns the PDF's bytes, so a
signing step can wrap it.

Chromium runs offline on a ``file://`` copy of the report: no network (background networking,
component updates and sync off; the report has no remote resources and a CSP without scripts), a
throwaway profile folder, a hard timeout that grows with the report (10,000 offers take far longer to
lay out than 10: page content must never make an export fail; long values are cut before, in
shoptext.py). ``--no-sandbox`` because exports run as root in CI and containers, where Chromium's
sandbox cannot start; the input is our own escaped HTML.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from markupsafe import escape

from evidence_crawler.browser.locate import LAUNCH_ARGS, _unwrapped

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
TIMEOUT_S = 120  # a report of a few hundred KiB prints in seconds; this is the floor
TIMEOUT_PER_MIB_S = 120  # and this much more for each MiB of HTML


def print_timeout(html_bytes: int) -> float:
    return TIMEOUT_S + TIMEOUT_PER_MIB_S * html_bytes / (1 << 20)


class PdfError(Exception):
    """No PDF: the message says why and how to get a Chromium."""


def find_chromium(configured: str = "") -> str:
    for candidate in ([configured] if configured else CHROMIUM_CANDIDATES):
        found = shutil.which(candidate)
        if found:
            return found
    raise PdfError(f"no Chromium found ({configured or ', '.join(CHROMIUM_CANDIDATES)}) to print the report "
                   "to PDF: install Debian's `chromium` (`sudo apt-get install chromium`, or `make system-deps` "
                   "as root) or set EVIDENCE_CHROMIUM to its path")


def chromium_command(chromium: str, profile: Path) -> list[str]:
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
            "--disable-default-apps", "--mute-audio", f"--user-data-dir={profile}"]


MARGIN = {"top": "16mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}
_BAND = ('<div style="font: 7.5pt \'DejaVu Sans\', sans-serif; color: #444; width: 100%; margin: 0 12mm; '
         'display: flex; justify-content: space-between;">{left}<span>{right}</span></div>')


def bands(case_ref: str, manifest_sha256: str, page_word: str, of_word: str, digest_word: str) -> tuple[str, str]:
    """Chromium's header and footer templates (``pageNumber``/``totalPages`` are filled in per page)."""
    header = _BAND.format(left=f"<span>{escape(case_ref or '—')}</span>",
                          right=f"{escape(digest_word)} {escape(manifest_sha256[:16])}")
    footer = _BAND.format(left=f"<span>{escape(case_ref or '—')}</span>", right=(
        f'{escape(page_word)} <span class="pageNumber"></span> {escape(of_word)} <span class="totalPages"></span>'))
    return header, footer


def print_pdf(html_path: Path, chromium: str, header: str, footer: str) -> bytes:
    """The PDF of ``html_path`` (images next to it resolve relatively), with ``header``/``footer`` on
    every page (raises PdfError)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    timeout_ms = print_timeout(html_path.stat().st_size) * 1000
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=_unwrapped(chromium, Path(chromium).name),
                                         args=list(LAUNCH_ARGS), headless=True, timeout=60_000)
            try:
                page = browser.new_context(java_script_enabled=False).new_page()
                page.set_default_timeout(timeout_ms)
                page.goto(html_path.absolute().as_uri(), wait_until="load", timeout=timeout_ms)
                pdf = page.pdf(format="A4", print_background=True, display_header_footer=True,
                               header_template=header, footer_template=footer, margin=MARGIN)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"Chromium failed to print the report: {str(exc).splitlines()[0]}") from None
    if not pdf.startswith(b"%PDF-"):
        raise PdfError("Chromium printed something that is not a PDF")
    return pdf
