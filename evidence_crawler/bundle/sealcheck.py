"""Check a capture's seal-time anchor: RFC 3161 token(s) over the manifest's sha256, and the signature.

One checker for ``captures verify`` (files in the store) and bundle ``verify`` (members of the zip): the
caller names each file and gives a way to read it (``read`` returns None for a file that is not there).
A token must be intact, signed by its TSA, cover exactly this manifest and say the genTime custody
recorded; with ``ca_pem`` the TSA's certificate must chain to a root in it. The signature must be the
named public key's ECDSA P-256 signature of the manifest's bytes (``openssl dgst -sha256 -verify
signer.pub.pem -signature manifest.sig manifest.json`` checks the same).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence_crawler.bundle.sign import fingerprint
from evidence_crawler.bundle.timestamp import check_chain, inspect_token

Read = Callable[[str], bytes | None]
MAX_ANCHOR_FILE = 1 << 20  # a token, a signature or a public key: far smaller than this


def _read(read: Read, name: str, sha256: str, label: str, problems: list[str]) -> bytes | None:
    data = read(name)
    if data is None:
        problems.append(f"{label} {name}: missing")
    elif hashlib.sha256(data).hexdigest() != sha256:
        problems.append(f"{label} {name}: sha256 differs from its custody record (file changed)")
        return None
    return data


def check_tokens(manifest: bytes, tokens: list[dict[str, Any]], read: Read, ca_pem: Path | None = None
                 ) -> list[str]:
    problems: list[str] = []
    digest = hashlib.sha256(manifest).digest()
    for tok in tokens:
        der = _read(read, tok["name"], tok["sha256"], "seal-time token", problems)
        if der is None:
            continue
        label = f"seal-time token {tok['name']}"
        try:
            info = inspect_token(der, digest)
        except ValueError as exc:
            problems.append(f"{label}: unreadable ({exc})")
            continue
        problems += [f"{label}: {p}" for p in info.problems]
        if info.gen_time != tok.get("gen_time"):
            problems.append(f"{label}: genTime {info.gen_time} is not the {tok.get('gen_time')} custody recorded")
        if ca_pem is not None:
            problems += [f"{label}: {p}" for p in check_chain(der, ca_pem)]
    return problems


def check_signature(manifest: bytes, signature: dict[str, Any], read: Read) -> list[str]:
    problems: list[str] = []
    sig = _read(read, signature["name"], signature["sha256"], "seal signature", problems)
    pem = _read(read, signature["public_key"], signature["public_key_sha256"], "signer public key", problems)
    if sig is None or pem is None:
        return problems
    try:
        public = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        return [f"signer public key {signature['public_key']}: unreadable ({exc})"]
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return [f"signer public key {signature['public_key']}: not an ECDSA key"]
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if fingerprint(der) != signature.get("fingerprint"):
        problems.append(f"signer public key {signature['public_key']}: fingerprint {fingerprint(der)} is not "
                        f"the {signature.get('fingerprint')} custody recorded")
    try:
        public.verify(sig, manifest, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        problems.append(f"seal signature {signature['name']}: does not verify over manifest.json")
    return problems


def file_reader(folder: Path) -> Read:
    """Files under a capture folder, by the names custody gives them (never outside it, never huge)."""
    root = folder.resolve()

    def read(name: str) -> bytes | None:
        path = (folder / name).resolve()
        if root not in path.parents or not path.is_file() or path.stat().st_size > MAX_ANCHOR_FILE:
            return None
        return path.read_bytes()
    return read
