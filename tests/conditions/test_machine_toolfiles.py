"""The machine's CPU and memory as the OS states them; the tool files' sha256, redone with coreutils."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidence_crawler import toolfiles
from evidence_crawler.machine import cpu_model, machine, memory_bytes

X86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)  CPU   E5-2680 v4 @ 2.40GHz\n"
ARM = "processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi 4\n"


def test_cpu_model_is_read_from_cpuinfo_whitespace_collapsed():
    assert cpu_model(X86) == "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"
    assert cpu_model(ARM) == "BCM2835"  # the processor index "0" is not a model


def test_memory_is_memtotal_in_bytes():
    assert memory_bytes("MemTotal:       16318480 kB\nMemFree: 1 kB\n") == 16318480 * 1024


def test_memory_falls_back_to_sysconf_when_meminfo_says_nothing():
    assert memory_bytes("") == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def test_this_machine_is_described():
    m = machine()
    assert m.cpu_count == os.cpu_count() and m.memory_bytes and m.memory_bytes > 1 << 20
    if Path("/proc/cpuinfo").exists():
        assert m.cpu_model


def test_tool_files_sha256_is_what_the_stated_coreutils_command_gives():
    got = toolfiles.tool_files()
    parent = Path(toolfiles.__file__).resolve().parents[1]
    command = toolfiles.METHOD.split("redo: ", 1)[1].replace("cd <parent> && ", "")
    out = subprocess.run(command, shell=True, cwd=parent, capture_output=True, text=True, check=True).stdout
    assert got.sha256 == out.split()[0]
    assert got.files == len(list(toolfiles.listing().splitlines())) > 100
    assert toolfiles.tool_files() is got  # once per process


@pytest.fixture
def tiny_package(tmp_path, monkeypatch):
    pkg = tmp_path / "tinytool"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "data.txt").write_text("é\n")
    (pkg / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    sys.modules.pop("tinytool", None)


def test_listing_is_sha256sum_lines_sorted_without_pycache(tiny_package):
    text = toolfiles.listing(("tinytool",)).decode()
    init, data = (hashlib.sha256(b).hexdigest() for b in (b"X = 1\n", "é\n".encode()))
    assert text == f"{init}  tinytool/__init__.py\n{data}  tinytool/data.txt\n"
    before = hashlib.sha256(text.encode()).hexdigest()
    (tiny_package / "data.txt").write_text("changed\n")
    assert hashlib.sha256(toolfiles.listing(("tinytool",))).hexdigest() != before
