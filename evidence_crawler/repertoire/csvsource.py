"""CSV catalogue rows, streamed: encoding and delimiter decided from the start of the file, then line by line.

French spreadsheets write ``;``, others ``,``; the header decides which (it must name known columns), so a
file in another delimiter is refused with its name instead of being read as one wide column. Encodings:
a BOM wins, then UTF-8 if the first MiB is valid UTF-8, then windows-1251 or windows-1252 as
charset-normalizer judges the text (the two single-byte code pages Russian and French Excel write).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer

from evidence_crawler.repertoire.records import KNOWN_COLUMNS, CatalogueError, CatalogueLimits

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def header_key(name: str) -> str:
    return "_".join(name.strip().casefold().replace("-", " ").split())


def detect_encoding(path: Path) -> tuple[str, str]:
    """(codec, why) from the first MiB."""
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec, "byte order mark"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SAMPLE_BYTES)
        return "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(head, cp_isolation=["cp1251", "cp1252"]).best()
    if best is None:
        raise CatalogueError(f"{path}: not UTF-8, windows-1251 or windows-1252 text")
    codec = codecs.lookup(best.encoding).name
    return codec, f"not UTF-8; detected {codec}"


def _lines(text: io.TextIOBase, path: Path, limit: int) -> Iterator[str]:
    number = 0
    while True:
        try:
            line = text.readline(limit + 1)
        except UnicodeDecodeError as exc:
            raise CatalogueError(f"{path}:{number + 1}: bytes not valid {text.encoding} ({exc.reason}); "
                                 "the file mixes encodings") from None
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            raise CatalogueError(f"{path}:{number}: line longer than {limit} characters (not a catalogue?)")
        yield line


def _pick_delimiter(path: Path, header_line: str) -> str:
    best, best_known = None, 0
    for delim in DELIMITERS:
        names = {header_key(n) for n in next(csv.reader([header_line], delimiter=delim), [])}
        known = len(names & (set(KNOWN_COLUMNS) | {"ean"}))
        if known > best_known:
            best, best_known = delim, known
    if best is None:
        raise CatalogueError(f"{path}: the header names none of the columns artist, title, isrc, upc, ean "
                             "when split by ',' or ';' (wrong delimiter, or no header row?)")
    return best


def csv_rows(path: Path, encoding: str, limits: CatalogueLimits) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(delimiter, iterator of (line number where the record starts, cells)); the header is line 1."""
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    lines = _lines(text, path, limits.max_line_chars)
    first = next(lines, None)
    if first is None:
        text.close()
        raise CatalogueError(f"{path}: empty file")
    delimiter = _pick_delimiter(path, first)

    def rows() -> Iterator[tuple[int, list[str]]]:
        def all_lines() -> Iterator[str]:
            yield first
            yield from lines

        with text:
            reader = csv.reader(all_lines(), delimiter=delimiter, strict=True)
            start = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise CatalogueError(f"{path}:{start}: {exc}") from None
                yield start, cells
                start = reader.line_num + 1

    return delimiter, rows()
