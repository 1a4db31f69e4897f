"""The demo shops serve what their catalogue says, in the shapes the crawler tests rely on.

These tests need no crawler: they fetch pages with urllib, extract with parsel using the selectors
of the shipped profiles, and compare with ``expected_items``. If they pass, a crawl that disagrees
with ``expected_items`` is the crawler's fault, not the demo's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from parsel import Selector

from evidence_crawler.demo import DemoCatalog, DemoSite, expected_items

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "evidence_crawler" / "profiles"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - urllib signature
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) without following redirects and without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def page(site: DemoSite, path: str) -> Selector:
    status, headers, body = fetch(urljoin(site.base_url, path))
    assert status == 200, path
    charset = headers.get_content_charset()
    return Selector(text=body.decode(charset))


def profile(name: str) -> dict:
    return yaml.safe_load((PROFILES / f"{name}.yaml").read_text("utf-8"))


def first(sel: Selector, expr: str) -> str | None:
    """The profile contract: first match, whitespace-normalised."""
    found = sel.xpath(expr[6:]) if expr.startswith("xpath:") else sel.css(expr)
    values = found.getall()
    return " ".join(values[0].split()) if values else None


def extract(sel: Selector, prof: dict) -> tuple[dict, list[dict]]:
    fields = {name: first(sel, expr) for name, expr in prof["fields"].items()}
    offers = []
    for row in sel.css(prof["offers"]["selector"]):
        offer = {name: first(row, expr) for name, expr in prof["offers"]["fields"].items()}
        if offer.get("price"):
            offers.append(offer)
    return fields, offers


def p2p_hrefs(sel: Selector) -> list[str]:
    return [h for h in sel.css("a::attr(href)").getall() if h.startswith(("ed2k://", "magnet:"))]


def parse_price(text: str) -> tuple[Decimal, str]:
    """Independent of the catalogue's own formatter: '$1.87', '€2.49', '45,60 руб.'."""
    if text.startswith("$"):
        return Decimal(text[1:]), "USD"
    if text.startswith("€"):
        return Decimal(text[1:]), "EUR"
    m = re.fullmatch(r"(\d+),(\d\d) руб\.", text)
    assert m, text
    return Decimal(f"{m[1]}.{m[2]}"), "RUB"


@pytest.fixture(scope="module")
def aom():
    with DemoSite("allofmp3") as site:
        yield site


@pytest.fixture(scope="module")
def sugar():
    with DemoSite("mp3sugar") as site:
        yield site


# ---- server basics -----------------------------------------------------------------------------


def test_binds_loopback_on_a_free_port(aom):
    parts = urlsplit(aom.base_url)
    assert parts.hostname == "127.0.0.1" and parts.port and parts.port not in (0, 8601)
    assert aom.base_url.endswith("/")


def test_unknown_shop_is_rejected():
    with pytest.raises(ValueError, match="unknown demo shop"):
        DemoSite("napster")


