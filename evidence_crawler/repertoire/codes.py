"""Recording and product codes (ISRC, UPC/EAN) checked and brought to one form, so equal codes compare equal.

python-stdnum does the checking (ISRC structure and country, GTIN check digit). UPC-A (12 digits) is the
EAN-13 with a leading zero, so both are kept as GTIN-13: a catalogue's UPC then equals a shop's EAN.
"""

from __future__ import annotations

from stdnum import ean, isrc
from stdnum.exceptions import ValidationError


class CodeError(ValueError):
    """A code that fails its check; the message says which code and why, for a ``FILE:row:`` line."""


def normalise_isrc(text: str) -> str:
    try:
        return isrc.validate(text)
    except ValidationError as exc:
        raise CodeError(f"ISRC {text!r} is invalid: {exc}") from None


def normalise_gtin(text: str, label: str = "UPC/EAN") -> str:
    """GTIN-8 and GTIN-13 as they are; UPC-A and GTIN-14 with a leading zero brought to GTIN-13."""
    try:
        digits = ean.validate(text)
    except ValidationError as exc:
        raise CodeError(f"{label} {text!r} is invalid: {exc}") from None
    if len(digits) == 12:
        return "0" + digits
    if len(digits) == 14 and digits.startswith("0"):
        return digits[1:]
    return digits


def item_isrc(text: object) -> str | None:
    """A shop's ISRC, or None when it does not check out (shop data is evidence, never an error here)."""
    try:
        return normalise_isrc(str(text)) if text else None
    except CodeError:
        return None


def item_gtin(text: object) -> str | None:
    try:
        return normalise_gtin(str(text)) if text else None
    except CodeError:
        return None
