"""DNS resolvers: EVIDENCE_DNS_RESOLVERS when set, else /etc/resolv.conf as dnspython reads it."""

from __future__ import annotations

import pytest

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.resolvers import configured_resolvers, parse_server, resolvers_from, system_resolvers


@pytest.mark.parametrize(("text", "want"), [("192.0.2.1", "192.0.2.1:53"), ("192.0.2.1:5353", "192.0.2.1:5353"),
                                            ("2001:db8::1", "[2001:db8::1]:53"),
                                            ("[2001:db8::1]:54", "[2001:db8::1]:54"),
                                            (" [::1] ", "[::1]:53")])
def test_servers_are_written_ip_port(text, want):
    assert parse_server(text) == want


@pytest.mark.parametrize("bad", ["dns.example", "192.0.2.1:x", "192.0.2.1:70000", "[::1]x"])
def test_a_bad_server_is_a_value_error(bad):
    with pytest.raises(ValueError):
        parse_server(bad)


def test_system_resolvers_come_from_resolv_conf(tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example.org\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2\n")
    got = system_resolvers(str(conf))
    assert (got.source, got.servers, got.config_file, got.error) == (
        "system", ["192.0.2.53:53", "[2001:db8::53]:53"], str(conf), None)


def test_an_unreadable_resolv_conf_is_stated_not_raised(tmp_path):
    got = system_resolvers(str(tmp_path / "missing.conf"))
    assert got.servers == [] and "missing.conf" in got.error


def test_the_configured_list_wins_over_the_system(monkeypatch):
    monkeypatch.setenv("EVIDENCE_DNS_RESOLVERS", "192.0.2.1, 192.0.2.2:5353")
    got = configured_resolvers(EvidenceConfig())
    assert (got.source, got.servers, got.config_file) == ("EVIDENCE_DNS_RESOLVERS",
                                                          ["192.0.2.1:53", "192.0.2.2:5353"], None)
    assert resolvers_from("bogus").error == "EVIDENCE_DNS_RESOLVERS: 'bogus' is not IP[:PORT]"


def test_unset_means_the_system_configuration(monkeypatch):
    monkeypatch.delenv("EVIDENCE_DNS_RESOLVERS", raising=False)
    assert configured_resolvers(EvidenceConfig()).source == "system"
