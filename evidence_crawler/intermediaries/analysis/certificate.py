"""Who vouches for the shop's TLS identity: issuer and chain of the certificate the server presented."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.x509.oid import NameOID

from evidence_crawler.intermediaries.records import Frozen


class CertificateFacts(Frozen):
    sha256: str  # of the DER, the key WARC-X-TLS-Certificate-SHA256 uses
    subject: str
    issuer: str
    issuer_organization: str | None = None
    issuer_country: str | None = None
    serial: str
    not_before: str
    not_after: str
    dns_names: tuple[str, ...] = ()


class CertificateReport(Frozen):
    page_url: str
    leaf: CertificateFacts | None = None
    chain: tuple[CertificateFacts, ...] = ()  # as sent after the leaf
    error: str | None = None

    @property
    def authority(self) -> str | None:
        if self.leaf is None:
            return None
        return self.leaf.issuer_organization or self.leaf.issuer


def _attr(name: x509.Name, oid) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def describe(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(sans.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateFacts(
        sha256=hashlib.sha256(der).hexdigest(), subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(), issuer_organization=_attr(cert.issuer, NameOID.ORGANIZATION_NAME),
        issuer_country=_attr(cert.issuer, NameOID.COUNTRY_NAME), serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=cert.not_valid_after_utc.isoformat(),
        dns_names=names)


def analyse_chain(page_url: str, chain_der: tuple[bytes, ...]) -> CertificateReport | None:
    """None for a page without TLS; a report with ``error`` for a certificate that does not parse."""
    if not chain_der:
        return None
    try:
        facts = [describe(der) for der in chain_der]
    except ValueError as exc:
        return CertificateReport(page_url=page_url, error=f"certificate does not parse: {exc}")
    return CertificateReport(page_url=page_url, leaf=facts[0], chain=tuple(facts[1:]))
