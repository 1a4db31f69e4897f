"""The destination guard: which addresses a capture may contact, decided without connecting anywhere."""

from __future__ import annotations

import socket

import pytest

from evidence_crawler.netguard import check_destination, classify_address, refusal, resolve

CATEGORIES = [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6 is judged as the IPv4 address it carries
    ("169.254.169.254", "metadata"), ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.168.1.1", "private"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"), ("::ffff:192.168.0.1", "private"),
    ("192.0.2.1", "private"), ("2001:db8::1", "private"),  # documentation ranges
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1: judged as the IPv4 address it carries
    ("240.0.0.1", "reserved"),
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("addr", "label"), CATEGORIES)
def test_each_non_public_address_is_named_by_its_category(addr, label):
    assert classify_address(addr) == label


@pytest.mark.parametrize("addr", PUBLIC)
def test_public_addresses_are_not_classified(addr):
    assert classify_address(addr) is None
    assert refusal(addr, allow_private=False) is None


@pytest.mark.parametrize(("addr", "label"), CATEGORIES)
def test_without_allow_private_every_category_is_refused(addr, label):
    assert refusal(addr, allow_private=False) == label


@pytest.mark.parametrize(("addr", "label"), CATEGORIES)
def test_allow_private_opens_loopback_and_private_only_never_link_local_multicast_or_reserved(addr, label):
    expected = None if label in ("loopback", "private") else label
    assert refusal(addr, allow_private=True) == expected


@pytest.mark.parametrize("addr", ["0.0.0.0", "::"])
def test_unspecified_addresses_are_refused_without_the_flag(addr):
    assert refusal(addr, allow_private=False) is not None


def test_ip_literals_are_not_resolved(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("an IP literal must not be looked up")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert resolve("10.0.0.1") == ["10.0.0.1"]
    assert resolve("[::1]", 443) == ["::1"]


def _answers(*addresses: str):
    def getaddrinfo(host, port, type=0):  # resolve() passes type= by keyword
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]

    return getaddrinfo


def test_a_public_name_with_one_private_answer_is_refused_and_names_that_answer(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers("93.184.216.34", "10.0.0.7"))
    res = check_destination("shop.example", 80)
    assert res.addresses == ["10.0.0.7", "93.184.216.34"]
    assert res.refused == "shop.example resolves to 10.0.0.7 (private)"
    assert check_destination("shop.example", 80, allow_private=True).refused is None


def test_link_local_is_refused_even_with_allow_private_and_says_never(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers("169.254.169.254"))
    res = check_destination("metadata.example", allow_private=True)
    assert res.refused == "metadata.example resolves to 169.254.169.254 (metadata, never allowed)"


def test_a_name_with_only_public_answers_passes(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers("93.184.216.34", "2606:4700::1111"))
    res = check_destination("shop.example", 443)
    assert res.refused is None and res.host == "shop.example" and len(res.addresses) == 2


def test_an_unresolvable_name_raises_for_the_caller_to_report(monkeypatch):
    def nxdomain(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    with pytest.raises(socket.gaierror):
        check_destination("nowhere.invalid")
