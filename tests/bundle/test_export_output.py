"""export never overwrites an existing file silently (``--force`` replaces it atomically), and VERIFY.txt
speaks the bundle's language with the very same commands."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.verifytext import verify_text
from tests.bundle.conftest import export

INDENTED = re.compile(r"^ {5}(?:\((?:or|ou) ?: )?([^\n)]+)", re.M)  # command lines, and "(or: ...)" alternatives
QUOTED = re.compile(r"`([^`]+)`")


def _commands(text: str) -> list[str]:
    return INDENTED.findall(text) + QUOTED.findall(text)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_existing_output_is_refused_without_force(sealed, tsa, tmp_path):
    cli, cid = sealed
    out = tmp_path / "case.wacz"
    out.write_bytes(b"an earlier bundle the investigator still needs\n")
    proc = export(cli, cid, out, tsa, expect=2)
    assert "already exists" in proc.stderr and "--force" in proc.stderr and str(out) in proc.stderr.replace("\n", "")
    assert out.read_bytes() == b"an earlier bundle the investigator still needs\n"
    assert _leftovers(tmp_path) == []
    proc = export(cli, cid, tmp_path, tsa, expect=2)
    assert "is a folder" in proc.stderr


def test_force_replaces_it_and_a_failed_export_leaves_it_untouched(sealed, tsa, tmp_path):
    cli, cid = sealed
    out = tmp_path / "case.wacz"
    out.write_bytes(b"old\n")
    proc = cli.run("export", cid, "-o", str(out), "--force", env={"EVIDENCE_TSA_URLS": "http://127.0.0.1:9/tsr"})
    assert proc.returncode == 1, proc.stderr
    assert out.read_bytes() == b"old\n" and _leftovers(tmp_path) == []
    export(cli, cid, out, tsa, "--force")
    assert zipfile.is_zipfile(out) and _leftovers(tmp_path) == []
    assert cli.run("verify", str(out)).returncode == 0


def test_writer_commit_never_clobbers_unless_asked(tmp_path):
    dest = tmp_path / "b.wacz"
    dest.write_bytes(b"keep")
    with WaczWriter(dest) as w:
        w.add_bytes("a.txt", b"new")
        with pytest.raises(FileExistsError):
            w.commit()
    assert dest.read_bytes() == b"keep" and _leftovers(tmp_path) == []
    with WaczWriter(dest) as w:
        w.add_bytes("a.txt", b"new")
        w.commit(replace=True)
    with zipfile.ZipFile(dest) as z:
        assert z.read("a.txt") == b"new"
    fresh = tmp_path / "c.wacz"
    with WaczWriter(fresh) as w:
        w.add_bytes("a.txt", b"x")
        w.commit()
    assert zipfile.is_zipfile(fresh) and _leftovers(tmp_path) == []


@pytest.mark.parametrize("timestamped", [True, False])
def test_verify_text_french_has_the_same_commands(timestamped):
    kw = {"bundle_format": ev.BUNDLE_FORMAT, "software": "evidence-crawler 0", "created": "2026-01-01T00:00:00Z",
          "captures": ["c1"], "fingerprint": "ab" * 32, "manifest_sha256": "cd" * 32, "timestamped": timestamped,
          "tokens": [{"path": "evidence/timestamp-0.tsr", "url": "http://tsa.test/", "gen_time": "t"}]}
    en, fr = (verify_text(lang=lang, **kw).decode() for lang in ("en", "fr"))
    assert en.startswith("HOW TO CHECK") and fr.startswith("COMMENT VÉRIFIER")
    assert _commands(en) == _commands(fr) and len(_commands(en)) == (19 if timestamped else 17)  # + pdfsig (step 8)
    tools = ("mkdir", "sha256sum", "openssl", "wacz", "evidence-crawler", "pip", "check-jsonschema", "python3",
             "pdfsig")
    assert all(c.startswith(tools) for c in _commands(en))
    for english in ("Unpack", "Every line must say", "It must print", "What each file is"):
        assert english not in fr
    assert ("AUCUN" in fr) != timestamped and ("Chaque jeton" in fr) == timestamped


def test_french_bundle_verify_txt_is_french(bundle_fr, tmp_path):
    """(Its commands are run by test_export.py::test_documented_standard_tool_steps_pass[bundle_fr].)"""
    with zipfile.ZipFile(bundle_fr) as z:
        text = z.read(ev.VERIFY_TXT).decode("utf-8")
    assert text.startswith("COMMENT VÉRIFIER CE LOT DE PREUVES") and "Décompresser le lot" in text
    assert "HOW TO CHECK" not in text and "It must print" not in text
