"""XLSX catalogue rows through openpyxl in read-only mode, after the zip itself has been judged safe.

openpyxl never evaluates formulas; with ``data_only=False`` a formula cell reads as its text
(``=HYPERLINK(...)``), which is what the rights holder typed, so that is what is kept. A zip bomb is
refused before openpyxl opens anything: the members' declared sizes and ratios are checked first, and
zipfile itself stops any member at its declared size (a lying header ends in a CRC error, reported).
openpyxl parses with defusedxml when it is installed (it is), so entity expansion is refused too.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

from evidence_crawler.repertoire.records import CatalogueError, CatalogueLimits

RATIO_CHECKED_ABOVE = 1 << 20


def is_zip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


def check_zip(path: Path, limits: CatalogueLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise CatalogueError(f"{path}: not a readable XLSX (zip) file: {exc}") from None
    if len(members) > limits.xlsx_max_members:
        raise CatalogueError(f"{path}: {len(members)} zip members (limit {limits.xlsx_max_members}); refused")
    total = sum(m.file_size for m in members)
    if total > limits.xlsx_max_unpacked_bytes:
        raise CatalogueError(f"{path}: unpacks to {total} bytes (limit {limits.xlsx_max_unpacked_bytes}); "
                             "refused as a zip bomb")
    for m in members:
        if m.file_size > RATIO_CHECKED_ABOVE and m.file_size > limits.xlsx_max_ratio * max(m.compress_size, 1):
            raise CatalogueError(f"{path}: member {m.filename} expands {m.file_size // max(m.compress_size, 1)}"
                                 f"x (limit {limits.xlsx_max_ratio}x); refused as a zip bomb")


def cell_text(value: object) -> str | None:
    """A cell as text: numbers without a spurious '.0', dates as ISO 8601, formulas as their text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def xlsx_rows(path: Path, limits: CatalogueLimits) -> Iterator[tuple[int, list[str | None]]]:
    """(row number, cells as text) of the first worksheet; rows with no cell at all are skipped."""
    import openpyxl  # ~0.1 s to import: only when a catalogue is an XLSX file (not for every export or match)
    from openpyxl.cell.read_only import EmptyCell

    check_zip(path, limits)
    fh = open(path, "rb")  # a file object: openpyxl then reads any name (a store object has no .xlsx suffix)
    try:
        book = openpyxl.load_workbook(fh, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, zipfile, XML) for one cause: a bad file
        fh.close()
        raise CatalogueError(f"{path}: not a readable XLSX file: {type(exc).__name__}: {exc}") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a forged <dimension ref="A1:XFD1048576"> would pad every row to 16k cells
        rows = sheet.iter_rows()
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise CatalogueError(f"{path}: unreadable worksheet data: {type(exc).__name__}: {exc}") from None
            real = [c for c in cells if not isinstance(c, EmptyCell)]
            if not real:
                continue
            if real[-1].column > limits.max_columns:
                raise CatalogueError(f"{path}:{real[0].row}: a cell in column {real[-1].column} "
                                     f"(limit {limits.max_columns})")
            line = [None] * real[-1].column
            for c in real:
                line[c.column - 1] = cell_text(c.value)
            yield real[0].row, line
    finally:
        book.close()
        fh.close()
