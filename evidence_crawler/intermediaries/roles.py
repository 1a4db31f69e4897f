"""The intermediary list: one entry per (role, name), each with what proves it.

Built only from what was recorded: RDAP facts, DNS answers, and the captured pages' analysis. A role
appears only when something shows it; nothing is inferred from a name alone. The order is fixed (role
order below, then name), so two runs over the same evidence give the same list.
"""

from __future__ import annotations

from typing import Literal

from evidence_crawler.intermediaries.analysis.capture import CaptureAnalysis
from evidence_crawler.intermediaries.analysis.hosts import known_host
from evidence_crawler.intermediaries.dns import DnsAnswer
from evidence_crawler.intermediaries.psl import registered_domain
from evidence_crawler.intermediaries.rdap import Contact, RdapLookup
from evidence_crawler.intermediaries.records import Frozen

Role = Literal["hosting", "registrar", "registrant", "dns", "cdn", "certificate_authority", "payment",
               "advertising", "analytics", "email"]
ROLE_ORDER: tuple[str, ...] = Role.__args__
MAX_EVIDENCE = 50  # per intermediary; ``evidence_total`` keeps the full count


class Evidence(Frozen):
    kind: Literal["dns", "rdap", "page", "certificate", "header"]
    target: str  # dns: URI, RDAP URL or page URL
    warc_record_type: Literal["response", "metadata"] | None = None
    record_id: str | None = None  # WARC-Record-ID of the raw exchange
    page_sha256: str | None = None
    detail: str


class Intermediary(Frozen):
    role: Role
    name: str
    abuse_contact: str | None = None
    country: str | None = None
    evidence: tuple[Evidence, ...]
    evidence_total: int


class _Builder:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], dict] = {}

    def add(self, role: str, name: str | None, evidence: Evidence, abuse: str | None = None,
            country: str | None = None) -> None:
        if not name:
            return
        entry = self.entries.setdefault((role, name.casefold()), {"role": role, "name": name, "abuse_contact": None,
                                                                  "country": None, "evidence": {}})
        entry["abuse_contact"] = entry["abuse_contact"] or abuse
        entry["country"] = entry["country"] or (country.upper() if country and len(country) == 2 else country)
        entry["evidence"][(evidence.kind, evidence.target, evidence.detail)] = evidence

    def result(self) -> tuple[Intermediary, ...]:
        out = []
        for entry in self.entries.values():
            evidence = sorted(entry["evidence"].values(), key=lambda e: (e.kind, e.target, e.detail))
            out.append(Intermediary(**{**entry, "evidence": tuple(evidence[:MAX_EVIDENCE]),
                                       "evidence_total": len(evidence)}))
        return tuple(sorted(out, key=lambda i: (ROLE_ORDER.index(i.role), i.name.casefold())))


def _rdap_evidence(lookup: RdapLookup, detail: str) -> Evidence:
    return Evidence(kind="rdap", target=lookup.final_url or lookup.query, warc_record_type="response",
                    record_id=lookup.record_id, detail=detail)


def _dns_evidence(answer: DnsAnswer, detail: str) -> Evidence:
    return Evidence(kind="dns", target=answer.target_uri, warc_record_type="response", record_id=answer.record_id,
                    detail=detail)


def _email(c: Contact | None) -> str | None:
    return c.email if c else None


def _from_rdap(b: _Builder, lookups: tuple[RdapLookup, ...], answers: tuple[DnsAnswer, ...]) -> None:
    for lk in lookups:
        if lk.domain:
            d = lk.domain
            if d.registrar:
                b.add("registrar", d.registrar.display, _rdap_evidence(lk, f"registrar of {d.domain}"),
                      _email(d.registrar_abuse) or d.registrar.email, d.registrar.country)
            if d.registrant and d.registrant.published:
                b.add("registrant", d.registrant.display, _rdap_evidence(lk, f"registrant of {d.domain}"),
                      d.registrant.email, d.registrant.country)
        if lk.network:
            n = lk.network
            name = (n.holder and n.holder.display) or n.name or n.handle
            span = f"{n.start_address}-{n.end_address}" if n.start_address else ""
            b.add("hosting", name, _rdap_evidence(lk, f"{lk.query} in {n.name or n.handle or '?'} {span}".strip()),
                  _email(n.abuse) or _email(n.holder), n.country or (n.holder and n.holder.country))
            for ans in answers:
                if ans.rdtype in ("A", "AAAA") and lk.query in ans.records:
                    b.add("hosting", name, _dns_evidence(ans, f"{ans.name} {ans.rdtype} {lk.query}"))
        if lk.autnum:
            a = lk.autnum
            name = (a.holder and a.holder.display) or a.name or lk.query
            b.add("hosting", name, _rdap_evidence(lk, f"{lk.query} {a.name or ''}".strip()),
                  _email(a.abuse), a.country or (a.holder and a.holder.country))


def _from_dns(b: _Builder, answers: tuple[DnsAnswer, ...], domain: str | None) -> None:
    for ans in answers:
        if ans.outcome != "ok":
            if ans.cname_chain:
                _cnames(b, ans)
            continue
        if ans.rdtype == "NS" and ans.name == domain:
            for rd in ans.records:
                host = rd.rstrip(".")
                b.add("dns", registered_domain(host) or host, _dns_evidence(ans, f"{ans.name} NS {host}"))
        elif ans.rdtype == "MX" and ans.name == domain:
            for rd in ans.records:
                host = rd.split()[-1].rstrip(".")
                if host:
                    b.add("email", registered_domain(host) or host, _dns_evidence(ans, f"{ans.name} MX {rd}"))
        _cnames(b, ans)


def _cnames(b: _Builder, ans: DnsAnswer) -> None:
    for target in ans.cname_chain:
        row = known_host(target)
        if row and row.role == "cdn":
            b.add("cdn", row.name, _dns_evidence(ans, f"{ans.name} CNAME chain reaches {target}"))


def _from_analysis(b: _Builder, analysis: CaptureAnalysis) -> None:
    for cert in analysis.certificates:
        if cert.leaf:
            b.add("certificate_authority", cert.authority, Evidence(
                kind="certificate", target=cert.page_url, page_sha256=None,
                detail=f"certificate sha256:{cert.leaf.sha256} for {cert.leaf.subject} issued by {cert.leaf.issuer}"),
                country=cert.leaf.issuer_country)
    for hint in analysis.header_hints:
        if hint.provider:
            b.add("cdn", hint.provider, Evidence(kind="header", target=hint.page_url, page_sha256=hint.page_sha256,
                                                 detail=f"{hint.header}: {hint.value}"))
    for tp in analysis.third_parties:
        if tp.role:
            b.add(tp.role, tp.name, Evidence(kind="page", target=tp.page_url, page_sha256=tp.page_sha256,
                                             detail=f"loads {tp.example_url or tp.host} ({tp.via})"))
    for pay in analysis.payments:
        shown = pay.detail or pay.url or pay.excerpt
        b.add("payment", pay.name, Evidence(kind="page", target=pay.page_url, page_sha256=pay.page_sha256,
                                            detail=f"{pay.found_in}: {shown}"[:400]))


def build_intermediaries(domain: str | None, answers: tuple[DnsAnswer, ...], lookups: tuple[RdapLookup, ...],
                         analysis: CaptureAnalysis) -> tuple[Intermediary, ...]:
    b = _Builder()
    _from_rdap(b, lookups, answers)
    _from_dns(b, answers, domain)
    _from_analysis(b, analysis)
    return b.result()
