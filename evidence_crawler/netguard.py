"""Which destinations a capture may contact: public addresses only, unless told otherwise.

Evidence crawls follow links chosen by a hostile site; without this guard a page could steer the
crawler at the investigator's own network (SSRF) or a cloud metadata endpoint. Names are resolved here
and every answer is checked, so a public name that resolves to a private address is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Resolution:
    host: str
    addresses: list[str]
    refused: str | None  # why, or None when every address is public


def classify_address(addr: str) -> str | None:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for attr, label in (("is_loopback", "loopback"), ("is_link_local", "link-local"),
                        ("is_private", "private"), ("is_multicast", "multicast"),
                        ("is_unspecified", "unspecified"), ("is_reserved", "reserved")):
        if getattr(ip, attr):
            return label
    return None


def resolve(host: str, port: int | None = None) -> list[str]:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


# --allow-private opens loopback and private ranges (a demo shop, an intranet mirror) but never
# link-local (169.254.169.254 is the cloud metadata service), multicast, unspecified or reserved.
ALLOWABLE = {"loopback", "private"}


def refusal(addr: str, allow_private: bool) -> str | None:
    label = classify_address(addr)
    if label is None or (allow_private and label in ALLOWABLE):
        return None
    return label


def check_destination(host: str, port: int | None = None, allow_private: bool = False) -> Resolution:
    """Resolve ``host`` and refuse it when any answer is not allowed."""
    addresses = resolve(host, port)
    for addr in addresses:
        label = refusal(addr, allow_private)
        if label:
            never = "" if label in ALLOWABLE else ", never allowed"
            return Resolution(host, addresses, f"{host} resolves to {addr} ({label}{never})")
    return Resolution(host, addresses, None)


REFUSAL_HINT = "pass --allow-private or set EVIDENCE_ALLOW_PRIVATE=1 to capture loopback/private addresses"
