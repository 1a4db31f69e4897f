"""The X.509 identity that signs ``report.pdf`` (PAdES): the operator's certificate, or the organisation's.

Two sources, in this order:

1. ``EVIDENCE_SIGNING_CERT``: the organisation's certificate chain with its private key, as a PEM file
   (key + leaf + intermediates, any order) or PKCS#12 (``.p12``/``.pfx``, password in
   ``EVIDENCE_SIGNING_CERT_PASSWORD``). RSA or ECDSA keys only: Ed25519/Ed448 PDF signatures are not
   checked by poppler (``pdfsig``) nor by Adobe Reader, so a judge's reader would show them as unknown.
2. Otherwise the operator's own key (``keys init``, ECDSA P-256, which PDF readers do check) with a
   self-signed certificate beside it (``signing-key.cert.pem`` for ``signing-key.pem``): subject CN from
   ``EVIDENCE_OPERATOR``, O from ``EVIDENCE_ORGANISATION``, key usage digitalSignature + nonRepudiation,
   valid :data:`CERT_VALIDITY_DAYS` days. A key made before certificates existed gets one on its first
   export (the key itself is never replaced); a certificate that does not match the key, or has expired,
   is refused with a message saying what to do (a certificate is never replaced silently).

The certificate is public (0644); the private key never leaves this process (0600 files only).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from evidence_crawler.bundle.sign import SigningKey, SigningKeyError
from evidence_crawler.durable import write_durably

CERT_VALIDITY_DAYS = 5 * 365
_PEM_KEY = re.compile(rb"-----BEGIN ((?:ENCRYPTED |EC |RSA )?PRIVATE KEY)-----.+?-----END \1-----", re.S)
DEFAULT_CN = "evidence-crawler operator"


@dataclass(frozen=True)
class PdfSigner:
    """A private key, its certificate and the chain above it (leaf first, root last when known)."""

    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: str  # "operator key" | "EVIDENCE_SIGNING_CERT"
    cert_path: Path

    @property
    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    @property
    def chain_pem(self) -> bytes:
        """Leaf then chain, PEM: the bundle's ``evidence/pdf-signer.pem``."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain))

    @property
    def subject(self) -> str:
        return self.cert.subject.rfc4514_string()


def cert_path_for(key_path: Path) -> Path:
    """``signing-key.pem`` → ``signing-key.cert.pem``, next to it."""
    key_path = Path(key_path)
    return key_path.with_name(key_path.name.removesuffix(".pem") + ".cert.pem")


def make_certificate(private: ec.EllipticCurvePrivateKey, operator: str, organisation: str,
                     now: datetime.datetime | None = None) -> x509.Certificate:
    """Self-signed end-entity certificate for ``private``: CN operator, O organisation (when given)."""
    now = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, (operator or DEFAULT_CN)[:64])]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    name = x509.Name(attrs)
    public = private.public_key()
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CERT_VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            # digitalSignature + contentCommitment (nonRepudiation): what a document signature asserts
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(private, hashes.SHA256()))


def create_certificate(key: SigningKey, operator: str, organisation: str) -> Path:
    """Write the operator key's certificate beside it (refuses to overwrite one); its path."""
    path = cert_path_for(key.path)
    if path.exists():
        raise SigningKeyError(f"a certificate already exists at {path}; it was not overwritten")
    cert = make_certificate(key.private, operator, organisation)
    write_durably(path, cert.public_bytes(serialization.Encoding.PEM), os.O_CREAT | os.O_EXCL, 0o644)
    return path


