"""WebRTC cannot go around the route, and Chromium's own traffic does not reach the network.

The renders run in a network namespace of their own (``unshare -n``; the tests run as root), with listeners
on the dead-proxy port, a STUN port (UDP) and a TURN port (TCP): see :mod:`tests.browser.netns_render`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.browser.conftest import needs_chromium
from tests.conftest import ROOT

# Chromium's component updater asks update.googleapis.com for the on-device AI models manifest
# (id ceofaddefefcbblgcgnibnonglccbfja, "installsource": "ondemand") despite --disable-component-update,
# --disable-background-networking and the ComponentUpdatesEnabled policy; it reaches only the dead proxy.
CHROMIUM_OWN = {"update.googleapis.com"}

needs_netns = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
                                 reason="needs root, unshare and ip (a network namespace of its own)")


@pytest.fixture(scope="module")
def isolated():
    proc = subprocess.run(["unshare", "-n", sys.executable, "-m", "tests.browser.netns_render"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _proxied_host(first_bytes: str) -> str:
    m = re.match(r"(?:CONNECT ([^:\s]+):\d+|[A-Z]+ https?://([^/:\s]+))", first_bytes)
    return (m.group(1) or m.group(2)) if m else ""


@needs_chromium
@needs_netns
def test_page_webrtc_is_refused_in_page_and_iframe_and_recorded(isolated):
    for render in isolated["renders"]:
        result = re.search(r'id="result">([^<]*)', render["dom"]).group(1)
        assert result == "page: blocked (NotSupportedError); iframe: blocked (NotSupportedError)"
        record = render["webrtc"]
        assert "RTCPeerConnection" in record["disabled"] and record["attempts_total"] == 2
        stun = f"stun:127.0.0.1:{isolated['ports']['stun']}"
        assert [a["ice_servers"][0] for a in record["attempts"]] == [stun, stun]
        assert {a["api"] for a in record["attempts"]} == {"RTCPeerConnection"}


@needs_chromium
@needs_netns
def test_nothing_reaches_stun_or_turn_servers(isolated):
    assert isolated["seen"]["stun_datagrams"] == []
    assert isolated["seen"]["turn_connections"] == []


@needs_chromium
@needs_netns
def test_dead_proxy_sees_nothing_of_the_page_only_chromiums_known_update_check(isolated):
    hosts = {_proxied_host(c["first_bytes"]) for c in isolated["seen"]["proxy_connections"]} - {""}
    assert hosts <= CHROMIUM_OWN, hosts
    assert not any("shop.test" in c["first_bytes"] or "127.0.0.1" in c["first_bytes"]
                   for c in isolated["seen"]["proxy_connections"])


@needs_chromium
def test_debian_launcher_script_is_bypassed_for_the_real_binary():
    from evidence_crawler.browser.locate import LAUNCH_ARGS, locate_chromium

    binary = locate_chromium()
    with open(binary.executable, "rb") as f:
        assert f.read(2) != b"#!"  # the wrapper adds --enable-remote-extensions and Google API keys
    assert {"--disable-background-networking", "--disable-component-update", "--no-pings"} <= set(LAUNCH_ARGS)
