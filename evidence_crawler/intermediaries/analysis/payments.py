"""Payment methods a shop shows: card schemes (names, logos), wallets, vouchers, crypto addresses.

Each finding names the page (URL + sha256) and the text excerpt, link or image it was found in, so a
lawyer can quote it. Crypto addresses are reported only when they pass their check: Bitcoin with its
base58check / bech32 checksum (python-stdnum); Ethereum by format only, because its mixed-case checksum
(EIP-55) needs Keccak-256, which neither hashlib nor our dependencies provide (``check`` says so).
Wallet numbers (WebMoney purses, YooMoney accounts) count only on a page that names that wallet, since
their bare digit patterns also match order numbers.
"""

from __future__ import annotations

import itertools
import re
from typing import Literal
from urllib.parse import unquote, urlsplit

from stdnum import bitcoin

from evidence_crawler.intermediaries.analysis.pages import CapturedPage, PageLink
from evidence_crawler.intermediaries.records import Frozen

EXCERPT_CHARS = 60
MAX_PER_METHOD = 10  # findings of one method on one page (the first ones are enough to prove it)
MAX_CANDIDATES = 200  # address-shaped strings checked per page (a hostile page can hold millions)


class PaymentFinding(Frozen):
    method: Literal["card", "wallet", "voucher", "crypto"]
    name: str  # Visa, PayPal, Bitcoin, ...
    page_url: str
    page_sha256: str
    found_in: Literal["text", "link", "image"]
    excerpt: str  # the text around it, the link text, or the image's alt text
    url: str | None = None  # the link or image URL
    detail: str | None = None  # address or wallet number
    check: str | None = None  # how a detail was checked


# (method, name, text pattern, link host suffixes, image file pattern)
_METHODS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("card", "Visa", r"\bvisa\b", (), r"visa"),
    ("card", "Mastercard", r"\bmaster\s?card\b", (), r"master-?card"),
    ("card", "Maestro", r"\bmaestro\b", (), r"maestro"),
    ("card", "American Express", r"\bamerican express\b|\bamex\b", (), r"amex|american-?express"),
    ("card", "JCB", r"\bjcb\b", (), r"\bjcb"),
    ("card", "Diners Club", r"\bdiners club\b", (), r"diners"),
    ("card", "UnionPay", r"\bunion\s?pay\b", (), r"unionpay"),
    ("card", "Mir", r"\b(?:mir|мир)\b(?= ?(?:card|карт))|платёжная система мир", (), r"\bmir[-_ ]?(?:logo|card|pay)"),
    ("wallet", "PayPal", r"\bpaypal\b", ("paypal.com", "paypal.me", "paypalobjects.com"), r"paypal"),
    ("wallet", "WebMoney", r"\bwebmoney\b|вебмани", ("webmoney.ru", "webmoney.com", "wmtransfer.com"), r"webmoney"),
    ("wallet", "YooMoney", r"\byoomoney\b|юmoney|yandex[ .]?money|яндекс[ .]?деньги",
     ("yoomoney.ru", "money.yandex.ru"), r"yoomoney|yandex[-_]?money"),
    ("wallet", "QIWI", r"\bqiwi\b|киви[ -]кошел", ("qiwi.com", "qiwi.ru"), r"qiwi"),
    ("voucher", "Voucher", r"\bvouchers?\b|\bgift ?cards?\b|\bprepaid cards?\b|\bpaysafecard\b|ваучер",
     ("paysafecard.com",), r"paysafecard|voucher"),
)
_COMPILED = [(m, n, re.compile(t, re.I), hosts, re.compile(img, re.I)) for m, n, t, hosts, img in _METHODS]
# A page has hundreds of links and nearly none is a payment method: one search of every pattern at once (and
# one look-up of the host's suffixes) says whether the per-method loop can find anything (the same findings;
# the analysis of the books capture's 200 pages: 0.37 s -> 0.28 s)
_ANY_TEXT = re.compile("|".join(f"(?:{t})" for _m, _n, t, _h, _i in _METHODS), re.I)
_ANY_IMAGE = re.compile("|".join(f"(?:{i})" for _m, _n, _t, _h, i in _METHODS), re.I)
_ALL_HOSTS = frozenset(h for _m, _n, _t, hosts, _i in _METHODS for h in hosts)
_BTC = re.compile(r"\b(?:bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})\b")
_ETH = re.compile(r"\b0x[0-9a-fA-F]{40}\b")
_WALLET_NUMBERS = {"WebMoney": re.compile(r"\b[ZREUBGXKYC]\d{12}\b"), "YooMoney": re.compile(r"\b4100\d{8,12}\b")}


