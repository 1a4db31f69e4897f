"""Which DNS servers a capture used, and the crawl's own name resolution through ``EVIDENCE_DNS_RESOLVERS``.

Investigators use a neutral resolver where their ISP blocks a shop by DNS, and the court checklist asks
which DNS servers were used. The manifest's ``environment.dns_resolvers`` (``models.DnsResolvers``, written
by ``capture.conditions``) states ``EVIDENCE_DNS_RESOLVERS`` (comma-separated ``ip[:port]``,
``[ipv6]:port``) when set, else the system's from ``/etc/resolv.conf`` (read with dnspython, as the C
library reads it). Addresses are written ``ip:port`` (``[ip]:port`` for IPv6), port 53 unless stated. A
configuration that cannot be read is stated with the reason, never fatal.

When servers are set, the destination guard resolves every host through them (A and AAAA, dnspython) and
the connection goes to an address they returned (``pipelines.resolver``); every query and answer is kept
in wire format (``ConfiguredResolver``).
"""


from __future__ import annotations

import socket
import threading

import dns.resolver

from evidence_crawler.config import DnsServer, parse_resolvers
from evidence_crawler.intermediaries.dns import HostResolution, resolve_host
from evidence_crawler.models import DnsResolvers

RESOLV_CONF = "/etc/resolv.conf"
DNS_PORT = 53


def server_address(ip: str, port: int = DNS_PORT) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_server(text: str) -> str:
    """``ip``, ``ip:port``, ``[ipv6]`` or ``[ipv6]:port`` as ``ip:port``; ValueError for anything else."""
    servers = parse_resolvers(text)
    if len(servers) != 1:
        raise ValueError(f"not one address[:port]: {text!r}")
    return servers[0].label


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
    return statement(tuple(getattr(config, "dns_resolvers", None) or ()))


def statement(servers: tuple[DnsServer, ...]) -> DnsResolvers:
    """The configured servers (parsed once by the config), or the system's."""
    return resolvers_from([s.label for s in servers])


class ConfiguredResolver:
    """Host -> addresses through the given servers, each host asked once per capture (thread-safe).

    ``resolutions`` keeps every :class:`HostResolution` (with its raw exchanges) for the WARC; a host with
    no address raises ``socket.gaierror`` like ``getaddrinfo`` does, so callers handle both alike.
    """

    def __init__(self, servers: tuple[DnsServer, ...], query_timeout_s: float = 3.0) -> None:
        self.servers = servers
        self.query_timeout_s = query_timeout_s
        self.resolutions: dict[str, HostResolution] = {}
        self._lock = threading.Lock()

    def resolution(self, host: str) -> HostResolution:
        key = host.strip("[]").rstrip(".").lower()
        with self._lock:
            found = self.resolutions.get(key)
        if found is None:
            found = resolve_host(key, self.servers, self.query_timeout_s)
            with self._lock:
                found = self.resolutions.setdefault(key, found)
        return found

    def __call__(self, host: str) -> list[str]:
        res = self.resolution(host)
        if not res.addresses:
            raise socket.gaierror(socket.EAI_NONAME, res.error or f"{host}: no address")
        return list(res.addresses)


_SHARED: dict[tuple[DnsServer, ...], ConfiguredResolver] = {}
_SHARED_LOCK = threading.Lock()


def shared_resolver(servers: tuple[DnsServer, ...]) -> ConfiguredResolver:
    """One resolver per set of servers in this process: the guard and the connection see the same answer."""
    with _SHARED_LOCK:
        return _SHARED.setdefault(servers, ConfiguredResolver(servers))
