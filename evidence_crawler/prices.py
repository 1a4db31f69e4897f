"""Price text → (amount as a decimal string, ISO 4217 currency). The raw text is always kept too.

price-parser finds the number and the currency token; this maps tokens to ISO codes. A bare ``$`` is
taken as USD only when the profile gives no currency (a profile for a CAD shop says ``currency: CAD``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from price_parser import Price

SYMBOLS = {
    "$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB", "руб": "RUB", "руб.": "RUB",
    "р.": "RUB", "р": "RUB", "rub": "RUB", "₴": "UAH", "грн": "UAH", "грн.": "UAH", "zł": "PLN",
    "kč": "CZK", "₹": "INR", "₩": "KRW", "₺": "TRY", "r$": "BRL", "c$": "CAD", "a$": "AUD", "chf": "CHF",
    "kr": "SEK", "元": "CNY",
}
DOLLAR_LIKE = {"$"}


def to_iso_currency(token: str | None, default: str | None) -> str | None:
    if not token:
        return default
    t = token.strip().lower()
    if re.fullmatch(r"[a-z]{3}", t):
        return t.upper()
    if t in DOLLAR_LIKE and default:
        return default
    return SYMBOLS.get(t, default)


def parse_price(text: str | None, default_currency: str | None = None) -> tuple[str | None, str | None]:
    if not text:
        return None, default_currency
    price = Price.fromstring(text)
    # format(..., "f") keeps the digits as printed ("45,60" -> "45.60") and never uses exponent form
    amount = format(Decimal(price.amount), "f") if price.amount is not None else None
    return amount, to_iso_currency(price.currency, default_currency)
