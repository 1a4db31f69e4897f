"""RDAP (RFC 9083) lookups of the registered domain, each server IP and each AS number.

Each lookup keeps every HTTP hop raw (:class:`HttpExchange`) and reads the final JSON into a few typed
facts a notice needs: who registered it with whom, who holds the network, where to send abuse reports.
Failures (404, 429, timeout, too large, refused redirect, broken JSON) are outcomes, never exceptions.
We do not use an RDAP client library: those fetch with their own HTTP stack, which keeps neither the
bytes nor the destination guard; the JSON reading below is the part they would have saved.
"""

from __future__ import annotations

import json
from typing import Literal

from evidence_crawler.intermediaries.bootstrap import Bootstrap
from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.http import FetchLimits, Resolver, fetch
from evidence_crawler.intermediaries.records import Frozen, HttpExchange, Outcome

REDACTED_WORDS = ("redacted", "privacy", "not disclosed", "data protected", "withheld")


class Contact(Frozen):
    handle: str | None = None
    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None

    @property
    def display(self) -> str | None:
        return self.organization or self.name or self.handle

    @property
    def published(self) -> bool:
        text = " ".join(v for v in (self.name, self.organization) if v).lower()
        return bool(text) and not any(w in text for w in REDACTED_WORDS)


class DomainFacts(Frozen):
    domain: str
    handle: str | None = None
    registrar: Contact | None = None
    registrar_iana_id: str | None = None
    registrar_abuse: Contact | None = None
    registrant: Contact | None = None
    registered_at: str | None = None
    expires_at: str | None = None
    last_changed_at: str | None = None
    status: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()


class NetworkFacts(Frozen):
    handle: str | None = None
    name: str | None = None
    start_address: str | None = None
    end_address: str | None = None
    country: str | None = None
    holder: Contact | None = None
    abuse: Contact | None = None
    origin_asns: tuple[int, ...] = ()  # ARIN's originas0 extension; other RIRs rarely publish it


class AutnumFacts(Frozen):
    asn: int
    handle: str | None = None
    name: str | None = None
    country: str | None = None
    holder: Contact | None = None
    abuse: Contact | None = None


class RdapLookup(Frozen):
    kind: Literal["domain", "ip", "autnum"]
    query: str
    url: str | None = None  # first URL asked
    outcome: Outcome
    error: str | None = None
    exchanges: tuple[HttpExchange, ...] = ()
    domain: DomainFacts | None = None
    network: NetworkFacts | None = None
    autnum: AutnumFacts | None = None

    @property
    def record_id(self) -> str | None:
        return self.exchanges[-1].record_id if self.exchanges else None

    @property
    def final_url(self) -> str | None:
        return self.exchanges[-1].url if self.exchanges else self.url


# --- reading RFC 9083 JSON ----------------------------------------------------------------------


def _text(value) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if isinstance(v, str) and v)
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:300] or None


def contact(entity: dict) -> Contact:
    """jCard (RFC 7095) fields: fn, org, email, tel, adr (country: RFC 8605 ``cc`` or the last element)."""
    fields: dict[str, str | None] = {}
    card = entity.get("vcardArray")
    props = card[1] if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list) else []
    for prop in props:
        if not (isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)):
            continue
        name, params, value = prop[0].lower(), prop[1] if isinstance(prop[1], dict) else {}, prop[3]
        key = {"fn": "name", "org": "organization", "email": "email", "tel": "phone"}.get(name)
        if key and not fields.get(key):
            fields[key] = _text(value)
        elif name == "adr" and not fields.get("country"):
            cc = params.get("cc")
            country = cc if isinstance(cc, str) else (value[-1] if isinstance(value, list) and value else None)
            fields["country"] = _text(country)
    return Contact(handle=_text(entity.get("handle")), **fields)


def _entities(doc: dict) -> list[dict]:
    """Entities at any depth (abuse contacts hang under the registrar), bounded."""
    found, todo = [], [e for e in doc.get("entities", []) if isinstance(e, dict)]
    while todo and len(found) < 200:
        e = todo.pop(0)
        found.append(e)
        todo += [c for c in e.get("entities", []) if isinstance(c, dict)]
    return found


def _with_role(doc: dict, role: str, within: dict | None = None) -> dict | None:
    pool = _entities(within) if within is not None else _entities(doc)
    return next((e for e in pool if role in (e.get("roles") or [])), None)


def _events(doc: dict) -> dict[str, str]:
    return {ev.get("eventAction"): ev.get("eventDate") for ev in doc.get("events", [])
            if isinstance(ev, dict) and isinstance(ev.get("eventAction"), str) and isinstance(ev.get("eventDate"), str)}


