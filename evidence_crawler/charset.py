"""Decide how to decode a page's bytes, and say why, because servers lie about charsets.

Russian storefronts routinely send windows-1251 labelled as UTF-8 (and the reverse). Scrapy trusts the
HTTP header first, which turns Cyrillic into U+FFFD for the first case and into mojibake for the second.
The rule here: a BOM wins; bytes that are valid UTF-8 *and* contain multi-byte sequences are UTF-8
(random single-byte text almost never is); otherwise the first declaration (header, then ``<meta>``)
that decodes without error; otherwise charset-normalizer's best guess. The bytes kept as evidence are
never changed: this only affects the extracted text, and the choice is recorded with each item.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding


@dataclass(frozen=True)
class Decision:
    encoding: str
    reason: str

    def __str__(self) -> str:
        return f"{self.encoding} ({self.reason})"


def _norm(label: str | None) -> str | None:
    if not label:
        return None
    enc = resolve_encoding(label)
    return codecs.lookup(enc).name if enc else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def choose_encoding(body: bytes, header_charset: str | None) -> Decision:
    bom_enc, _ = read_bom(body)
    if bom_enc:
        return Decision(codecs.lookup(bom_enc).name, "byte order mark")
    header = _norm(header_charset)
    meta = _norm(html_body_declared_encoding(body[:4096]))
    declared = [(enc, src) for enc, src in ((header, "HTTP header"), (meta, "meta tag")) if enc]
    if body.isascii():
        enc, src = declared[0] if declared else ("utf-8", "default")
        return Decision(enc, f"ASCII only; {src}")
    if _decodes(body, "utf-8"):
        first = declared[0] if declared else None
        if first is None or first[0] == "utf-8":
            return Decision("utf-8", f"{first[1]}, confirmed by the bytes" if first else "valid UTF-8")
        return Decision("utf-8", f"{first[1]} says {first[0]} but the bytes are valid multi-byte UTF-8")
    for enc, src in declared:
        if enc != "utf-8" and _decodes(body, enc):
            return Decision(enc, src)
    guess = charset_normalizer.from_bytes(body).best()
    said = ", ".join(f"{src} says {enc}" for enc, src in declared) or "nothing declared"
    if guess is not None and guess.encoding:
        return Decision(codecs.lookup(guess.encoding).name, f"{said}, which does not fit the bytes; detected")
    return Decision("utf-8", f"{said}; undetectable, decoded with replacement characters")
