"""The CLI imports a command's module only when that command runs: ``verify`` loads neither Scrapy, boto3,
the config (pydantic-settings) nor the WARC writer; ``--help`` still lists every command."""

from __future__ import annotations

import subprocess
import sys

import typer

from evidence_crawler.cli import COMMANDS, app, load_command

VERIFY_MISSING = """
import sys
from evidence_crawler.cli import app
sys.argv = ["evidence-crawler", "verify", sys.argv[1]]
try:
    app()
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in ("scrapy", "boto3", "pydantic_settings", "evidence_crawler.config",
                            "evidence_crawler.warc.writer", "evidence_crawler.commands.crawl", "parsel")
                if m in sys.modules)
print(code, ",".join(loaded) or "-")
"""


def test_verify_imports_only_what_it_needs(tmp_path):
    proc = subprocess.run([sys.executable, "-c", VERIFY_MISSING, str(tmp_path / "missing.wacz")],
                          capture_output=True, text=True, timeout=120)
    code, loaded = proc.stdout.split()
    assert code == "2", proc.stderr  # unusable input: a clear error, no traceback
    assert "Traceback" not in proc.stderr and "error" in proc.stderr
    assert loaded == "-", f"verify imported {loaded}"


def test_help_lists_every_command_and_each_one_loads():
    proc = subprocess.run([sys.executable, "-m", "evidence_crawler.cli", "--help"], capture_output=True,
                          text=True, timeout=120, env={"COLUMNS": "200", "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    for name in COMMANDS:
        assert f" {name} " in proc.stdout, name
    for name in COMMANDS:
        command = load_command(name)
        assert command.name == name
        groups = {"captures", "profiles", "archive", "schedule", "keys", "repertoire", "p2p"}
        assert isinstance(command, typer.core.TyperGroup) == (name in groups), name


def test_a_mistyped_command_is_refused_with_a_suggestion():
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["verfy", "x.wacz"])
    assert result.exit_code == 2
    assert "verify" in result.output
