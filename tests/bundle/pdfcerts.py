"""Test material for PDF signatures: an organisation's CA chain (made here with ``cryptography``) and a
minimal one-page PDF (written by hand: the unit tests need no Chromium)."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PEM = serialization.Encoding.PEM


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rights Society (test)")])


def _cert(subject: str, public, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    usage = (x509.KeyUsage(False, False, False, False, False, True, True, False, False) if ca
             else x509.KeyUsage(True, True, False, False, False, False, False, False, False))
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(public)
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256()))


def make_chain() -> tuple[rsa.RSAPrivateKey, list[x509.Certificate]]:
    """An RSA-3072 signer under an intermediate under a root: (leaf key, [leaf, intermediate, root])."""
    root_key, inter_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    root = _cert("Test Root CA", root_key.public_key(), "Test Root CA", root_key, True)
    inter = _cert("Test Issuing CA", inter_key.public_key(), "Test Root CA", root_key, True)
    leaf = _cert("Jeanne Dupont", leaf_key.public_key(), "Test Issuing CA", inter_key, False)
    return leaf_key, [leaf, inter, root]


def write_pem(path: Path, key, certs: list[x509.Certificate]) -> Path:
    """Chain first, then the key (any order is accepted)."""
    key_pem = key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(b"".join(c.public_bytes(PEM) for c in reversed(certs)) + key_pem)
    return path


def write_p12(path: Path, key, certs: list[x509.Certificate], password: str) -> Path:
    enc = serialization.BestAvailableEncryption(password.encode())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"signer", key, certs[0], certs[1:], enc))
    return path


def minimal_pdf() -> bytes:
    """A valid one-page PDF with a line of text."""
    content = b"BT /F1 24 Tf 72 720 Td (Evidence report) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
