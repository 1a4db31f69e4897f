"""verify: every tampered member is named (exit 1); unusable or hostile zips are refused (exit 2)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from evidence_crawler.bundle.verify import verify_bundle
from tests.bundle.conftest import corrupt


def _members(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as z:
        return z.namelist()


@pytest.fixture(scope="module")
def member_names(bundle_en) -> list[str]:
    return _members(bundle_en)


def test_every_member_tampered_is_named(sealed, bundle_en, member_names, tmp_path):
    """One flipped byte in each member in turn (WARC, manifests, report, PDF, token, signatures, custody...),
    at its start, middle and end; checked in-process (the CLI's exit code mapping is checked below)."""
    missed = []
    for i, name in enumerate(member_names):
        for at in (0.0, 0.5, 0.999):
            bad = corrupt(bundle_en, tmp_path / f"bad-{i}-{at}.wacz", name, flip_at=at)
            if bad is None:
                break  # an empty member has no byte to flip
            report = verify_bundle(bad)
            if report.ok or not any(name in p for p in report.problems):
                missed.append((name, at, report.problems))
            bad.unlink()
    assert missed == []


@pytest.mark.parametrize("kind", ["archive/", "evidence/report.pdf", "evidence/timestamp-0.tsr",
                                  "evidence/manifest.sig", "datapackage-digest.json"])
def test_tampered_member_exits_1_naming_it(sealed, bundle_en, member_names, tmp_path, kind):
    cli, _ = sealed
    name = next(n for n in member_names if n.startswith(kind))
    proc = cli.run("verify", str(corrupt(bundle_en, tmp_path / "bad.wacz", name)))
    assert proc.returncode == 1 and name in proc.stderr, proc.stderr


def test_flipped_byte_inside_the_zip_names_the_warc(sealed, bundle_en, tmp_path):
    """Flipping stored bytes in place (zip CRC now wrong) still names the member, with exit 1."""
    cli, _ = sealed
    with zipfile.ZipFile(bundle_en) as z:
        info = next(i for i in z.infolist() if i.filename.startswith("archive/"))
    data = bytearray(bundle_en.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x40
    bad = tmp_path / "inplace.wacz"
    bad.write_bytes(bytes(data))
    proc = cli.run("verify", str(bad))
    assert proc.returncode == 1, proc.stderr
    assert info.filename in proc.stderr


def test_added_member_is_named(sealed, bundle_en, tmp_path):
    cli, _ = sealed
    proc = cli.run("verify", str(corrupt(bundle_en, tmp_path / "add.wacz", add="evidence/extra.txt")))
    assert proc.returncode == 1 and "evidence/extra.txt" in proc.stderr and "added" in proc.stderr


@pytest.mark.parametrize("drop", ["evidence/report.pdf", "evidence/timestamp-0.tsr", "archive/"])
def test_removed_member_is_named(sealed, bundle_en, member_names, tmp_path, drop):
    cli, _ = sealed
    name = next(n for n in member_names if n.startswith(drop))
    proc = cli.run("verify", str(corrupt(bundle_en, tmp_path / "drop.wacz", drop=name)))
    assert proc.returncode == 1 and name in proc.stderr


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


def _bad_inputs(bundle: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    data = bundle.read_bytes()
    (tmp / "not.wacz").write_bytes(b"%PDF-1.7 this is not a zip at all\n" * 10)
    (tmp / "truncated.wacz").write_bytes(data[: len(data) * 2 // 3])
    (tmp / "empty.wacz").write_bytes(b"")
    bomb = zipfile.ZipInfo("archive/bomb.warc.gz")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    dup = tmp / "dup.wacz"
    with zipfile.ZipFile(dup, "w") as z:
        z.writestr("datapackage.json", b"{}")
        with pytest.warns(UserWarning):
            z.writestr("datapackage.json", b"{}")
    return {
        "not a zip": (tmp / "not.wacz", "not a zip"),
        "empty": (tmp / "empty.wacz", "not a zip"),
        "truncated": (tmp / "truncated.wacz", "truncated"),
        "zip-slip ..": (_zip(tmp / "slip.wacz", [("datapackage.json", b"{}"), ("../../etc/evil", b"x")]), "zip-slip"),
        "zip-slip absolute": (_zip(tmp / "abs.wacz", [("datapackage.json", b"{}"), ("/tmp/evil", b"x")]), "zip-slip"),
        "zip bomb": (_zip(tmp / "bomb.wacz", [("datapackage.json", b"{}"), (bomb, b"\0" * (8 << 20))]), "zip bomb"),
        "symlink": (_zip(tmp / "link.wacz", [("datapackage.json", b"{}"), (_symlink("evidence/x"), b"/etc/passwd")]),
                    "symlink"),
        "duplicate": (dup, "duplicate"),
        "not a bundle": (_zip(tmp / "other.wacz", [("hello.txt", b"hi")]), "not an evidence bundle"),
    }


def test_unusable_inputs_exit_2_with_a_clear_message(sealed, bundle_en, tmp_path):
    cli, _ = sealed
    wrong = []
    for label, (path, words) in _bad_inputs(bundle_en, tmp_path).items():
        proc = cli.run("verify", str(path))
        if proc.returncode != 2 or words not in proc.stderr.replace("\n", " "):
            wrong.append((label, proc.returncode, proc.stderr[-400:]))
    assert wrong == []
    assert not (tmp_path.parent / "etc").exists() and not Path("/tmp/evil").exists()
