"""The intermediaries step of a capture, in order, inside one time budget.

1. DNS: every type of :data:`dns.HOST_TYPES` for each host and its registered domain.
2. RDAP bootstrap, then RDAP for each registered domain, each server IP (the capture's connected
   addresses plus the A/AAAA answers) and each AS number an IP answer names.
3. Analysis of the captured pages, then the intermediary list.
Steps 1-2 stop asking once the budget is spent; what was not asked is recorded as ``budget_exhausted``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from evidence_crawler import netguard
from evidence_crawler.intermediaries import dns as dnslookup
from evidence_crawler.intermediaries.analysis.capture import CaptureAnalysis, analyse_pages
from evidence_crawler.intermediaries.analysis.pages import CapturedPage
from evidence_crawler.intermediaries.bootstrap import Bootstrap, load_bootstrap
from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.http import FetchLimits, Resolver, system_resolve
from evidence_crawler.intermediaries.psl import registered_domain
from evidence_crawler.intermediaries.rdap import RdapLookup, lookup_autnum, lookup_domain, lookup_ip
from evidence_crawler.intermediaries.records import (
    DnsExchange,
    Frozen,
    HttpExchange,
    WarcRecordSpec,
    dns_records,
    http_records,
)
from evidence_crawler.intermediaries.roles import Intermediary, build_intermediaries
from evidence_crawler.intermediaries.settings import IANA_BOOTSTRAP, DnsServer, IntermediariesSettings
from evidence_crawler.timeutil import iso


class IntermediariesRequest(Frozen):
    hosts: tuple[str, ...]
    ips: tuple[str, ...] = ()  # addresses the capture connected to
    pages: tuple[CapturedPage, ...] = ()


class IntermediariesReport(Frozen):
    started_at: str
    finished_at: str
    settings: IntermediariesSettings
    resolvers: tuple[DnsServer, ...]  # the DNS servers actually asked
    registered_domains: tuple[str, ...]
    bootstrap: Bootstrap
    dns: tuple[dnslookup.DnsAnswer, ...]
    rdap: tuple[RdapLookup, ...]
    analysis: CaptureAnalysis
    intermediaries: tuple[Intermediary, ...]
    budget_exhausted: bool

    def exchanges(self) -> Iterator[DnsExchange | HttpExchange]:
        for answer in self.dns:
            yield from answer.exchanges
        yield from self.bootstrap.exchanges
        for lookup in self.rdap:
            yield from lookup.exchanges

    def warc_records(self) -> list[WarcRecordSpec]:
        """Every raw exchange as WARC record specs, in the order they happened."""
        specs: list[WarcRecordSpec] = []
        for ex in self.exchanges():
            specs += dns_records(ex) if isinstance(ex, DnsExchange) else http_records(ex)
        return specs


def _normal(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _crawl_resolver(servers: tuple[DnsServer, ...], settings: IntermediariesSettings) -> Resolver:
    if not settings.dns_resolvers:
        return system_resolve

    def resolve(host: str) -> list[str]:
        result = dnslookup.resolve_host(host, servers, settings.dns_query_timeout_s)
        if result.error:
            raise OSError(result.error)
        return list(result.addresses)
    return resolve


def _ip_plan(ips, settings: IntermediariesSettings) -> tuple[list[str], list[RdapLookup]]:
    """(IPs to ask RDAP about, lookups settled without asking). Special-purpose addresses are asked only when
    private destinations are allowed, and never of IANA's own bootstrap, which covers none of them (so a
    loopback test crawl never reaches out to data.iana.org)."""
    ask, settled = [], []
    for ip in ips:
        label = netguard.classify_address(ip)
        if label and not settings.allow_private:
            settled.append(RdapLookup(kind="ip", query=ip, outcome="refused", error=(
                f"{ip} is {label}: special-purpose ranges are looked up only when private destinations are allowed")))
        elif label and settings.rdap_bootstrap == IANA_BOOTSTRAP:
            settled.append(RdapLookup(kind="ip", query=ip, outcome="no_bootstrap", error=(
                f"{ip} is {label}: IANA's bootstrap names no RDAP server for special-purpose ranges")))
        else:
            ask.append(ip)
    return ask, settled


def run(request: IntermediariesRequest, settings: IntermediariesSettings) -> IntermediariesReport:
    started_at, deadline = iso(), Deadline(settings.timeout_s)
    servers = settings.dns_resolvers or dnslookup.system_resolvers()
    # a name outside the public suffix list (localhost, *.test, *.internal) has no registrar, no public DNS:
    # it is not looked up (and its lookups would leave the machine for the system's resolvers)
    hosts = [h for h in dict.fromkeys(_normal(h) for h in request.hosts)
             if h and not _is_ip(h) and registered_domain(h)]
    domains = tuple(dict.fromkeys(d for h in hosts if (d := registered_domain(h))))
    answers = dnslookup.lookup_names([*hosts, *domains], servers, deadline, settings.dns_query_timeout_s)

    given = [_normal(i) for i in (*request.ips, *request.hosts)]
    answered = [r for a in answers if a.rdtype in ("A", "AAAA") and a.outcome == "ok" for r in a.records]
    ips = dict.fromkeys(str(ipaddress.ip_address(i)) for i in (*given, *answered) if _is_ip(i))
    ask_ips, settled = _ip_plan(ips, settings)

    resolve = _crawl_resolver(servers, settings)
    limits = FetchLimits(max_bytes=settings.rdap_max_bytes, request_timeout_s=settings.rdap_request_timeout_s,
                         max_redirects=settings.rdap_max_redirects, allow_private=settings.allow_private,
                         user_agent=settings.user_agent)
    bootstrap = (load_bootstrap(settings.rdap_bootstrap, limits, deadline, resolve) if domains or ask_ips
                 else Bootstrap(location=settings.rdap_bootstrap, files=()))  # nothing to ask: nothing fetched
    lookups = [lookup_domain(d, bootstrap, limits, deadline, resolve) for d in domains]
    lookups += [lookup_ip(ip, bootstrap, limits, deadline, resolve) for ip in ask_ips] + settled
    asns = sorted({a for lk in lookups if lk.network for a in lk.network.origin_asns})
    lookups += [lookup_autnum(a, bootstrap, limits, deadline, resolve) for a in asns]

    analysis = analyse_pages(request.pages)
    intermediaries = build_intermediaries(domains[0] if domains else None, answers, tuple(lookups), analysis)
    exhausted = deadline.expired or any(lk.outcome == "budget_exhausted" for lk in lookups) or any(
        a.outcome == "budget_exhausted" for a in answers)
    return IntermediariesReport(started_at=started_at, finished_at=iso(), settings=settings, resolvers=servers,
                                registered_domains=domains, bootstrap=bootstrap, dns=answers, rdap=tuple(lookups),
                                analysis=analysis, intermediaries=intermediaries, budget_exhausted=exhausted)
