"""EVIDENCE_DNS_RESOLVERS as the crawl's own resolver: the guard checks what dnsmasq answers."""

from __future__ import annotations

import socket

import pytest

from evidence_crawler import netguard
from evidence_crawler.config import DnsServer, EvidenceConfig
from evidence_crawler.resolvers import ConfiguredResolver, shared_resolver, statement
from tests.servers.rdap import DOMAIN


def test_the_statement_names_the_configured_servers_or_the_systems():
    assert statement((DnsServer(ip="127.0.0.1", port=5353),)).model_dump(exclude_none=True) == {
        "source": "EVIDENCE_DNS_RESOLVERS", "servers": ["127.0.0.1:5353"]}
    system = statement(())
    assert system.source == "system" and all(":" in s for s in system.servers)


def test_the_config_parses_resolvers_once_and_wires_scrapy(monkeypatch):
    monkeypatch.setenv("EVIDENCE_DNS_RESOLVERS", "127.0.0.1:5300,[::1]:53")
    config = EvidenceConfig()
    assert config.dns_resolvers == (DnsServer(ip="127.0.0.1", port=5300), DnsServer(ip="::1", port=53))
    wired = config.scrapy_settings()
    assert wired["EVIDENCE_DNS_RESOLVERS"] == "127.0.0.1:5300,[::1]:53"
    assert wired["TWISTED_DNS_RESOLVER"] == "pipelines.resolver.ConfiguredResolver"
    monkeypatch.setenv("EVIDENCE_DNS_RESOLVERS", "dns.example")
    with pytest.raises(ValueError, match=r"EVIDENCE_DNS_RESOLVERS: 'dns.example' is not IP\[:PORT\]"):
        EvidenceConfig()
    monkeypatch.delenv("EVIDENCE_DNS_RESOLVERS")
    assert "TWISTED_DNS_RESOLVER" not in EvidenceConfig().scrapy_settings()


def test_the_guard_resolves_through_the_configured_server(dns_port):
    resolver = ConfiguredResolver((DnsServer(ip="127.0.0.1", port=dns_port),))
    ok = netguard.check_destination(f"www.{DOMAIN}", 443, allow_private=True, resolver=resolver)
    assert ok.addresses == ["127.0.0.1", "::1"] and ok.refused is None
    first = resolver.resolution(f"www.{DOMAIN}")
    assert resolver.resolution(f"WWW.{DOMAIN}.") is first  # asked once per capture
    assert [a.cname_chain for a in first.answers][0] == ("allofmp3-demo.ru.cdn.cloudflare.net",)
    assert all(ex.response_wire for a in first.answers for ex in a.exchanges)  # kept for the WARC
    # a public-looking name that the resolver sends to the metadata address is refused, even with private allowed
    bad = netguard.check_destination(f"metadata.{DOMAIN}", 80, allow_private=True, resolver=resolver)
    assert bad.refused and "169.254.169.254 (metadata, never allowed)" in bad.refused
    with pytest.raises(socket.gaierror):
        netguard.check_destination(f"missing.{DOMAIN}", 80, resolver=resolver)
    servers = (DnsServer(ip="127.0.0.1", port=dns_port),)
    assert shared_resolver(servers) is shared_resolver(servers)
