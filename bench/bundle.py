"""Bundle round on a realistic capture (Books to Scrape, ~1,200 pages, served by nginx): ``export`` against
``wacz create`` on the same WARCs, and ``verify`` against ``wacz validate`` + ``warcio check``.

1. One evidence crawl of the corpus (``bench/run.py``'s, checked with ``warcio check`` + ``captures verify``).
2. Export rounds, interleaved with ``wacz create --detect-pages`` on the capture's WARC files (A B, B A, ...).
   The export runs through ``bench/export_timed.py``, which times its report step (HTML, PDF print, PAdES
   signature and timestamp) and its exhibit screenshots apart: ``wacz create`` makes neither. Target:
   the export without those two at least as fast as ``wacz create`` (ratio ``wacz create`` / archive part
   >= 1.0); the report's own cost is printed next to it. A local RFC 3161 TSA answers the export.
3. Verify rounds, interleaved: ``evidence-crawler verify BUNDLE`` (a whole process, start-up included)
   against ``wacz validate -f BUNDLE`` followed by ``warcio check`` on the same WARC files. Those two check
   less (file hashes; record digests), verify checks everything the bundle promises. Target: verify at
   least 2x faster than both together. Also the CLI's start-up for verify (``verify MISSING.wacz``: every
   import, no work; target <= 0.15 s on a quiet machine).

Medians of the rounds, CPU time of each side (the machine may be shared) and the load average are
printed; every bundle made must pass ``verify`` and ``wacz validate`` (else exit 1).
``python bench/bundle.py [--rounds N] [--keep]``; exits 0 with ``SKIPPED`` when the corpus is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from run import CORPUS, ROOT, VENV_BIN, Nginx, crawl_env, ensure_nginx, log, run_evidence
from verify import cpu_run

EXPORT_TARGET = 1.0  # wacz create seconds / export seconds without the report and the exhibits
VERIFY_TARGET = 2.0  # (wacz validate + warcio check) seconds / verify seconds
STARTUP_TARGET_S = 0.15
# What verify cannot do without: its CLI (Typer, which imports Rich and pydantic) and the libraries that
# read and check a bundle (pydantic models, cryptography for the signatures, asn1crypto for the tokens,
# warcio and blake3 for the records). Their import time alone is the floor of verify's start-up.
FLOOR_IMPORTS = ("import typer, rich.console, pydantic, cryptography.x509, asn1crypto.tsp, "
                 "warcio.statusandheaders, blake3")


# the archive part's steps timed by bench/export_timed.py (process start -> the export's work is start-up)
ARCHIVE_STEPS = ("startup_s", "index_s", "capture_members_s", "annexes_s", "timestamp_s")


def _check(proc, what: str) -> None:
    if proc.returncode != 0:
        raise SystemExit(f"bench: {what} failed (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-1500:]}")


def export_round(store: Path, capture_id: str, out: Path, env: dict, times: Path) -> dict:
    cmd = [str(VENV_BIN / "python"), str(ROOT / "bench" / "export_timed.py"), str(times), "--",
           "--store", str(store), "export", capture_id, "-o", str(out), "--json"]
    spawned = time.time()
    wall, cpu, proc = cpu_run(cmd, env)
    _check(proc, "export")
    spent = json.loads(times.read_text(encoding="utf-8"))
    spent["startup_s"] = spent.get("entered_at", spawned) - spawned
    return {"s": wall, "cpu_s": cpu, "bytes": out.stat().st_size,
            **{k: spent.get(k, 0.0) for k in ("report_s", "exhibits_s", *ARCHIVE_STEPS)}}


def wacz_create_round(warcs: list[str], out: Path) -> dict:
    wall, cpu, proc = cpu_run([str(VENV_BIN / "wacz"), "create", "-o", str(out), "--detect-pages", *warcs])
    _check(proc, "wacz create")
    return {"s": wall, "cpu_s": cpu, "bytes": out.stat().st_size}


def verify_round(bundle: Path) -> dict:
    wall, cpu, proc = cpu_run([str(VENV_BIN / "evidence-crawler"), "verify", str(bundle), "--json"])
    _check(proc, "verify")
    return {"s": wall, "cpu_s": cpu, "checked": json.loads(proc.stdout)["checked"]}


def archivists_round(bundle: Path, warcs: list[str]) -> dict:
    v_wall, v_cpu, proc = cpu_run([str(VENV_BIN / "wacz"), "validate", "-f", str(bundle)])
    _check(proc, "wacz validate")
    c_wall, c_cpu, proc = cpu_run([str(VENV_BIN / "warcio"), "check", *warcs])
    _check(proc, "warcio check")
    return {"s": v_wall + c_wall, "cpu_s": v_cpu + c_cpu, "validate_s": v_wall, "check_s": c_wall}


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def interleave(rounds: int, a, b) -> tuple[list[dict], list[dict]]:
    """A B, B A, A B, ...: each side first in half the rounds."""
    ra, rb = [], []
    for n in range(rounds):
        for fn, sink in ((a, ra), (b, rb)) if n % 2 == 0 else ((b, rb), (a, ra)):
            sink.append(fn(n))
    return ra, rb


def run_bundle_round(tmp: Path, rounds: int) -> dict:
    from evidence_crawler.demo.tsa import LocalTSA

    server = Nginx(ensure_nginx(), CORPUS, tmp / "nginx")
    try:
        url = server.start()
        log(f"evidence crawl of {CORPUS.name} at {url}")
        crawl = run_evidence(url, tmp, "books")
    finally:
        server.stop()
    if crawl.get("error"):
        raise SystemExit(f"bench: the evidence crawl failed: {crawl['error']}")
    store, capture_id, warcs = tmp / "books-store", crawl["capture_id"], crawl["warc_files"]
    log(f"capture {capture_id}: {crawl['pages']} pages, {len(warcs)} WARC file(s); export vs wacz create")
    with LocalTSA(tmp / "tsa") as tsa:
        env = {**crawl_env(store), "EVIDENCE_TSA_URLS": tsa.url}
        exports, creates = interleave(
            rounds, lambda n: export_round(store, capture_id, tmp / f"export-{n}.wacz", env, tmp / f"times-{n}.json"),
            lambda n: wacz_create_round(warcs, tmp / f"create-{n}.wacz"))
    bundle = tmp / "export-0.wacz"
    for n in range(rounds):  # every bundle made must be whole
        _check(cpu_run([str(VENV_BIN / "wacz"), "validate", "-f", str(tmp / f"create-{n}.wacz")])[2],
               "wacz validate of wacz create's output")
    log(f"verify vs wacz validate + warcio check on {bundle.name} ({bundle.stat().st_size / 1e6:.1f} MB)")
    with open(bundle, "rb") as fh:  # page cache warm for every side
        while fh.read(1 << 24):
            pass
    verifies, archivists = interleave(rounds, lambda n: verify_round(tmp / f"export-{n}.wacz"),
                                      lambda n: archivists_round(tmp / f"export-{n}.wacz", warcs))
    startup = [cpu_run([str(VENV_BIN / "evidence-crawler"), "verify", str(tmp / "missing.wacz")])[0]
               for _ in range(rounds)]
    floor = [cpu_run([str(VENV_BIN / "python"), "-c", FLOOR_IMPORTS])[0] for _ in range(rounds)]
    wacz_startup = [cpu_run([str(VENV_BIN / "wacz"), "create", "--help"])[0] for _ in range(rounds)]
    bare = [cpu_run([str(VENV_BIN / "python"), "-c", "pass"])[0] for _ in range(rounds)]
    export_s, report_s, exhibits_s = (_med(exports, k) for k in ("s", "report_s", "exhibits_s"))
    archive_s = statistics.median(e["s"] - e["report_s"] - e["exhibits_s"] for e in exports)
    return {
        "round": "bundle", "pages": crawl["pages"], "capture_id": capture_id, "rounds": rounds,
        "bundle_bytes": bundle.stat().st_size, "wacz_create_bytes": creates[0]["bytes"],
        "export_s": round(export_s, 3), "export_report_s": round(report_s, 3),
        "export_exhibits_s": round(exhibits_s, 3), "export_archive_s": round(archive_s, 3),
        "export_steps_s": {k: round(_med(exports, k), 3) for k in ARCHIVE_STEPS},
        "export_rest_s": round(statistics.median(
            e["s"] - e["report_s"] - e["exhibits_s"] - sum(e[k] for k in ARCHIVE_STEPS) for e in exports), 3),
        "wacz_create_startup_s": round(statistics.median(wacz_startup), 3),
        "export_cpu_s": round(_med(exports, "cpu_s"), 3),
        "wacz_create_s": round(_med(creates, "s"), 3), "wacz_create_cpu_s": round(_med(creates, "cpu_s"), 3),
        "export_ratio": round(_med(creates, "s") / archive_s, 3), "export_target": EXPORT_TARGET,
        "verify_s": round(_med(verifies, "s"), 3), "verify_cpu_s": round(_med(verifies, "cpu_s"), 3),
        "wacz_validate_s": round(_med(archivists, "validate_s"), 3),
        "warcio_check_s": round(_med(archivists, "check_s"), 3),
        "archivists_s": round(_med(archivists, "s"), 3), "archivists_cpu_s": round(_med(archivists, "cpu_s"), 3),
        "verify_ratio": round(_med(archivists, "s") / _med(verifies, "s"), 3), "verify_target": VERIFY_TARGET,
        "startup_s": round(statistics.median(startup), 3), "startup_target_s": STARTUP_TARGET_S,
        "startup_floor_s": round(statistics.median(floor), 3), "python_s": round(statistics.median(bare), 3),
        "checked": verifies[0]["checked"], "load_avg_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "runs": {"export_s": [round(e["s"], 3) for e in exports], "wacz_create_s": [round(c["s"], 3) for c in creates],
                 "verify_s": [round(v["s"], 3) for v in verifies],
                 "archivists_s": [round(a["s"], 3) for a in archivists]},
    }


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_summary(r: dict) -> None:
    print("=" * 78)
    print(f"bundle round: books capture ({r['pages']} pages), {r['rounds']} interleaved rounds, load average "
          f"{r['load_avg_1min']} on {r['cpus']} cores")
    print(f"export  {r['export_s']:.2f} s (CPU {r['export_cpu_s']:.2f} s), {r['bundle_bytes'] / 1e6:.1f} MB: "
          f"report (HTML, PDF, PAdES + timestamp) {r['export_report_s']:.2f} s, exhibit screenshots "
          f"{r['export_exhibits_s']:.2f} s, the rest (WARCs, indexes, annexes, manifest, signatures, token) "
          f"{r['export_archive_s']:.2f} s")
    print(f"wacz create --detect-pages on the same WARCs: {r['wacz_create_s']:.2f} s (CPU "
          f"{r['wacz_create_cpu_s']:.2f} s), {r['wacz_create_bytes'] / 1e6:.1f} MB")
    print(f"RATIO wacz create / export without report and exhibits: {r['export_ratio']:.2f}   target >= "
          f"{r['export_target']}: {_met(r['export_ratio'] >= r['export_target'])}")
    st = r["export_steps_s"]
    ours = r["export_archive_s"] - st["startup_s"]
    theirs = r["wacz_create_s"] - r["wacz_create_startup_s"]
    print(f"  where the archive part goes: start-up {st['startup_s']:.2f} s (process start -> export's work), "
          f"CDXJ index + titles {st['index_s']:.2f}, WARCs + sealed files copied in {st['capture_members_s']:.2f}, "
          f"annexes {st['annexes_s']:.2f}, timestamp {st['timestamp_s']:.2f}, the rest (manifest, signatures, "
          f"schemas, findings, intermediaries, zip close, exit) {r['export_rest_s']:.2f}")
    print(f"  wacz create's start-up (`wacz create --help`) {r['wacz_create_startup_s']:.2f} s; without the start-ups:"
          f" export {ours:.2f} s vs wacz create {theirs:.2f} s (ratio {theirs / ours if ours else float('nan'):.2f})")
    print(f"verify  {r['verify_s']:.2f} s (CPU {r['verify_cpu_s']:.2f} s; checked {json.dumps(r['checked'])})")
    print(f"wacz validate -f {r['wacz_validate_s']:.2f} s + warcio check {r['warcio_check_s']:.2f} s = "
          f"{r['archivists_s']:.2f} s (CPU {r['archivists_cpu_s']:.2f} s)")
    print(f"RATIO (wacz validate + warcio check) / verify: {r['verify_ratio']:.2f}   target >= "
          f"{r['verify_target']}: {_met(r['verify_ratio'] >= r['verify_target'])}")
    print(f"verify start-up (verify MISSING.wacz: imports, no work): {r['startup_s']:.3f} s   target <= "
          f"{r['startup_target_s']} s: {_met(r['startup_s'] <= r['startup_target_s'])}")
    print(f"  floor: `python -c pass` {r['python_s']:.3f} s; importing only the libraries verify needs "
          f"(Typer, Rich, pydantic, cryptography, asn1crypto, warcio, blake3) {r['startup_floor_s']:.3f} s, so the "
          f"project's own modules and their set-up cost {r['startup_s'] - r['startup_floor_s']:.3f} s")
    print("=" * 78)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (store, bundles)")
    args = ap.parse_args()
    if not (CORPUS / "index.html").is_file():
        print(f"bench bundle: SKIPPED: corpus not found at {CORPUS}")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    try:
        result = run_bundle_round(tmp, max(1, args.rounds))
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_summary(result)
    out = ROOT / "bench" / "out" / "bundle.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
