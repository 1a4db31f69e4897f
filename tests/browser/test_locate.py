"""Which Chromium is launched, and the error when there is none (runs without any browser installed)."""

from __future__ import annotations

import os
import stat

import pytest

from evidence_crawler.browser import locate
from evidence_crawler.browser.locate import BrowserNotFound, locate_chromium
from tests.conftest import Cli


def _fake_exe(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_no_chromium_anywhere_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    with pytest.raises(BrowserNotFound) as exc:
        locate_chromium()
    assert "apt-get install chromium" in str(exc.value) and "playwright install chromium" in str(exc.value)


def test_playwrights_own_chromium_comes_before_the_system_one(tmp_path, monkeypatch):
    bundled = _fake_exe(tmp_path / "pw" / "chromium-1234" / "chrome-linux" / "chrome")
    _fake_exe(tmp_path / "bin" / "chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "pw"))
    found = locate_chromium()
    assert (found.executable, found.source) == (str(bundled), "playwright")


def test_system_chromium_is_launched_with_quiet_flags(tmp_path, monkeypatch):
    system = _fake_exe(tmp_path / "bin" / "chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    found = locate_chromium()
    assert (found.executable, found.source) == (str(system), "system")
    kw = found.launch_kwargs()
    assert kw["executable_path"] == str(system)
    assert {"--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-quic"} <= set(kw["args"])
    assert set(locate.LAUNCH_ARGS) == set(kw["args"])


def test_capture_without_a_browser_exits_2_before_fetching_anything(tmp_path):
    cli = Cli(tmp_path / "store")
    proc = cli.run("capture", "http://127.0.0.1:9/", "--allow-private",
                   env={"EVIDENCE_CHROMIUM": str(tmp_path / "no-such-chrome"), "PATH": os.environ["PATH"]})
    assert proc.returncode == 2
    assert "EVIDENCE_CHROMIUM" in proc.stderr and "apt-get install chromium" not in proc.stdout
    assert not (tmp_path / "store" / "captures").exists() or not list((tmp_path / "store" / "captures").iterdir())
