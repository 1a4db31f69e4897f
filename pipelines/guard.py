"""DestinationGuardMiddleware: refuse non-public destinations before connecting, record DNS answers.

Runs early in ``process_request`` (priority 50), so redirects (which come back as new requests) are
checked too; ``process_response`` re-checks the address actually connected to (DNS rebinding).
A redirect out of ``allowed_domains`` is dropped by Scrapy's offsite filter when it is scheduled, silently;
``request_scheduled`` records it as an ``off_site_redirect`` error, so the capture says what it did not follow.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from evidence_crawler.config import parse_resolvers
from evidence_crawler.intermediaries.records import dns_records, spec_bytes
from evidence_crawler.netguard import REFUSAL_HINT, check_destination, refusal
from evidence_crawler.resolvers import shared_resolver
from pipelines.session import capture_session


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class DestinationRefused(IgnoreRequest):
    evidence_kind = "refused_private"


class DestinationGuardMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("EVIDENCE_ALLOW_PRIVATE")
        self._verdicts: dict[str, str | None] = {}
        # EVIDENCE_DNS_RESOLVERS: every host resolved through them (the connection uses the same answer,
        # pipelines.resolver) and each DNS message kept in the WARC; unset: the system's getaddrinfo
        servers = parse_resolvers(crawler.settings.get("EVIDENCE_DNS_RESOLVERS") or "")
        self.resolver = shared_resolver(servers) if servers else None

    @classmethod
    def from_crawler(cls, crawler):
        guard = cls(crawler)
        crawler.signals.connect(guard.note_off_site_redirect, signal=signals.request_scheduled)
        return guard

    def note_off_site_redirect(self, request, spider=None) -> None:
        hops = request.meta.get("redirect_urls")
        session = capture_session(self.crawler)
        if not hops or session is None or request.dont_filter or request.meta.get("allow_offsite"):
            return
        offsite = self.crawler.get_downloader_middleware(OffsiteMiddleware)
        if offsite is not None and not offsite.should_follow(request, self.crawler.spider):
            session.record_error(request.url, "off_site_redirect", f"{hops[-1]} redirects to {request.url}, "
                                 f"outside allowed_domains {list(self.crawler.spider.allowed_domains)}; not followed")

    def _check(self, host: str, port: int | None) -> str | None:
        if host not in self._verdicts:
            session = capture_session(self.crawler)
            try:
                res = check_destination(host, port, self.allow_private, self.resolver)
            except socket.gaierror as exc:
                if session is not None:
                    session.record_dns(host, {"error": str(exc), **self._kept(session, host)})
                return None  # let the downloader fail with its own DNS error, recorded as such
            if session is not None:
                session.record_dns(host, {"addresses": res.addresses, **self._kept(session, host)})
            self._verdicts[host] = res.refused
        return self._verdicts[host]

    def _kept(self, session, host: str) -> dict:
        """The DNS messages of this host's resolution through EVIDENCE_DNS_RESOLVERS, written to the WARC."""
        if self.resolver is None or not session.writable or _is_ip(host):
            return {}
        resolution = self.resolver.resolution(host)
        ids = []
        for answer in resolution.answers:
            for exchange in answer.exchanges:
                for spec in dns_records(exchange):
                    session.warc.write_raw(spec_bytes(spec))
                ids.append(exchange.record_id)
        return {"resolver": "EVIDENCE_DNS_RESOLVERS", "record_ids": ids}

    def process_request(self, request, spider=None):
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"not an http(s) URL: {request.url}")
        refused = self._check(parts.hostname or "", parts.port)
        if refused:
            raise DestinationRefused(f"refused {request.url}: {refused}; {REFUSAL_HINT}")
        return None

    def process_response(self, request, response, spider=None):
        ip = str(response.ip_address) if response.ip_address else None
        label = refusal(ip, self.allow_private) if ip else None
        if label:
            raise DestinationRefused(f"refused {request.url}: connected to {ip} ({label}); {REFUSAL_HINT}")
        return response
