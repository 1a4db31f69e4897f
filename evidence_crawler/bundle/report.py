"""The human-readable report (``evidence/report.html``), English or French, from the bundle's data.

Jinja2 with autoescaping on: titles, URLs, prices and every other page-derived string are data and
render as text, never as markup. A Content-Security-Policy without ``script-src`` backs that up: even
if something slipped through, the browser that opens (or prints) the report would run no script.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from evidence_crawler.bundle.strings import strings

_env = Environment(loader=PackageLoader("evidence_crawler.bundle", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def offer_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per offer of each product item (duplicates skipped): item, format, price, amount, currency."""
    rows = []
    for item in items:
        if item.get("kind", "product") != "product" or item.get("duplicate_of"):
            continue
        fields = item.get("fields") or {}
        title = fields.get("title") or fields.get("name") or item.get("key") or item["url"]
        for offer in item.get("offers") or []:
            rows.append({"title": title, "url": item["url"], "format": offer.get("format", ""),
                         "price": offer.get("price", ""), "amount": offer.get("amount") or "",
                         "currency": offer.get("currency") or ""})
    return rows


def p2p_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": i["fields"].get("name") or i["key"], "size": i["fields"].get("size") or "",
             "hash": f"{i['fields'].get('hash_type', '')}:{i['fields'].get('hash', '')}", "url": i["url"]}
            for i in items if i.get("kind") == "p2p" and not i.get("duplicate_of")]


def render_report(lang: str, context: dict[str, Any]) -> bytes:
    """``context``: case, created, exporter, software, captures (with pages, environment), items,
    tokens, tsa_failures, timestamped, fingerprint, manifest_sha256, custody, items_only."""
    items = context.pop("items")
    html = _env.get_template("report.html.j2").render(lang=lang, t=strings(lang), offers=offer_rows(items),
                                                      p2p=p2p_rows(items), **context)
    return html.encode()