def test_head_has_length_but_no_body(aom):
    status, headers, body = fetch(aom.base_url + "release/1", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_serve_forever_runs_in_the_foreground():
    code = "from evidence_crawler.demo import serve_forever; serve_forever('mp3sugar', '127.0.0.1', 0)"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        status, _, body = fetch(url[0] + "robots.txt")
        assert status == 200 and b"Disallow: /basket/" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- allofmp3 ----------------------------------------------------------------------------------


def test_allofmp3_is_windows_1251(aom):
    status, headers, body = fetch(aom.base_url + "artist/1")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=windows-1251"
    assert b'<meta charset="windows-1251">' in body
    assert "Кино".encode("cp1251") in body and "Кино".encode() not in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    quirky = fetch(aom.base_url + "release/4")[2]  # old-style http-equiv meta on the sloppy pages
    assert b'content="text/html; charset=windows-1251"' in quirky


def test_allofmp3_pagination_ends_and_lists_every_album(aom):
    url, seen, pages = aom.base_url + "catalogue/", [], 0
    while url:
        sel = page(aom, url)
        pages += 1
        seen += [int(h.rsplit("/", 1)[1]) for h in sel.css("td.album a::attr(href)").getall()]
        nxt = sel.css("a.next::attr(href)").get()
        url = urljoin(url, nxt) if nxt else None
        assert pages < 10
    assert pages == 4
    assert seen == [int(i["url_path"].rsplit("/", 1)[1]) for i in expected_items("allofmp3")]
    assert fetch(aom.base_url + "catalogue/?page=5")[0] == 404


def test_allofmp3_calendar_is_an_endless_trap_linked_from_every_page(aom):
    for path in ("", "catalogue/", "genre/russian-rock/", "artist/5", "release/12", "login"):
        assert "/news/calendar?month=2026-11" in page(aom, path).css("a::attr(href)").getall(), path
    url, months = aom.base_url + "news/calendar?month=2026-11", set()
    for _ in range(150):
        sel = page(aom, url)
        href = sel.css("a.next::attr(href)").get()
        months.add(href)
        url = urljoin(url, href)
    assert len(months) == 150 and "month=2039-05" in url
    assert page(aom, "news/calendar?month=2026-11").css("a.prev::attr(href)").get().endswith("month=2026-10")


def test_allofmp3_robots_txt(aom):
    status, headers, body = fetch(aom.base_url + "robots.txt")
    assert status == 200 and headers.get_content_type() == "text/plain"
    lines = body.decode().splitlines()
    assert "User-agent: *" in lines and "Disallow: /cart" in lines and "Disallow: /login" in lines
    assert not any(line.startswith("Disallow: /release") for line in lines)


def test_allofmp3_cart_requires_login(aom):
    status, headers, _ = fetch(aom.base_url + "cart")
    assert status == 302 and headers["Location"].startswith("/login")
    status, _, _ = fetch(aom.base_url + "login", data=b"login=demo&password=wrong")
    assert status == 403
    status, headers, _ = fetch(aom.base_url + "login", data=b"login=demo&password=demo&next=%2Fcart")
    assert status == 303 and headers["Location"] == "/cart"
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, _, body = fetch(aom.base_url + "cart", headers={"Cookie": cookie})
    assert status == 200 and "Корзина пуста".encode("cp1251") in body
    status, headers, _ = fetch(
        aom.base_url + "cart/add?release=12&format=mp3-320", headers={"Cookie": cookie}
    )
    assert status == 302
    cart = headers["Set-Cookie"].split(";", 1)[0]
    body = fetch(aom.base_url + "cart", headers={"Cookie": f"{cookie}; {cart}"})[2]
    assert expected_items("allofmp3")[11]["offers"][2]["price"].encode("cp1251") in body


def test_allofmp3_pages_match_expected_items(aom):
    prof = profile("allofmp3-demo")
    expected = expected_items("allofmp3")
    assert len(expected) == 40 and len({i["fields"]["artist"] for i in expected}) == 12
    for item in expected:
        assert re.search(prof["item_pages"], aom.base_url.rstrip("/") + item["url_path"])
        sel = page(aom, item["url_path"])
        fields, offers = extract(sel, prof)
        assert fields == item["fields"], item["url_path"]
        assert offers == [{"format": o["format"], "price": o["price"]} for o in item["offers"]]
        assert [parse_price(o["price"]) for o in item["offers"]] == [
            (Decimal(o["amount"]), o["currency"]) for o in item["offers"]
        ]
        assert p2p_hrefs(sel) == [p["link"] for p in item["p2p"]]


def test_allofmp3_prices_follow_from_the_track_lengths_on_the_page(aom):
    """Pay-per-MB: size_MB = seconds*kbps*1000/8/1048576, price = size_MB * rate, rounded to cents."""
    for item in expected_items("allofmp3"):
        sel = page(aom, item["url_path"])
        seconds = sum(
            int(m) * 60 + int(s)
            for m, s in (d.split(":") for d in sel.css("table.tracks td.dur::text").getall())
        )
        for offer in item["offers"]:
            kbps = int(offer["format"].removeprefix("mp3-"))
            rate = Decimal("0.55") if offer["currency"] == "RUB" else Decimal("0.02")
            exact = Fraction(seconds * kbps * 1000, 8 * 1048576) * Fraction(rate)
            cents = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            assert Decimal(offer["amount"]) == cents, (item["url_path"], offer)


def test_allofmp3_has_the_awkward_variants(aom):
    expected = expected_items("allofmp3")
    currencies = {o["currency"] for i in expected for o in i["offers"]}
    assert currencies == {"USD", "RUB"}
    assert any(re.fullmatch(r"\d+,\d\d руб\.", o["price"]) for i in expected for o in i["offers"])
    assert {i["fields"]["artist"] for i in expected} >= {"Кино", "Земфира", "Аквариум", "ДДТ", "Radiohead"}
    schemes = [p["scheme"] for i in expected for p in i["p2p"]]
    assert schemes.count("ed2k") >= 3 and schemes.count("magnet") >= 3
    for p in (p for i in expected for p in i["p2p"]):
        if p["scheme"] == "ed2k":
            assert re.fullmatch(r"ed2k://\|file\|[^|]+\|\d+\|[0-9A-F]{32}\|/", p["link"])
        else:
            assert re.fullmatch(r"magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=[^&]+&xl=\d+", p["link"])
    raw = fetch(aom.base_url + "release/4")[2]
    assert b"<TD CLASS=price>" in raw and b"</TD>" not in raw and b"</TR>" not in raw


def test_allofmp3_genre_and_artist_pages(aom):
    expected = expected_items("allofmp3")
    sel = page(aom, "genre/russian-rock/")
    listed = {h for h in sel.css("td.album a::attr(href)").getall()}
    assert listed == {i["url_path"] for i in expected if i["fields"]["genre"] == "Русский рок"}
    sel = page(aom, "artist/1")
    assert sel.css("h1::text").get() == "Кино" and len(sel.css("ul.discography li")) == 6
    assert fetch(aom.base_url + "artist/99")[0] == 404


def test_allofmp3_catalogue_changes_are_served_at_once():
    catalog = DemoCatalog("allofmp3")
    with DemoSite("allofmp3", catalog=catalog) as site:
        before = catalog.expected_items()
        catalog.set_price_factor(5, "1.5")
        catalog.remove_album(6)
        new_id = catalog.add_album("Кино", "Последний герой", 1989)
        after = catalog.expected_items()
        by_path = {i["url_path"]: i for i in after}

        old5 = next(i for i in before if i["url_path"] == "/release/5")
        assert [Decimal(o["amount"]) for o in by_path["/release/5"]["offers"]] != [
            Decimal(o["amount"]) for o in old5["offers"]
        ]
        _, offers = extract(page(site, "/release/5"), profile("allofmp3-demo"))
        assert [o["price"] for o in offers] == [o["price"] for o in by_path["/release/5"]["offers"]]

        assert "/release/6" not in by_path and fetch(site.base_url + "release/6")[0] == 404
        assert "/release/6" not in page(site, "catalogue/").css("td.album a::attr(href)").getall()

        assert new_id == 41 and f"/release/{new_id}" in by_path
        fields, _ = extract(page(site, f"release/{new_id}"), profile("allofmp3-demo"))
        assert fields == by_path[f"/release/{new_id}"]["fields"]
        assert fields["title"] == "Последний герой" and fields["artist"] == "Кино"
    assert expected_items("allofmp3") == before  # the module-level ground truth is a fresh catalogue


# ---- mp3sugar ----------------------------------------------------------------------------------


def test_mp3sugar_is_utf8_and_robots(sugar):
    status, headers, body = fetch(sugar.base_url + "artists/bjork.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Björk".encode() in body and b'<meta charset="utf-8">' in body
    body = fetch(sugar.base_url + "robots.txt")[2].decode()
    assert "Disallow: /basket/" in body.splitlines()


def test_mp3sugar_browse_pages_reach_every_album(sugar):
    home = page(sugar, "")
    letters = home.css("div.az a::attr(href)").getall()
    assert len(letters) == 27
    found = set()
    for href in letters:
        sel = page(sugar, href)
        found |= set(sel.css("table.list a.album::attr(href)").getall())
        assert all(a for a in sel.css("table.list a.artist::text").getall())
    assert found == {i["url_path"] for i in expected_items("mp3sugar")}
    assert page(sugar, "browse/W").css("a.artist::text").get() == "The White Stripes"
    assert page(sugar, "browse/X").css("p.empty")


def test_mp3sugar_pages_match_expected_items(sugar):
    prof = profile("mp3sugar-demo")
    expected = expected_items("mp3sugar")
    assert len(expected) == 28
    for item in expected:
        assert re.search(prof["item_pages"], sugar.base_url.rstrip("/") + item["url_path"])
        sel = page(sugar, item["url_path"])
        fields, offers = extract(sel, prof)
        assert p2p_hrefs(sel) == [p["link"] for p in item["p2p"]]
        if item["source"] == "json-ld":
            assert fields == {"title": None, "artist": None, "year": None} and offers == []
            continue
        assert fields == item["fields"], item["url_path"]
        assert offers == [{"format": o["format"], "price": o["price"]} for o in item["offers"]]
        assert [parse_price(o["price"]) for o in item["offers"]] == [
            (Decimal(o["amount"]), o["currency"]) for o in item["offers"]
        ]
        assert sel.css('li.fmt[data-kbps="flac"]') and not sel.css('li.fmt[data-kbps="flac"] span.cost')


def test_mp3sugar_jsonld_only_pages(sugar):
    jsonld_items = [i for i in expected_items("mp3sugar") if i["source"] == "json-ld"]
    assert len(jsonld_items) >= 1
    for item in jsonld_items:
        sel = page(sugar, item["url_path"])
        data = json.loads(sel.css('script[type="application/ld+json"]::text').get())
        assert data["@type"] == "Product"
        assert data["name"] == item["fields"]["title"] and data["brand"]["name"] == item["fields"]["artist"]
        assert [(o["price"], o["priceCurrency"]) for o in data["offers"]] == [
            (o["price"], o["currency"]) for o in item["offers"]
        ]
        assert all(o["price"] == o["amount"] for o in item["offers"])
        assert not sel.css(".cost, .release-title")


def test_mp3sugar_escapes_and_quirks(sugar):
    sel = page(sugar, "albums/coldplay-x-y.html")
    assert sel.css("h2.release-title::text").get() == "X&Y"
    assert b"X&amp;Y" in fetch(sugar.base_url + "albums/coldplay-x-y.html")[2]
    assert page(sugar, "artists/simon-garfunkel.html").css("h1::text").get() == "Simon & Garfunkel"
    quirky = [
        i for i in expected_items("mp3sugar") if i["url_path"] == "/albums/sigur-ros-agaetis-byrjun.html"
    ]
    raw = fetch(sugar.base_url + quirky[0]["url_path"].lstrip("/"))[2]
    assert b'<li class="fmt"' in raw and b"</li>" not in raw.split(b'<ul class="formats">')[1]


def test_mp3sugar_mutations():
    catalog = DemoCatalog("mp3sugar")
    with DemoSite("mp3sugar", catalog=catalog) as site:
        catalog.set_price_factor(1, Decimal("2"))
        album = catalog.album(1)
        prices = [o.price for o in catalog.offers(album)]
        _, offers = extract(page(site, catalog.url_path(album)), profile("mp3sugar-demo"))
        assert [o["price"] for o in offers] == prices
        new_id = catalog.add_album("Röyksopp", "Melody A.M.", 2001, genre="electronic")
        path = catalog.url_path(catalog.album(new_id))
        assert path == "/albums/royksopp-melody-a-m.html"
        assert path in page(site, "browse/R").css("a.album::attr(href)").getall()
        catalog.remove_album(new_id)
        assert fetch(site.base_url + path.lstrip("/"))[0] == 404
        assert catalog.add_album("Moby", "Hotel", 2005) == new_id + 1  # ids are never reused
