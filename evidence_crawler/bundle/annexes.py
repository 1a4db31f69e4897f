"""The report's annexes as files, not pages: ``evidence/pages.csv`` (every exchange) and
``evidence/offers.csv`` (every offer), cited in the report by their sha256.

UTF-8 with a byte-order mark, so spreadsheets open Cyrillic and accented shop text right; written by
the ``csv`` module (quoting is its business). A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return) would be read as a formula by a spreadsheet: shop text is data, so such a cell
is prefixed with ``'`` (the usual neutralisation; the sealed JSONL files keep the raw text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from evidence_crawler.bundle.package import Member, WaczWriter

PAGES_CSV, OFFERS_CSV = "evidence/pages.csv", "evidence/offers.csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAGE_COLUMNS = ("capture_id", "fetched_at", "status", "url", "title", "ip", "sha256", "size", "content_type",
                "referrer", "link_text", "depth", "redirect_to", "warc_file", "warc_offset", "record_id")
OFFER_COLUMNS = ("capture_id", "key", "artist", "title", "url", "format", "price", "amount", "currency")


def neutral(value: Any) -> str:
    """One cell as text a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(columns)
    for row in rows:
        out.writerow([neutral(row.get(c)) for c in columns])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def offer_lines(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """One line per offer of each product item (duplicates skipped)."""
    for item in items:
        if item.get("kind", "product") != "product" or item.get("duplicate_of"):
            continue
        fields = item.get("fields") or {}
        for offer in item.get("offers") or []:
            yield {"capture_id": item.get("capture_id"), "key": item.get("key"), "artist": fields.get("artist"),
                   "title": fields.get("title") or fields.get("name"), "url": item.get("url"), **offer}


def add_annexes(w: WaczWriter, entries: Iterable[dict[str, Any]], items: list[dict[str, Any]]) -> list[Member]:
    """Both CSV files into the bundle; the members (path, sha256, size) the report cites."""
    return [w.add_bytes(PAGES_CSV, csv_bytes(PAGE_COLUMNS, entries)),
            w.add_bytes(OFFERS_CSV, csv_bytes(OFFER_COLUMNS, offer_lines(items)))]
