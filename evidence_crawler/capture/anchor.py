"""Seal-time anchoring: an RFC 3161 token over the sealed manifest's sha256, and the operator's signature.

Without an anchor, anyone who can write to the store can change a sealed capture, rebuild its objects,
manifest and custody chain, and every check passes. A TSA's token dates the manifest's hash from outside
the store: a capture rebuilt later cannot carry a token dated at its seal. The signature says which
operator key sealed it. Both cover the manifest, so they cannot be inside it: they are kept beside it in
``captures/<id>/seal/`` (read-only, content-addressed like every object) and named by the custody events
``capture_timestamped`` / ``capture_signed``; a TSA that fails is recorded as ``seal_timestamp_failed``.

``EVIDENCE_SEAL_TIMESTAMP``: ``best-effort`` (default) asks every configured TSA and seals anyway;
``required`` makes a capture with no token an error of the crawl (it stays sealed: the ledger already says
so; state.json and the crawl's exit code say the token is missing); ``off`` never asks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler.bundle.sign import SigningKeyError, load_key
from evidence_crawler.bundle.timestamp import TimestampError, inspect_token, request_token
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import atomic_write
from evidence_crawler.models import EventKind
from storage.local import LocalStore

MODES = ("required", "best-effort", "off")
SEAL_DIR = "seal"  # captures/<id>/seal/: the token(s) and signature over manifest.json
SIGNATURE_NAME, PUBLIC_KEY_NAME = "manifest.sig", "signer.pub.pem"


def token_name(n: int) -> str:
    return f"manifest.{n}.tsr"


@dataclass(frozen=True)
class SealAnchor:
    """How a capture is anchored at seal (from the ``EVIDENCE_*`` settings)."""

    mode: str = "off"
    tsa_urls: tuple[str, ...] = ()
    tsa_timeout_s: float = 30.0
    key_path: Path | None = None

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> SealAnchor:
        """From Scrapy-style settings (``EvidenceConfig.scrapy_settings()`` or a crawler's settings)."""
        key = get("EVIDENCE_KEY_PATH")
        return cls(mode=get("EVIDENCE_SEAL_TIMESTAMP") or "best-effort", tsa_urls=tuple(get("EVIDENCE_TSA_URLS") or ()),
                   tsa_timeout_s=float(get("EVIDENCE_TSA_TIMEOUT_S") or 30.0), key_path=Path(key) if key else None)


@dataclass
class AnchorResult:
    mode: str
    tokens: list[dict[str, Any]] = field(default_factory=list)  # name, sha256, tsa, gen_time
    signature: dict[str, Any] | None = None  # name, public_key, fingerprint
    problems: list[str] = field(default_factory=list)

    @property
    def required_missing(self) -> bool:
        return self.mode == "required" and not self.tokens

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "tokens": self.tokens, "signature": self.signature, "problems": self.problems,
                "required_missing": self.required_missing}


def _keep(store: LocalStore, capture_id: str, name: str, data: bytes) -> str:
    """Write ``seal/<name>`` (atomic, read-only) and store it as an object; its sha256."""
    path = store.capture_dir(capture_id) / SEAL_DIR / name
    path.parent.mkdir(exist_ok=True)
    atomic_write(path, data, read_only=True)
    return store.put_file(path).digests.sha256


def anchor_manifest(store: LocalStore, ledger: CustodyLedger, capture_id: str, manifest: bytes,
                    anchor: SealAnchor) -> AnchorResult:
    """Timestamp and sign a manifest just sealed; every outcome is in custody and in the result."""
    result = AnchorResult(anchor.mode)
    digest = hashlib.sha256(manifest).digest()
    if anchor.mode != "off" and not anchor.tsa_urls:
        result.problems.append("no time-stamping authority configured (EVIDENCE_TSA_URLS)")
    steps = [lambda url=url: _timestamp(store, ledger, capture_id, digest, url, anchor, result)
             for url in (anchor.tsa_urls if anchor.mode != "off" else ())]
    steps.append(lambda: _sign(store, ledger, capture_id, manifest, anchor.key_path, result))
    for step in steps:
        try:
            step()
        except OSError as exc:  # the capture is sealed already: a full disk here loses the anchor, not the seal
            result.problems.append(f"seal anchor not kept: {exc}")
    return result


def _timestamp(store: LocalStore, ledger: CustodyLedger, capture_id: str, digest: bytes, url: str,
               anchor: SealAnchor, result: AnchorResult) -> None:
    try:
        der = request_token(url, digest, anchor.tsa_timeout_s)
    except TimestampError as exc:
        result.problems.append(str(exc))
        ledger.append(EventKind.SEAL_TIMESTAMP_FAILED, capture_id, tsa=url, reason=str(exc),
                      required=anchor.mode == "required")
        return
    info = inspect_token(der, digest)
    name = token_name(len(result.tokens) + 1)
    sha = _keep(store, capture_id, name, der)
    entry = {"name": f"{SEAL_DIR}/{name}", "sha256": sha, "tsa": url, "tsa_name": info.tsa_name,
             "gen_time": info.gen_time}
    ledger.append(EventKind.CAPTURE_TIMESTAMPED, capture_id, manifest_sha256=digest.hex(), size=len(der), **entry)
    result.tokens.append(entry)


def _sign(store: LocalStore, ledger: CustodyLedger, capture_id: str, manifest: bytes, key_path: Path | None,
          result: AnchorResult) -> None:
    """Sign with the operator's key when one exists (a store without a key seals unsigned, and says so)."""
    if key_path is None or not key_path.exists():
        return
    try:
        key = load_key(key_path)
    except SigningKeyError as exc:
        result.problems.append(f"not signed: {exc}")
        return
    sig_sha = _keep(store, capture_id, SIGNATURE_NAME, key.sign_der(manifest))
    pub_sha = _keep(store, capture_id, PUBLIC_KEY_NAME, key.public_pem)
    result.signature = {"name": f"{SEAL_DIR}/{SIGNATURE_NAME}", "sha256": sig_sha,
                        "public_key": f"{SEAL_DIR}/{PUBLIC_KEY_NAME}", "public_key_sha256": pub_sha,
                        "fingerprint": key.fingerprint}
    ledger.append(EventKind.CAPTURE_SIGNED, capture_id, manifest_sha256=hashlib.sha256(manifest).hexdigest(),
                  algorithm="ECDSA P-256 SHA-256 (DER)", **result.signature)


def describe(anchor: dict[str, Any] | None) -> str | None:
    """One line for a crawl's human output: the seal-time token(s) and signature, or what is missing."""
    if not anchor:
        return None
    stamps = ", ".join(f"{t['gen_time']} ({t['tsa']})" for t in anchor["tokens"])
    line = f"seal-time timestamp: {stamps}" if stamps else "sealed without a seal-time timestamp"
    if anchor["signature"]:
        line += f"; signed by {anchor['signature']['fingerprint']}"
    return line + "".join(f"\n  {p}" for p in anchor["problems"])


def required_missing(summary: dict[str, Any]) -> str | None:
    """The error of a crawl whose capture was sealed without the token ``EVIDENCE_SEAL_TIMESTAMP=required``
    asks for (exit 1; the capture stays sealed, state.json says ``seal_anchor.required_missing``)."""
    anchor = summary.get("seal_anchor") or {}
    if not anchor.get("required_missing"):
        return None
    why = "; ".join(anchor["problems"]) or "no token"
    return (f"capture {summary['capture_id']} is sealed without a seal-time timestamp, which "
            f"EVIDENCE_SEAL_TIMESTAMP=required asks for: {why}")
