"""A price-history chart as SVG made on the server: no chart library, no script, no network."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

W, H, PAD = 640, 220, 40


def _amount(offer: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(offer.get("amount"))) if offer.get("amount") not in (None, "") else None
    except InvalidOperation:
        return None


def series(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[int, Decimal]]]:
    """(offer, currency) -> [(capture index, amount)] from ``history --item`` rows."""
    out: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    for i, row in enumerate(rows):
        for offer in row.get("offers", []):
            amount = _amount(offer)
            if amount is not None:
                out.setdefault((str(offer.get("offer")), str(offer.get("currency") or "?")), []).append((i, amount))
    return out


def price_chart(rows: list[dict[str, Any]]) -> str:
    """One polyline per offer and currency across the captures (x: capture, y: amount); '' with no prices."""
    lines = series(rows)
    if not lines:
        return ""
    amounts = [a for points in lines.values() for _i, a in points]
    low, high = min(amounts), max(amounts)
    span = (high - low) or Decimal(1)
    steps = max(len(rows) - 1, 1)

    def xy(i: int, a: Decimal) -> str:
        x = PAD + (W - 2 * PAD) * i / steps
        y = H - PAD - float((a - low) / span) * (H - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="chart">',
             f'<text x="4" y="{PAD}" class="axis">{escape(str(high))}</text>',
             f'<text x="4" y="{H - PAD}" class="axis">{escape(str(low))}</text>']
    for k, ((offer, currency), points) in enumerate(sorted(lines.items())):
        pts = " ".join(xy(i, a) for i, a in points)
        parts.append(f'<polyline class="s{k % 6}" fill="none" points="{pts}"/>')
        parts += [f'<circle class="s{k % 6}" cx="{xy(i, a).split(",")[0]}" cy="{xy(i, a).split(",")[1]}" r="3">'
                  f'<title>{escape(offer)} {escape(str(a))} {escape(currency)}</title></circle>' for i, a in points]
        parts.append(f'<text x="{W - PAD}" y="{16 + 14 * k}" text-anchor="end" class="s{k % 6}">'
                     f'{escape(offer)} ({escape(currency)})</text>')
    for i, row in enumerate(rows):
        x = PAD + (W - 2 * PAD) * i / steps
        parts.append(f'<text x="{x:.1f}" y="{H - 8}" text-anchor="middle" class="axis">'
                     f'{escape((row.get("started_at") or "")[:10])}</text>')
    parts.append("</svg>")
    return "".join(parts)