def read_domain(doc: dict, domain: str) -> DomainFacts:
    registrar = _with_role(doc, "registrar")
    abuse = _with_role(doc, "abuse", registrar) if registrar else _with_role(doc, "abuse")
    iana_id = next((p.get("identifier") for p in (registrar or {}).get("publicIds", [])
                    if isinstance(p, dict) and "iana" in str(p.get("type", "")).lower()), None)
    registrant = _with_role(doc, "registrant")
    events = _events(doc)
    return DomainFacts(
        domain=_text(doc.get("ldhName")) or domain, handle=_text(doc.get("handle")),
        registrar=contact(registrar) if registrar else None, registrar_iana_id=_text(iana_id),
        registrar_abuse=contact(abuse) if abuse else None, registrant=contact(registrant) if registrant else None,
        registered_at=events.get("registration"), expires_at=events.get("expiration"),
        last_changed_at=events.get("last changed"),
        status=tuple(s for s in doc.get("status", []) if isinstance(s, str)),
        nameservers=tuple(sorted(str(ns.get("ldhName")).lower().rstrip(".") for ns in doc.get("nameservers", [])
                                 if isinstance(ns, dict) and ns.get("ldhName"))))


def read_network(doc: dict) -> NetworkFacts:
    holder = _with_role(doc, "registrant") or _with_role(doc, "administrative")
    abuse = _with_role(doc, "abuse")
    asns = doc.get("arin_originas0_originautnums", [])
    return NetworkFacts(handle=_text(doc.get("handle")), name=_text(doc.get("name")),
                        start_address=_text(doc.get("startAddress")), end_address=_text(doc.get("endAddress")),
                        country=_text(doc.get("country")), holder=contact(holder) if holder else None,
                        abuse=contact(abuse) if abuse else None,
                        origin_asns=tuple(sorted({int(a) for a in asns if isinstance(a, int)})))


def read_autnum(doc: dict, asn: int) -> AutnumFacts:
    holder = _with_role(doc, "registrant")
    abuse = _with_role(doc, "abuse")
    return AutnumFacts(asn=asn, handle=_text(doc.get("handle")), name=_text(doc.get("name")),
                       country=_text(doc.get("country")), holder=contact(holder) if holder else None,
                       abuse=contact(abuse) if abuse else None)


# --- lookups --------------------------------------------------------------------------------------


def _lookup(kind: str, query: str, bases: tuple[str, ...], problem: str | None, path: str,
            limits: FetchLimits, deadline: Deadline, resolve: Resolver) -> tuple[RdapLookup, dict | None]:
    if not bases:
        return RdapLookup(kind=kind, query=query, outcome="no_bootstrap",
                          error=problem or f"the bootstrap names no RDAP server for {query}"), None
    url = (bases[0] if bases[0].endswith("/") else bases[0] + "/") + path
    hops = fetch(url, limits, deadline, resolve)
    last = hops[-1]
    base = {"kind": kind, "query": query, "url": url, "exchanges": hops}
    if last.outcome != "ok":
        return RdapLookup(**base, outcome=last.outcome, error=last.error), None
    if last.status == 404:
        return RdapLookup(**base, outcome="not_found", error=f"{last.url}: HTTP 404 (no such object)"), None
    if last.status == 429:
        wait = last.header("retry-after")
        return RdapLookup(**base, outcome="rate_limited",
                          error=f"{last.url}: HTTP 429" + (f", Retry-After {wait}" if wait else "")), None
    if last.status != 200:
        return RdapLookup(**base, outcome="http_error", error=f"{last.url}: HTTP {last.status}"), None
    try:
        doc = json.loads(last.body)
    except (ValueError, RecursionError) as exc:
        return RdapLookup(**base, outcome="bad_json", error=f"{last.url}: not JSON ({type(exc).__name__})"), None
    if not isinstance(doc, dict):
        return RdapLookup(**base, outcome="bad_json", error=f"{last.url}: JSON is not an RDAP object"), None
    return RdapLookup(**base, outcome="ok"), doc


def lookup_domain(domain: str, bootstrap: Bootstrap, limits: FetchLimits, deadline: Deadline,
                  resolve: Resolver) -> RdapLookup:
    result, doc = _lookup("domain", domain, bootstrap.bases_for_domain(domain), bootstrap.problem("domain"),
                          f"domain/{domain}", limits, deadline, resolve)
    return result.model_copy(update={"domain": read_domain(doc, domain)}) if doc else result


def lookup_ip(ip: str, bootstrap: Bootstrap, limits: FetchLimits, deadline: Deadline,
              resolve: Resolver) -> RdapLookup:
    kind = "ipv6" if ":" in ip else "ipv4"
    result, doc = _lookup("ip", ip, bootstrap.bases_for_ip(ip), bootstrap.problem(kind), f"ip/{ip}",
                          limits, deadline, resolve)
    return result.model_copy(update={"network": read_network(doc)}) if doc else result


def lookup_autnum(asn: int, bootstrap: Bootstrap, limits: FetchLimits, deadline: Deadline,
                  resolve: Resolver) -> RdapLookup:
    result, doc = _lookup("autnum", f"AS{asn}", bootstrap.bases_for_asn(asn), bootstrap.problem("autnum"),
                          f"autnum/{asn}", limits, deadline, resolve)
    return result.model_copy(update={"autnum": read_autnum(doc, asn)}) if doc else result
