"""Shared fixtures: the CLI as a user runs it (a subprocess), stores in tmp, real local servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import hostile_server_fixture
from tests.servers.moto import moto_auth_server, moto_server, s3_env  # noqa: F401 - S3 fixtures

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "evidence-crawler"
CORPUS = ROOT.parent / "shared" / "corpus"
PROFILES = ROOT / "evidence_crawler" / "profiles"

hostile_server = pytest.fixture(hostile_server_fixture, name="hostile_server")


class Cli:
    """Runs ``evidence-crawler --store STORE ...`` exactly as a user would: the tests' one CLI driver.

    ``env`` is added to this process's environment (AutoThrottle off, so local servers are crawled at full
    speed) for every command; a command's own ``env`` is added on top.
    """

    def __init__(self, store: Path, env: dict | None = None) -> None:
        self.store = store
        self.env = {"EVIDENCE_AUTOTHROTTLE": "0", **(env or {})}

    def command(self, *args: str) -> list[str]:
        return [str(BIN), "--store", str(self.store), *args]

    def environ(self, env: dict | None = None) -> dict:
        return {**os.environ, **self.env, **(env or {})}

    def run(self, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), capture_output=True, text=True, encoding="utf-8",
                              env=self.environ(env), timeout=timeout, cwd=ROOT)

    def start(self, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
        """The command in the background (stdout and stderr piped as text unless ``popen`` says otherwise)."""
        popen = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **popen}
        return subprocess.Popen(self.command(*args), env=self.environ(env), cwd=ROOT, **popen)

    def json(self, *args: str, env: dict | None = None, expect: int = 0):
        proc = self.run(*args, env=env)
        assert proc.returncode == expect, f"exit {proc.returncode}\nstdout:{proc.stdout[-2000:]}\n" \
                                          f"stderr:{proc.stderr[-4000:]}"
        return json.loads(proc.stdout)

    def crawl(self, profile: Path | str, *args: str, env: dict | None = None, expect: int = 0) -> dict:
        return self.json("crawl", str(profile), "--allow-private", "--json", *args, env=env, expect=expect)

    def items(self, capture_id: str) -> list[dict]:
        proc = self.run("items", capture_id)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "store")


@pytest.fixture
def write_profile(tmp_path: Path):
    def _write(text: str, name: str = "profile.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
