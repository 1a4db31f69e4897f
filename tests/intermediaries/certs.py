"""A throwaway CA and leaf certificate, made with `cryptography` for the analysis tests."""

from __future__ import annotations

import datetime as dt
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str, org: str | None = None, country: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if country else []
    attrs += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def chain(host: str) -> tuple[bytes, bytes]:
    """(leaf DER, CA DER): ``host`` issued by "Demo Trust CA Ltd" (BE)."""
    leaf, ca, _key = issue(host)
    return leaf.public_bytes(serialization.Encoding.DER), ca.public_bytes(serialization.Encoding.DER)


def server_context(host: str, folder) -> ssl.SSLContext:
    """A TLS server context presenting ``host``'s leaf and the demo CA (files written in ``folder``)."""
    leaf, ca, key = issue(host)
    cert, keyfile = folder / "chain.pem", folder / "key.pem"
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, keyfile)
    return ctx


def issue(host: str):
    """(leaf, CA, leaf key) as ``cryptography`` objects."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Demo Trust RSA CA 2026", "Demo Trust CA Ltd", "BE")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca_name).public_key(leaf_key.public_key())
            .serial_number(0xABCDEF).not_valid_before(now).not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host), x509.DNSName(f"www.{host}")]), False)
            .sign(ca_key, hashes.SHA256()))
    return leaf, ca, leaf_key
