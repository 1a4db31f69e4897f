#!/usr/bin/env python3
"""Upload round of ``make bench``: the S3 archiver against a plain ``boto3 upload_file`` loop.

Both send the same files (~200 MB: three WARC-sized files and twenty small ones, random bytes) to the same
local ``moto_server`` (started here on a free 127.0.0.1 port, stopped at the end), into the same Object
Lock bucket, interleaved for ROUNDS rounds with the order alternating:

- *archiver*: the real path, ``SpoolingArchiveStore.drain`` over outbox rows for objects of a local store:
  HEAD (idempotency), SHA-256 of every byte sent, checksummed PUT or parallel multipart, HEAD of the new
  version, retention read back (and set again where moto drops it on multipart), custody events;
- *plain*: ``client.upload_file(path, bucket, key)`` per file with boto3's defaults (8 MiB threshold and
  parts, 10 threads, CRC32), no checks.

Each side gets a fresh key prefix every round, so nothing is skipped as already there. Prints MB/s
(10^6 bytes per second) of both, per round and median, and the ratio of the medians (target ≥ 0.85); also
the CPU seconds per 100 MB of this process and of the endpoint, and the load average, because on a shared
2-core machine the wall clock of either side moves with whatever else runs.

Standalone: ``.venv/bin/python bench/upload.py [--rounds N] [--mb N]``; from ``bench/run.py``:
``run_upload_round(tmp_dir)`` returns the numbers as a dict and ``format_upload_round`` prints them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

ROUNDS = 3
TOTAL_MB = 200
TARGET_RATIO = 0.85


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """boto3's standard chain reads the environment when a client is made; put it back afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_files(folder: Path, total_mb: int) -> list[Path]:
    """Three big files (85% of the bytes, multipart) and twenty small ones (single PUTs)."""
    folder.mkdir(parents=True, exist_ok=True)
    total = total_mb * 1_000_000
    sizes = [int(total * share) for share in (0.30, 0.30, 0.25)] + [int(total * 0.15 / 20)] * 20
    paths = []
    for i, size in enumerate(sizes):
        path = folder / f"file-{i:02d}.bin"
        with open(path, "wb") as fh:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 22))
                fh.write(chunk)
                left -= len(chunk)
        paths.append(path)
    return paths


class Meter:
    """Wall clock, CPU of this process (all threads) and CPU of the endpoint, per run: on a shared machine the
    CPU seconds per MB are the steadier comparison."""

    def __init__(self, server_pid: int) -> None:
        import psutil

        self.server = psutil.Process(server_pid)
        self.runs: dict[str, list[tuple[float, float, float]]] = {"archiver": [], "plain": []}

    def _server_cpu(self) -> float:
        t = self.server.cpu_times()
        return t.user + t.system

    @contextmanager
    def run(self, side: str) -> Iterator[None]:
        wall, cpu, server = time.perf_counter(), time.process_time(), self._server_cpu()
        yield
        self.runs[side].append((time.perf_counter() - wall, time.process_time() - cpu, self._server_cpu() - server))


def _archiver_run(config, store, paths: list[Path], round_no: int, meter: Meter | None = None) -> None:
    from evidence_crawler.services.archive import open_archive

    archive = open_archive(config.model_copy(update={"s3_prefix": f"bench-archiver-{round_no}"}), store)
    rows = []
    for path in paths:
        obj = store.put_file(path)  # already in the store: hashed again here, outside the timing
        rows.append({"key": archive.inner.key_for(obj.digests.sha256), "name": path.name, "role": "warc",
                     "path": obj.key, "sha256": obj.digests.sha256, "blake3": obj.digests.blake3,
                     "size": obj.digests.size})
    capture_id = f"bench-{round_no}"
    with meter.run("archiver") if meter else nullcontext():
        archive.enqueue(capture_id, rows)
        report = archive.drain(capture_id)
    if report.archived != len(rows) or report.already_there:
        raise RuntimeError(f"archiver round {round_no}: {report.as_dict()}")


def _plain_run(client, bucket: str, paths: list[Path], round_no: int, meter: Meter | None = None) -> None:
    with meter.run("plain") if meter else nullcontext():
        for path in paths:
            client.upload_file(str(path), bucket, f"bench-plain-{round_no}/{path.name}")


