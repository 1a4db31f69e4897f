"""Catalogue files as rights holders send them, and every bad input of issue 13 as a one-line error."""

import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import psutil
import pytest

from evidence_crawler.repertoire.catalogue import load_catalogue, read_works
from evidence_crawler.repertoire.records import CatalogueError, CatalogueLimits, CatalogueRefused, Work

UPC = "036000291452"  # a valid UPC-A
HEADER = "artist;title;kind;upc;ref_price;ref_currency;rights_holder;notes\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "cat.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def one_line(exc: pytest.ExceptionInfo, path: Path) -> str:
    message = str(exc.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_semicolon_file_with_bom_and_decimal_comma_reads_typed_works(tmp_path):
    path = write(tmp_path, "\ufeffArtist;Title;Kind;UPC;Ref_Price;Ref_Currency;Rights_Holder;Notes\n"
                 f"Mylène Farmer;Désenchantée;album;{UPC};9,99;eur;SACEM;first\n"
                 "Земфира;Вендетта;track;;299,00;RUB;РАО;\n")
    cat = load_catalogue(path)
    assert cat.delimiter == ";" and cat.encoding.startswith("utf-8-sig")
    first, second = cat.works
    assert (first.row, first.artist, first.title, first.upc, first.ref_price, first.ref_currency) == (
        2, "Mylène Farmer", "Désenchantée", "0" + UPC, "9.99", "EUR")
    assert first.extra == {"notes": "first"} and second.kind == "track" and second.ref_price == "299.00"
    assert len(cat.sha256) == 64 and cat.rows == 2


def test_comma_file_with_ean_column_and_dot_prices(tmp_path):
    path = write(tmp_path, f"ARTIST,Title,EAN,ref_price,ref_currency\nZaz,Je veux,{UPC},9.99,EUR\n")
    (work,) = load_catalogue(path).works
    assert work.upc == "0" + UPC and work.ref_price == "9.99" and work.kind == "album"


@pytest.mark.parametrize(("encoding", "text"), [("cp1251", "Земфира;Хочешь;Ёлка"),
                                                ("cp1252", "Mylène;Désenchantée;Été")])
def test_single_byte_code_pages_are_detected(tmp_path, encoding, text):
    artist, title, other = text.split(";")
    rows = "".join(f"{artist} {i};{title} {i};{other}\n" for i in range(30))
    path = write(tmp_path, "artist;title;label\n" + rows, encoding)
    cat = load_catalogue(path)
    assert cat.encoding.startswith(encoding) and cat.works[0].artist == f"{artist} 0"


def test_only_codes_are_enough_for_a_row(tmp_path):
    path = write(tmp_path, "isrc;upc\nUS-RC1-76-07839;\n")
    assert load_catalogue(path).works[0].isrc == "USRC17607839"


def test_empty_file_is_refused(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert one_line(exc, path).endswith("empty file")


def test_header_only_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "\n;;;\n")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert one_line(exc, path).endswith("header only, no rows")


def test_wrong_delimiter_is_an_error_naming_the_file(tmp_path):
    path = write(tmp_path, "artist\ttitle\tupc\nZaz\tJe veux\t\n")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert "wrong delimiter" in one_line(exc, path)


def test_a_row_split_differently_from_its_header_is_a_row_error(tmp_path):
    path = write(tmp_path, "artist;title\nZaz;Je veux;extra;cells\n")
    with pytest.raises(CatalogueRefused) as exc:
        load_catalogue(path)
    assert f"{path}:2: 4 fields but the header has 2" in str(exc.value)


def test_duplicate_rows_are_reported_with_the_first_row(tmp_path):
    path = write(tmp_path, "artist;title\nZaz;Je veux\nZAZ;Je Veux (2010 Remaster)\nZaz;Éblouie\n")
    with pytest.raises(CatalogueRefused) as exc:
        load_catalogue(path)
    assert exc.value.problems[0].model_dump() == {"file": str(path), "row": 3, "reason": "duplicate of row 2"}


@pytest.mark.parametrize(("row", "reason"), [
    ("Zaz;;;;;;;", "neither artist and title nor an isrc/upc"),
    ("Zaz;Je veux;single;;;;;", "kind 'single' is not album or track"),
    ("Zaz;Je veux;;036000291453;;;;", "UPC/EAN '036000291453' is invalid"),
    ("Zaz;Je veux;;;9,99;EUO;;", "ref_currency 'EUO' is not an ISO 4217 code"),
    ("Zaz;Je veux;;;cheap;EUR;;", "ref_price 'cheap' is not a price"),
    ("Zaz;Je veux;;;9,99 $;EUR;;", "is in USD but ref_currency says EUR"),
])
def test_bad_rows_refuse_the_file_with_file_row_reason(tmp_path, row, reason):
    path = write(tmp_path, HEADER + "Zaz;Éblouie;;;;;;\n" + row + "\n")
    with pytest.raises(CatalogueRefused) as exc:
        load_catalogue(path)
    assert str(exc.value).splitlines()[0].startswith(f"{path}: 1 bad row; nothing imported")
    line = str(exc.value).splitlines()[1]
    assert line.startswith(f"{path}:3: ") and reason in line


def test_skip_bad_rows_imports_the_rest_and_lists_the_skipped(tmp_path):
    path = write(tmp_path, HEADER + "Zaz;Éblouie;;;;;;\nZaz;;;;;;;\nZaz;Je veux;;;;;;\n")
    cat = load_catalogue(path, skip_bad_rows=True)
    assert [w.title for w in cat.works] == ["Éblouie", "Je veux"]
    assert [str(p) for p in cat.skipped] == [f"{path}:3: neither artist and title nor an isrc/upc"]


def test_a_line_without_end_is_refused_without_reading_it_whole(tmp_path):
    path = write(tmp_path, "artist;title\nZaz;" + "x" * 3_000_000)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path, limits=CatalogueLimits(max_line_chars=1 << 20))
    assert "line longer than 1048576 characters" in one_line(exc, path)


