"""A store the workbench is tested on (real crawls of the demo shop and the hostile-title shop) and the app
itself, started as a user starts it: ``evidence-crawler ui --port 0``, its first stdout line the URL."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest

from evidence_crawler.demo import DemoSite
from evidence_crawler.demo.tsa import LocalTSA
from tests.browser.conftest import CHROMIUM
from tests.bundle.conftest import SHOP_PROFILE, HostileTitleShop
from tests.conftest import PROFILES, Cli


class Workbench:
    def __init__(self, cli: Cli, proc: subprocess.Popen, url: str) -> None:
        self.cli, self.proc, self.url = cli, proc, url

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes, dict]:
        req = urllib.request.Request(self.url.split("?")[0] + path.lstrip("/"))
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)


def start_ui(cli: Cli, *args: str, env: dict | None = None) -> Workbench:
    proc = cli.start("ui", "--port", "0", *args, env=env)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise AssertionError(f"ui printed {url!r}; stderr: {proc.stderr.read()[-2000:]}")
    return Workbench(cli, proc, url)


@pytest.fixture(scope="module")
def web_tsa(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as t:
        yield t


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Cli, dict[str, str]]:
    """Two rendered captures of the allofmp3 demo (album 1's prices doubled in between) and the hostile shop."""
    tmp = tmp_path_factory.mktemp("web")
    cli = Cli(tmp / "store")
    ids = {}
    profile = PROFILES / "allofmp3-demo.yaml"
    with DemoSite("allofmp3") as site:
        starts = [arg for n in (1, 2, 3, 4) for arg in ("--start-url", f"{site.base_url}release/{n}")]
        ids["old"] = cli.crawl(profile, *starts, "--render", "--max-pages", "8")["capture_id"]
        site.catalog.set_price_factor(1, "2")
        ids["new"] = cli.crawl(profile, *starts, "--render", "--max-pages", "8")["capture_id"]
    shop_profile = tmp / "hostile.yaml"
    with HostileTitleShop(items=2) as shop:
        shop_profile.write_text(SHOP_PROFILE.format(url=shop.base_url), encoding="utf-8")
        ids["hostile"] = cli.crawl(shop_profile)["capture_id"]
    return cli, ids


@pytest.fixture(scope="module")
def workbench(store, web_tsa):
    cli, _ids = store
    bench = start_ui(cli, env={"EVIDENCE_TSA_URLS": web_tsa.url, "EVIDENCE_OPERATOR": "Workbench Tester"})
    yield bench
    bench.proc.terminate()
    bench.proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module (its tests open their own contexts)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()
