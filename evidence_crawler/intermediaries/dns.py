"""DNS answers for a capture's hosts, every message kept in wire format, and the crawl's own resolver.

dnspython does the protocol (wire format, UDP with TCP fallback on truncation); ``Message.wire`` keeps
the exact bytes sent and received. Servers are tried in order until one answers; each try is an
exchange, so a timeout from the first resolver is on record next to the second one's answer.
The resolvers are the operator's choice (``EVIDENCE_DNS_RESOLVERS`` or the system's), not the shop's,
so they are not put through the destination guard; what they answer is.
"""

from __future__ import annotations

import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.records import DnsExchange, Frozen, Outcome, dns_target_uri
from evidence_crawler.intermediaries.settings import DnsServer
from evidence_crawler.timeutil import iso

HOST_TYPES = ("A", "AAAA", "NS", "MX", "SOA", "TXT")  # the CNAME chain comes with the A answer
MAX_CNAME_HOPS = 16

def system_resolvers() -> tuple[DnsServer, ...]:
    try:
        conf = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration:
        return ()
    return tuple(DnsServer(ip=ip, port=conf.port) for ip in conf.nameservers if isinstance(ip, str))


class DnsAnswer(Frozen):
    """What one question got: the records for the name at the end of the CNAME chain."""

    name: str
    rdtype: str
    outcome: Outcome
    cname_chain: tuple[str, ...] = ()
    records: tuple[str, ...] = ()  # rdata in presentation format
    server: str | None = None  # the one that answered
    record_id: str | None = None  # the WARC response record holding the answer
    target_uri: str
    error: str | None = None  # why nothing usable came back (the exchanges carry each server's reason)
    exchanges: tuple[DnsExchange, ...] = ()


_RCODE_OUTCOME = {dns.rcode.NXDOMAIN: "nxdomain", dns.rcode.SERVFAIL: "servfail",
                  dns.rcode.REFUSED: "refused_by_server"}


def _read_answer(qname: dns.name.Name, rdtype: int, response: dns.message.Message) -> tuple[tuple, tuple]:
    chain, current = [], qname
    for _ in range(MAX_CNAME_HOPS):
        cname = next((rr for rr in response.answer if rr.name == current and rr.rdtype == dns.rdatatype.CNAME
                      and rdtype != dns.rdatatype.CNAME), None)
        if cname is None:
            break
        current = cname[0].target
        chain.append(current.to_text(omit_final_dot=True))
    records = sorted(rd.to_text() for rr in response.answer if rr.name == current and rr.rdtype == rdtype
                     for rd in rr)
    return tuple(chain), tuple(records)


def ask(name: str, rdtype: str, servers: tuple[DnsServer, ...], deadline: Deadline,
        query_timeout_s: float) -> DnsAnswer:
    """Ask each server in turn until one answers; never raises for network or protocol trouble."""
    qname = dns.name.from_text(name)
    ascii_name = qname.to_text(omit_final_dot=True)
    exchanges: list[DnsExchange] = []
    for server in servers:
        if deadline.expired:
            break
        query = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232)
        sent_at, start = iso(), time.monotonic()
        response, transport, outcome, error = None, "udp", "ok", None
        try:
            response, used_tcp = dns.query.udp_with_fallback(query, server.ip, timeout=deadline.cap(query_timeout_s),
                                                             port=server.port)
            transport = "tcp" if used_tcp else "udp"
        except dns.exception.Timeout:
            outcome, error = "timeout", f"no answer from {server.label} in time"
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            outcome, error = "dns_error", f"{server.label}: {type(exc).__name__}: {exc}"
        if response is not None:
            chain, records = _read_answer(qname, dns.rdatatype.from_text(rdtype), response)
            rcode = response.rcode()
            outcome = _RCODE_OUTCOME.get(rcode, "ok" if rcode == dns.rcode.NOERROR else "dns_error")
            if outcome == "ok" and not records:
                outcome = "nodata"
        ex = DnsExchange(name=ascii_name, rdtype=rdtype, server=server.ip, port=server.port, transport=transport,
                         sent_at=sent_at, duration_ms=round((time.monotonic() - start) * 1000, 3),
                         query_wire=query.wire or query.to_wire(),
                         response_wire=response.wire if response is not None else None,
                         outcome=outcome, error=error)
        exchanges.append(ex)
        if response is not None:
            return DnsAnswer(name=ascii_name, rdtype=rdtype, outcome=outcome, cname_chain=chain, records=records,
                             server=server.ip, record_id=ex.record_id, target_uri=ex.target_uri,
                             exchanges=tuple(exchanges))
    last = exchanges[-1] if exchanges else None
    if last:
        outcome, error = last.outcome, last.error
    elif servers:
        outcome, error = "budget_exhausted", "the intermediaries time budget ran out before this query"
    else:
        outcome, error = "dns_error", "no DNS server configured (EVIDENCE_DNS_RESOLVERS empty, no /etc/resolv.conf)"
    return DnsAnswer(name=ascii_name, rdtype=rdtype, target_uri=dns_target_uri(ascii_name, rdtype),
                     outcome=outcome, error=error, exchanges=tuple(exchanges))


def lookup_names(names: list[str], servers: tuple[DnsServer, ...], deadline: Deadline, query_timeout_s: float,
                 rdtypes: tuple[str, ...] = HOST_TYPES) -> tuple[DnsAnswer, ...]:
    """Every type for every name (deduplicated, in the order given)."""
    seen = list(dict.fromkeys(n.rstrip(".").lower() for n in names if n))
    return tuple(ask(name, rdtype, servers, deadline, query_timeout_s) for name in seen for rdtype in rdtypes)


class HostResolution(Frozen):
    """The crawl's own name resolution through ``EVIDENCE_DNS_RESOLVERS``, with its raw exchanges."""

    host: str
    addresses: tuple[str, ...]
    answers: tuple[DnsAnswer, ...]
    error: str | None = None


def resolve_host(host: str, servers: tuple[DnsServer, ...], timeout_s: float = 5.0) -> HostResolution:
    """A and AAAA of ``host`` (through its CNAME chain); ``error`` says why when there is no address."""
    deadline = Deadline(timeout_s)
    answers = tuple(ask(host, rdtype, servers, deadline, timeout_s) for rdtype in ("A", "AAAA"))
    addresses = tuple(sorted({r for a in answers if a.outcome == "ok" for r in a.records}))
    error = None if addresses else f"{host}: no address (" + ", ".join(
        f"{a.rdtype} {a.outcome}" for a in answers) + ")"
    return HostResolution(host=host, addresses=addresses, answers=answers, error=error)
