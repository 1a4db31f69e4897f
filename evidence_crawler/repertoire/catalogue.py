"""A rights holder's catalogue (CSV or XLSX) read into checked ``Work`` records, streaming.

``read_works`` yields a ``Work`` or a ``RowProblem`` per data row and keeps nothing but a duplicate index
(an on-disk SQLite table, so a 1 GB file stays in bounded memory). ``load_catalogue`` collects the works
and refuses the file when a row is bad, unless bad rows may be skipped (then they are listed).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from evidence_crawler.prices import parse_price
from evidence_crawler.repertoire.codes import CodeError, normalise_gtin, normalise_isrc
from evidence_crawler.repertoire.csvsource import csv_rows, detect_encoding, header_key
from evidence_crawler.repertoire.currencies import ISO_4217
from evidence_crawler.repertoire.normalise import normalise_artist, normalise_title
from evidence_crawler.repertoire.records import (
    KNOWN_COLUMNS,
    Catalogue,
    CatalogueError,
    CatalogueLimits,
    CatalogueRefused,
    RowProblem,
    Work,
)
from evidence_crawler.repertoire.xlsxsource import is_zip, xlsx_rows

YEAR_RE = re.compile(r"^(\d{4})(?:-\d\d-\d\d(?:T[\d:.]+)?)?$")


def _columns(path: Path, header: list[str | None]) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(header, 1):
        name = header_key(cell or "") or f"column_{i}"
        names.append("upc" if name == "ean" and "upc" not in map(header_key, filter(None, header)) else name)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CatalogueError(f"{path}: column {dupes[0]!r} appears twice in the header")
    if not {"artist", "title", "isrc", "upc"} & set(names):
        raise CatalogueError(f"{path}: the header names none of the columns artist, title, isrc, upc, ean")
    return names


def _price(values: dict[str, str]) -> tuple[str | None, str | None]:
    text, currency = values.get("ref_price"), values.get("ref_currency")
    if currency is not None:
        currency = currency.upper()
        if currency not in ISO_4217:
            raise ValueError(f"ref_currency {values['ref_currency']!r} is not an ISO 4217 code")
    if text is None:
        return None, currency
    amount, found = parse_price(text)
    if amount is None or not re.fullmatch(r"[\d\s.,]+\s*\S{0,4}|\S{0,4}\s*[\d\s.,]+", text):
        raise ValueError(f"ref_price {text!r} is not a price")
    if found and currency and found != currency:
        raise ValueError(f"ref_price {text!r} is in {found} but ref_currency says {currency}")
    return amount, currency or found


def to_work(row: int, values: dict[str, str]) -> Work:
    """One row's non-empty cells (by column name) checked into a Work; ValueError says what is wrong."""
    kind = (values.get("kind") or "album").casefold()
    if kind not in ("album", "track"):
        raise ValueError(f"kind {values['kind']!r} is not album or track")
    isrc = normalise_isrc(values["isrc"]) if values.get("isrc") else None
    upc = values.get("upc")
    if upc and upc.isdigit() and len(upc) == 11:
        upc = "0" + upc  # a spreadsheet kept the UPC as a number and dropped its leading zero
    upc = normalise_gtin(upc) if upc else None
    if not (values.get("artist") and values.get("title")) and not (isrc or upc):
        raise ValueError("neither artist and title nor an isrc/upc")
    year = None
    if values.get("year"):
        m = YEAR_RE.match(values["year"])
        if not m or not 1000 <= int(m.group(1)) <= 2999:
            raise ValueError(f"year {values['year']!r} is not a year")
        year = int(m.group(1))
    ref_price, ref_currency = _price(values)
    known = {k: values.get(k) for k in ("artist", "title", "label", "rights_holder", "ref_store")}
    extra = {k: v for k, v in values.items() if k not in KNOWN_COLUMNS}
    return Work(row=row, kind=kind, isrc=isrc, upc=upc, year=year, ref_price=ref_price,
                ref_currency=ref_currency, extra=extra, **known)


def _source(path: Path, limits: CatalogueLimits):
    if is_zip(path):
        return None, None, xlsx_rows(path, limits), False
    encoding, why = detect_encoding(path)
    delimiter, rows = csv_rows(path, encoding, limits)
    return f"{encoding} ({why})", delimiter, rows, True


def read_works(path: Path, limits: CatalogueLimits = CatalogueLimits(),
               info: dict | None = None) -> Iterator[Work | RowProblem]:
    """Each data row as a Work or the reason it is not one. ``info`` (if given) receives encoding/delimiter."""
    if not path.is_file():
        raise CatalogueError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CatalogueError(f"{path}: empty file")
    encoding, delimiter, rows, strict_width = _source(path, limits)
    if info is not None:
        info.update(encoding=encoding, delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        raise CatalogueError(f"{path}: empty file")
    names = _columns(path, header[1])
    seen = sqlite3.connect("")  # a private temporary on-disk database: the duplicate index spills to disk
    seen.execute("CREATE TABLE k (digest BLOB PRIMARY KEY, row INTEGER) WITHOUT ROWID")
    count = 0
    try:
        for row, cells in rows:
            cells = [c.strip() if c else "" for c in cells]
            if not any(cells):
                continue
            count += 1
            if count > limits.max_rows:
                raise CatalogueError(f"{path}: more than {limits.max_rows} rows (limit)")
            if len(cells) > len(names) and any(cells[len(names):]) or (strict_width and len(cells) < len(names)):
                yield RowProblem(file=str(path), row=row, reason=f"{len(cells)} fields but the header has "
                                 f"{len(names)} (wrong delimiter, or a cell with an unquoted delimiter?)")
                continue
            values = {n: c for n, c in zip(names, cells, strict=False) if c}
            try:
                work = to_work(row, values)
            except (ValueError, CodeError) as exc:
                yield RowProblem(file=str(path), row=row, reason=str(exc))
                continue
            key = json.dumps([normalise_artist(work.artist), normalise_title(work.title), work.kind, work.isrc,
                              work.upc], ensure_ascii=False)
            digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
            if seen.execute("INSERT OR IGNORE INTO k VALUES (?, ?)", (digest, row)).rowcount == 0:
                first = seen.execute("SELECT row FROM k WHERE digest = ?", (digest,)).fetchone()[0]
                yield RowProblem(file=str(path), row=row, reason=f"duplicate of row {first}")
                continue
            yield work
    finally:
        seen.close()
    if count == 0:
        raise CatalogueError(f"{path}: header only, no rows")


def load_catalogue(path: Path, *, skip_bad_rows: bool = False,
                   limits: CatalogueLimits = CatalogueLimits()) -> Catalogue:
    works: list[Work] = []
    problems: list[RowProblem] = []
    bad = 0
    info: dict = {}
    for entry in read_works(path, limits, info):
        if isinstance(entry, Work):
            works.append(entry)
            continue
        bad += 1
        if len(problems) < limits.max_problems_kept:
            problems.append(entry)
    if bad and not skip_bad_rows:
        raise CatalogueRefused(str(path), problems, bad)
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return Catalogue(file=str(path), sha256=sha.hexdigest(), rows=len(works) + bad, works=tuple(works),
                     skipped=tuple(problems), skipped_count=bad, **info)
