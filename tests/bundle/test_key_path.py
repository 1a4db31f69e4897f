"""A mistyped EVIDENCE_KEY is refused: only the default key path is created on demand."""

from __future__ import annotations

import json
import shutil
import zipfile

from tests.bundle.conftest import export
from tests.conftest import Cli


def test_export_with_missing_evidence_key_is_refused_and_creates_nothing(sealed, tsa, tmp_path):
    cli, cid = sealed
    typo = tmp_path / "keys" / "signing-kye.pem"
    out = tmp_path / "out" / "case.wacz"
    out.parent.mkdir()
    proc = cli.run("export", cid, "-o", str(out), env={"EVIDENCE_TSA_URLS": tsa.url, "EVIDENCE_KEY": str(typo)})
    assert proc.returncode == 2, proc.stderr
    assert str(typo) in proc.stderr and "keys init" in proc.stderr
    assert not typo.exists() and not typo.parent.exists()
    assert not list(out.parent.iterdir())


def test_keys_init_at_evidence_key_then_export_signs_with_that_key(sealed, tsa, tmp_path):
    cli, cid = sealed
    key = tmp_path / "operator" / "key.pem"
    env = {"EVIDENCE_KEY": str(key)}
    made = cli.json("keys", "init", "--json", env=env)
    assert made["path"] == str(key)
    out = tmp_path / "case.wacz"
    proc = cli.run("export", cid, "-o", str(out), "--json", env={**env, "EVIDENCE_TSA_URLS": tsa.url})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["key_fingerprint"] == made["fingerprint"]
    assert "created a new signing key" not in proc.stderr
    with zipfile.ZipFile(out) as z:
        assert z.read("evidence/public-key.pem").decode() == made["public_key_pem"]


def test_default_key_path_is_still_created_on_demand(sealed, tsa, tmp_path):
    cli, cid = sealed
    copy = Cli(tmp_path / "store")
    shutil.copytree(cli.store, copy.store, ignore=shutil.ignore_patterns("keys"))
    proc = export(copy, cid, tmp_path / "case.wacz", tsa)
    assert "created a new signing key" in proc.stderr and (copy.store / "keys" / "signing-key.pem").exists()
