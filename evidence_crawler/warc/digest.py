"""The text form of a WARC digest, ``sha256:<base32>``, written and read here only.

WARC-Block-Digest and WARC-Payload-Digest carry base32 (the form warcio, pywb and ``warcio check``
write and expect), while the manifests and pages.jsonl carry hex: this converts between them.
"""

from __future__ import annotations

import base64


def warc_digest(sha256_hex: str) -> str:
    """``sha256:<base32>`` of a hex sha256."""
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode()


def sha256_of(text: str | None) -> str | None:
    """The hex sha256 in ``sha256:<base32>`` (or ``sha256:<hex>``); None for another algorithm or an
    unreadable value."""
    if not text or not text.lower().startswith("sha256:"):
        return None
    value = text.split(":", 1)[1]
    if len(value) == 64:
        return value.lower()
    try:
        raw = base64.b32decode(value.upper())
    except ValueError:  # binascii.Error included
        return None
    return raw.hex() if len(raw) == 32 else None
