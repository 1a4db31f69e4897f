"""A TSA URL carrying a token (``?token=``, as some commercial TSAs take it) never enters the bundle or output."""

from __future__ import annotations

import json
import zipfile


def test_tsa_token_in_its_url_is_masked_in_manifest_report_and_output(sealed, tsa, tmp_path):
    cli, cid = sealed
    token = "tsa-token-5d1e77a0"
    out = tmp_path / "case.wacz"
    proc = cli.run("export", cid, "-o", str(out), "--json",
                   env={"EVIDENCE_TSA_URLS": f"{tsa.url}?token={token},http://127.0.0.1:9/tsr?token={token}"})
    assert proc.returncode == 0, proc.stderr
    assert token not in proc.stdout + proc.stderr and "token=***" in proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["timestamps"][0]["url"] == f"{tsa.url}?token=***"
    with zipfile.ZipFile(out) as z:
        leaks = [n for n in z.namelist() if token.encode() in z.read(n)]
        manifest = json.loads(z.read("evidence/manifest.json"))
    assert not leaks, leaks
    assert manifest["timestamps"]["requested_from"] == [f"{tsa.url}?token=***", "http://127.0.0.1:9/tsr?token=***"]
