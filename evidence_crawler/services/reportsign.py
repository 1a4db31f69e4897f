"""``export``'s PAdES signature of the report (``bundle/pdfsign.py``): who signs, and each signed PDF.

Chosen before any work, so a bad ``EVIDENCE_SIGNING_CERT`` stops the export at once (SigningKeyError,
exit 2); the certificate chain goes into the bundle (``evidence/pdf-signer.pem``) and the manifest
declares its sha256 (``pdf_signer``) before the report exists; then each PDF Chromium prints is signed
(PdfSignError when no TSA answers: exit 1, no bundle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.pdfsigcheck import PDF_SIGNER_PEM
from evidence_crawler.bundle.pdfsign import sign_pdf
from evidence_crawler.bundle.sign import SigningKey
from evidence_crawler.bundle.signcert import pdf_signer
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.redact import redact_text, redact_url


class ReportSigning:
    """``signing(pdf) -> signed pdf``, for ``add_report``; ``manifest_ref`` and ``result`` describe it."""

    def __init__(self, config: EvidenceConfig, key: SigningKey, timestamp: bool, notes: list[str]) -> None:
        self.config, self.timestamp, self.notes = config, timestamp, notes
        self.signer = pdf_signer(config.signing_cert, config.signing_cert_password.get_secret_value(), key,
                                 config.operator, config.organisation, notes)
        self.signed: list[dict[str, Any]] = []

    def manifest_ref(self) -> dict[str, str]:
        return {"certificate": PDF_SIGNER_PEM, "sha256": self.signer.cert_sha256, "subject": self.signer.subject,
                "source": self.signer.source, "pades": "B-T" if self.timestamp else "B-B"}

    def __call__(self, pdf: Path, member: str = ev.REPORT_PDF) -> Path:
        signed = pdf.with_name(pdf.stem + ".signed.pdf")
        sig = sign_pdf(pdf, signed, self.signer, self.config.tsa_urls, self.config.tsa_timeout_s, self.timestamp)
        self.signed.append({"path": member, "level": sig.level,
                            "tsa": redact_url(sig.tsa_url) if sig.tsa_url else None})
        self.notes.extend(redact_text(f) for f in sig.failures)
        return signed

    def result(self) -> dict[str, Any]:
        return {"pdf_signer": {"sha256": self.signer.cert_sha256, "subject": self.signer.subject,
                               "source": self.signer.source}, "pdf_signatures": self.signed}
