"""A store sealed by the code from before the typed records still verifies, diffs, exports and verifies as a
bundle (tests/fixtures/legacy-store-v1; see its README)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.bundle.conftest import export
from tests.conftest import Cli

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-store-v1"
OLD, NEW = "20261202T055629Z-allofmp3-demo-060f12", "20261202T055631Z-allofmp3-demo-42fe2e"


@pytest.fixture
def legacy(tmp_path) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(LEGACY, store)
    sealed = [*(store / "objects").rglob("*"), *store.glob("captures/*/artifacts/*"),
              *store.glob("captures/*/manifest.json")]
    for path in sealed:
        if path.is_file():
            path.chmod(0o444)  # as sealed: git keeps no modes
    return Cli(store)


def test_legacy_captures_still_verify(legacy):
    for cid in (OLD, NEW):
        report = legacy.json("captures", "verify", cid, "--json")
        assert report["valid"] is True, report["problems"]


def test_legacy_captures_still_diff(legacy):
    diff = legacy.json("diff", OLD, NEW, "--json")
    assert (diff["old"], diff["new"]) == (OLD, NEW)


def test_legacy_captures_still_export_to_a_bundle_that_verifies(legacy, tsa, tmp_path):
    out = tmp_path / "legacy.wacz"
    export(legacy, OLD, out, tsa, NEW, "--diff")
    report = json.loads(legacy.run("verify", str(out), "--json", "--tsa-ca", str(tsa.ca_path)).stdout)
    assert report["valid"] is True, report["problems"]
    assert report["captures"] == [OLD, NEW]
