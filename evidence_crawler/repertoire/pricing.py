"""An item's cheapest offer against the catalogue's reference price, in one currency or through given rates.

Rates come only from the user (``--fx USD:EUR=0.92``: one USD is 0.92 EUR), never from the network, so
the findings say exactly which conversion was applied; the inverse direction of a given rate is used too.
Amounts stay decimal strings (as the items carry them); only the ratio is a rounded number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from evidence_crawler.models.findings import Money, PriceFinding, Reference, Work
from evidence_crawler.repertoire.currencies import ISO_4217

FX_RE = re.compile(r"^([A-Za-z]{3}):([A-Za-z]{3})=(\d+(?:[.,]\d+)?)$")


def parse_fx(specs: Iterable[str]) -> dict[str, str]:
    """``["USD:EUR=0.92"]`` → ``{"USD:EUR": "0.92"}``; ValueError (one line) for anything else."""
    rates: dict[str, str] = {}
    for spec in specs:
        m = FX_RE.match(spec.strip())
        if not m:
            raise ValueError(f"--fx {spec!r}: expected FROM:TO=RATE, e.g. USD:EUR=0.92")
        src, dst, rate = m.group(1).upper(), m.group(2).upper(), m.group(3).replace(",", ".")
        for code in (src, dst):
            if code not in ISO_4217:
                raise ValueError(f"--fx {spec!r}: {code} is not an ISO 4217 code")
        if src == dst or Decimal(rate) == 0:
            raise ValueError(f"--fx {spec!r}: a rate needs two currencies and a non-zero rate")
        pair = f"{src}:{dst}"
        if rates.get(pair, rate) != rate:
            raise ValueError(f"--fx {pair} given twice with different rates ({rates[pair]}, {rate})")
        rates[pair] = rate
    return dict(sorted(rates.items()))


def convert(amount: Decimal, src: str | None, dst: str, fx: dict[str, str]) -> Decimal | None:
    if src == dst:
        return amount
    if f"{src}:{dst}" in fx:
        return amount * Decimal(fx[f"{src}:{dst}"])
    if f"{dst}:{src}" in fx:
        return amount / Decimal(fx[f"{dst}:{src}"])
    return None


def _amount(offer: dict[str, Any]) -> Decimal | None:
    try:
        value = Decimal(str(offer.get("amount")))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def price_finding(work: Work, offers: list[dict[str, Any]], fx: dict[str, str]) -> PriceFinding:
    reference = Reference(amount=work.ref_price, currency=work.ref_currency, store=work.ref_store) \
        if work.ref_price else None
    priced = [(a, o.get("currency")) for o in offers if (a := _amount(o)) is not None]
    if not priced:
        return PriceFinding(cheapest=None, reference=reference, ratio=None)
    target = work.ref_currency
    comparable = [(convert(a, c, target, fx), a, c) for a, c in priced] if target else []
    comparable = [t for t in comparable if t[0] is not None]
    if comparable:
        in_ref, amount, currency = min(comparable, key=lambda t: (t[0], t[2] or "", t[1]))
        ratio = float(round(Decimal(work.ref_price) / in_ref, 3)) if reference else None
    else:  # nothing to compare with: the cheapest within the first currency (by code) that has a price
        first = min((c or "") for _, c in priced)
        amount, currency = min((a, c) for a, c in priced if (c or "") == first)
        ratio = None
    return PriceFinding(cheapest=Money(amount=format(amount, "f"), currency=currency), reference=reference,
                        ratio=ratio)
