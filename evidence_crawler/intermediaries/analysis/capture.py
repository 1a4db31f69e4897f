"""All page analyses of one capture, gathered into one typed value."""

from __future__ import annotations

from evidence_crawler.intermediaries.analysis.certificate import CertificateReport, analyse_chain
from evidence_crawler.intermediaries.analysis.headers import HeaderHint, header_hints
from evidence_crawler.intermediaries.analysis.pages import CapturedPage
from evidence_crawler.intermediaries.analysis.payments import PaymentFinding, payment_findings
from evidence_crawler.intermediaries.analysis.thirdparty import ThirdPartyHost, third_party_hosts
from evidence_crawler.intermediaries.records import Frozen


class CaptureAnalysis(Frozen):
    certificates: tuple[CertificateReport, ...] = ()  # one per distinct chain
    header_hints: tuple[HeaderHint, ...] = ()
    third_parties: tuple[ThirdPartyHost, ...] = ()
    payments: tuple[PaymentFinding, ...] = ()


def analyse_pages(pages: tuple[CapturedPage, ...]) -> CaptureAnalysis:
    chains: dict[tuple[bytes, ...], CertificateReport] = {}
    hints, parties, payments = [], [], []
    for page in pages:
        if page.tls_chain_der and page.tls_chain_der not in chains:
            chains[page.tls_chain_der] = analyse_chain(page.url, page.tls_chain_der)
        hints += header_hints(page)
        parties += third_party_hosts(page)
        payments += payment_findings(page)
    return CaptureAnalysis(certificates=tuple(chains.values()), header_hints=tuple(hints),
                           third_parties=tuple(parties), payments=tuple(payments))
