"""Analysis of captured pages: certificate authority, CDN headers, third-party hosts, payment methods."""

from __future__ import annotations

import time

from evidence_crawler.intermediaries.analysis.certificate import analyse_chain
from evidence_crawler.intermediaries.analysis.headers import header_hints
from evidence_crawler.intermediaries.analysis.pages import CapturedPage, PageLink, page_from_html
from evidence_crawler.intermediaries.analysis.payments import payment_findings
from evidence_crawler.intermediaries.analysis.thirdparty import third_party_hosts
from tests.intermediaries.certs import chain
from tests.intermediaries.shop_page import BTC, BTC_TYPO, ETH, payment_page
from tests.servers.rdap import DOMAIN


def test_certificate_names_its_authority_and_chain():
    leaf, ca = chain(DOMAIN)
    report = analyse_chain(f"https://{DOMAIN}/", (leaf, ca))
    assert report.authority == "Demo Trust CA Ltd"
    assert report.leaf.issuer_country == "BE"
    assert report.leaf.dns_names == (DOMAIN, f"www.{DOMAIN}")
    assert report.leaf.serial == "abcdef"
    assert [c.subject for c in report.chain] == ["CN=Demo Trust RSA CA 2026,O=Demo Trust CA Ltd,C=BE"]


def test_a_certificate_that_does_not_parse_is_reported_not_raised():
    report = analyse_chain("https://x.ru/", (b"\x30\x03\x02\x01\x00",))
    assert report.leaf is None and report.error.startswith("certificate does not parse")


def test_cdn_headers_name_a_provider_only_by_its_own_signature():
    hints = {(h.header, h.value): h.provider for h in header_hints(payment_page())}
    assert hints[("cf-ray", "8f1c2a3b4c5d6e7f-DME")] == "Cloudflare"
    assert hints[("server", "cloudflare")] == "Cloudflare"
    assert hints[("x-cache", "HIT")] is None  # a generic cache hit names nobody
    assert ("content-type", "text/html; charset=utf-8") not in hints
    more = CapturedPage(url="https://s.ru/", sha256="0" * 64, headers=(
        ("X-Amz-Cf-Id", "abc=="), ("Via", "1.1 abc.cloudfront.net (CloudFront)"), ("X-Served-By", "cache-fra-123"),
        ("Server", "ddos-guard")))
    assert {h.provider for h in header_hints(more)} == {"Amazon CloudFront", "Fastly", "DDoS-Guard"}


def test_third_party_hosts_come_from_loaded_resources_and_render_records():
    hosts = {h.host: h for h in third_party_hosts(payment_page())}
    assert set(hosts) == {"www.googletagmanager.com", "mc.yandex.ru", "googleads.g.doubleclick.net",
                          "counter.yadro.ru"}  # own domain, anchors and relative URLs left out
    assert (hosts["mc.yandex.ru"].name, hosts["mc.yandex.ru"].role, hosts["mc.yandex.ru"].via) == (
        "Yandex Metrica", "analytics", "script")
    assert hosts["googleads.g.doubleclick.net"].role == "advertising"
    assert (hosts["counter.yadro.ru"].name, hosts["counter.yadro.ru"].via) == ("LiveInternet", "render")
    assert all(h.page_sha256 == payment_page().sha256 for h in hosts.values())


def test_payment_methods_are_found_with_where_they_were_seen():
    found = payment_findings(payment_page())
    by = {(f.name, f.found_in) for f in found}
    assert {("Visa", "text"), ("Mastercard", "text"), ("Visa", "image"), ("Mastercard", "image"),
            ("PayPal", "link"), ("QIWI", "link"), ("WebMoney", "text"), ("YooMoney", "text"),
            ("Voucher", "text"), ("Bitcoin", "text"), ("Bitcoin", "link"), ("Ethereum", "text")} <= by
    visa_logo = next(f for f in found if (f.name, f.found_in) == ("Visa", "image"))
    assert visa_logo.url == f"https://www.{DOMAIN}/img/logos/visa.svg"
    assert "We accept Visa and MasterCard" in next(f.excerpt for f in found if (f.name, f.found_in) == ("Visa", "text"))
    details = {f.detail: f.check for f in found if f.detail}
    assert details[BTC] == "bitcoin checksum ok"
    assert BTC_TYPO not in details  # fails its checksum: not reported as an address
    assert details[ETH].startswith("format only")
    assert details["Z123456789012"].startswith("number format")
    assert details["410011234567890"].startswith("number format")


def test_wallet_numbers_need_the_wallet_named_on_the_page():
    page = CapturedPage(url="https://s.ru/", sha256="0" * 64, text="Order Z123456789012, ref 410011234567890")
    assert payment_findings(page) == ()


def test_a_huge_hostile_page_is_analysed_within_bounds():
    unit = "<p>visa 1111111111111111111111111111 0x</p><a href='/x'>y</a>"
    html = "<html><body>" + unit * 60_000 + "</body></html>"
    start = time.monotonic()
    page = page_from_html("https://s.ru/", "0" * 64, html)
    found = payment_findings(page)
    assert time.monotonic() - start < 30
    assert len(page.text) <= 2_000_000 and len(page.links) <= 20_000
    assert [f.name for f in found] == ["Visa"]


def test_logos_are_recognised_by_file_name_or_alt_text():
    page = CapturedPage(url="https://s.ru/", sha256="0" * 64, links=(
        PageLink(url="https://s.ru/i/1.png", text="Maestro", tag="img"),
        PageLink(url="https://s.ru/i/amex.gif", tag="img"), PageLink(url="https://s.ru/i/cat.jpg", tag="img")))
    assert [(f.name, f.url) for f in payment_findings(page)] == [
        ("Maestro", "https://s.ru/i/1.png"), ("American Express", "https://s.ru/i/amex.gif")]
