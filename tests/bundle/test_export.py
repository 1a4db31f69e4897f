"""export: the bundle passes the standard checkers and fails closed without a trusted time."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.bundle.conftest import export, unzip

WACZ = Path(sys.executable).parent / "wacz"
pytestmark = pytest.mark.slow  # the shared bundles cost ~20 s to build, paid by whichever test runs first


def test_wacz_validate_passes(bundle_en):
    proc = subprocess.run([str(WACZ), "validate", "-f", str(bundle_en)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded" in proc.stdout


def test_layout_lists_every_member_once_one_folder_deep(bundle_en):
    with zipfile.ZipFile(bundle_en) as z:
        names = z.namelist()
        package = json.loads(z.read("datapackage.json"))
        digest = json.loads(z.read("datapackage-digest.json"))
    assert len(names) == len(set(names))
    paths = [r["path"] for r in package["resources"]]
    assert sorted(paths) == sorted(n for n in names if n not in ("datapackage.json", "datapackage-digest.json"))
    assert len({r["name"] for r in package["resources"]}) == len(paths)
    assert all(n.count("/") == 1 for n in paths)
    assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
    for required in ("indexes/index.cdx", "pages/pages.jsonl", "evidence/manifest.json", "evidence/custody.jsonl",
                     "evidence/report.html", "evidence/report.pdf", "evidence/timestamp-0.tsr",
                     "evidence/public-key.pem", "evidence/VERIFY.txt", "evidence/SHA256SUMS"):
        assert required in names
    assert any(n.startswith("archive/") and n.endswith(".warc.gz") for n in names)
    sd = digest["signedData"]
    assert digest["path"] == "datapackage.json" and sd["hash"] == digest["hash"] and sd["publicKey"]
    assert sd["created"] == package["created"]


@pytest.mark.parametrize("which", ["bundle_en", "bundle_fr"])
def test_documented_standard_tool_steps_pass(which, request, tsa, tmp_path):
    """The commands VERIFY.txt gives, run as written, in either language."""
    root = unzip(request.getfixturevalue(which), tmp_path / "case")
    text = (root / "evidence" / "VERIFY.txt").read_text()
    sums = subprocess.run(["sha256sum", "-c", "evidence/SHA256SUMS"], cwd=root, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    dgst = re.search(r"^\s+(openssl dgst .*)$", text, re.M).group(1)
    out = subprocess.run(dgst.split(), cwd=root, capture_output=True, text=True)
    assert out.returncode == 0 and "Verified OK" in out.stdout, out
    shutil.copy(tsa.ca_path, root / "tsa-ca.pem")
    ts_commands = re.findall(r"^\s+(openssl ts -verify -digest .*)$", text, re.M)
    assert ts_commands
    for cmd in ts_commands:
        out = subprocess.run(cmd.split(), cwd=root, capture_output=True, text=True)
        assert out.returncode == 0 and "Verification: OK" in out.stdout, (cmd, out)


def test_verify_exit_0_with_tsa_chain(bundle_en, sealed, tsa):
    cli, cid = sealed
    result = cli.json("verify", str(bundle_en), "--tsa-ca", str(tsa.ca_path), "--json")
    assert result["valid"] and not result["problems"] and not result["warnings"]
    assert result["captures"] == [cid]
    assert result["checked"]["warc_records"] > 0 and result["checked"]["pages"] > 0
    assert result["timestamps"][0]["chain_checked"]


def test_verify_needs_no_store(bundle_en, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "evidence_crawler.cli", "verify", str(bundle_en)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "evidence-store").exists()


def test_export_json_and_exported_custody_event(sealed, tsa, tmp_path):
    cli, cid = sealed
    out = tmp_path / "c.wacz"
    proc = export(cli, cid, out, tsa, "--json")
    result = json.loads(proc.stdout)
    assert result["bundle"] == str(out) and result["signed"] and result["timestamped"]
    assert len(result["timestamps"]) == 1 and result["captures"] == [cid]
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and result["size"] == out.stat().st_size
    ledger = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    exported = [e for e in ledger if e["event"] == "exported" and e["data"]["bundle_sha256"] == result["sha256"]]
    assert [e["capture_id"] for e in exported] == [cid]


def test_private_key_never_in_bundle_and_key_file_is_0600(sealed, bundle_en):
    cli, _ = sealed
    key = cli.store / "keys" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    secret = key.read_bytes()
    scalar = load_pem_private_key(secret, None).private_numbers().private_value.to_bytes(32, "big")
    raw = bundle_en.read_bytes()
    assert b"PRIVATE KEY" not in raw and scalar not in raw
    assert not [line for line in secret.splitlines()[1:-1] if line in raw]


def test_offline_verifier_imports_no_scrapy():
    code = ("import sys, evidence_crawler.bundle.verify, evidence_crawler.commands.verify; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')], 'scrapy imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_keys_show_and_init(sealed):
    cli, _ = sealed
    shown = cli.json("keys", "show", "--json")
    assert shown["fingerprint"].startswith("sha256:") and "PRIVATE" not in json.dumps(shown)
    again = cli.run("keys", "init")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_no_tsa_configured_fails_closed(sealed, tmp_path):
    cli, cid = sealed
    proc = export(cli, cid, tmp_path / "x.wacz", None, expect=2)
    assert "EVIDENCE_TSA_URLS" in proc.stderr and "--no-timestamp" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_tsa_down_fails_closed_and_leaves_no_file(sealed, tsa, tmp_path):
    cli, cid = sealed
    tsa.fail = True
    try:
        proc = export(cli, cid, tmp_path / "x.wacz", tsa, expect=1)
    finally:
        tsa.fail = False
    assert "no timestamp token" in proc.stderr and "HTTP 500" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_no_timestamp_is_said_prominently(sealed, tmp_path):
    cli, cid = sealed
    out = tmp_path / "unstamped.wacz"
    export(cli, cid, out, None, "--no-timestamp")
    with zipfile.ZipFile(out) as z:
        html = z.read("evidence/report.html").decode()
        assert not [n for n in z.namelist() if n.startswith("evidence/timestamp-")]  # the seal-time token stays
    assert 'id="no-timestamp"' in html and "NOT TIMESTAMPED" in html
    proc = cli.run("verify", str(out))
    assert proc.returncode == 1 and "NOT TIMESTAMPED" in proc.stderr  # a stripped token looks the same
    proc = cli.run("verify", str(out), "--accept-untimestamped")
    assert proc.returncode == 0 and "NOT TIMESTAMPED" in proc.stderr


@pytest.mark.parametrize("case", ["unknown", "unsealed"])
def test_export_of_unknown_or_unsealed_capture_is_refused(sealed, tsa, tmp_path, case):
    cli, cid = sealed
    target = "20990101T000000Z-nope-000000"
    if case == "unsealed":
        shutil.copytree(cli.store / "captures" / cid, cli.store / "captures" / target)
        state = json.loads((cli.store / "captures" / target / "state.json").read_text())
        (cli.store / "captures" / target / "state.json").write_text(json.dumps({**state, "state": "failed"}))
    proc = export(cli, target, tmp_path / "x.wacz", tsa, expect=2)
    assert target in proc.stderr and ("not sealed" in proc.stderr or "no capture" in proc.stderr)
    if case == "unsealed":
        shutil.rmtree(cli.store / "captures" / target)


def test_items_only_limits_items_and_pages(sealed, tsa, tmp_path):
    cli, cid = sealed
    out = tmp_path / "one.wacz"
    export(cli, cid, out, tsa, "--items-only", r"/item/2$")
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("evidence/manifest.json"))
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
    assert {i["url"].rsplit("/", 1)[1] for i in manifest["items"]} == {"2"}
    assert any(p["url"].endswith("/item/2") for p in pages)
    assert not any(p["url"].endswith(("/item/1", "/item/3")) for p in pages)
    assert cli.run("verify", str(out)).returncode == 0
