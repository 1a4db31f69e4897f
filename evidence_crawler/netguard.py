"""Which destinations a capture may contact: public addresses only, unless told otherwise.

Evidence crawls follow links chosen by a hostile site; without this guard a page could steer the
crawler at the investigator's own network (SSRF) or a cloud metadata endpoint. Names are resolved here
and every answer is checked, so a public name that resolves to a private address is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

# host -> addresses; raises socket.gaierror when there is none (``evidence_crawler.resolvers`` makes one
# that asks EVIDENCE_DNS_RESOLVERS instead of the system)
HostResolver = Callable[[str], list[str]]


@dataclass(frozen=True)
class Resolution:
    host: str
    addresses: list[str]
    refused: str | None  # why, or None when every address is public


# Cloud metadata services (AWS/GCP/Azure, AWS over IPv6, Alibaba): a crawler that reaches one can read the
# machine's credentials. Refused always, like the other labels outside ALLOWABLE.
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")  # shared address space (RFC 6598): an ISP's or a VPN's inside
BROADCAST = ipaddress.ip_address("255.255.255.255")
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the low 32 bits are an IPv4 address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches through mapping, NAT64 or 6to4 (a way round the IPv4 checks)."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify_address(addr: str) -> str | None:
    """A label for a non-public address, None for a public one. The never-allowed labels come first:
    Python counts 0.0.0.0, 240/4 and 255.255.255.255 as ``is_private`` too, and --allow-private must not
    open them."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    if ip in METADATA:
        return "metadata"
    if ip == BROADCAST:
        return "broadcast"
    # loopback before reserved: Python files ::1 under the reserved ::/8 as well
    for attr, label in (("is_unspecified", "unspecified"), ("is_loopback", "loopback"),
                        ("is_reserved", "reserved"), ("is_multicast", "multicast"),
                        ("is_link_local", "link-local"), ("is_private", "private")):
        if getattr(ip, attr):
            return label
    if ip in CGNAT:
        return "private"
    return None


def resolve(host: str, port: int | None = None, resolver: HostResolver | None = None) -> list[str]:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    if resolver is not None:
        return sorted(set(resolver(host)))
    infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


# --allow-private opens loopback and private ranges (a demo shop, an intranet mirror, CGNAT) but never metadata,
# link-local, multicast, broadcast, unspecified or reserved.
ALLOWABLE = {"loopback", "private"}


def refusal(addr: str, allow_private: bool) -> str | None:
    label = classify_address(addr)
    if label is None or (allow_private and label in ALLOWABLE):
        return None
    return label


def check_destination(host: str, port: int | None = None, allow_private: bool = False,
                      resolver: HostResolver | None = None) -> Resolution:
    """Resolve ``host`` (through ``resolver`` when given) and refuse it when any answer is not allowed."""
    addresses = resolve(host, port, resolver)
    for addr in addresses:
        label = refusal(addr, allow_private)
        if label:
            never = "" if label in ALLOWABLE else ", never allowed"
            return Resolution(host, addresses, f"{host} resolves to {addr} ({label}{never})")
    return Resolution(host, addresses, None)


REFUSAL_HINT = "pass --allow-private or set EVIDENCE_ALLOW_PRIVATE=1 to capture loopback/private addresses"
