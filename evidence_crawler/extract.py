"""Profile-driven extraction: selectors → whitespace-normalised text; offer rows → parsed prices.

Selector forms (the profile author's vocabulary): CSS with ``::text`` / ``::attr(x)``, or ``xpath:...``.
A selector that picks elements yields their text content. "First match" means the first non-blank one,
because ``td.price::text`` often matches a whitespace node before the price.
"""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector, SelectorList

from evidence_crawler.prices import parse_price
from evidence_crawler.profile import XPATH_PREFIX, OfferSpec

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def select(node: Selector, expr: str) -> SelectorList:
    if expr.startswith(XPATH_PREFIX):
        return node.xpath(expr[len(XPATH_PREFIX):])
    return node.css(expr)


def _text_of(sel: Selector) -> str:
    if isinstance(sel.root, str):
        return sel.root
    return sel.xpath("string(.)").get() or ""


def first_text(node: Selector, expr: str) -> str | None:
    for sel in select(node, expr):
        text = normalise(_text_of(sel))
        if text:
            return text
    return None


def extract_fields(node: Selector, fields: dict[str, str]) -> dict[str, str | None]:
    return {name: first_text(node, expr) for name, expr in fields.items()}


def extract_offers(node: Selector, spec: OfferSpec) -> list[dict[str, Any]]:
    """One dict per row that has a price: the profile's fields (raw text) + ``amount`` + ``currency``."""
    offers = []
    for row in select(node, spec.selector):
        values = extract_fields(row, spec.fields)
        if "price" in spec.fields and not values.get("price"):
            continue  # header or spacer row
        amount, currency = parse_price(values.get("price"), spec.currency)
        offers.append({**values, "amount": amount, "currency": currency})
    return offers
