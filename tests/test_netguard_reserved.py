"""Address classification at the guard function: nothing here opens a socket to the addresses tested."""

from __future__ import annotations

import pytest

from evidence_crawler.netguard import check_destination, classify_address, refusal

NEVER = [
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("::ffff:169.254.169.254", "metadata"),
    ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
    ("2002:a9fe:a9fe::1", "metadata"),  # 6to4 of 169.254.169.254
    ("169.254.1.1", "link-local"),
    ("224.0.0.1", "multicast"),
]


@pytest.mark.parametrize(("addr", "label"), NEVER)
def test_reserved_unspecified_and_metadata_are_refused_even_with_allow_private(addr, label):
    assert classify_address(addr) == label
    assert refusal(addr, allow_private=True) == label


@pytest.mark.parametrize("addr", ["100.64.0.1", "100.127.255.254", "10.1.2.3", "192.168.0.1", "fd12::1"])
def test_cgnat_and_private_ranges_are_private_and_allowed_only_with_allow_private(addr):
    assert classify_address(addr) == "private"
    assert refusal(addr, allow_private=False) == "private"
    assert refusal(addr, allow_private=True) is None


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_loopback_is_allowed_with_allow_private(addr):
    assert refusal(addr, allow_private=True) is None
    assert refusal(addr, allow_private=False) == "loopback"


@pytest.mark.parametrize("addr", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(addr):
    assert classify_address(addr) is None


def test_ipv6_literal_resolves_to_itself_without_dns():
    res = check_destination("[::1]", 8080, allow_private=True)
    assert res.addresses == ["::1"] and res.refused is None


def test_refusal_message_says_never_allowed_for_metadata():
    res = check_destination("100.100.100.200", 80, allow_private=True)
    assert res.refused == "100.100.100.200 resolves to 100.100.100.200 (metadata, never allowed)"
