"""Fallback extraction from schema.org Product/Offer (JSON-LD and microdata) via extruct."""

from __future__ import annotations

from typing import Any

import extruct

from evidence_crawler.prices import parse_price

PRODUCT_TYPES = {"Product", "MusicAlbum", "MusicRecording", "Book", "IndividualProduct", "ProductModel"}


def _types(node: dict) -> set[str]:
    t = node.get("@type", [])
    return {x.rsplit("/", 1)[-1] for x in ([t] if isinstance(t, str) else t)}


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if value not in (None, "") else None


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _offers(raw: Any) -> list[dict[str, Any]]:
    out = []
    for offer in raw if isinstance(raw, list) else [raw]:
        if not isinstance(offer, dict):
            continue
        price = offer.get("price", offer.get("lowPrice"))
        if price in (None, ""):
            continue
        text = str(price)
        amount, currency = parse_price(text, offer.get("priceCurrency"))
        row = {"format": _name(offer.get("name")) or offer.get("sku"), "price": text,
               "amount": amount, "currency": offer.get("priceCurrency") or currency}
        out.append(row)
    return out


def schema_org_products(html: str, url: str) -> list[dict[str, Any]]:
    """``[{"fields": {...}, "offers": [...]}]`` for every product-like node on the page."""
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True)
    except Exception:  # noqa: BLE001 - broken embedded JSON is common; the page itself is still evidence
        return []
    products = []
    for node in _walk(data.get("json-ld", []) + data.get("microdata", [])):
        if not _types(node) & PRODUCT_TYPES:
            continue
        fields = {"title": _name(node.get("name")),
                  "artist": _name(node.get("byArtist") or node.get("brand") or node.get("author")),
                  "sku": _name(node.get("sku"))}
        products.append({"fields": {k: v for k, v in fields.items() if v is not None},
                         "offers": _offers(node.get("offers", []))})
    return products
