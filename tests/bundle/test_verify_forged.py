"""Issue 19 item 1: a forged bundle (price changed, every hash, the custody chain and both signatures rebuilt
with a new key, fresh tokens from the test TSA) is told apart only by its signer: verify says the signer is
unpinned on its first line, and fails naming both keys once the operator's key is pinned. A token stripped
and the bundle re-signed fails unless untimestamped bundles are accepted; genTimes must fit the story."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evidence_crawler.bundle.sign import create_key
from evidence_crawler.timeutil import iso
from tests.bundle.conftest import export
from tests.bundle.forge import forge


def _fingerprint(bundle: Path) -> str:
    with zipfile.ZipFile(bundle) as z:
        return json.loads(z.read("evidence/manifest.json"))["signing_key"]["fingerprint"]


def _price(bundle: Path) -> str:
    with zipfile.ZipFile(bundle) as z:
        return json.loads(z.read("evidence/manifest.json"))["items"][0]["offers"][0]["amount"]


@pytest.fixture(scope="module")
def forger_key(tmp_path_factory):
    return create_key(tmp_path_factory.mktemp("forger") / "forger.pem")


@pytest.fixture(scope="module")
def forged(bundle_en, tsa, forger_key, tmp_path_factory) -> Path:
    return forge(bundle_en, tmp_path_factory.mktemp("forged") / "forged.wacz", forger_key, tsa.url)


def test_forged_bundle_is_intact_but_unpinned_on_the_first_line(sealed, bundle_en, forged, forger_key, tsa):
    cli, _ = sealed
    assert _price(forged) == "0.01" != _price(bundle_en)
    proc = cli.run("verify", str(forged), "--tsa-ca", str(tsa.ca_path))
    assert proc.returncode == 0, proc.stderr  # every hash, chain, signature and token holds: only the key differs
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"UNPINNED signer {forger_key.fingerprint}"), proc.stdout
    assert f"--expect-key {forger_key.fingerprint}" in first and "EVIDENCE_TRUSTED_KEYS" in first
    report = cli.json("verify", str(forged), "--json")
    assert report["signer_pinned"] is False and report["valid"] is True and report["expected_keys"] == []
    assert report["key_fingerprint"] == forger_key.fingerprint and "checked" in report and "timestamps" in report


def test_expect_key_of_the_operator_fails_the_forgery_naming_both(sealed, bundle_en, forged, forger_key):
    cli, _ = sealed
    original = _fingerprint(bundle_en)
    proc = cli.run("verify", str(forged), "--expect-key", original)
    assert proc.returncode == 1
    assert original in proc.stderr and forger_key.fingerprint in proc.stderr, proc.stderr
    assert not proc.stdout.startswith("UNPINNED")
    report = cli.json("verify", str(forged), "--expect-key", original, "--json", expect=1)
    assert report["signer_pinned"] is False and report["expected_keys"] == [original]
    genuine = cli.json("verify", str(bundle_en), "--expect-key", original.upper().replace("SHA256:", ""), "--json")
    assert genuine["signer_pinned"] is True and genuine["valid"] is True


def test_trusted_keys_file_pins_the_same_way(sealed, bundle_en, forged, forger_key, tmp_path):
    cli, _ = sealed
    original = _fingerprint(bundle_en)
    keys = tmp_path / "trusted-keys"
    keys.write_text(f"# the operator's key, read out over the phone\n\n{original}  # laptop\n")
    env = {"EVIDENCE_TRUSTED_KEYS": str(keys)}
    proc = cli.run("verify", str(forged), env=env)
    assert proc.returncode == 1 and original in proc.stderr and forger_key.fingerprint in proc.stderr
    assert "EVIDENCE_TRUSTED_KEYS" in proc.stderr
    ok = cli.json("verify", str(bundle_en), "--json", env=env)
    assert ok["signer_pinned"] is True and ok["valid"] is True
    assert not cli.run("verify", str(bundle_en), env=env).stdout.startswith("UNPINNED")


@pytest.mark.parametrize("case", ["missing", "not a fingerprint", "empty", "bad flag"])
def test_unusable_pins_exit_2(sealed, bundle_en, tmp_path, case):
    cli, _ = sealed
    keys = tmp_path / "keys"
    args, env = [], {"EVIDENCE_TRUSTED_KEYS": str(keys)}
    if case == "not a fingerprint":
        keys.write_text("sha256:abc\n")
    elif case == "empty":
        keys.write_text("# nothing yet\n")
    elif case == "bad flag":
        args, env = ["--expect-key", "laptop-key"], {}
    proc = cli.run("verify", str(bundle_en), *args, "--json", env=env)
    assert proc.returncode == 2, proc.stderr
    assert ("EVIDENCE_TRUSTED_KEYS" if case != "bad flag" else "--expect-key") in proc.stderr
    assert "Traceback" not in proc.stderr and json.loads(proc.stdout)["valid"] is False


def test_token_stripped_and_resigned_fails_unless_accepted(sealed, bundle_en, forger_key, tsa, tmp_path):
    cli, cid = sealed
    stripped = forge(bundle_en, tmp_path / "stripped.wacz", forger_key, tsa.url, strip_tokens=True)
    with zipfile.ZipFile(stripped) as z:
        assert not [n for n in z.namelist() if n.startswith("evidence/timestamp-")]
    proc = cli.run("verify", str(stripped))
    assert proc.returncode == 1 and "NOT TIMESTAMPED" in proc.stderr and "--accept-untimestamped" in proc.stderr
    assert cli.run("verify", str(stripped), "--accept-untimestamped").returncode == 0  # unpinned: it is intact
    assert cli.run("verify", str(stripped), "--accept-untimestamped", "--expect-key",
                   _fingerprint(bundle_en)).returncode == 1
    genuine = tmp_path / "no-ts.wacz"
    export(cli, cid, genuine, None, "--no-timestamp")
    assert cli.run("verify", str(genuine)).returncode == 1
    proc = cli.run("verify", str(genuine), "--accept-untimestamped", "--expect-key", _fingerprint(bundle_en))
    assert proc.returncode == 0 and "NOT TIMESTAMPED" in proc.stderr


def _when(delta: timedelta) -> str:
    return iso(datetime.now(UTC) + delta)


@pytest.mark.parametrize("story, words", [
    ({"created": _when(timedelta(hours=-2))}, "after the bundle's creation"),
    ({"created": _when(timedelta(hours=2))}, "before the bundle's creation"),
    ({"finished_at": _when(timedelta(hours=1))}, "before the capture ended"),
])
def test_token_gen_time_must_fit_the_bundle_and_the_capture(sealed, bundle_en, forger_key, tsa, tmp_path, story,
                                                           words):
    cli, _ = sealed
    bad = forge(bundle_en, tmp_path / "times.wacz", forger_key, tsa.url, **story)
    report = cli.json("verify", str(bad), "--json", expect=1)
    hits = [p for p in report["problems"] if words in p]
    assert hits and all("±5 min" in p for p in hits), report["problems"]
    assert report["time_tolerance"] == "±5 min"


def test_genuine_bundle_times_fit(sealed, bundle_en):
    cli, cid = sealed
    report = cli.json("verify", str(bundle_en), "--json")
    assert report["time_tolerance"] == "±5 min" and report["valid"]
    delay = report["seal_anchors"][cid]["timestamps"][0]["after_capture_end_s"]
    assert -5 < delay < 300


@pytest.mark.slow
def test_seal_time_signature_is_pinned_too(anchored, forger_key, tsa, tmp_path):
    """A capture sealed with the operator's key: pinned, it verifies; its seal re-signed by another key fails."""
    cli, stamped, bundle, _ = anchored
    cid, operator = stamped["capture_id"], _fingerprint(bundle)
    ok = cli.json("verify", str(bundle), "--expect-key", operator, "--json")
    assert ok["signer_pinned"] is True and ok["seal_anchors"][cid]["signed_by"] == [operator]
    forged = forge(bundle, tmp_path / "forged.wacz", forger_key, tsa.url)
    report = cli.json("verify", str(forged), "--expect-key", operator, "--json", expect=1)
    seal = [p for p in report["problems"] if p.startswith(f"capture {cid}: sealed by")]
    assert seal and forger_key.fingerprint in seal[0] and operator in seal[0], report["problems"]
    both = cli.json("verify", str(forged), "--expect-key", operator, "--expect-key", forger_key.fingerprint, "--json")
    assert both["signer_pinned"] is True
