"""The crawl's own name resolution through ``EVIDENCE_DNS_RESOLVERS`` (Scrapy's ``TWISTED_DNS_RESOLVER``).

Installed only when servers are set (``EvidenceConfig.scrapy_settings``). It asks the same per-process
:class:`evidence_crawler.resolvers.ConfiguredResolver` as the destination guard, so the address the
connection goes to is one the guard checked (and whose DNS answer is in the WARC), never a second,
different answer. IPv4 is preferred, as Scrapy's default resolver does.
"""

from __future__ import annotations

import ipaddress
import socket

from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from evidence_crawler.config import parse_resolvers
from evidence_crawler.resolvers import shared_resolver


@implementer(IResolverSimple)
class ConfiguredResolver:
    def __init__(self, reactor, servers: str) -> None:
        self.reactor = reactor
        self.resolve = shared_resolver(parse_resolvers(servers))

    @classmethod
    def from_crawler(cls, crawler, reactor):  # crawler: the CrawlerProcess (only its settings are read)
        return cls(reactor, crawler.settings.get("EVIDENCE_DNS_RESOLVERS") or "")

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def _address(self, name: str) -> str:
        try:
            return str(ipaddress.ip_address(name))  # an IP literal: nothing to ask
        except ValueError:
            pass
        try:
            addresses = self.resolve(name)
        except socket.gaierror as exc:
            raise DNSLookupError(name, exc.strerror or str(exc)) from None
        return next((a for a in addresses if ":" not in a), addresses[0])

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's name
        return deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self._address, name)
