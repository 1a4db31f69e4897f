"""Browser tests need a Chromium (Debian ``chromium`` or ``playwright install chromium``); skipped without."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_crawler.browser.locate import BrowserNotFound, locate_chromium
from tests.conftest import Cli
from tests.servers.browserpages import BrowserPages

try:
    CHROMIUM = locate_chromium().executable
except BrowserNotFound as exc:
    CHROMIUM = None
    REASON = str(exc)

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=f"no Chromium: {REASON}" if CHROMIUM is None else "")


@pytest.fixture(scope="module")
def pages():
    with BrowserPages() as server:
        yield server


class Captured:
    """One ``capture URL --json`` run and what it sealed."""

    def __init__(self, cli: Cli, summary: dict) -> None:
        self.cli = cli
        self.summary = summary
        self.id = summary["capture_id"]
        self.dir = cli.store / "captures" / self.id
        self.manifest = json.loads((self.dir / "manifest.json").read_text())
        renders = (self.dir / "artifacts" / "renders.jsonl").read_text()
        self.renders = [json.loads(line) for line in renders.splitlines()]

    def artifact(self, role: str) -> Path:
        names = [a["name"] for a in self.manifest["artifacts"] if a["role"] == role]
        assert names, f"no {role} artifact"
        return self.dir / "artifacts" / names[0]


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """``capture(url, *flags)`` -> Captured; one store per test module."""
    cli = Cli(tmp_path_factory.mktemp("browser") / "store")

    def _capture(url: str, *flags: str, expect: int = 0) -> Captured:
        return Captured(cli, cli.json("capture", url, "--allow-private", "--json", *flags, expect=expect))

    _capture.cli = cli
    return _capture
