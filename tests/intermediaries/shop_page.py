"""A payment page of the demo shop as the analysis sees it (HTML + headers + certificate)."""

from __future__ import annotations

import functools
import hashlib

from evidence_crawler.intermediaries.analysis.pages import CapturedPage, page_from_html
from tests.intermediaries.certs import chain
from tests.servers.rdap import DOMAIN

BTC = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"  # valid base58check
BTC_TYPO = "1BoatSLRHtKNngkdXEeobR76b53LETtpyX"  # one character off: checksum fails
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"

HTML = f"""<!doctype html><html><head><title>Оплата</title>
<script src="https://www.googletagmanager.com/gtag/js?id=G-DEMO"></script>
<script src="https://mc.yandex.ru/metrika/tag.js"></script>
<script src="/static/shop.js"></script>
<style>.visa {{ color: blue }}</style>
</head><body>
<h1>Payment</h1>
<p>We accept Visa and MasterCard, WebMoney (purse Z123456789012) and Яндекс.Деньги 410011234567890.</p>
<p>Bitcoin: {BTC} (old address {BTC_TYPO}). Ether: {ETH}. Gift cards and vouchers welcome.</p>
<img src="/img/logos/visa.svg" alt=""><img src="/img/mastercard-logo.png" alt="MasterCard">
<a href="https://www.paypal.com/cgi-bin/webscr?business=shop">Pay with PayPal</a>
<a href="https://qiwi.com/payment/form/99">QIWI</a>
<a href="bitcoin:{BTC}?amount=0.01">donate</a>
<iframe src="https://googleads.g.doubleclick.net/pagead/ads?client=demo"></iframe>
<a href="https://{DOMAIN}/catalog">catalog</a>
</body></html>"""
HEADERS = (("Server", "cloudflare"), ("CF-RAY", "8f1c2a3b4c5d6e7f-DME"), ("X-Cache", "HIT"),
           ("Content-Type", "text/html; charset=utf-8"))


@functools.cache  # one certificate per test session: the same input gives the same list
def payment_page() -> CapturedPage:
    body = HTML.encode()
    return page_from_html(f"https://www.{DOMAIN}/pay", hashlib.sha256(body).hexdigest(), HTML, headers=HEADERS,
                          tls_chain_der=chain(DOMAIN), rendered_hosts=("counter.yadro.ru", f"www.{DOMAIN}"))
