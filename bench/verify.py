"""Verify round: ``evidence-crawler verify`` on a bundle of at least 200 MB against ``openssl dgst -sha256``
over the same bytes (page cache warm for both, runs interleaved), MB/s of each and the ratio (target >= 0.80).

The bundle is made the real way: a local shop on 127.0.0.1 serving large item pages (random bytes as hex:
WARC records compress about 2:1, as text does), an evidence crawl, and an export with a local RFC 3161
TSA. ``run_verify_round(tmp)`` returns the figures; ``python bench/verify.py`` prints them as JSON.

What verify does per byte that ``openssl dgst`` does not: blake3 as well as sha256 of every member
(evidence/manifest.json promises both), and for the WARC files inflating every record and hashing the
inflated bytes twice (WARC-Block-Digest and WARC-Payload-Digest), then the page/record/custody
cross-checks. The breakdown printed next to the ratio says how much that is: ``hashed_bytes`` (member
bytes + inflated record bytes through the two digests), single-core rates of sha256, blake3 and
inflate (the WARC reader's igzip, and zlib for comparison) measured in this process, the least time
that work can take on ``cpus`` cores if it were spread perfectly (``ratio_bound``: openssl's time
over that; ``ratio_bound_with_zlib`` the same had zlib inflated; ``ratio_bound_with_startup`` adds
the CLI's start-up, ``startup_s``, timed as ``verify MISSING.wacz``: every import, no work), and the
member-hash pass alone (``hash_pass_*``: what verify does that ``openssl dgst`` also does, plus blake3).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from loopback import reply, serve  # bench/ is the script's folder (sys.path[0])

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "evidence-crawler"
MIN_BYTES = 200 * 1000 * 1000
PAGE_BYTES = 2 * 1024 * 1024  # hex characters per item page (1 MiB of randomness)
ROUNDS = 5
PROFILE = """\
name: bench-verify
start_urls: [{url}]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
limits: {{max_pages: 1000}}
"""


def _serve(items: int) -> ThreadingHTTPServer:
    pages = {f"/item/{n}": os.urandom(PAGE_BYTES // 2).hex() for n in range(1, items + 1)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
            elif self.path == "/":
                body = "".join(f'<a href="{p}">{p}</a>' for p in pages).encode()
            elif self.path in pages:
                body = f"<html><body><h1>{self.path}</h1><pre>{pages[self.path]}</pre></body></html>".encode()
            else:
                self.send_error(404)
                return
            reply(self, 200, "text/html; charset=utf-8", body)

    return serve(Handler)


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT)
    return time.perf_counter() - t0, proc


def cpu_run(cmd: list[str], env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time, and CPU time (user + system, all threads) of the child: the machine may be shared."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt, proc = _run(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return dt, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, proc


def build_bundle(tmp: Path) -> Path:
    from evidence_crawler.demo.tsa import LocalTSA

    items = MIN_BYTES // (PAGE_BYTES // 2) + 10  # WARC records compress about 2:1
    httpd = _serve(items)
    try:
        profile = tmp / "bench.yaml"
        profile.write_text(PROFILE.format(url=f"http://127.0.0.1:{httpd.server_address[1]}/"))
        store = tmp / "store"
        _, crawl = _run([str(BIN), "--store", str(store), "crawl", str(profile), "--allow-private", "--json"],
                        {"EVIDENCE_AUTOTHROTTLE": "0"})
        if crawl.returncode != 0:
            raise RuntimeError(f"bench crawl failed: {crawl.stderr[-2000:]}")
        capture_id = json.loads(crawl.stdout)["capture_id"]
    finally:
        httpd.shutdown()
    bundle = tmp / "bench.wacz"
    with LocalTSA(tmp / "tsa") as tsa:
        _, exp = _run([str(BIN), "--store", str(store), "export", capture_id, "-o", str(bundle), "--json"],
                      {"EVIDENCE_TSA_URLS": tsa.url})
    if exp.returncode != 0:
        raise RuntimeError(f"bench export failed: {exp.stderr[-2000:]}")
    return bundle


def run_verify_round(tmp: Path) -> dict:
    tmp = Path(tmp)
    t0 = time.perf_counter()
    bundle = build_bundle(tmp)
    build_s = time.perf_counter() - t0
    size = bundle.stat().st_size
    if size < MIN_BYTES:
        raise RuntimeError(f"bench bundle is {size} bytes, under {MIN_BYTES}")
    with open(bundle, "rb") as fh:  # warm the page cache: both sides read from memory
        while fh.read(1 << 24):
            pass
    ours, theirs, startup, ours_cpu, theirs_cpu, checked = [], [], [], [], [], {}
    for _ in range(ROUNDS):
        dt, cpu, proc = cpu_run([str(BIN), "verify", str(bundle), "--json"])
        if proc.returncode != 0:
            raise RuntimeError(f"verify failed on the bench bundle: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
        ours.append(dt)
        ours_cpu.append(cpu)
        checked = json.loads(proc.stdout)["checked"]
        dt, cpu, proc = cpu_run(["openssl", "dgst", "-sha256", str(bundle)])
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        theirs.append(dt)
        theirs_cpu.append(cpu)
        startup.append(_run([str(BIN), "verify", str(tmp / "missing.wacz")])[0])  # exit 2: imports, no work
    mb = size / 1e6
    hash_s = statistics.median(_hash_pass(bundle) for _ in range(3))
    verify_s, openssl_s = statistics.median(ours), statistics.median(theirs)
    return {"round": "verify", "bundle_bytes": size, "build_s": round(build_s, 1),
            "verify_s": round(verify_s, 3), "verify_mb_s": round(mb / verify_s, 1),
            "openssl_dgst_s": round(openssl_s, 3), "openssl_mb_s": round(mb / openssl_s, 1),
            "ratio": round(openssl_s / verify_s, 3), "target_ratio": 0.80, "rounds": ROUNDS,
            "verify_runs_s": [round(t, 3) for t in ours], "openssl_runs_s": [round(t, 3) for t in theirs],
            "verify_cpu_s": round(statistics.median(ours_cpu), 3),
            "openssl_cpu_s": round(statistics.median(theirs_cpu), 3),
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "hash_pass_mb_s": round(mb / hash_s, 1), "hash_pass_ratio": round(openssl_s / hash_s, 3),
            "warc_records": checked.get("warc_records"), "members": checked.get("members"),
            "cpus": os.cpu_count(),
            **breakdown(bundle, openssl_s, statistics.median(startup))}


def breakdown(bundle: Path, openssl_s: float, startup_s: float) -> dict:
    """The work verify must do on this bundle, and the best ratio that work allows on this machine."""
    import hashlib
    import zlib

    import blake3

    from evidence_crawler.bundle.memberscan import scan_member
    from evidence_crawler.bundle.safezip import SafeZip
    from evidence_crawler.warc import gzipcodec

    member_bytes = record_bytes = warc_bytes = 0
    inflate_s = zlib_inflate_s = 0.0
    with SafeZip(bundle) as z:
        for name in z.members:
            warc = name.startswith("archive/")
            with z.open(name) as raw:
                scan = scan_member(raw, name, warc)
            member_bytes += scan.size
            record_bytes += scan.record_bytes_hashed
            if warc:
                with z.open(name) as raw:
                    data = raw.read()
                warc_bytes += len(data)
                inflate_s += min(_inflate_all(data, gzipcodec.decompressor) for _ in range(2))
                zlib_inflate_s += min(_inflate_all(data, lambda: zlib.decompressobj(31)) for _ in range(2))
    sample = os.urandom(64 << 20)
    sha_rate = len(sample) / min(_timed(lambda: hashlib.sha256(sample).digest()) for _ in range(3))
    b3_rate = len(sample) / min(_timed(lambda: blake3.blake3(sample).digest()) for _ in range(3))
    cpus = os.cpu_count() or 1
    work_s = (member_bytes + record_bytes) / sha_rate + member_bytes / b3_rate + inflate_s
    best_s = work_s / cpus
    return {"breakdown": {
        "member_bytes": member_bytes, "warc_member_bytes": warc_bytes, "record_bytes_hashed": record_bytes,
        "hashed_bytes_sha256": member_bytes + record_bytes, "hashed_bytes_blake3": member_bytes,
        "sha256_mb_s_1core": round(sha_rate / 1e6), "blake3_mb_s_1core": round(b3_rate / 1e6),
        "inflate_backend": gzipcodec.BACKEND, "inflate_s_1core": round(inflate_s, 3),
        "inflate_mb_s_1core": round(warc_bytes / 1e6 / inflate_s, 1),
        "zlib_inflate_s_1core": round(zlib_inflate_s, 3),
        "ratio_bound_with_zlib": round(openssl_s / ((work_s - inflate_s + zlib_inflate_s) / cpus), 3),
        "cpu_work_s": round(work_s, 3), "best_s_on_cpus": round(best_s, 3), "startup_s": round(startup_s, 3),
        "ratio_bound": round(openssl_s / best_s, 3),
        "ratio_bound_with_startup": round(openssl_s / (best_s + startup_s), 3)}}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _inflate_all(data: bytes, decompressor) -> float:
    """One thread inflating every gzip member of a .warc.gz, nothing else: the floor of the record checks."""
    view, pos, step, t0 = memoryview(data), 0, 256 << 10, time.perf_counter()
    while pos < len(data):
        z = decompressor()
        while not z.eof:
            chunk = view[pos:pos + step]
            out = z.decompress(chunk, 1 << 20)
            pos += len(chunk) - len(z.unconsumed_tail) - len(z.unused_data)
            if not chunk and len(out) < (1 << 20):
                raise RuntimeError("truncated gzip member in the bench bundle")
    return time.perf_counter() - t0


def _hash_pass(bundle: Path) -> float:
    """verify's member pass alone (sha256 + blake3 of every member, no WARC record checks), in-process."""
    from evidence_crawler.bundle.memberscan import scan_member
    from evidence_crawler.bundle.safezip import SafeZip

    t0 = time.perf_counter()
    with SafeZip(bundle) as z:
        for name in z.members:
            with z.open(name) as raw:
                scan_member(raw, name, warc=False)
    return time.perf_counter() - t0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        result = run_verify_round(Path(tmp))
    print(json.dumps(result, indent=2))
    b = result["breakdown"]
    print(f"verify {result['verify_mb_s']} MB/s vs openssl dgst -sha256 {result['openssl_mb_s']} MB/s: "
          f"ratio {result['ratio']} (target {result['target_ratio']}); member-hash pass alone: ratio "
          f"{result['hash_pass_ratio']}\n"
          f"  work: sha256 over {b['hashed_bytes_sha256'] / 1e6:.0f} MB ({b['member_bytes'] / 1e6:.0f} MB of members "
          f"+ {b['record_bytes_hashed'] / 1e6:.0f} MB of inflated records through block and payload digests), "
          f"blake3 over {b['hashed_bytes_blake3'] / 1e6:.0f} MB, inflate {b['warc_member_bytes'] / 1e6:.0f} MB "
          f"({b['inflate_s_1core']} s on one core): {b['cpu_work_s']} s of CPU, {b['best_s_on_cpus']} s at best on "
          f"{result['cpus']} cores\n"
          f"  ratio bound for that work: {b['ratio_bound']} with {b['inflate_backend']} inflating "
          f"({b['ratio_bound_with_zlib']} with zlib; {b['ratio_bound_with_startup']} with the CLI's "
          f"{b['startup_s']} s start-up, timed as `verify MISSING.wacz`, target <= 0.15 s on a quiet machine)\n"
          f"  verify / bound: {result['ratio'] / b['ratio_bound']:.2f} (target >= 0.6); load average "
          f"{result['load_avg_1min']} on {result['cpus']} cores", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
