from evidence_crawler.charset import choose_encoding

CYRILLIC = "<html><h1>Кино — Группа крови</h1><span>45,60 руб.</span></html>"


def test_cp1251_labelled_utf8_is_detected():
    d = choose_encoding(CYRILLIC.encode("cp1251"), "utf-8")
    assert d.encoding == "cp1251" and "does not fit" in d.reason


def test_utf8_labelled_cp1251_is_utf8():
    d = choose_encoding(CYRILLIC.encode("utf-8"), "windows-1251")
    assert d.encoding == "utf-8" and "says cp1251" in d.reason


def test_meta_charset_used_when_no_header():
    body = ('<meta http-equiv="content-type" content="text/html; charset=windows-1251">' + CYRILLIC).encode("cp1251")
    assert choose_encoding(body, None).encoding == "cp1251"


def test_correct_declaration_and_bom():
    assert choose_encoding(CYRILLIC.encode("cp1251"), "windows-1251").reason == "HTTP header"
    assert choose_encoding(b"\xef\xbb\xbf" + CYRILLIC.encode(), "windows-1251").reason == "byte order mark"
