"""The operator's signing key and WACZ "anonymous" signatures (ECDSA P-256, public key embedded).

Follows the WACZ Signing and Verification recommendation (specs.webrecorder.net/wacz-auth): the
signed message is the UTF-8 text of a hash (``"sha256:<hex>"``), the signature is ECDSA P-256 with
SHA-256 in IEEE P1363 form (``r || s``, 64 bytes, as WebCrypto and the spec's verifiers expect),
base64; ``publicKey`` is the base64 DER SubjectPublicKeyInfo. ``domain``/``domainCert`` (domain
signing) are not used: the operator's key identifies the operator, and RFC 3161 tokens give the time.

The private key is a PKCS#8 PEM file, mode 0600, that only this module reads; it is never copied into
a bundle, printed or logged. A key file that group or others can read is refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from evidence_crawler.durable import write_durably

P256_BYTES = 32


class SigningKeyError(Exception):
    """The key cannot be created or used; the message says what to do."""


@dataclass(frozen=True)
class SigningKey:
    path: Path
    private: ec.EllipticCurvePrivateKey

    @property
    def public_der(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def fingerprint(self) -> str:
        """``sha256:<hex>`` of the DER public key (what the report and VERIFY.txt quote)."""
        return fingerprint(self.public_der)

    def sign_der(self, data: bytes) -> bytes:
        """ECDSA-SHA256 over ``data``, DER: ``openssl dgst -sha256 -verify pub.pem -signature SIG FILE``."""
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))

    def sign_text(self, text: str) -> str:
        der = self.private.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return base64.b64encode(r.to_bytes(P256_BYTES, "big") + s.to_bytes(P256_BYTES, "big")).decode()


def fingerprint(public_der: bytes) -> str:
    return "sha256:" + hashlib.sha256(public_der).hexdigest()


def create_key(path: Path) -> SigningKey:
    """A new P-256 key at ``path`` (0600, folder 0700); refuses to overwrite an existing key."""
    path = Path(path)
    if path.exists():
        raise SigningKeyError(f"a key already exists at {path}; it was not overwritten")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    write_durably(path, pem, os.O_CREAT | os.O_EXCL, 0o600)  # never replaces a key; owner-only from the start
    return SigningKey(path, private)


def load_key(path: Path) -> SigningKey:
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SigningKeyError(f"no signing key at {path}: run `evidence-crawler keys init` "
                        "(or set EVIDENCE_KEY to an existing key)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"signing key {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
                        f"run `chmod 600 {path}`")
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"signing key {path} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        raise SigningKeyError(f"signing key {path} is not an ECDSA P-256 key")
    return SigningKey(path, private)


def signed_data(key: SigningKey, hash_text: str, created: str, software: str) -> dict:
    """The spec's ``signedData`` object for ``hash_text`` (``"sha256:<hex>"``)."""
    return {"hash": hash_text, "signature": key.sign_text(hash_text),
            "publicKey": base64.b64encode(key.public_der).decode(), "created": created, "software": software}


def verify_signed_data(data: dict) -> str | None:
    """None when ``signature`` is a valid P-256 signature of ``hash`` by ``publicKey``; else the reason."""
    try:
        public = serialization.load_der_public_key(base64.b64decode(data["publicKey"], validate=True))
        raw = base64.b64decode(data["signature"], validate=True)
    except (KeyError, ValueError, TypeError) as exc:
        return f"unreadable signature or public key ({exc})"
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        return "public key is not ECDSA P-256"
    if len(raw) == 2 * P256_BYTES:
        der = encode_dss_signature(int.from_bytes(raw[:P256_BYTES], "big"), int.from_bytes(raw[P256_BYTES:], "big"))
    else:
        der = raw  # DER-encoded signatures are accepted too (some signers emit them)
    try:
        public.verify(der, str(data["hash"]).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "signature does not verify"
    except (KeyError, ValueError) as exc:
        return f"signature unreadable ({exc})"
    return None
