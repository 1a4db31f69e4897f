"""RFC 3161 trusted timestamps: ask a TSA for a token over a digest, and check a token offline.

ASN.1 is asn1crypto's; signatures are checked with ``cryptography``. We do not use ``rfc3161-client``:
its strict DER parser rejects the tokens ``openssl ts -reply`` (and so many TSAs) issue, whose
certificate SET is not in DER order. A token is kept exactly as the TSA sent it (the whole
``TimeStampResp``, the form ``openssl ts -verify -in`` reads).
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, tsp, x509
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MAX_RESPONSE_BYTES = 1 << 20
TIMESTAMPING_EKU = "1.3.6.1.5.5.7.3.8"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha1": hashes.SHA1}


class TimestampError(Exception):
    """No usable token: the message says which TSA and why."""


@dataclass
class TokenInfo:
    """What a token says, for the manifest, the report and ``verify --json``."""

    gen_time: str
    serial: int
    policy: str
    hash_algorithm: str
    imprint: str  # hex of the hashed message
    tsa_name: str | None
    signer: str
    nonce: int | None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"gen_time": self.gen_time, "serial": self.serial, "policy": self.policy,
                "hash_algorithm": self.hash_algorithm, "imprint": self.imprint, "tsa_name": self.tsa_name,
                "signer": self.signer, "nonce": self.nonce}


def build_request(sha256_digest: bytes, nonce: int) -> bytes:
    req = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": sha256_digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return req.dump()


def request_token(url: str, sha256_digest: bytes, timeout_s: float = 30.0) -> bytes:
    """POST a TimeStampReq for ``sha256_digest`` to ``url``; the DER response, checked, or TimestampError."""
    if not url.startswith(("http://", "https://")):
        raise TimestampError(f"TSA {url}: only http:// and https:// URLs are supported")
    nonce = secrets.randbits(63)
    http = urllib.request.Request(url, data=build_request(sha256_digest, nonce), method="POST",
                                  headers={"Content-Type": "application/timestamp-query",
                                           "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(http, timeout=timeout_s) as resp:  # noqa: S310 - scheme checked above
            body = resp.read(MAX_RESPONSE_BYTES + 1)
            ctype = resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"TSA {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"TSA {url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError(f"TSA {url}: response larger than {MAX_RESPONSE_BYTES} bytes")
    if not ctype.startswith("application/timestamp-reply"):
        raise TimestampError(f"TSA {url}: unexpected content type {ctype!r}")
    info = inspect_token(body, sha256_digest)
    if info.nonce != nonce:
        info.problems.append("nonce differs from the request's (replayed or mixed-up answer)")
    if info.problems:
        raise TimestampError(f"TSA {url}: " + "; ".join(info.problems))
    return body


def _load(der: bytes) -> tuple[tsp.TimeStampResp, cms.SignedData, tsp.TSTInfo]:
    resp = tsp.TimeStampResp.load(der, strict=True)
    status = resp["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        text = resp["status"]["status_string"].native if resp["status"]["status_string"] else ""
        raise ValueError(f"TSA refused: {status} {text}".strip())
    token = resp["time_stamp_token"]
    if token["content_type"].native != "signed_data":
        raise ValueError("token is not CMS SignedData")
    signed = token["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise ValueError("token does not hold a TSTInfo")
    return resp, signed, encap["content"].parsed


def _signer_cert(signed: cms.SignedData, sid: cms.SignerIdentifier) -> x509.Certificate:
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (cert.issuer == sid.chosen["issuer"]
                    and cert.serial_number == sid.chosen["serial_number"].native):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    raise ValueError("the token does not include the TSA's certificate (cert_req)")


def _verify_sig(public_key, signature: bytes, data: bytes, hash_name: str, sig_algo: str) -> None:
    h = _HASHES[hash_name]()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(h))
    elif isinstance(public_key, rsa.RSAPublicKey):
        pad = (padding.PSS(padding.MGF1(h), padding.PSS.AUTO) if sig_algo == "rsassa_pss"
               else padding.PKCS1v15())
        public_key.verify(signature, data, pad, h)
    else:
        raise ValueError(f"unsupported TSA key type {type(public_key).__name__}")


def _check_signature(signed: cms.SignedData, problems: list[str]) -> x509.Certificate | None:
    infos = signed["signer_infos"]
    if len(infos) != 1:
        problems.append(f"{len(infos)} signer infos (expected 1)")
        return None
    si = infos[0]
    hash_name = si["digest_algorithm"]["algorithm"].native
    if hash_name not in _HASHES:
        problems.append(f"unsupported digest algorithm {hash_name}")
        return None
    try:
        cert = _signer_cert(signed, si["sid"])
    except ValueError as exc:
        problems.append(str(exc))
        return None
    econtent = signed["encap_content_info"]["content"].contents
    attrs = {a["type"].native: a["values"] for a in si["signed_attrs"]}
    if "message_digest" not in attrs:
        problems.append("no message-digest signed attribute")
        return cert
    if attrs["message_digest"][0].native != hashlib.new(hash_name, econtent).digest():
        problems.append("TSTInfo does not match the signed message digest (token altered)")
    if attrs.get("content_type") is None or attrs["content_type"][0].native != "tst_info":
        problems.append("signed content-type attribute is not TSTInfo")
    ess = attrs.get("signing_certificate_v2") or attrs.get("signing_certificate")
    if ess is None:
        problems.append("no ESS signing-certificate attribute")
    else:
        first = ess[0]["certs"][0]
        algo = first["hash_algorithm"]["algorithm"].native if "hash_algorithm" in first else "sha1"
        if first["cert_hash"].native != hashlib.new(algo, cert.dump()).digest():
            problems.append("ESS signing-certificate does not name the certificate that signed")
    signed_attrs = si["signed_attrs"].untag().dump()
    public_key = cx509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        _verify_sig(public_key, si["signature"].native, signed_attrs, hash_name,
                    si["signature_algorithm"].signature_algo)
    except InvalidSignature:
        problems.append("TSA signature does not verify (token altered)")
    except ValueError as exc:
        problems.append(str(exc))
    return cert


def inspect_token(der: bytes, expected_sha256: bytes | None = None) -> TokenInfo:
    """Parse and self-check a token: status, TSTInfo, the TSA's signature, and the imprint.

    Raises ValueError for bytes that are not a timestamp response at all; otherwise ``problems`` lists
    every failed check (empty = the token is intact and covers ``expected_sha256``). Trust in the TSA
    (its certificate chain) is :func:`check_chain`'s job.
    """
    _, signed, tst = _load(der)
    problems: list[str] = []
    cert = _check_signature(signed, problems)
    imprint = tst["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    hashed = imprint["hashed_message"].native
    if expected_sha256 is not None and (algo != "sha256" or hashed != expected_sha256):
        problems.append(f"imprint {algo}:{hashed.hex()} is not the digest that was timestamped "
                        f"(sha256:{expected_sha256.hex()})")
    tsa_name = tst["tsa"].chosen.human_friendly if tst["tsa"] and tst["tsa"].chosen else None
    return TokenInfo(gen_time=tst["gen_time"].native.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                     serial=tst["serial_number"].native, policy=tst["policy"].native, hash_algorithm=algo,
                     imprint=hashed.hex(), tsa_name=tsa_name,
                     signer=cert.subject.human_friendly if cert else "?",
                     nonce=tst["nonce"].native if tst["nonce"] else None, problems=problems)


def _gen_time(der: bytes) -> datetime:
    return _load(der)[2]["gen_time"].native


def check_chain(der: bytes, ca_pem: Path) -> list[str]:
    """The TSA certificate chains to a root in ``ca_pem`` and was valid, for time-stamping, at genTime."""
    _, signed, _ = _load(der)
    problems: list[str] = []
    signer = _check_signature(signed, problems)
    if signer is None:
        return problems or ["no signer certificate"]
    roots = cx509.load_pem_x509_certificates(ca_pem.read_bytes())
    pool = [cx509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or []
            if c.name == "certificate"]
    leaf = cx509.load_der_x509_certificate(signer.dump())
    when = _gen_time(der)
    try:
        eku = leaf.extensions.get_extension_for_class(cx509.ExtendedKeyUsage)
        if not eku.critical or [o.dotted_string for o in eku.value] != [TIMESTAMPING_EKU]:
            problems.append("TSA certificate's extendedKeyUsage is not critical timeStamping only")
    except cx509.ExtensionNotFound:
        problems.append("TSA certificate has no extendedKeyUsage timeStamping")
    cert = leaf
    for _ in range(8):
        if not (cert.not_valid_before_utc <= when <= cert.not_valid_after_utc):
            problems.append(f"certificate {cert.subject.rfc4514_string()} was not valid at genTime {when}")
        for root in roots:
            if root.subject == cert.issuer and _issued_by(cert, root):
                return problems
        issuer = next((c for c in pool if c.subject == cert.issuer and c != cert and _issued_by(cert, c)), None)
        if issuer is None:
            problems.append(f"TSA certificate chain does not lead to a root in {ca_pem.name} "
                            f"(stops at {cert.issuer.rfc4514_string()})")
            return problems
        cert = issuer
    problems.append("TSA certificate chain too long")
    return problems


def _issued_by(cert: cx509.Certificate, issuer: cx509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False

