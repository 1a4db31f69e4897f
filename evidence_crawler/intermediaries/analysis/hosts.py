"""A small table of well-known third-party hosts: who runs them and in what role.

Matched by domain suffix (``mc.yandex.ru`` matches ``mc.yandex.ru`` and ``x.mc.yandex.ru``). The table
names only services common on storefronts (Russian and Western); a host not in it is still listed as a
third party, with no role. Extend the table, not the code. CDN rows also match CNAME targets.
"""

from __future__ import annotations

from evidence_crawler.intermediaries.records import Frozen


class KnownHost(Frozen):
    suffix: str
    name: str
    role: str  # analytics | advertising | payment | cdn


_TABLE = {
    "analytics": {
        "google-analytics.com": "Google Analytics", "googletagmanager.com": "Google Tag Manager",
        "mc.yandex.ru": "Yandex Metrica", "metrika.yandex.ru": "Yandex Metrica",
        "top-fwz1.mail.ru": "VK Top.Mail.Ru", "top.mail.ru": "VK Top.Mail.Ru",
        "counter.yadro.ru": "LiveInternet", "liveinternet.ru": "LiveInternet",
        "hotjar.com": "Hotjar", "matomo.cloud": "Matomo Cloud", "statcounter.com": "StatCounter",
    },
    "advertising": {
        "doubleclick.net": "Google Ads (DoubleClick)", "googlesyndication.com": "Google AdSense",
        "googleadservices.com": "Google Ads", "an.yandex.ru": "Yandex Advertising Network",
        "yandex.ru/ads": "Yandex Advertising Network", "adfox.ru": "Yandex ADFOX",
        "connect.facebook.net": "Meta Pixel", "ads.vk.com": "VK Ads", "adriver.ru": "AdRiver",
        "criteo.com": "Criteo", "taboola.com": "Taboola", "popads.net": "PopAds",
        "propellerads.com": "PropellerAds", "exoclick.com": "ExoClick",
    },
    "payment": {
        "paypal.com": "PayPal", "paypalobjects.com": "PayPal", "js.stripe.com": "Stripe", "stripe.com": "Stripe",
        "yoomoney.ru": "YooMoney", "money.yandex.ru": "YooMoney", "yookassa.ru": "YooKassa",
        "qiwi.com": "QIWI", "webmoney.ru": "WebMoney", "webmoney.com": "WebMoney", "wmtransfer.com": "WebMoney",
        "robokassa.ru": "Robokassa", "paymentwall.com": "Paymentwall", "skrill.com": "Skrill",
        "paysafecard.com": "paysafecard", "coinpayments.net": "CoinPayments", "2checkout.com": "2Checkout",
        "unitpay.ru": "UnitPay", "free-kassa.ru": "FreeKassa", "cloudpayments.ru": "CloudPayments",
    },
    "cdn": {
        "cloudflare.com": "Cloudflare", "cloudflare.net": "Cloudflare", "cdnjs.cloudflare.com": "Cloudflare",
        "cloudfront.net": "Amazon CloudFront", "akamaiedge.net": "Akamai", "akamaized.net": "Akamai",
        "akamaihd.net": "Akamai", "edgekey.net": "Akamai", "edgesuite.net": "Akamai", "fastly.net": "Fastly",
        "fastlylb.net": "Fastly", "ddos-guard.net": "DDoS-Guard", "stormwall.pro": "StormWall",
        "cdnvideo.ru": "CDNvideo", "ngenix.net": "NGENIX", "incapdns.net": "Imperva", "jsdelivr.net": "jsDelivr",
        "b-cdn.net": "bunny.net", "azureedge.net": "Microsoft Azure CDN", "gcore.com": "Gcore",
    },
}

KNOWN_HOSTS: tuple[KnownHost, ...] = tuple(
    KnownHost(suffix=suffix, name=name, role=role) for role, rows in _TABLE.items() for suffix, name in rows.items())


def known_host(host: str, path: str = "") -> KnownHost | None:
    """The most specific row whose suffix matches ``host`` (``suffix`` may carry a path prefix)."""
    host = host.lower().rstrip(".")
    best = None
    for row in KNOWN_HOSTS:
        row_host, _, row_path = row.suffix.partition("/")
        if (host == row_host or host.endswith("." + row_host)) and path.lstrip("/").startswith(row_path):
            if best is None or len(row.suffix) > len(best.suffix):
                best = row
    return best
