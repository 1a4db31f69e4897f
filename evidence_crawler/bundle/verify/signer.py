"""Who signed the bundle, and whether that is a key the reader trusts (pinning).

A valid signature only proves the bundle is intact as its signer left it: anyone can rebuild every hash
and sign with a key of their own. What ties a bundle to the operator is the fingerprint, compared with
one obtained apart from the bundle: ``verify --expect-key sha256:<hex>`` (repeatable) or the file named
by ``EVIDENCE_TRUSTED_KEYS`` (one fingerprint per line, ``#`` comments). Both may be given; any of
their keys is accepted.

What pinning covers: the export signature (evidence/manifest.sig and the WACZ signature in
datapackage-digest.json, which must be the same key) and the seal-time signature of every capture in the
bundle (``capture_signed``): the same operator key signs both, so a capture sealed by a key that is not
pinned is a failure too (pin every operator key that seals captures, e.g. each worker's). A capture sealed
without a signature is a warning when pinned: only the export signature ties it to a pinned key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import DIGEST
from evidence_crawler.bundle.safezip import UnusableBundle
from evidence_crawler.bundle.sign import fingerprint
from evidence_crawler.bundle.verify.context import Bundle

TRUSTED_KEYS_ENV = "EVIDENCE_TRUSTED_KEYS"
MAX_TRUSTED_KEYS_FILE = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def parse_fingerprint(text: str, where: str) -> str:
    """``sha256:<64 hex>`` (the prefix and case are optional, colons between bytes are allowed)."""
    hex_part = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if not _HEX64.match(hex_part):
        raise UnusableBundle(f"{where}: {text.strip()[:80]!r} is not a key fingerprint (sha256:<64 hex digits>, "
                             "as `verify` and the report print it)")
    return f"sha256:{hex_part}"


def pins_for(expect_key: list[str], environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The pinned fingerprints (``--expect-key`` and the ``EVIDENCE_TRUSTED_KEYS`` file named in ``environ``)
    and where they came from; the CLI and the workbench pin alike."""
    keys, sources = list(expect_key), ["--expect-key"] if expect_key else []
    trusted = environ.get(TRUSTED_KEYS_ENV, "").strip()
    if trusted:
        keys += read_trusted_keys(Path(trusted))
        sources.append(f"{TRUSTED_KEYS_ENV}={trusted}")
    return keys, " and ".join(sources)


def read_trusted_keys(path: Path) -> list[str]:
    """The fingerprints of an ``EVIDENCE_TRUSTED_KEYS`` file; UnusableBundle (exit 2) when it is missing,
    unreadable, too large, empty or holds a line that is not a fingerprint."""
    where = f"{TRUSTED_KEYS_ENV}={path}"
    try:
        if Path(path).stat().st_size > MAX_TRUSTED_KEYS_FILE:
            raise UnusableBundle(f"{where}: larger than {MAX_TRUSTED_KEYS_FILE} bytes: not a list of fingerprints")
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UnusableBundle(f"{where}: cannot read the trusted keys file ({why})") from None
    keys = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(parse_fingerprint(line, f"{where} line {lineno}"))
    if not keys:
        raise UnusableBundle(f"{where}: no fingerprint in the file (one sha256:<hex> per line, # comments)")
    return keys


def check_manifest_signature(b: Bundle) -> str | None:
    """evidence/manifest.sig over evidence/manifest.json with evidence/public-key.pem; the key's fingerprint."""
    mbytes = b.doc(ev.MANIFEST) or b""
    pem, sig = b.doc(ev.PUBLIC_KEY), b.doc(ev.SIGNATURE)
    key_fp = None
    try:
        public = serialization.load_pem_public_key(pem or b"")
        key_fp = fingerprint(public.public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo))
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError("not an EC key")
        public.verify(sig or b"", mbytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        b.problem(f"{ev.SIGNATURE}: the signature of {ev.MANIFEST} does not verify with {ev.PUBLIC_KEY}")
    except (ValueError, TypeError) as exc:
        b.problem(f"{ev.PUBLIC_KEY}/{ev.SIGNATURE}: unusable ({exc})")
    declared = ((b.manifest_raw or {}).get("signing_key") or {}).get("fingerprint")
    if key_fp and declared != key_fp:
        b.problem(f"{ev.PUBLIC_KEY}: fingerprint {key_fp} is not the one in {ev.MANIFEST}")
    pkg_fp = (b.report.info.get("signature") or {}).get("public_key_fingerprint")
    if key_fp and pkg_fp and pkg_fp != key_fp:
        b.problem(f"{DIGEST}: signed with a different key than {ev.SIGNATURE}")
    return key_fp


def _expected(pins: frozenset[str]) -> str:
    return " or ".join(sorted(pins))


def check_pinning(b: Bundle) -> None:
    """The export signer and every capture's seal-time signer against the pinned keys (none: unpinned)."""
    pins, info = b.options.expect_keys, b.report.info
    signer = info.get("key_fingerprint") or (info.get("signature") or {}).get("public_key_fingerprint")
    info["expected_keys"] = sorted(pins)
    info["signer_pin_source"] = b.options.pin_source or None
    if not pins:
        info["signer_pinned"] = False
        return
    matched = signer is not None and signer in pins
    if not matched:
        b.problem(f"signer {signer or '(unknown)'} is not the expected key {_expected(pins)} "
                  f"({b.options.pin_source}): this bundle was signed by someone else")
    for cid, anchor in (info.get("seal_anchors") or {}).items():
        signed_by = anchor.get("signed_by") or []
        if not signed_by:
            b.report.warnings.append(f"capture {cid} was sealed without a signature: only the export signature "
                                     "ties it to a pinned key")
        for fp in signed_by:
            if fp not in pins:
                matched = False
                b.problem(f"capture {cid}: sealed by {fp}, not the expected key {_expected(pins)} "
                          f"({b.options.pin_source})")
    info["signer_pinned"] = matched


def unpinned_notice(report: dict, bundle: str) -> str | None:
    """The first line of verify's output when no key is pinned: what it means and the exact way to pin."""
    if report.get("signer_pinned") or report.get("expected_keys"):
        return None
    fp = report.get("key_fingerprint") or (report.get("signature") or {}).get("public_key_fingerprint")
    if not fp:
        return ("UNPINNED: the signer's key could not be read, so nothing ties this bundle to an operator; pin "
                f"the operator's key with --expect-key sha256:<hex> or {TRUSTED_KEYS_ENV}=FILE")
    return (f"UNPINNED signer {fp}: verify proves the bundle is intact as this key signed it, not whose key it "
            f"is. Compare it with the operator's fingerprint obtained apart from the bundle, then pin it: "
            f"evidence-crawler verify {bundle} --expect-key {fp} (or list it in a file named by "
            f"{TRUSTED_KEYS_ENV})")
