"""Which Chromium to launch: Playwright's own build when installed, else a system Chromium.

Debian's ``chromium`` works through ``executable_path``. The launch flags switch off Chromium's own
background traffic (updates, sync, safe-browsing lists): on a capture machine that traffic would be
refused or, worse, mixed into what the operator thinks the page did.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# Every page request is fulfilled from Scrapy's downloader (browser/route.py) and never connects. What Chromium
# might still open on its own (preconnect hints, DNS prefetch, WebRTC) goes to a proxy that does not exist
# (port 9, discard, nothing listening) or nowhere: a capture machine's browser reaches no shop directly.
DEAD_PROXY = "--proxy-server=http://127.0.0.1:9"
LAUNCH_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync", DEAD_PROXY,
               "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "--dns-prefetch-disable")
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOW_TO_GET_ONE = ("no Chromium found: install one with `apt-get install chromium` (Debian/Ubuntu, as root) "
                  "or `playwright install chromium`, or set EVIDENCE_CHROMIUM=/path/to/chrome")


class BrowserNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class BrowserBinary:
    executable: str
    source: str  # "playwright" | "system" | "EVIDENCE_CHROMIUM"

    def launch_kwargs(self) -> dict:
        return {"args": list(LAUNCH_ARGS), "headless": True, "executable_path": self.executable}


def _playwright_chromium() -> str | None:
    """Playwright's download folder (``PLAYWRIGHT_BROWSERS_PATH`` or ``~/.cache/ms-playwright``), read
    directly: asking the Playwright driver would start a node process, and not inside a running loop."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    candidates = sorted(root.glob("chromium-*/chrome-linux*/chrome"), reverse=True)
    return next((str(c) for c in candidates if os.access(c, os.X_OK)), None)


def locate_chromium(explicit: str | None = None) -> BrowserBinary:
    """``explicit`` (EVIDENCE_CHROMIUM) wins; then Playwright's Chromium; then one on PATH."""
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise BrowserNotFound(f"EVIDENCE_CHROMIUM={explicit} is not an executable file")
        return BrowserBinary(explicit, "EVIDENCE_CHROMIUM")
    bundled = _playwright_chromium()
    if bundled:
        return BrowserBinary(bundled, "playwright")
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return BrowserBinary(found, "system")
    raise BrowserNotFound(HOW_TO_GET_ONE)
