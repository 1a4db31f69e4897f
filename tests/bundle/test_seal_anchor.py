"""A capture's seal-time token and signature travel into the bundle, ``verify`` checks them (the TSA chain
with --tsa-ca), and the report says how long after the capture ended it was timestamped."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from tests.bundle.conftest import corrupt

pytestmark = pytest.mark.slow  # two crawls and two exports (Chromium prints each report)


def test_the_bundle_carries_the_seal_token_and_signature_and_verify_checks_them(anchored, tsa):
    cli, stamped, bundle, _bare = anchored
    cid = stamped["capture_id"]
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("evidence/manifest.json"))
    files = {f["name"]: f["member"] for f in manifest["captures"][0]["seal_anchor"]}
    assert files == {"seal/manifest.1.tsr": f"evidence/{cid}.seal_manifest.1.tsr",
                     "seal/manifest.sig": f"evidence/{cid}.seal_manifest.sig",
                     "seal/signer.pub.pem": f"evidence/{cid}.seal_signer.pub.pem"}
    assert set(files.values()) <= names
    result = cli.json("verify", str(bundle), "--tsa-ca", str(tsa.ca_path), "--json")
    assert result["valid"] and not result["warnings"], result
    assert (result["checked"]["seal_timestamps"], result["checked"]["seal_signatures"]) == (1, 1)
    assert result["seal_anchors"][cid]["timestamps"][0]["gen_time"] == stamped["seal_anchor"]["tokens"][0]["gen_time"]


def test_a_changed_seal_token_in_the_bundle_fails_verify(anchored, tmp_path):
    cli, stamped, bundle, _bare = anchored
    member = f"evidence/{stamped['capture_id']}.seal_manifest.1.tsr"
    bad = corrupt(bundle, tmp_path / "bad.wacz", member)
    proc = cli.run("verify", str(bad), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = json.loads(proc.stdout)["problems"]
    assert any(f"capture {stamped['capture_id']}: seal-time token seal/manifest.1.tsr" in p for p in problems), \
        problems


def test_the_report_says_how_long_after_the_capture_ended_it_was_timestamped(anchored):
    _cli, stamped, bundle, bare = anchored
    with zipfile.ZipFile(bundle) as z:
        html = z.read("evidence/report.html").decode()
    seconds = re.search(r"timestamped (\d+) s after the capture ended", html)
    assert seconds and 0 <= int(seconds.group(1)) < 60, html[:200]
    assert "signed at seal by sha256:" in html
    with zipfile.ZipFile(bare) as z:
        assert "sealed without a seal-time timestamp" in z.read("evidence/report.html").decode()


def test_verify_warns_of_a_capture_sealed_without_a_seal_time_timestamp(anchored):
    cli, _stamped, _bundle, bare = anchored
    result = cli.json("verify", str(bare), "--json")
    assert result["valid"] and any("sealed without a seal-time timestamp" in w for w in result["warnings"])
