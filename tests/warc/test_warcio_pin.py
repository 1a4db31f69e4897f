"""The warcio private names the checker and writer use exist in the installed warcio, pyproject.toml pins the
range they were tested with, and a warcio without them stops the package at import with the pin named."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

from evidence_crawler.warc import warcio_pin

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_the_installed_warcio_has_every_name_used():
    assert warcio_pin.missing_names() == []


def test_pyproject_pins_warcio_to_the_guarded_range_and_the_installed_one_is_in_it():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [Requirement(d) for d in deps if Requirement(d).name == "warcio"]
    assert [str(r) for r in pinned] == [str(Requirement(warcio_pin.WARCIO_PIN))]
    assert pinned[0].specifier.contains(version("warcio"))
    assert not list(pinned[0].specifier.filter(["1.9.0", "2.0.0"]))  # an upper bound: private names may change


def test_a_warcio_without_a_private_name_fails_at_import_naming_the_pin():
    proc = _run("import warcio.digestverifyingreader as d; del d._parse_digest\n"
                "import evidence_crawler.bundle.verify")
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("evidence_crawler.warc.warcio_pin.WarcioMismatch: "), proc.stderr
    assert warcio_pin.WARCIO_PIN in last and "warcio.digestverifyingreader._parse_digest" in last


def test_a_renamed_digester_hook_is_caught_too():
    """Without the hook, the writer's override would do nothing and records would get sha1 digests."""
    proc = _run("from warcio.recordbuilder import RecordBuilder; del RecordBuilder._create_digester\n"
                "import evidence_crawler.warc")
    assert proc.returncode != 0 and "RecordBuilder._create_digester" in proc.stderr.splitlines()[-1]


def test_the_warc_package_needs_no_scrapy():
    proc = _run("import sys, evidence_crawler.warc, evidence_crawler.bundle.verify\n"
                "assert not [m for m in sys.modules if m.split('.')[0] == 'scrapy'], 'scrapy imported'")
    assert proc.returncode == 0, proc.stderr
