"""The intermediaries test bed: dnsmasq with the demo zone, the RDAP fixture, bootstrap folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_crawler.intermediaries.settings import DnsServer, IntermediariesSettings
from tests.servers.dnsmasqd import dnsmasq
from tests.servers.rdap import DOMAIN, rdap_server

ZONE = [
    "auth-server=ns1.dnshost-demo.net,127.0.0.1",
    "auth-sec-servers=ns2.dnshost-demo.net",
    "auth-soa=2026010101,hostmaster.dnshost-demo.net,1200,180,1209600",
    f"host-record={DOMAIN},127.0.0.1",
    "host-record=allofmp3-demo.ru.cdn.cloudflare.net,127.0.0.1,::1",
    f"cname=www.{DOMAIN},allofmp3-demo.ru.cdn.cloudflare.net",
    f"mx-host={DOMAIN},mx.mail-demo.net,10",
    f'txt-record={DOMAIN},"v=spf1 include:mail-demo.net -all"',
    f"host-record=metadata.{DOMAIN},169.254.169.254",
]


@pytest.fixture(scope="module")
def dns_port(tmp_path_factory) -> int:
    yield from dnsmasq(tmp_path_factory.mktemp("dnsmasq"), DOMAIN, ZONE)


@pytest.fixture(scope="module")
def rdap_base() -> str:
    yield from rdap_server()


def write_bootstrap(folder: Path, base: str) -> Path:
    """IANA-format files sending ``ru``, 127.0.0.0/8, ::1/128 and AS64500 to ``base``."""
    folder.mkdir(parents=True, exist_ok=True)
    def doc(services):
        return {"version": "1.0", "publication": "2026-01-01T00:00:00Z", "description": "test bootstrap",
                "services": services}
    (folder / "dns.json").write_text(json.dumps(doc([[["ru", "xn--p1ai"], [base]], [["com"], ["http://127.0.0.1:9/"]]])))
    (folder / "ipv4.json").write_text(json.dumps(doc([[["127.0.0.0/8"], [base]]])))
    (folder / "ipv6.json").write_text(json.dumps(doc([[["::1/128"], [base]]])))
    (folder / "asn.json").write_text(json.dumps(doc([[["64496-64511"], [base]]])))
    return folder


@pytest.fixture
def settings_for(tmp_path, dns_port, rdap_base):
    """Settings whose bootstrap sends every lookup to ``rdap_base + prefix``."""
    def make(prefix: str = "rdap/", **overrides) -> IntermediariesSettings:
        folder = write_bootstrap(tmp_path / f"bootstrap-{prefix.strip('/').replace('/', '_')}", rdap_base + prefix)
        values = {"dns_resolvers": (DnsServer(ip="127.0.0.1", port=dns_port),), "rdap_bootstrap": str(folder),
                  "allow_private": True, "timeout_s": 20.0, **overrides}
        return IntermediariesSettings(**values)
    return make
