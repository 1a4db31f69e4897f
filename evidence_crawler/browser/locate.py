"""Which Chromium to launch: Playwright's own build when installed, else a system Chromium.

Debian's ``chromium`` works through ``executable_path``, but ``/usr/bin/chromium`` is a shell wrapper that
adds ``--enable-remote-extensions --load-extension=...`` and Google API keys, and with them an extension
update check (``update.googleapis.com``) on every launch: the binary it wraps is launched instead. The
launch flags (Playwright's defaults, which already include ``--disable-background-networking`` and
``--disable-component-update``, plus ours) switch off Chromium's own background traffic: on a capture
machine that traffic would be refused or, worse, mixed into what the operator thinks the page did.
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
               "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "--dns-prefetch-disable",
               "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings")
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


def _unwrapped(path: str, name: str) -> str:
    """The binary behind a distribution's launcher script (Debian: ``/usr/bin/chromium`` runs
    ``/usr/lib/chromium/chromium``); any other path is launched as found."""
    if os.path.realpath(path) != f"/usr/bin/{name}":
        return path
    with open(path, "rb") as f:
        if f.read(2) != b"#!":
            return path
    real = Path("/usr/lib") / name / name
    return str(real) if os.access(real, os.X_OK) else path


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
            return BrowserBinary(_unwrapped(found, name), "system")
    raise BrowserNotFound(HOW_TO_GET_ONE)