def _peak_bytes_reading(path: Path, rows: int) -> int:
    with path.open("w", encoding="utf-8") as f:
        f.write("artist;title;notes\n")
        for i in range(rows):
            f.write(f"Артист {i % 5000};Альбом номер {i};{'примечание ' * 5}\n")
    tracemalloc.start()
    count = sum(isinstance(w, Work) for w in read_works(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == rows
    return peak


def test_a_big_file_streams_in_bounded_memory(tmp_path):
    """Memory does not grow with the file: 4x the rows, about the same peak (the duplicate index is on disk)."""
    small = _peak_bytes_reading(tmp_path / "small.csv", 10_000)
    big = _peak_bytes_reading(tmp_path / "big.csv", 30_000)
    assert (tmp_path / "big.csv").stat().st_size > 3_500_000
    assert big < small * 1.25 + 200_000, (small, big)


def test_the_first_work_arrives_before_the_file_is_read(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("artist;title\n" + "".join(f"Artist {i};Title {i}\n" for i in range(400_000)))
    me = psutil.Process()
    before = me.io_counters().read_chars
    works = read_works(path)
    assert isinstance(next(works), Work)
    assert me.io_counters().read_chars - before < 3 * (1 << 20) < path.stat().st_size
    works.close()


def test_xlsx_keeps_formulas_as_text_and_numbers_without_decimals(tmp_path):
    path = tmp_path / "cat.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Artist", "Title", "UPC", "Year", "Ref_Price", "Link"])
    sheet.append(["Земфира", "Вендетта", int(UPC), 2005, 9.99, '=HYPERLINK("http://127.0.0.1/x","buy")'])
    book.save(path)
    (work,) = load_catalogue(path).works
    assert work.upc == "0" + UPC and work.year == 2005 and work.ref_price == "9.99"
    assert work.extra == {"link": '=HYPERLINK("http://127.0.0.1/x","buy")'}


def test_xlsx_zip_bomb_is_refused_before_openpyxl_reads_it(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("xl/worksheets/sheet1.xml", "w") as f:
        for _ in range(64):
            f.write(b" " * (1 << 20))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert "refused as a zip bomb" in one_line(exc, path)


def test_xlsx_declaring_too_much_in_total_is_refused(tmp_path):
    path = tmp_path / "big.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["artist", "title"])
    book.save(path)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path, limits=CatalogueLimits(xlsx_max_unpacked_bytes=1000))
    assert "limit 1000" in one_line(exc, path)


def test_a_file_that_is_neither_csv_nor_xlsx_is_one_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert "not a readable XLSX" in one_line(exc, path)


def test_xlsx_member_lying_about_its_size_stops_there_and_is_refused(tmp_path):
    path = tmp_path / "lying.xlsx"
    book = openpyxl.Workbook()
    for i in range(2000):
        book.active.append([f"Artist {i}", f"Title {i}"])
    book.save(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    central = data.index(b"PK\x01\x02")  # central directory entries; find the sheet's
    while data[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24:central + 28] = (64).to_bytes(4, "little")  # declared uncompressed size: 64 bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert "Bad CRC-32" in one_line(exc, path)
