"""Extraction on small HTML strings: profile fields, offer rows, and the schema.org fallback."""

from __future__ import annotations

import json

from parsel import Selector

from evidence_crawler.extract import extract_fields, extract_offers, first_text, normalise
from evidence_crawler.profile import OfferSpec
from evidence_crawler.schemaorg import schema_org_products

ALBUM = """<html><body>
<h1 class="t">  Кино —
   Группа крови </h1>
<span itemprop="sku">AOM-1988</span>
<a class="cover" href="/img/1.jpg">cover</a>
<table class="buy">
  <tr><th>Формат</th><th>Цена</th></tr>
  <tr data-format="mp3-192"><td class="fmt">MP3 192</td><td class="price"> <b></b> 12,50 руб.</td></tr>
  <tr data-format="flac"><td class="fmt">FLAC</td><td class="price">€3,00</td></tr>
  <tr><td class="fmt">spacer</td><td class="price">  </td></tr>
</table>
</body></html>"""


def test_whitespace_is_folded_and_trimmed():
    assert normalise("  a \n\t b  ") == "a b"


def test_fields_take_the_first_non_blank_match_for_css_xpath_text_and_attr():
    page = Selector(text=ALBUM)
    fields = extract_fields(page, {"title": "h1.t::text", "sku": "xpath://span[@itemprop='sku']/text()",
                                   "cover": "a.cover::attr(href)", "element": "h1.t", "missing": "h2::text"})
    assert fields == {"title": "Кино — Группа крови", "sku": "AOM-1988", "cover": "/img/1.jpg",
                      "element": "Кино — Группа крови", "missing": None}


def test_first_text_skips_a_whitespace_node_before_the_price():
    row = Selector(text=ALBUM).css("tr[data-format=mp3-192]")[0]
    assert first_text(row, "td.price::text") == "12,50 руб."


def test_offer_rows_without_a_price_are_skipped_and_prices_are_parsed():
    spec = OfferSpec(selector="table.buy tr", fields={"format": "::attr(data-format)", "price": "td.price"},
                     currency="RUB")
    offers = extract_offers(Selector(text=ALBUM), spec)
    assert offers == [
        {"format": "mp3-192", "price": "12,50 руб.", "amount": "12.50", "currency": "RUB"},
        {"format": "flac", "price": "€3,00", "amount": "3.00", "currency": "EUR"},  # named, not the default
    ]


def test_an_offer_spec_without_a_price_field_keeps_every_row_without_an_amount():
    spec = OfferSpec(selector="table.buy tr[data-format]", fields={"format": "td.fmt::text"})
    offers = extract_offers(Selector(text=ALBUM), spec)
    assert [o["format"] for o in offers] == ["MP3 192", "FLAC"]
    assert all(o["amount"] is None and o["currency"] is None for o in offers)


def _jsonld(obj) -> str:
    return f'<html><head><script type="application/ld+json">{json.dumps(obj)}</script></head><body></body></html>'


def test_schema_org_json_ld_product_with_offers():
    html = _jsonld({"@context": "https://schema.org", "@type": "MusicAlbum", "name": "Blood Type",
                    "byArtist": {"@type": "MusicGroup", "name": "Kino"}, "sku": "K-1",
                    "offers": [{"@type": "Offer", "name": "FLAC", "price": "3.00", "priceCurrency": "EUR"},
                               {"@type": "Offer", "sku": "mp3", "price": 1.5, "priceCurrency": "EUR"},
                               {"@type": "Offer", "name": "sold out"}]})
    assert schema_org_products(html, "http://shop.example/a/1") == [{
        "fields": {"title": "Blood Type", "artist": "Kino", "sku": "K-1"},
        "offers": [{"format": "FLAC", "price": "3.00", "amount": "3.00", "currency": "EUR"},
                   {"format": "mp3", "price": "1.5", "amount": "1.5", "currency": "EUR"}],
    }]


def test_schema_org_aggregate_offer_uses_its_low_price_and_nested_products_are_found():
    html = _jsonld({"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "item": {"@type": "Book", "name": "A Light in the Attic", "author": "Shel Silverstein",
                                       "offers": {"@type": "AggregateOffer", "lowPrice": "51.77",
                                                  "priceCurrency": "GBP"}}}]})
    (product,) = schema_org_products(html, "http://shop.example/")
    assert product["fields"] == {"title": "A Light in the Attic", "artist": "Shel Silverstein"}
    assert product["offers"] == [{"format": None, "price": "51.77", "amount": "51.77", "currency": "GBP"}]


def test_schema_org_microdata_product():
    html = """<html><body><div itemscope itemtype="https://schema.org/Product">
      <h1 itemprop="name">Demo Album</h1><span itemprop="brand">Demo Label</span>
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <span itemprop="price" content="9.99">9,99 €</span><meta itemprop="priceCurrency" content="EUR"></div>
    </div></body></html>"""
    (product,) = schema_org_products(html, "http://shop.example/p")
    assert product["fields"] == {"title": "Demo Album", "artist": "Demo Label"}
    assert [(o["amount"], o["currency"]) for o in product["offers"]] == [("9.99", "EUR")]


def test_schema_org_ignores_non_products_and_survives_broken_json():
    assert schema_org_products(_jsonld({"@type": "Organization", "name": "Shop"}), "http://s.example/") == []
    broken = '<script type="application/ld+json">{"@type": "Product", "name": </script>'
    assert schema_org_products(f"<html><head>{broken}</head></html>", "http://s.example/") == []
