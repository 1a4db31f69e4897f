"""DNS lookups against a real dnsmasq on loopback: answers, CNAME chains, failures, wire round trips."""

from __future__ import annotations

import socket
import time

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.dns import ask, lookup_names, resolve_host
from evidence_crawler.intermediaries.psl import registered_domain
from evidence_crawler.intermediaries.settings import DnsServer, IntermediariesSettings, parse_resolvers
from tests.servers.rdap import DOMAIN


@pytest.fixture
def server(dns_port) -> tuple[DnsServer, ...]:
    return (DnsServer(ip="127.0.0.1", port=dns_port),)


def test_every_type_is_asked_and_the_cname_chain_is_followed(server):
    answers = {(a.name, a.rdtype): a for a in lookup_names([f"www.{DOMAIN}", DOMAIN], server, Deadline(10), 2)}
    www_a = answers[(f"www.{DOMAIN}", "A")]
    assert www_a.outcome == "ok"
    assert www_a.cname_chain == ("allofmp3-demo.ru.cdn.cloudflare.net",)
    assert www_a.records == ("127.0.0.1",)
    assert answers[(f"www.{DOMAIN}", "AAAA")].records == ("::1",)
    assert answers[(DOMAIN, "NS")].records == ("ns1.dnshost-demo.net.", "ns2.dnshost-demo.net.")
    assert answers[(DOMAIN, "MX")].records == ("10 mx.mail-demo.net.",)
    assert answers[(DOMAIN, "TXT")].records == ('"v=spf1 include:mail-demo.net -all"',)
    soa = answers[(DOMAIN, "SOA")].records[0]
    assert soa.startswith("ns1.dnshost-demo.net. hostmaster.dnshost-demo.net. 2026010101")
    assert {a.rdtype for a in answers.values()} == {"A", "AAAA", "NS", "MX", "SOA", "TXT"}


def test_wire_messages_parse_back_to_the_same_answers(server):
    for answer in lookup_names([f"www.{DOMAIN}", DOMAIN], server, Deadline(10), 2):
        (ex,) = answer.exchanges
        query = dns.message.from_wire(ex.query_wire)
        assert query.question[0].name.to_text(omit_final_dot=True) == answer.name
        assert dns.rdatatype.to_text(query.question[0].rdtype) == answer.rdtype
        response = dns.message.from_wire(ex.response_wire)
        assert response.id == query.id
        rdtype = dns.rdatatype.from_text(answer.rdtype)
        owner = dns.name.from_text((answer.cname_chain or (answer.name,))[-1])
        again = sorted(rd.to_text() for rr in response.answer if rr.rdtype == rdtype and rr.name == owner for rd in rr)
        assert tuple(again) == answer.records
        assert ex.target_uri == (f"dns:{answer.name}" if answer.rdtype == "A" else
                                 f"dns:{answer.name}?type={answer.rdtype}")


def test_nxdomain_is_an_outcome_with_its_wire_response(server):
    answer = ask(f"nothere.{DOMAIN}", "A", server, Deadline(5), 2)
    assert answer.outcome == "nxdomain"
    assert answer.records == ()
    assert dns.message.from_wire(answer.exchanges[0].response_wire).rcode() == dns.rcode.NXDOMAIN


def test_a_silent_resolver_times_out_and_the_next_one_answers(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:  # takes queries, never answers
        mute.bind(("127.0.0.1", 0))
        silent = DnsServer(ip="127.0.0.1", port=mute.getsockname()[1])
        start = time.monotonic()
        answer = ask(DOMAIN, "A", (silent, *server), Deadline(10), 0.5)
    assert time.monotonic() - start < 3
    assert [e.outcome for e in answer.exchanges] == ["timeout", "ok"]
    assert answer.exchanges[0].response_wire is None
    assert answer.exchanges[0].query_wire  # what was asked is kept even without an answer
    assert answer.outcome == "ok" and answer.server == "127.0.0.1"


def test_the_budget_bounds_a_silent_resolver():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        silent = (DnsServer(ip="127.0.0.1", port=mute.getsockname()[1]),)
        start = time.monotonic()
        answers = lookup_names([DOMAIN, f"www.{DOMAIN}"], silent, Deadline(1.0), 5)
    assert time.monotonic() - start < 2.5
    assert answers[0].outcome == "timeout"
    assert answers[-1].outcome == "budget_exhausted" and answers[-1].exchanges == ()
    assert "time budget" in answers[-1].error


def test_no_configured_server_is_a_recorded_error_not_a_crash():
    answer = ask(DOMAIN, "A", (), Deadline(1), 1)
    assert answer.outcome == "dns_error" and "no DNS server configured" in answer.error


def test_the_crawl_resolver_returns_addresses_with_their_exchanges(server):
    res = resolve_host(f"www.{DOMAIN}", server)
    assert res.addresses == ("127.0.0.1", "::1")
    assert res.error is None
    assert all(a.exchanges[0].response_wire for a in res.answers)
    missing = resolve_host(f"nothere.{DOMAIN}", server)
    assert missing.addresses == () and "A nxdomain" in missing.error


def test_resolver_setting_parses_ip_port_and_names_a_bad_entry():
    assert parse_resolvers("9.9.9.9, 127.0.0.1:5353,[::1]:53,2001:db8::1") == (
        DnsServer(ip="9.9.9.9"), DnsServer(ip="127.0.0.1", port=5353), DnsServer(ip="::1"),
        DnsServer(ip="2001:db8::1"))
    with pytest.raises(ValueError, match=r"^EVIDENCE_DNS_RESOLVERS: 'dns.example:53' is not IP\[:PORT\]$"):
        parse_resolvers("1.1.1.1,dns.example:53")
    env = {"EVIDENCE_DNS_RESOLVERS": "127.0.0.1:5300", "EVIDENCE_INTERMEDIARIES_TIMEOUT_S": "7.5",
           "EVIDENCE_RDAP_BOOTSTRAP": "/srv/bootstrap", "EVIDENCE_ALLOW_PRIVATE": "1"}
    s = IntermediariesSettings.from_env(env)
    assert (s.dns_resolvers, s.timeout_s, s.rdap_bootstrap, s.allow_private) == (
        (DnsServer(ip="127.0.0.1", port=5300),), 7.5, "/srv/bootstrap", True)
    with pytest.raises(ValueError, match="EVIDENCE_INTERMEDIARIES_TIMEOUT_S"):
        IntermediariesSettings.from_env({"EVIDENCE_INTERMEDIARIES_TIMEOUT_S": "soon"})


def test_registered_domain_follows_the_public_suffix_list():
    assert registered_domain(f"www.{DOMAIN}") == DOMAIN
    assert registered_domain("shop.example.co.uk") == "example.co.uk"
    assert registered_domain("a.b.loja.com.br") == "loja.com.br"
    assert registered_domain("someone.blogspot.com") == "blogspot.com"  # private suffixes are the provider's
    assert registered_domain("allofmp3.msk.ru") == "msk.ru"  # msk.ru sits in the PSL's private section
    assert registered_domain("127.0.0.1") is None
    assert registered_domain("ru") is None
