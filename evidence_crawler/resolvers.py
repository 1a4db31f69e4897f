"""Which DNS servers a capture used, and the crawl's own name resolution through ``EVIDENCE_DNS_RESOLVERS``.

Investigators use a neutral resolver where their ISP blocks a shop by DNS, and the court checklist asks
which DNS servers were used: the manifest's ``environment.dns_resolvers`` says
``{"source": "EVIDENCE_DNS_RESOLVERS" | "system", "servers": ["ip:port", ...]}``. When servers are set,
the destination guard resolves every host through them (A and AAAA, dnspython) and the connection goes
to an address they returned (``pipelines.resolver``); every query and answer is kept in wire format.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from evidence_crawler.config import DnsServer
from evidence_crawler.intermediaries.dns import HostResolution, resolve_host, system_resolvers


def statement(servers: tuple[DnsServer, ...]) -> dict[str, Any]:
    """The manifest's ``environment.dns_resolvers``: the configured servers, or the system's."""
    if servers:
        return {"source": "EVIDENCE_DNS_RESOLVERS", "servers": [s.label for s in servers]}
    return {"source": "system", "servers": [s.label for s in system_resolvers()]}


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
