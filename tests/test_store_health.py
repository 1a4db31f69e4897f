"""Store health: a full disk or a torn ledger never breaks the store; tampered objects are named; sealed
captures refuse resume/discard; export works from a read-only store. Real tmpfs and bind mounts (root)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.servers.tinyshop import PROFILE, TinyShop


def _events(store: Path) -> list[dict]:
    return [json.loads(line) for line in (store / "custody.jsonl").read_bytes().splitlines()]


def _export(cli: Cli, capture_id: str, out: Path) -> subprocess.CompletedProcess:
    return cli.run("export", capture_id, "-o", str(out), "--no-timestamp", "--json")


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and tmpfs to simulate a full disk")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_torn_ledger_tail_is_cut_recorded_and_blocks_nothing(cli, write_profile, tmp_path):
    with TinyShop(items=3) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        old = cli.crawl(profile)["capture_id"]
        torn = b'{"capture_id":"x","data":{"name":"war'  # what a crash (or an older version) left
        with open(cli.store / "custody.jsonl", "ab") as fh:
            fh.write(torn)
        assert cli.run("captures", "verify", old).returncode == 0
        assert cli.run("captures", "list", "--json").returncode == 0
        new = cli.crawl(profile)
    assert new["state"] == "sealed"
    repaired = [e for e in _events(cli.store) if e["event"] == "ledger_repaired"]
    assert len(repaired) == 1
    assert repaired[0]["data"]["bytes_cut"] == len(torn)
    assert repaired[0]["data"]["sha256"] == hashlib.sha256(torn).hexdigest()
    assert cli.run("captures", "verify", new["capture_id"]).returncode == 0
    proc = _export(cli, old, tmp_path / "old.wacz")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_disk_full_crawl_ends_failed_and_the_store_keeps_working(tmpfs, write_profile, tmp_path):
    cli = Cli(tmpfs / "store")
    with TinyShop(items=3) as small:
        old = cli.crawl(write_profile(PROFILE.format(url=small.base_url), "small.yaml"))["capture_id"]
    free = shutil.disk_usage(tmpfs).free
    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * (free - 400_000))  # leave room to start a crawl, not to finish it
    with TinyShop(items=60, padding=20_000) as big:
        proc = cli.run("crawl", str(write_profile(PROFILE.format(url=big.base_url), "big.yaml")),
                       "--allow-private", "--json")
    assert proc.returncode == 1, proc.stderr
    assert "No space left" in proc.stdout + proc.stderr
    listed = {c["id"]: c for c in cli.json("captures", "list", "--json")}
    failed = [cid for cid in listed if cid != old]
    assert [listed[cid]["state"] for cid in failed] == ["failed"]
    assert [e["event"] for e in _events(cli.store) if e["capture_id"] == failed[0]][-1] == "capture_failed"
    assert cli.run("captures", "verify", old).returncode == 0

    filler.unlink()
    with TinyShop(items=3) as small:
        assert cli.crawl(write_profile(PROFILE.format(url=small.base_url), "small.yaml"))["state"] == "sealed"
    proc = _export(cli, old, tmp_path / "old.wacz")
    assert proc.returncode == 0, proc.stderr
    assert cli.run("captures", "discard", failed[0]).returncode == 0


def test_failure_that_could_not_be_recorded_is_listed_failed(tmp_path):
    """A crawl whose disk refused even the failed state leaves its freed reserve renamed as a marker."""
    from evidence_crawler.capture.states import FAILED_MARKER
    from evidence_crawler.services.captures import list_captures, read_state
    from storage.local import LocalStore

    store = LocalStore(tmp_path / "store")
    dead = subprocess.Popen(["true"])
    dead.wait()
    store.write_state("c1", {"capture_id": "c1", "profile": "p", "state": "capturing", "pid": dead.pid,
                             "host": os.uname().nodename, "started_at": "2026-01-01T00:00:00Z"})
    (store.capture_dir("c1") / FAILED_MARKER).parent.mkdir(parents=True)
    (store.capture_dir("c1") / FAILED_MARKER).write_text("writing evidence failed: No space left on device\n")
    assert read_state(store, "c1")["state"] == "failed"
    [row] = list_captures(store)
    assert row["state"] == "failed" and "not recorded" in row["reason"]


@pytest.fixture(scope="module")
def sealed_store(tmp_path_factory) -> tuple[Cli, str]:
    tmp = tmp_path_factory.mktemp("health")
    cli = Cli(tmp / "store")
    with TinyShop(items=3) as shop:
        profile = tmp / "shop.yaml"
        profile.write_text(PROFILE.format(url=shop.base_url), encoding="utf-8")
        summary = cli.crawl(profile)
    assert summary["state"] == "sealed"
    return cli, summary["capture_id"]


def _verify(cli: Cli, capture_id: str) -> tuple[int, list[str]]:
    proc = cli.run("captures", "verify", capture_id, "--json")
    return proc.returncode, json.loads(proc.stdout)["problems"]


def _an_object(cli: Cli, capture_id: str) -> tuple[str, Path]:
    manifest = json.loads((cli.store / "captures" / capture_id / "manifest.json").read_text())
    art = next(a for a in manifest["artifacts"] if a["name"] == "items.jsonl")
    return art["name"], cli.store / art["path"]


def test_verify_names_an_object_made_writable(sealed_store):
    cli, cid = sealed_store
    _name, obj = _an_object(cli, cid)
    obj.chmod(0o644)
    try:
        code, problems = _verify(cli, cid)
    finally:
        obj.chmod(0o444)
    assert code == 1
    assert any(str(obj.relative_to(cli.store)) in p and "writable" in p for p in problems), problems
    assert _verify(cli, cid) == (0, [])


def test_verify_names_an_object_replaced_by_a_symlink(sealed_store, tmp_path):
    cli, cid = sealed_store
    _name, obj = _an_object(cli, cid)
    elsewhere = tmp_path / "same-bytes"
    shutil.copy2(obj, elsewhere)
    obj.rename(tmp_path / "original")
    obj.symlink_to(elsewhere)
    try:
        code, problems = _verify(cli, cid)
    finally:
        obj.unlink()
        (tmp_path / "original").rename(obj)
    assert code == 1
    assert any(str(obj.relative_to(cli.store)) in p and "symlink" in p for p in problems), problems


def test_verify_names_an_artifact_link_replaced_by_a_symlink(sealed_store):
    cli, cid = sealed_store
    name, obj = _an_object(cli, cid)
    link = cli.store / "captures" / cid / "artifacts" / name
    link.unlink()
    link.symlink_to(obj)
    try:
        code, problems = _verify(cli, cid)
    finally:
        link.unlink()
        os.link(obj, link)
    assert code == 1
    assert any(f"artifacts/{name}" in p and "symlink" in p for p in problems), problems


def test_verify_names_an_artifact_copy_made_writable(sealed_store):
    cli, cid = sealed_store
    name, obj = _an_object(cli, cid)
    link = cli.store / "captures" / cid / "artifacts" / name
    link.unlink()
    shutil.copyfile(obj, link)  # a file system without hard links: a copy, read-only like the object
    link.chmod(0o664)
    try:
        code, problems = _verify(cli, cid)
    finally:
        link.unlink()
        os.link(obj, link)
    assert code == 1
    assert any(f"artifacts/{name}" in p and "writable" in p for p in problems), problems


@pytest.mark.parametrize("args", [("crawl", "{profile}", "--allow-private", "--resume", "{cid}"),
                                  ("captures", "discard", "{cid}")], ids=["resume", "discard"])
def test_sealed_capture_refuses_resume_and_discard_in_one_line(sealed_store, tmp_path, args):
    cli, cid = sealed_store
    profile = tmp_path / "shop.yaml"
    profile.write_text(PROFILE.format(url="http://127.0.0.1:9/"), encoding="utf-8")
    before = (cli.store / "custody.jsonl").read_bytes()
    proc = cli.run(*(a.format(profile=profile, cid=cid) for a in args))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"capture {cid} is sealed" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert (cli.store / "custody.jsonl").read_bytes() == before


@pytest.fixture
def read_only_store(sealed_store):
    """The sealed store, bind-mounted read-only onto itself: writes are refused even to root."""
    cli, cid = sealed_store
    assert cli.run("keys", "init").returncode == 0  # a store's signing key exists before it is frozen
    root = str(cli.store)
    if os.geteuid() != 0 or subprocess.run(["mount", "--bind", root, root], capture_output=True).returncode:
        pytest.skip("needs root and bind mounts to make a store read-only")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", root], capture_output=True).returncode:
            pytest.skip("a read-only bind remount is not permitted here")
        with pytest.raises(OSError):
            (cli.store / "probe").write_bytes(b"")
        yield cli, cid
    finally:
        subprocess.run(["umount", root], check=False)


@pytest.mark.slow
def test_export_from_a_read_only_store_writes_the_bundle_elsewhere(read_only_store, tmp_path):
    cli, cid = read_only_store
    proc = _export(cli, cid, tmp_path / "case.wacz")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert Path(result["bundle"]).is_file()
    assert any("read-only" in n and "custody" in n for n in result["notes"]), result["notes"]
    assert cli.run("verify", str(tmp_path / "case.wacz"), "--accept-untimestamped").returncode == 0
    assert cli.run("captures", "verify", cid).returncode == 0
