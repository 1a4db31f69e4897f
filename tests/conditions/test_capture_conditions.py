"""End to end: a crawl of the demo shop records its conditions in the manifest, and each page the link
text that led to it (echo and NTP servers on loopback, never the internet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_crawler.demo import DemoSite
from evidence_crawler.models import CaptureManifest
from evidence_crawler.toolfiles import tool_files
from tests.conftest import PROFILES, Cli
from tests.servers.echoip import EchoIpServer
from tests.servers.ntpd import NtpResponder

pytestmark = pytest.mark.slow
OFFSET_S = 42.25


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    store = tmp_path_factory.mktemp("store-conditions")
    with DemoSite("allofmp3") as site, EchoIpServer() as echo, NtpResponder(offset_s=OFFSET_S) as ntp:
        env = {"EVIDENCE_PUBLIC_IP_URLS": f"{echo.url('/garbage')},{echo.url('/json')}",
               "EVIDENCE_NTP_SERVERS": ntp.address, "EVIDENCE_DNS_RESOLVERS": ""}
        summary = Cli(store).crawl(PROFILES / "allofmp3-demo.yaml", "--start-url", site.base_url, env=env)
        assert ntp.queries == 1 and echo.hits == ["/garbage", "/json"]
    manifest = CaptureManifest.read(summary["manifest"])
    pages_path = Path(summary["manifest"]).parent / "artifacts" / "pages.jsonl"
    pages = [json.loads(line) for line in pages_path.read_text(encoding="utf-8").splitlines()]
    return store, summary, manifest, pages


def test_the_manifest_states_machine_tool_and_network_conditions(capture):
    _, _, manifest, _ = capture
    env = manifest.environment
    assert env.machine.cpu_count and env.machine.memory_bytes
    assert env.tool_files == tool_files()  # this test process runs the same installed files
    assert env.public_ip.ip == "127.0.0.1" and env.public_ip.source_url.endswith("/json")
    assert env.public_ip.error is None and len(env.public_ip.answer_sha256) == 64
    assert env.clock.checked and env.clock.offset_s == pytest.approx(OFFSET_S, abs=1.0)
    assert env.clock.server.startswith("127.0.0.1:") and env.clock.stratum == 2
    assert env.dns_resolvers.source == "system" and env.dns_resolvers.config_file == "/etc/resolv.conf"
    assert env.robots.obeyed is True and env.robots.user_agent == env.user_agent
    assert env.browser is None  # not rendered
    assert env.clean_state.cookies_in == 0 and env.clean_state.browser is None
    assert "cookie jar started empty" in env.clean_state.http and "HTTPCACHE_ENABLED=False" in env.clean_state.http
    assert manifest.settings["HTTPCACHE_ENABLED"] is False


def test_every_album_page_has_the_title_it_was_reached_by(capture):
    store, summary, _, pages = capture
    titles = {row["url"]: " ".join(row["fields"]["title"].split())
              for row in Cli(store).items(summary["capture_id"]) if row["kind"] == "product"}
    by_url = {p["url"]: p for p in pages if p["status"] == 200}
    assert titles and all(by_url[url]["link_text"] == title for url, title in titles.items())
    start = next(p for p in pages if p["depth"] == 0 and not p.get("robots"))
    assert "link_text" not in start  # the start page was not reached by a link
    shown = {p["url"]: p["link_text"] for p in Cli(store).json("captures", "show", summary["capture_id"], "--json")
             ["pages"] if p["status"] == 200}
    assert all(shown[url] == title for url, title in titles.items())


def test_the_schema_lists_the_new_fields(capture):
    schema = json.loads(Cli(capture[0]).run("schema", "manifest").stdout)
    env = schema["$defs"]["Environment"]["properties"]
    assert {"machine", "tool_files", "browser", "dns_resolvers", "public_ip", "clock", "clean_state",
            "robots"} <= set(env)
    page = json.loads(Cli(capture[0]).run("schema", "page").stdout)
    assert "link_text" in page["properties"]


def test_the_capture_verifies(capture):
    store, summary, _, _ = capture
    assert Cli(store).run("captures", "verify", summary["capture_id"]).returncode == 0


def test_without_configuration_the_checks_say_why(tmp_path):
    with DemoSite("allofmp3") as site:
        summary = Cli(tmp_path / "store").crawl(PROFILES / "allofmp3-demo.yaml", "--start-url", site.base_url,
                                                "--max-pages", "3", env={"EVIDENCE_PUBLIC_IP_URLS": "",
                                                                         "EVIDENCE_NTP_SERVERS": ""})
    env = CaptureManifest.read(summary["manifest"]).environment
    assert env.public_ip.ip is None and env.public_ip.error == "not determined: EVIDENCE_PUBLIC_IP_URLS is not set"
    assert env.clock.checked is False and env.clock.error == "unchecked: EVIDENCE_NTP_SERVERS is not set"


def test_links_chosen_by_the_profile_follow_rules_carry_their_text_too(tmp_path):
    with DemoSite("mp3sugar") as site:
        summary = Cli(tmp_path / "store").crawl(PROFILES / "mp3sugar-demo.yaml", "--start-url", site.base_url,
                                                "--max-pages", "40")
    pages_path = Path(summary["manifest"]).parent / "artifacts" / "pages.jsonl"
    pages = [json.loads(line) for line in pages_path.read_text(encoding="utf-8").splitlines()]
    followed = [p for p in pages if p["depth"] > 0 and not p.get("robots")]
    assert followed and all(p.get("link_text") for p in followed), [p["url"] for p in followed
                                                                    if not p.get("link_text")]
    browse = [p for p in followed if "/browse/" in p["url"]]
    assert browse and all(p["link_text"] == p["url"].rstrip("/").rsplit("/", 1)[1].upper() for p in browse)
