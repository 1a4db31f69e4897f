"""Secrets never enter evidence: every command run with secret-bearing variables, then everything grepped.

Proxy variables with ``user:password@`` (pointing at a dead loopback port; ``NO_PROXY`` keeps the crawl on
127.0.0.1 working), an ``AWS_ENDPOINT_URL`` with ``user:password@`` (a real moto server), a Redis with
``requirepass`` reached as ``?password=`` and as ``user:password@`` (a real redis-server). Then the whole
store, the bundles (unzipped, WARCs inflated), the report (pdftotext), the schedule logs and every
stdout/stderr are searched for each secret. (Start URLs with credentials: tests/test_credentials_refused.py.)
"""

from __future__ import annotations

import gzip
import json
import secrets
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.demo.tsa import LocalTSA
from tests.conftest import Cli
from tests.servers.moto import free_port
from tests.servers.redisd import redis_server
from tests.servers.tinyshop import PROFILE, TinyShop

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def inflate(data: bytes) -> bytes:
    """gzip data (a WARC, one member per record) inflated, so that what it holds can be searched too."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError):
        return data


def searchable(paths: list[Path]) -> dict[str, bytes]:
    """name -> bytes: every file, zip members inflated, PDFs as their text."""
    found = {}
    for path in paths:
        for f in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())):
            data = f.read_bytes()
            found[str(f)] = inflate(data)
            if zipfile.is_zipfile(f):
                with zipfile.ZipFile(f) as z:
                    for name in z.namelist():
                        found[f"{f}!{name}"] = inflate(z.read(name))
            if data.startswith(b"%PDF"):
                found[f"{f} (text)"] = subprocess.run(["pdftotext", str(f), "-"], capture_output=True,
                                                      check=True, timeout=120).stdout
            if f.suffix == ".wacz":
                with zipfile.ZipFile(f) as z:
                    pdf = f.with_suffix(".report.pdf")
                    pdf.write_bytes(z.read("evidence/report.pdf"))
                    found[f"{f}!report.pdf (text)"] = subprocess.run(["pdftotext", str(pdf), "-"],
                                                                     capture_output=True, check=True,
                                                                     timeout=120).stdout
                    pdf.unlink()
    return found


class Recorder(Cli):
    """The CLI driver, keeping every command's output to search it afterwards."""

    def __init__(self, store: Path, env: dict) -> None:
        super().__init__(store, env)
        self.outputs: list[tuple[str, str]] = []

    def run(self, *args: str, env: dict | None = None, timeout: float = 600, expect: int | None = 0):
        proc = super().run(*args, env=env, timeout=timeout)
        self.outputs.append((" ".join(args), proc.stdout + proc.stderr))
        assert expect is None or proc.returncode == expect, \
            f"{args}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        return proc


def test_no_secret_reaches_store_bundle_report_logs_or_output(tmp_path, moto_server):
    secret = {k: f"{k}-{secrets.token_hex(8)}" for k in ("proxy", "endpoint", "aws", "redis")}
    dead = free_port()
    proxy = f"http://proxyuser:{secret['proxy']}@127.0.0.1:{dead}/"
    bucket = moto_server.locked_bucket("secrets")
    redis_gen = redis_server(tmp_path / "redis-data", password=secret["redis"])
    (tmp_path / "redis-data").mkdir()
    redis_plain = next(redis_gen)
    redis_query = f"{redis_plain}?password={secret['redis']}"
    redis_userinfo = redis_plain.replace("redis://", f"redis://default:{secret['redis']}@")
    env = {**moto_server.env, "AWS_SECRET_ACCESS_KEY": secret["aws"],
           "AWS_ENDPOINT_URL": moto_server.url.replace("http://", f"http://s3user:{secret['endpoint']}@"),
           "http_proxy": proxy, "https_proxy": proxy, "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy,
           "ALL_PROXY": proxy, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           "EVIDENCE_S3_BUCKET": bucket, "EVIDENCE_S3_RETRY_BASE_S": "0", "EVIDENCE_REDIS_URL": redis_query,
           "EVIDENCE_WORKER_HEARTBEAT_S": "0.5", "EVIDENCE_OPERATOR": "Test Investigator"}
    store, out = tmp_path / "store", tmp_path / "out"
    out.mkdir()
    cli = Recorder(store, env)
    try:
        with LocalTSA(tmp_path / "tsa") as tsa, TinyShop(items=4) as shop:
            cli.env["EVIDENCE_TSA_URLS"] = tsa.url
            profile = tmp_path / "shop.yaml"
            profile.write_text(PROFILE.format(url=shop.base_url), encoding="utf-8")
            crawl = json.loads(cli.run("-v", "crawl", str(profile), "--allow-private", "--json").stdout)
            assert crawl["state"] == "sealed" and crawl["pages"] > 4
            # S3 unreachable at seal time: the error (botocore quotes the endpoint URL) is recorded redacted
            down = {"AWS_ENDPOINT_URL": f"http://s3user:{secret['endpoint']}@127.0.0.1:{dead}"}
            one = json.loads(cli.run("capture", shop.base_url + "item/1", "--allow-private", "--json",
                                     env=down).stdout)
            assert one["state"] == "sealed"
            cli.run("archive", "push", one["capture_id"], env=down, expect=1)
            cli.run("archive", "push", "--json")
            cli.run("archive", "status", "--json")
            cli.run("archive", "verify", crawl["capture_id"], "--json")

            coordinator = cli.start("crawl", str(profile), "--allow-private", "--redis", redis_userinfo, "--json")
            cli.run("worker", "--once", "--wait", "60", "--json")
            dist_out, dist_err = coordinator.communicate(timeout=300)
            cli.outputs.append(("crawl --redis", dist_out + dist_err))
            assert coordinator.returncode == 0, dist_err[-3000:]
            distributed = json.loads(dist_out)
            cli.run("crawl-status", distributed["capture_id"], "--json")

            cli.run("schedule", "add", "tiny", "--profile", str(profile), "--cron", "0 0 * * *",
                    "--allow-private", "--archive", "--export-to", str(out / "scheduled"))
            run = json.loads(cli.run("schedule", "run-once", "tiny", "--json").stdout)
            assert run["result"] == "sealed" and run["archive"]["ok"] and run["export"]["ok"], run

            bundle = out / "case.wacz"
            cli.run("export", crawl["capture_id"], one["capture_id"], distributed["capture_id"], "-o", str(bundle),
                    "--json")
            cli.run("verify", str(bundle), "--json")
            for cid in (crawl["capture_id"], distributed["capture_id"]):
                cli.run("captures", "verify", cid)
                cli.run("captures", "show", cid, "--json")
                cli.run("items", cid)
            cli.run("captures", "list")
    finally:
        redis_gen.close()

    manifest = json.loads((store / "captures" / crawl["capture_id"] / "manifest.json").read_text())
    assert manifest["environment"]["proxy_variables"]["HTTPS_PROXY"] == f"http://proxyuser:***@127.0.0.1:{dead}/"
    haystack = {**searchable([store, out]), **{f"output of {cmd}": text.encode() for cmd, text in cli.outputs}}
    assert any(name.endswith("report.pdf (text)") for name in haystack)
    leaks = [(name, which) for name, data in haystack.items() for which, value in secret.items()
             if value.encode() in data]
    assert not leaks, leaks
