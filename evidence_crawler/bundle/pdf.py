"""Print the HTML report to PDF with headless Chromium (Debian's ``chromium``).

Chromium runs offline on a ``file://`` copy of the report: no network (background networking,
component updates and sync off; the report has no remote resources and a CSP without scripts), a
throwaway profile folder, a hard timeout that grows with the report (10,000 offers take far longer to
lay out than 10: page content must never make an export fail; long values are cut before, in
shoptext.py). ``--no-sandbox`` because exports run as root in CI and containers, where Chromium's
sandbox cannot start; the input is our own escaped HTML.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

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


def html_to_pdf(html_path: Path, pdf_path: Path, chromium: str) -> None:
    """Print ``html_path`` (images next to it resolve relatively) to ``pdf_path``."""
    timeout = print_timeout(html_path.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="evidence-chromium-") as profile:
        cmd = chromium_command(chromium, Path(profile)) + [
            "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.absolute().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not print the report within {timeout:.0f}s") from None
        except OSError as exc:
            raise PdfError(f"Chromium could not start: {exc}") from None
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise PdfError(f"Chromium failed to print the report (exit {proc.returncode}): {' | '.join(tail)}")