def run_upload_round(tmp_dir: str | Path, rounds: int = ROUNDS, total_mb: int = TOTAL_MB) -> dict:
    import boto3

    from evidence_crawler.config import EvidenceConfig
    from storage.local import LocalStore
    from tests.servers.moto import MotoServer

    tmp = Path(tmp_dir)
    paths = make_files(tmp / "upload-files", total_mb)
    nbytes = sum(p.stat().st_size for p in paths)
    store = LocalStore(tmp / "upload-store")
    for path in paths:
        store.put_file(path)
    load_before = os.getloadavg()[0]
    with MotoServer() as moto, _environ(moto.env):
        bucket = moto.locked_bucket("bench")
        config = EvidenceConfig(store=store.root, s3_bucket=bucket)
        plain = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                             aws_secret_access_key="testing")
        _plain_run(plain, bucket, paths[-2:], -1)  # warm both paths (connections, imports) once
        _archiver_run(config, store, paths[-2:], -1)
        meter = Meter(moto.proc.pid)
        for r in range(rounds):
            order = ("archiver", "plain") if r % 2 == 0 else ("plain", "archiver")
            for side in order:
                if side == "archiver":
                    _archiver_run(config, store, paths, r, meter)
                else:
                    _plain_run(plain, bucket, paths, r, meter)
    mb = nbytes / 1e6
    mbps = {side: [mb / wall for wall, _, _ in runs] for side, runs in meter.runs.items()}
    median = {side: statistics.median(v) for side, v in mbps.items()}
    cpu = {side: {"client_s_per_100mb": round(statistics.median(c for _, c, _ in runs) / mb * 100, 3),
                  "endpoint_s_per_100mb": round(statistics.median(e for _, _, e in runs) / mb * 100, 3)}
           for side, runs in meter.runs.items()}
    return {
        "files": len(paths), "bytes": nbytes, "rounds": rounds,
        "archiver_mb_s": round(median["archiver"], 1), "plain_mb_s": round(median["plain"], 1),
        "ratio": round(median["archiver"] / median["plain"], 3), "target_ratio": TARGET_RATIO,
        "per_round_mb_s": {side: [round(x, 1) for x in v] for side, v in mbps.items()},
        "cpu": cpu, "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "archiver_settings": {"multipart_threshold_bytes": config.s3_multipart_threshold_bytes,
                              "part_bytes": config.s3_multipart_chunk_bytes, "concurrency": config.s3_max_concurrency},
        "endpoint": "moto_server on 127.0.0.1",
    }


def format_upload_round(r: dict) -> str:
    verdict = "ok" if r["ratio"] >= r["target_ratio"] else "BELOW TARGET"
    cpu = r["cpu"]
    return "\n".join([
        f"upload ({r['files']} files, {r['bytes'] / 1e6:.0f} MB, {r['rounds']} interleaved rounds, {r['endpoint']}, "
        f"load avg {r['load_avg_1m'][0]} -> {r['load_avg_1m'][1]} on {os.cpu_count()} CPUs):",
        f"  archiver (checksums, HEAD, retention, outbox, custody): {r['archiver_mb_s']:6.1f} MB/s  "
        f"per round {r['per_round_mb_s']['archiver']}  CPU s/100 MB: client "
        f"{cpu['archiver']['client_s_per_100mb']}, endpoint {cpu['archiver']['endpoint_s_per_100mb']}",
        f"  plain boto3 upload_file loop:                          {r['plain_mb_s']:6.1f} MB/s  "
        f"per round {r['per_round_mb_s']['plain']}  CPU s/100 MB: client "
        f"{cpu['plain']['client_s_per_100mb']}, endpoint {cpu['plain']['endpoint_s_per_100mb']}",
        f"  ratio archiver/plain (median MB/s): {r['ratio']:.2f} (target >= {r['target_ratio']}) {verdict}",
    ])


def main() -> int:
    logging.getLogger("storage.s3").setLevel(logging.ERROR)  # moto drops Object Lock on multipart: expected here
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--mb", type=int, default=TOTAL_MB, help="total size of the files (10^6 bytes)")
    ap.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ec-bench-upload-") as tmp:
        result = run_upload_round(tmp, args.rounds, args.mb)
    print(format_upload_round(result))
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
