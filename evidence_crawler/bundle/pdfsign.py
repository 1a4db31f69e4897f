"""Sign ``report.pdf`` PAdES with pyHanko: baseline B-T (RFC 3161 signature timestamp), B-LT when it can.

* **B-T**: the CMS signature carries a signature-timestamp token from the first configured TSA that
  answers (``EVIDENCE_TSA_URLS``, the same TSAs the bundle's tokens come from; tried in order).
* **B-LT** when both chains are at hand offline: the signer's chain ends in a self-signed certificate
  (the operator's own certificate, or a full ``EVIDENCE_SIGNING_CERT`` chain) and the TSA's token carries
  its chain up to a self-signed root. The DSS then holds those certificates, written in the signature's
  own revision (one revision: the signed byte range covers the whole file). Nothing is fetched from the
  network (``allow_fetching=False``): CRLs/OCSP answers are embedded only if a validation context
  already has them, which for the self-signed operator certificate and a local TSA is never.
* **B-B** with ``--no-timestamp`` (no token at all); ``verify`` and the report say so.

No TSA token → :class:`PdfSignError` (the export fails closed, as for the bundle's own tokens). The
signature field is invisible (``/Rect [0 0 0 0]``, named :data:`FIELD`): readers list it in their
signature panel with its signing time; the report's pages are left as Chromium printed them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from evidence_crawler.bundle.signcert import PdfSigner

FIELD = "EvidenceReportSignature"
REASON = "evidence-crawler report: integrity of this document and of the bundle it belongs to"


class PdfSignError(Exception):
    """The PDF could not be signed (or timestamped): the message says why; no bundle is written."""


@dataclass(frozen=True)
class PdfSignature:
    level: str  # "B-B" | "B-T" | "B-LT"
    tsa_url: str | None
    failures: tuple[str, ...]  # TSAs that did not answer, before one did


def _asn1_cert(cert) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _simple_signer(signer: PdfSigner):
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = signer.private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return SimpleSigner(signing_cert=_asn1_cert(signer.cert), signing_key=akeys.PrivateKeyInfo.load(der),
                        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in signer.chain]))


def _self_signed(cert: ax509.Certificate) -> bool:
    return cert.self_signed in ("maybe", "yes")


async def _lt_context(signer: PdfSigner, timestamper):
    """A ValidationContext able to build both chains offline, or None (then B-T only)."""
    from pyhanko_certvalidator import ValidationContext

    ours = [_asn1_cert(c) for c in (signer.cert, *signer.chain)]
    if not _self_signed(ours[-1]):
        return None  # the chain we were given stops below its root
    dummy = await timestamper.async_dummy_response("sha256")
    theirs = [c.chosen for c in dummy["content"]["certificates"] or [] if c.name == "certificate"]
    roots = [c for c in theirs if _self_signed(c)]
    if not roots:
        return None
    return ValidationContext(trust_roots=[ours[-1], *roots], other_certs=ours[:-1] + theirs,
                             allow_fetching=False, revocation_mode="soft-fail")


def _meta(signer: PdfSigner, context):
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference

    return signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, reason=REASON,
        name=signer.cert.subject.rfc4514_string(), embed_validation_info=context is not None,
        validation_context=context,
        dss_settings=DSSContentSettings(include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE))


async def _sign(src: Path, dest: Path, signer: PdfSigner, timestamper, context) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    with open(src, "rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        pdf_signer = signers.PdfSigner(_meta(signer, context), signer=_simple_signer(signer), timestamper=timestamper)
        with open(dest, "wb") as out:
            await pdf_signer.async_sign_pdf(writer, output=out)


async def _sign_timestamped(src: Path, dest: Path, signer: PdfSigner, urls: list[str],
                            timeout_s: float) -> PdfSignature:
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

    failures: list[str] = []
    for url in urls:
        timestamper = HTTPTimeStamper(url, timeout=timeout_s)
        try:
            context = await _lt_context(signer, timestamper)
            if context is not None:
                try:
                    await _sign(src, dest, signer, timestamper, context)
                    return PdfSignature("B-LT", url, tuple(failures))
                except TimestampRequestError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a chain pyHanko cannot validate offline: B-T it is
                    logging.getLogger(__name__).info("PAdES B-LT not possible (%s); signing B-T", exc)
            await _sign(src, dest, signer, timestamper, None)
            return PdfSignature("B-T", url, tuple(failures))
        except (TimeoutError, TimestampRequestError, OSError) as exc:
            cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
            failures.append(f"TSA {url}: {exc or type(exc).__name__}{cause}")
    raise PdfSignError("no TSA gave a timestamp for the report's PDF signature, so no bundle was written: "
                       + "; ".join(failures) + " (pass --no-timestamp to export without one)")


class _Quiet(logging.Filter):
    """pyHanko warns that revocation data is embedded without fetching: that is the point (offline)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


def sign_pdf(src: Path, dest: Path, signer: PdfSigner, tsa_urls: list[str], timeout_s: float = 30.0,
             timestamp: bool = True) -> PdfSignature:
    """Sign ``src`` into ``dest`` (PAdES B-LT/B-T, or B-B when ``timestamp`` is False)."""
    quiet = logging.getLogger("pyhanko.sign.signers.pdf_signer")
    if not any(isinstance(f, _Quiet) for f in quiet.filters):
        quiet.addFilter(_Quiet())
    if not timestamp:
        asyncio.run(_sign(src, dest, signer, None, None))
        return PdfSignature("B-B", None, ())
    if not tsa_urls:
        raise PdfSignError("no time-stamping authority configured for the PDF signature (EVIDENCE_TSA_URLS)")
    try:
        return asyncio.run(_sign_timestamped(src, dest, signer, tsa_urls, timeout_s))
    except PdfSignError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyHanko's own errors (unreadable PDF, key) end the export with a reason
        raise PdfSignError(f"the report's PDF could not be signed: {type(exc).__name__}: {exc}") from None