def _excerpt(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - EXCERPT_CHARS): end + EXCERPT_CHARS].split())


def _host_matches(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def _any_host(host: str) -> bool:
    """``_host_matches(host, hosts)`` for some method: the host or one of its parent domains is listed."""
    while host:
        if host in _ALL_HOSTS:
            return True
        host = host.partition(".")[2]
    return False


def _may_match(link: PageLink, host: str, basename: str) -> bool:
    if link.tag == "img":
        return bool(_ANY_IMAGE.search(basename) or _ANY_TEXT.search(link.text))
    return _any_host(host) or (link.tag == "a" and bool(_ANY_TEXT.search(link.text)))


def _link_findings(page: CapturedPage, link: PageLink):
    parts = urlsplit(link.url)
    host, basename = (parts.hostname or "").lower(), unquote(parts.path.rsplit("/", 1)[-1])
    methods = _COMPILED if _may_match(link, host, basename) else ()
    for method, name, text_rx, hosts, image_rx in methods:
        if link.tag == "img" and (image_rx.search(basename) or text_rx.search(link.text)):
            yield PaymentFinding(method=method, name=name, page_url=page.url, page_sha256=page.sha256,
                                 found_in="image", excerpt=link.text, url=link.url)
        elif link.tag != "img" and (_host_matches(host, hosts) or (link.tag == "a" and text_rx.search(link.text))):
            yield PaymentFinding(method=method, name=name, page_url=page.url, page_sha256=page.sha256,
                                 found_in="link", excerpt=link.text, url=link.url)
    if link.url.lower().startswith("bitcoin:"):
        address = urlsplit(link.url).path
        if bitcoin.is_valid(address):
            yield PaymentFinding(method="crypto", name="Bitcoin", page_url=page.url, page_sha256=page.sha256,
                                 found_in="link", excerpt=link.text, url=link.url, detail=address,
                                 check="bitcoin checksum ok")


def _text_findings(page: CapturedPage):
    text = page.text
    named = set()
    for method, name, text_rx, _hosts, _img in _COMPILED if _ANY_TEXT.search(text) else ():
        if m := text_rx.search(text):
            named.add(name)
            yield PaymentFinding(method=method, name=name, page_url=page.url, page_sha256=page.sha256,
                                 found_in="text", excerpt=_excerpt(text, m.start(), m.end()))
    for name, rx in _WALLET_NUMBERS.items():
        if name in named:
            for m in itertools.islice(rx.finditer(text), MAX_CANDIDATES):
                yield PaymentFinding(method="wallet", name=name, page_url=page.url, page_sha256=page.sha256,
                                     found_in="text", excerpt=_excerpt(text, m.start(), m.end()), detail=m.group(),
                                     check=f"number format, on a page naming {name}")
    for m in itertools.islice(_BTC.finditer(text), MAX_CANDIDATES):
        if bitcoin.is_valid(m.group()):
            yield PaymentFinding(method="crypto", name="Bitcoin", page_url=page.url, page_sha256=page.sha256,
                                 found_in="text", excerpt=_excerpt(text, m.start(), m.end()), detail=m.group(),
                                 check="bitcoin checksum ok")
    for m in itertools.islice(_ETH.finditer(text), MAX_CANDIDATES):
        yield PaymentFinding(method="crypto", name="Ethereum", page_url=page.url, page_sha256=page.sha256,
                             found_in="text", excerpt=_excerpt(text, m.start(), m.end()), detail=m.group(),
                             check="format only (EIP-55 checksum not verified: no Keccak-256 available)")


def payment_findings(page: CapturedPage) -> tuple[PaymentFinding, ...]:
    """Deduplicated, at most :data:`MAX_PER_METHOD` per (name, found_in) on the page, in page order."""
    out, counts, seen = [], {}, set()
    for finding in (*_text_findings(page), *(f for link in page.links for f in _link_findings(page, link))):
        key = (finding.name, finding.found_in, finding.url, finding.detail)
        bucket = (finding.name, finding.found_in)
        if key in seen or counts.get(bucket, 0) >= MAX_PER_METHOD:
            continue
        seen.add(key)
        counts[bucket] = counts.get(bucket, 0) + 1
        out.append(finding)
    return tuple(out)
