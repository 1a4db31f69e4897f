"""Issue 19 item 4: zip-level tampering of a real bundle → exit 2, naming what (``bundle/ziplayout.py``);
our own bundles have none of it."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.bundle.ziplayout import ZipLayoutError, check_layout


def _rezip(src: Path, dest: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:
    """The bundle's members again (stored, as the exporter writes them), then ``extra`` entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the point of one case
            for info, data in extra:
                zout.writestr(info, data)
    return dest


def _info(name: str, *, system: int = 3, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system, info.external_attr = system, mode << 16
    return info


def _fake_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("datapackage.json", b'{"title": "a fake bundle"}')
    return buf.getvalue()


def _with_comment(data: bytes, comment: bytes) -> bytes:
    eocd = data.rindex(b"PK\x05\x06")
    return data[:eocd + 20] + struct.pack("<H", len(comment)) + comment


def _local_name_changed(bundle: Path, name: str, other: str) -> bytes:
    """The local header of ``name`` renamed to ``other`` (same length); the central directory unchanged."""
    with zipfile.ZipFile(bundle) as z:
        at = z.getinfo(name).header_offset + 30
    data = bundle.read_bytes()
    assert data[at:at + len(name)] == name.encode() and len(other) == len(name)
    return data[:at] + other.encode() + data[at + len(name):]


def _cases(bundle: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    data = bundle.read_bytes()

    def write(name: str, content: bytes) -> Path:
        (tmp / name).write_bytes(content)
        return tmp / name

    def rezip(name: str, *extra) -> Path:
        return _rezip(bundle, tmp / name, list(extra))

    return {
        "prepended fake zip": (write("prepended.wacz", _fake_zip() + data),
                               "before the first member (it holds a central directory: a second zip prepended)"),
        "prepended junk": (write("junk.wacz", b"MZ" + b"\0" * 510 + data), "512 bytes of unlisted data"),
        "bytes after the end": (write("trailing.wacz", data + b"VERIFIED BY COURT EXPERT\n"),
                                "25 bytes after the end of the central directory"),
        "zip comment": (write("comment.wacz", _with_comment(data, b"VERIFIED BY COURT EXPERT")),
                        "a zip comment of 24 bytes ('VERIFIED BY COURT EXPERT'"),
        "directory with data": (rezip("dirdata.wacz", (_info("evidence/notes/", mode=0o40755), b"hidden text")),
                                "directory entry 'evidence/notes/' carries 11 bytes"),
        "directory named like a member": (rezip("dirname.wacz", (_info("evidence/report.html/", mode=0o40755), b"")),
                                          "named like the member 'evidence/report.html'"),
        "duplicate name": (rezip("dup.wacz", ("evidence/report.html", b"<p>another report</p>")),
                           "duplicate member name 'evidence/report.html'"),
        "member comment": (_member_comment(bundle, tmp / "mcomment.wacz"), "carries a comment of 8 bytes"),
        **{f"symlink made on system {system}": (
            rezip(f"link{system}.wacz", (_info("evidence/link.txt", system=system, mode=0o120777), b"/etc/passwd")),
            "member 'evidence/link.txt' is a symlink") for system in (16, 2, 5, 30, 0, 3)},
        "local header names another file": (
            write("localname.wacz", _local_name_changed(bundle, "evidence/report.html", "evidence/report.xtml")),
            "its local header names 'evidence/report.xtml'"),
    }


def _member_comment(bundle: Path, dest: Path) -> Path:
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename == "evidence/report.html":
                info.comment = b"approved"
            zout.writestr(info, zin.read(info))
    return dest


def test_our_bundles_have_a_clean_layout(bundle_en, bundle_fr):
    assert check_layout(bundle_en) is None and check_layout(bundle_fr) is None


def test_zip_level_tampering_exits_2_naming_what(sealed, bundle_en, tmp_path):
    cli, _ = sealed
    wrong = []
    for label, (path, words) in _cases(bundle_en, tmp_path).items():
        proc = cli.run("verify", str(path))
        text = " ".join(proc.stderr.split())
        if proc.returncode != 2 or words not in text or "Traceback" in text:
            wrong.append((label, proc.returncode, text[-600:]))
    assert wrong == []


@pytest.mark.parametrize("system", [16, 2, 5, 30])
def test_symlink_from_another_system_is_refused_by_safezip_too(tmp_path, system):
    """SafeZip reads the mode bits whatever create_system says (the layout walk aside)."""
    from evidence_crawler.bundle.safezip import SafeZip, UnusableBundle

    path = _rezip_plain(tmp_path / "l.wacz", [("datapackage.json", b"{}"),
                                              (_info("evidence/x", system=system, mode=0o120777), b"/etc/passwd")])
    with pytest.raises(UnusableBundle, match="symlink"):
        SafeZip(path)


def _rezip_plain(dest: Path, entries) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for info, data in entries:
            z.writestr(info, data)
    return dest


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each member."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)


def test_what_other_zip_writers_do_is_accepted(tmp_path, monkeypatch):
    """zip64 members, data descriptors (zip64 ones too), zip64 end records, an empty zip: all clean."""
    z64 = tmp_path / "z64.zip"
    with zipfile.ZipFile(z64, "w") as z:
        with z.open(zipfile.ZipInfo("a.bin"), "w", force_zip64=True) as f:
            f.write(b"x" * 1000)
        z.writestr("b.txt", "hello")
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("x.txt", "w") as f:
            f.write(b"data" * 1000)
        with z.open(zipfile.ZipInfo("y.bin"), "w", force_zip64=True) as f:
            f.write(b"q" * 100)
    described = tmp_path / "described.zip"
    described.write_bytes(bytes(stream.data))
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 end records from two entries on
    eocd64 = tmp_path / "eocd64.zip"
    with zipfile.ZipFile(eocd64, "w") as z:
        z.writestr("a", "1")
        z.writestr("b", "2")
    assert b"PK\x06\x06" in eocd64.read_bytes()
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    for path in (z64, described, eocd64, empty):
        assert check_layout(path) is None, path
    prepended = tmp_path / "prepended64.zip"
    prepended.write_bytes(b"junk" + eocd64.read_bytes())
    with pytest.raises(ZipLayoutError, match="data prepended"):
        check_layout(prepended)
