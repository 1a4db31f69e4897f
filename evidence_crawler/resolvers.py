"""Which DNS resolvers a capture's lookups are configured to use: stated in the environment statement.

``EVIDENCE_DNS_RESOLVERS`` (comma-separated ``ip[:port]``, ``[ipv6]:port``) when set, else the system's
from ``/etc/resolv.conf`` (read with dnspython, as the C library reads it). Addresses are written
``ip:port`` (``[ip]:port`` for IPv6), port 53 unless stated. A configuration that cannot be read is
stated with the reason, never fatal.
"""

from __future__ import annotations

import ipaddress

import dns.resolver

from evidence_crawler.models import DnsResolvers

RESOLV_CONF = "/etc/resolv.conf"
DNS_PORT = 53


def server_address(ip: str, port: int = DNS_PORT) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_server(text: str) -> str:
    """``ip``, ``ip:port``, ``[ipv6]`` or ``[ipv6]:port`` as ``ip:port``; ValueError for anything else."""
    text = text.strip()
    host, port = text, DNS_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError(f"not an address[:port]: {text!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        if not p.isdigit():
            raise ValueError(f"not an address[:port]: {text!r}")
        port = int(p)
    try:
        ip = str(ipaddress.ip_address(host))
    except ValueError:
        raise ValueError(f"not an IP address: {text!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {text!r}")
    return server_address(ip, port)


def parse_servers(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    return [parse_server(s) for s in items if s.strip()]


def system_resolvers(config_file: str = RESOLV_CONF) -> DnsResolvers:
    resolver = dns.resolver.Resolver(configure=False)
    try:
        resolver.read_resolv_conf(config_file)
    except (dns.resolver.NoResolverConfiguration, OSError, ValueError) as exc:
        return DnsResolvers(source="system", servers=[], config_file=config_file,
                            error=f"{config_file}: {exc or type(exc).__name__}")
    servers = []
    for ns in resolver.nameservers:
        ip = str(ns)
        servers.append(server_address(ip, resolver.nameserver_ports.get(ip, resolver.port)))
    return DnsResolvers(source="system", servers=servers, config_file=config_file)


def resolvers_from(servers: str | list[str] | None, config_file: str = RESOLV_CONF) -> DnsResolvers:
    """``servers`` (the EVIDENCE_DNS_RESOLVERS value) when any, else the system's."""
    if not servers:
        return system_resolvers(config_file)
    try:
        return DnsResolvers(source="EVIDENCE_DNS_RESOLVERS", servers=parse_servers(servers))
    except ValueError as exc:
        return DnsResolvers(source="EVIDENCE_DNS_RESOLVERS", servers=[], error=str(exc))


def configured_resolvers(config) -> DnsResolvers:
    """The resolvers of an ``EvidenceConfig`` (its ``dns_resolvers``: EVIDENCE_DNS_RESOLVERS)."""
    return resolvers_from(getattr(config, "dns_resolvers", None))