def _check_valid_now(cert: x509.Certificate, where: str, fix: str) -> None:
    now = datetime.datetime.now(datetime.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningKeyError(f"{where}: the certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
                              f"{cert.not_valid_after_utc:%Y-%m-%d}, not now; {fix}")


def operator_signer(key: SigningKey, operator: str, organisation: str, notes: list[str]) -> PdfSigner:
    """The operator key with its certificate, made now (and said in ``notes``) if it has none yet."""
    path = cert_path_for(key.path)
    if not path.exists():
        create_certificate(key, operator, organisation)
        notes.append(f"created the PDF-signing certificate {path} for the existing key {key.path}")
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"certificate {path}: not a PEM X.509 certificate ({exc}); move it away and "
                              "export again to have a new one made for the key") from None
    if cert.public_key() != key.private.public_key():
        raise SigningKeyError(f"certificate {path} is not for the key {key.path} (another key's); move it away "
                              "and export again to have a new one made")
    _check_valid_now(cert, str(path), "move it away and export again to have a new one made")
    return PdfSigner(key.private, cert, (), "operator key", path)


def _pick_leaf(private, certs: list[x509.Certificate], where: str) -> PdfSigner:
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningKeyError(f"{where}: the private key is {type(private).__name__.lstrip('_')}; PDF readers check "
                              "RSA or ECDSA signatures only")
    public = private.public_key()
    leaf = next((c for c in certs if c.public_key() == public), None)
    if leaf is None:
        raise SigningKeyError(f"{where}: no certificate in the file matches its private key")
    chain, cert = [], leaf
    rest = [c for c in certs if c is not leaf]
    while cert.issuer != cert.subject:  # leaf first, each issuer after its subject, as far as the file goes
        issuer = next((c for c in rest if c.subject == cert.issuer), None)
        if issuer is None:
            break
        chain.append(issuer)
        rest.remove(issuer)
        cert = issuer
    _check_valid_now(leaf, where, "give a current certificate")
    return PdfSigner(private, leaf, tuple(chain), "EVIDENCE_SIGNING_CERT", Path(where))


def load_signing_cert(path: Path, password: str = "") -> PdfSigner:
    """``EVIDENCE_SIGNING_CERT``: PEM (key + chain) or PKCS#12; SigningKeyError says what is wrong."""
    where = f"EVIDENCE_SIGNING_CERT {path}"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if b"-----BEGIN" in data:
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise SigningKeyError(f"{where}: no PEM certificate in the file") from None
        block = _PEM_KEY.search(data)
        if block is None:
            raise SigningKeyError(f"{where}: no private key in the PEM file (put the key and the chain in one file, "
                                  "or give a PKCS#12 file)")
        try:
            private = serialization.load_pem_private_key(block.group(0), password=password.encode() or None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{where}: the private key cannot be read ({exc}); an encrypted key needs "
                                  "EVIDENCE_SIGNING_CERT_PASSWORD") from None
        return _pick_leaf(private, certs, where)
    try:
        private, leaf, extra = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError as exc:
        raise SigningKeyError(f"{where}: neither PEM nor a readable PKCS#12 file ({exc}); a PKCS#12 file with a "
                              "password needs EVIDENCE_SIGNING_CERT_PASSWORD") from None
    if private is None or leaf is None:
        raise SigningKeyError(f"{where}: the PKCS#12 file holds no private key or no certificate")
    return _pick_leaf(private, [leaf, *extra], where)


def pdf_signer(signing_cert: Path | None, password: str, key: SigningKey, operator: str, organisation: str,
               notes: list[str]) -> PdfSigner:
    """``EVIDENCE_SIGNING_CERT`` when set, else the operator key's certificate (SigningKeyError: exit 2)."""
    if signing_cert is not None:
        return load_signing_cert(signing_cert, password)
    return operator_signer(key, operator, organisation, notes)


def certificate_info(key: SigningKey) -> dict | None:
    """What ``keys show`` says of the key's certificate (None: not made yet, or unreadable)."""
    path = cert_path_for(key.path)
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    return {"path": str(path.absolute()), "subject": cert.subject.rfc4514_string(),
            "sha256": hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
            "not_before": cert.not_valid_before_utc.isoformat(), "not_after": cert.not_valid_after_utc.isoformat(),
            "matches_key": cert.public_key() == key.private.public_key()}
