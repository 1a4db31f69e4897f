#!/usr/bin/env python3
"""``make bench``: crawl throughput of the evidence crawl against a bare Scrapy crawl, and hashing
throughput against ``openssl dgst -sha256``. A benchmark, not a test: it prints numbers and exits 0
unless it could not run at all.

What it does (everything binds to 127.0.0.1, everything lives in one temp folder removed at the end):

1. Serves ``../shared/corpus/books.toscrape.com`` (relative to the project root) with Debian's nginx
   (installed with apt-get when missing and running as root), a private instance on a free port.
   No corpus: prints why and exits 0.
2. Runs, interleaved for ROUNDS rounds (order alternates each round):
   (a) bare: ``scrapy crawl storefront`` (the same spider class and profile) with the evidence
       components switched off: no destination guard, no WARC recorder, no item pipeline, no capture
       session extension; Scrapy's stats give the page count;
   (b) evidence: ``evidence-crawler --store TMP crawl bench/profiles/books-bench.yaml --json``; after
       each one its WARCs must pass ``warcio check`` and the capture ``captures verify``;
   (c) webarchive, the peer: the bare run plus scrapy-webarchive's WACZ exporter, from ``bench/.venv``
       (see bench/peer.py; skipped when that venv cannot be made).
   Both get the same concurrency (EVIDENCE_CONCURRENCY*), AutoThrottle off, no delay, robots.txt obeyed.
   Each run is a whole process: wall clock from spawn to exit; peak RSS from the kernel (wait4
   ru_maxrss) and from psutil polling the process tree every 50 ms.
3. Hashes a ~512 MiB file (the WARC files of the evidence runs repeated) with
   ``evidence_crawler.hashing.digest_file`` (sha256+blake3, one pass), hashlib sha256 alone, blake3
   alone and ``openssl dgst -sha256``, page cache warmed first.
4. Prints a summary block and writes it as JSON to bench/out/last.json.

Options: --rounds N, --hash-mib N, --keep (keep the temp folder), --profile (also run one evidence
crawl under cProfile and print the top functions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import peer  # noqa: E402 - bench/peer.py, next to this file

CORPUS = (ROOT / ".." / "shared" / "corpus" / "books.toscrape.com").resolve()
PROFILE = "bench/profiles/books-bench.yaml"
OUT = HERE / "out" / "last.json"
VENV_BIN = Path(sys.executable).parent
CONCURRENCY = 16
RUN_TIMEOUT_S = 480  # a shared, overloaded machine can take minutes for one crawl
DEADLINE_S = 540  # the whole bench must stay under 10 minutes on 2 cores
TARGET_RATIO = 0.95

# The evidence components; bare runs switch them off, plus any other component the project's settings
# wire in (read at run time, so a component added later is off in the bare run too).
EVIDENCE_COMPONENTS = {
    "DOWNLOADER_MIDDLEWARES": ["pipelines.guard.DestinationGuardMiddleware", "pipelines.record.WarcRecorderMiddleware"],
    "ITEM_PIPELINES": ["pipelines.items.ItemRecordPipeline"],
    "EXTENSIONS": ["pipelines.session.CaptureSessionExtension"],
}
COMPONENT_SETTINGS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS")


ORDER_TAG = {"bare": "bar", "evidence": "evi", "bare_freeze": "frz", "webarchive": "web"}
FREEZE = "pipelines.heapfreeze.StartupHeapFreeze"
SCRAPY_HTTP_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"

# Not evidence: Scrapy's robots.txt middleware with a concurrency fix; both sides obey robots.txt with it.
KEEP_IN_BARE = {"pipelines.robots.RobotsTxtMiddleware": 100}


def bare_settings() -> tuple[dict[str, str], list[str]]:
    """``-s`` overrides for the bare run (dict settings given with -s are JSON), and what they switch off."""
    import importlib

    project = importlib.import_module("evidence_crawler.settings")
    out: dict[str, str] = {"EVIDENCE_STORE": "", "LOG_LEVEL": "INFO", "STATS_DUMP": "True"}
    off: list[str] = []
    for name in COMPONENT_SETTINGS:
        comps = list(dict.fromkeys([*EVIDENCE_COMPONENTS.get(name, []), *(getattr(project, name, None) or {})]))
        if comps:
            out[name] = json.dumps({c: KEEP_IN_BARE.get(c) for c in comps})
            off += [c for c in comps if c not in KEEP_IN_BARE]
    handlers = getattr(project, "DOWNLOAD_HANDLERS", None) or {}  # the wire tap: Scrapy's own handler instead
    if handlers:
        out["DOWNLOAD_HANDLERS"] = json.dumps({scheme: SCRAPY_HTTP_HANDLER for scheme in handlers})
        off += sorted(set(handlers.values()))
    return out, off


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- nginx -------------------------------------------------------------------------------------------
def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                          if os.access(p, os.X_OK)), None)


def ensure_nginx() -> str:
    found = find_nginx()
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("bench: nginx is not installed and this is not root; install it with "
                         "`sudo apt-get install -y nginx-light` (or nginx) and run again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def install(pkg: str) -> bool:
        log(f"installing {pkg} with apt-get")
        r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", pkg], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            log(f"apt-get install {pkg} failed: {r.stderr.strip().splitlines()[-1:] or ''}")
        return r.returncode == 0 and find_nginx() is not None

    if not (install("nginx-light") or install("nginx")):
        log("apt-get update")
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, check=False)
        if not (install("nginx-light") or install("nginx")):
            raise SystemExit("bench: could not install nginx (apt-get install nginx-light / nginx failed)")
    return find_nginx()  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """A private nginx in the foreground: `nginx -p PREFIX -c CONF -e ERRLOG -g 'daemon off;'`."""

    def __init__(self, binary: str, root: Path, prefix: Path) -> None:
        self.binary, self.root, self.prefix = binary, root, prefix
        self.proc: subprocess.Popen | None = None
        self.port = 0
        for sub in ("logs", "tmp", "conf"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)

    def _write_conf(self, port: int, drop: set[str]) -> Path:
        text = (HERE / "nginx.conf.tmpl").read_text(encoding="utf-8")
        # as root the workers would run as `nobody`, who may not be able to read the checkout's parent
        user_line = "user root;" if os.geteuid() == 0 else ""
        for key, value in {"PREFIX": str(self.prefix), "ROOT": str(self.root), "PORT": str(port),
                           "USER_LINE": user_line}.items():
            text = text.replace("{{" + key + "}}", value)
        lines = [ln for ln in text.splitlines() if ln.strip().split(" ", 1)[0] not in drop]
        conf = self.prefix / "conf" / "nginx.conf"
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return conf

    def _cmd(self, conf: Path, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.prefix) + "/", "-c", str(conf),
                "-e", str(self.prefix / "logs" / "error.log"), *extra]

    def start(self) -> str:
        drop: set[str] = set()
        for _attempt in range(6):
            port = free_port()
            conf = self._write_conf(port, drop)
            test = subprocess.run(self._cmd(conf, "-t", "-q"), capture_output=True, text=True)
            unknown = re.search(r'unknown directive "(\w+)"', test.stderr)
            if unknown:  # e.g. a *_temp_path of a module this nginx build lacks
                drop.add(unknown.group(1))
                continue
            if test.returncode != 0:
                raise SystemExit(f"bench: nginx config test failed:\n{test.stderr}")
            self.proc = subprocess.Popen(self._cmd(conf, "-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(url, timeout=1) as r:
                        if r.status == 200:
                            self.port = port
                            return url
                except OSError:
                    time.sleep(0.05)
            errors = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            if "Address already in use" in errors:
                continue  # lost the race for the free port: try another
            raise SystemExit(f"bench: nginx did not serve {url}:\n{errors}")
        raise SystemExit("bench: could not start nginx")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful; the master stops its worker
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.proc = None

    def version(self) -> str:
        r = subprocess.run([self.binary, "-v"], capture_output=True, text=True)
        return (r.stderr or r.stdout).strip().split(":", 1)[-1].strip()


def finish(server: Nginx, tmp: Path, keep: bool) -> None:
    """Stop nginx; remove the temp folder unless asked to keep it."""
    server.stop()
    if keep:
        log(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


# --- running one crawl ---------------------------------------------------------------------------------
class RssPoller(threading.Thread):
    """Sum of RSS over the process tree, sampled every 50 ms; keeps the peak."""

    def __init__(self, pid: int, every_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.every_s, self._halt = pid, 0, every_s, threading.Event()

    def sampled(self, rss: int) -> None:
        self.peak = max(self.peak, rss)

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                self.sampled(total)
            except psutil.NoSuchProcess:
                return
            self._halt.wait(self.every_s)

    def stop(self) -> int:
        self._halt.set()
        self.join(1)
        return self.peak


NGINX_PIDS: list[int] = []  # master and worker: their CPU is not "other load"


def _tree_cpu(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _busy_and_steal() -> tuple[float, float]:
    import psutil

    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    steal = getattr(t, "steal", 0.0)
    return sum(t) - idle - steal - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0), steal


def run_measured(cmd: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> dict:
    busy0, steal0 = _busy_and_steal()
    nginx0 = _tree_cpu(NGINX_PIDS)
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        t0, spawned = time.perf_counter(), time.time()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        poller = RssPoller(proc.pid)
        poller.start()
        timer = threading.Timer(RUN_TIMEOUT_S, proc.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)  # rusage of this child alone (interleaving-safe)
        finally:
            timer.cancel()
        seconds, exited = time.perf_counter() - t0, time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        polled = poller.stop()
    busy1, steal1 = _busy_and_steal()
    own = ru.ru_utime + ru.ru_stime
    nginx_cpu = _tree_cpu(NGINX_PIDS) - nginx0
    return {"other_cpu_s": max(0.0, busy1 - busy0 - own - nginx_cpu), "steal_s": steal1 - steal0,
            "nginx_cpu_s": nginx_cpu, "cpu_s": own, "seconds": seconds, "spawned": spawned, "exited": exited,
            "returncode": proc.returncode, "peak_rss_mib": ru.ru_maxrss / 1024,
            "polled_peak_rss_mib": polled / 2**20, "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime}


def crawl_env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update({"EVIDENCE_CONCURRENCY": str(CONCURRENCY), "EVIDENCE_CONCURRENCY_PER_DOMAIN": str(CONCURRENCY),
                "EVIDENCE_AUTOTHROTTLE": "0", "EVIDENCE_DOWNLOAD_DELAY_S": "0", "EVIDENCE_STORE": str(store),
                "SCRAPY_SETTINGS_MODULE": "evidence_crawler.settings"})
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_webarchive(url: str, tmp: Path, tag: str) -> dict:
    """The peer: the bare crawl with scrapy-webarchive's WACZ exporter on, from bench/.venv."""
    overrides, _off = bare_settings()
    extra = peer.webarchive_settings(tmp, tag, overrides.get("EXTENSIONS", "{}"))
    before = set(ROOT.glob("*.warc.gz"))
    res = run_bare(url, tmp, tag, peer.bench_scrapy(), extra, kind="webarchive")
    for stray in set(ROOT.glob("*.warc.gz")) - before:  # scrapy-webarchive writes its WARC in the cwd
        shutil.move(str(stray), str(tmp / stray.name))
    waczs = peer.webarchive_output(tmp, tag)
    res["wacz_bytes"] = sum(p.stat().st_size for p in waczs)
    if not waczs and not res.get("error"):
        res["error"] = "scrapy-webarchive wrote no WACZ"
    return res


def run_bare_freeze(url: str, tmp: Path, tag: str) -> dict:
    """Bare Scrapy plus the one process tuning the evidence crawl has (``pipelines.heapfreeze``): the
    evidence crawl against this run is what the evidence work itself costs."""
    overrides, _off = bare_settings()
    extensions = {**json.loads(overrides.get("EXTENSIONS", "{}")), FREEZE: 1000}
    return run_bare(url, tmp, tag, extra={"EXTENSIONS": json.dumps(extensions)}, kind="bare_freeze")


def run_bare(url: str, tmp: Path, tag: str, scrapy_cmd: list[str] | None = None, extra: dict | None = None,
             kind: str = "bare") -> dict:
    logfile = tmp / f"{tag}.log"
    cmd = [*(scrapy_cmd or [str(VENV_BIN / "scrapy")]), "crawl", "storefront", "-a", f"profile={PROFILE}",
           "-a", f"start_url={url}"]
    overrides, _off = bare_settings()
    for k, v in {**overrides, **(extra or {}), "LOG_FILE": str(logfile)}.items():
        cmd += ["-s", f"{k}={v}"]
    res = run_measured(cmd, crawl_env(tmp / f"{tag}-store-unused"), tmp / f"{tag}.out", tmp / f"{tag}.err")
    text = logfile.read_text(encoding="utf-8", errors="replace") if logfile.exists() else ""

    def stat(name: str) -> str | None:
        m = re.search(rf"'{name}':\s*([^,\n}}]+)", text)
        return m.group(1).strip() if m else None

    pages = int(stat("response_received_count") or 0)
    start, finish = _stats_time(text, "start_time"), _stats_time(text, "finish_time")
    if start and finish:
        res["phases"] = {"startup_s": start - res["spawned"], "crawl_s": finish - start, "seal_s": 0.0,
                         "exit_s": res["exited"] - finish}
    res.update(kind=kind, pages=pages, items=int(stat("item_scraped_count") or 0),
               log_errors=int(stat("log_count/ERROR") or 0),
               finish_reason=(stat("finish_reason") or "").strip("'\""),
               crawl_s=float(stat("elapsed_time_seconds") or "nan"))
    if res["returncode"] != 0 or not pages:
        res["error"] = f"{kind} crawl failed (exit {res['returncode']}); see tail of log:\n" + "\n".join(
            (text or (tmp / f"{tag}.err").read_text(errors="replace")).splitlines()[-25:])
    elif res["log_errors"]:
        res["error"] = f"bare crawl logged {res['log_errors']} errors:\n" + "\n".join(
            ln for ln in text.splitlines() if "ERROR" in ln)
    if (tmp / f"{tag}-store-unused").exists():
        res["error"] = "bare crawl created an evidence store: the capture extension was not switched off"
    return res


def run_evidence(url: str, tmp: Path, tag: str) -> dict:
    store = tmp / f"{tag}-store"
    cmd = [str(VENV_BIN / "evidence-crawler"), "--store", str(store), "crawl", PROFILE, "--start-url", url,
           "--allow-private", "--json"]
    res = run_measured(cmd, crawl_env(store), tmp / f"{tag}.out", tmp / f"{tag}.err")
    res["kind"] = "evidence"
    try:
        summary = json.loads((tmp / f"{tag}.out").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        res.update(pages=0, items=0, error="no JSON summary; stderr tail:\n" + "\n".join(
            (tmp / f"{tag}.err").read_text(errors="replace").splitlines()[-25:]))
        return res
    res.update(pages=summary.get("pages", 0), items=summary.get("items", 0), state=summary.get("state"),
               errors=len(summary.get("errors", [])), warc_files=summary.get("warc_files", []),
               capture_id=summary.get("capture_id"))
    try:
        manifest = json.loads(Path(summary["manifest"]).read_text(encoding="utf-8"))
        res["finish_reason"] = manifest.get("finish_reason")
        res["crawl_s"] = _iso_delta(manifest["started_at"], manifest["finished_at"])
        state = json.loads((Path(summary["manifest"]).parent / "state.json").read_text(encoding="utf-8"))
        opened, sealing, sealed = (_epoch(manifest["started_at"]), _epoch(manifest["finished_at"]),
                                   _epoch(state["updated_at"]))
        res["phases"] = {"startup_s": opened - res["spawned"], "crawl_s": sealing - opened,
                         "seal_s": sealed - sealing, "exit_s": res["exited"] - sealed}
    except (KeyError, OSError, ValueError):
        res["crawl_s"] = float("nan")
    if summary.get("state") != "sealed":
        res["error"] = f"capture not sealed: {summary.get('state')}"
    elif problem := peer.check_capture(store, res["capture_id"], res["warc_files"], crawl_env(store)):
        res["error"] = problem  # correctness is part of every round: a fast wrong capture does not count
    res["checked"] = "error" not in res
    return res


def _epoch(iso_z: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso_z.replace("Z", "+00:00")).timestamp()


def _stats_time(text: str, name: str) -> float | None:
    """``'start_time': datetime.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=datetime.timezone.utc)``"""
    from datetime import datetime

    m = re.search(rf"'{name}':\s*datetime\.datetime\(([\d,\s]+)", text)
    if not m:
        return None
    parts = [int(x) for x in m.group(1).replace(" ", "").strip(",").split(",")]
    return datetime(*parts, tzinfo=UTC).timestamp()


def _iso_delta(a: str, b: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(b.replace("Z", "+00:00")) -
            datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds()


# --- hashing -------------------------------------------------------------------------------------------
def build_hash_file(path: Path, sources: list[Path], size: int) -> int:
    blobs = [p.read_bytes() for p in sources if p.exists()]
    blobs = [b for b in blobs if b]
    if not blobs:  # no WARC (evidence runs failed): incompressible bytes of the same size instead
        blobs = [os.urandom(1 << 24)]
    written = 0
    with open(path, "wb") as fh:
        while written < size:
            for b in blobs:
                chunk = b[: size - written]
                fh.write(chunk)
                written += len(chunk)
                if written >= size:
                    break
    return written


def warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def best_of(n: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def hash_bench(path: Path, reps: int) -> dict:
    import blake3

    from evidence_crawler.hashing import CHUNK, digest_file

    size = path.stat().st_size
    warm(path)

    def sha_only():
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        return h.hexdigest()

    def b3_only():
        h = blake3.blake3(max_threads=1)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        return h.hexdigest()

    def openssl():
        r = subprocess.run(["openssl", "dgst", "-sha256", "-r", str(path)], capture_output=True, text=True,
                           check=True)
        return r.stdout.split()[0]

    t_ours, digests = best_of(reps, lambda: digest_file(path))
    t_sha, sha_hex = best_of(reps, sha_only)
    t_b3, b3_hex = best_of(reps, b3_only)
    t_ossl, ossl_hex = best_of(reps, openssl)
    agree = digests.sha256 == sha_hex == ossl_hex and digests.blake3 == b3_hex
    mb = size / 1e6
    return {
        "bytes": size, "reps": reps, "digests_agree": agree,
        "ours_sha256_blake3_MBps": mb / t_ours, "hashlib_sha256_MBps": mb / t_sha,
        "blake3_1thread_MBps": mb / t_b3, "openssl_sha256_MBps": mb / t_ossl,
        "ratio_ours_vs_openssl": t_ossl / t_ours, "ratio_hashlib_sha256_vs_openssl": t_ossl / t_sha,
        "seconds": {"ours": t_ours, "hashlib_sha256": t_sha, "blake3": t_b3, "openssl": t_ossl},
    }


# --- optional profile of one evidence crawl ------------------------------------------------------------
def profile_evidence(url: str, tmp: Path, top: int = 30) -> str:
    out = tmp / "evidence.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), str(VENV_BIN / "evidence-crawler"), "--store",
           str(tmp / "prof-store"), "crawl", PROFILE, "--start-url", url, "--allow-private", "--json"]
    subprocess.run(cmd, cwd=ROOT, env=crawl_env(tmp / "prof-store"), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT_S * 2, check=False)
    import io
    import pstats

    buf = io.StringIO()
    stats = pstats.Stats(str(out), stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# --- report --------------------------------------------------------------------------------------------
def per(a: float, b: float) -> float:
    """a / b, NaN when b is 0 (a run that recorded nothing)."""
    return a / b if b else float("nan")


def med(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def summarize(rounds: list[dict], hashing: dict | None, meta: dict) -> tuple[str, dict]:
    lines = ["=" * 78, "evidence-crawler bench  " + meta["when"], "-" * 78,
             f"machine: {meta['cpus']} cpu ({meta['cpu']}), python {meta['python']}, scrapy {meta['scrapy']}, "
             f"{meta['nginx']}, {meta['openssl']}",
             f"corpus: {meta['corpus']} served by nginx on 127.0.0.1; concurrency {CONCURRENCY} "
             f"(per domain {CONCURRENCY}), autothrottle off, delay 0, robots.txt obeyed",
             "bare = same spider and profile via `scrapy crawl storefront`, with off: "
             + ", ".join(c.rsplit(".", 1)[-1] for c in meta["bare_disabled"]), "",
             "bare+freeze = bare plus pipelines.heapfreeze.StartupHeapFreeze, the one process tuning of the "
             "evidence crawl (gc.freeze of the start-up heap)", "",
             f"{'round':>5} {'order':<19} | {'bare pages':>10} {'s':>6} {'p/s':>7} {'MiB':>5} | "
             f"{'evid pages':>10} {'s':>6} {'p/s':>7} {'MiB':>5} | {'ratio':>5} | {'frz p/s':>7} {'ratio':>5} | "
             f"{'peer p/s':>8} {'ratio':>5} | {'load':>4}"]
    for r in rounds:
        b, e = r["bare"], r["evidence"]
        lines.append(f"{r['round']:>5} {r['order']:<19} | {b['pages']:>10} {b['seconds']:>6.2f} "
                     f"{b['pages_per_s']:>7.1f} {b['peak_rss_mib']:>5.0f} | {e['pages']:>10} {e['seconds']:>6.2f} "
                     f"{e['pages_per_s']:>7.1f} {e['peak_rss_mib']:>5.0f} | {r['ratio']:>5.3f} | "
                     f"{r['bare_freeze']['pages_per_s']:>7.1f} {r['ratio_freeze']:>5.3f} | "
                     + (f"{r['webarchive']['pages_per_s']:>8.1f} {r['ratio_webarchive']:>5.3f}" if "webarchive" in r
                        else f"{'-':>8} {'-':>5}") + f" | {e.get('loadavg_1m', float('nan')):>4.1f}")
    bare_pps = med([r["bare"]["pages_per_s"] for r in rounds])
    ev_pps = med([r["evidence"]["pages_per_s"] for r in rounds])
    ratio = per(ev_pps, bare_pps)
    measures = ("pages", "seconds", "pages_per_s", "crawl_s", "peak_rss_mib", "polled_peak_rss_mib",
                "cpu_user_s", "cpu_sys_s", "cpu_s", "other_cpu_s", "steal_s", "nginx_cpu_s")
    result = {kind: {k: med([r[kind][k] for r in rounds]) for k in measures}
              for kind in ("bare", "evidence", "bare_freeze")}
    for kind in ("bare", "evidence"):
        result[kind]["phases"] = {ph: med([r[kind].get("phases", {}).get(ph, float("nan")) for r in rounds])
                                  for ph in ("startup_s", "crawl_s", "seal_s", "exit_s")}
        result[kind]["crawl_pages_per_s"] = result[kind]["pages"] / result[kind]["phases"]["crawl_s"]
    result["ratio_in_crawl_pages_per_s"] = per(result["evidence"]["crawl_pages_per_s"],
                                               result["bare"]["crawl_pages_per_s"])
    peers = [r["webarchive"] for r in rounds if "webarchive" in r]
    if peers:
        result["webarchive"] = {k: med([p[k] for p in peers]) for k in
                                ("pages", "seconds", "pages_per_s", "peak_rss_mib", "cpu_s", "wacz_bytes")}
        result["ratio_webarchive_vs_bare_pages_per_s"] = per(result["webarchive"]["pages_per_s"],
                                                             result["bare"]["pages_per_s"])
    result["loadavg_1m_median"] = med([r[k].get("loadavg_1m", float("nan"))
                                       for r in rounds for k in ("bare", "evidence")])
    result["bare"]["items"] = med([r["bare"]["items"] for r in rounds])
    result["evidence"]["items"] = med([r["evidence"]["items"] for r in rounds])
    result["ratio_evidence_vs_bare_pages_per_s"] = ratio
    result["ratio_evidence_vs_bare_freeze_pages_per_s"] = per(ev_pps, result["bare_freeze"]["pages_per_s"])
    result["ratio_bare_freeze_vs_bare_pages_per_s"] = per(result["bare_freeze"]["pages_per_s"], bare_pps)
    best_b = max(r["bare"]["pages_per_s"] for r in rounds)
    best_e = max(r["evidence"]["pages_per_s"] for r in rounds)
    result["ratio_best_of_rounds"] = per(best_e, best_b)
    result["cpu_ratio_bare_vs_evidence"] = per(result["bare"]["cpu_s"], result["evidence"]["cpu_s"])
    other = [r[k]["other_cpu_s"] / r[k]["seconds"] for r in rounds for k in ("bare", "evidence")]
    result["other_load_cores_max"] = max(other) if other else 0.0
    result["target_ratio"] = TARGET_RATIO
    result["target_met"] = bool(ratio >= TARGET_RATIO)
    b, e = result["bare"], result["evidence"]
    ratio_freeze = result["ratio_evidence_vs_bare_freeze_pages_per_s"]
    lines += ["", f"{'median':<25} | {b['pages']:>10.0f} {b['seconds']:>6.2f} {b['pages_per_s']:>7.1f} "
              f"{b['peak_rss_mib']:>5.0f} | {e['pages']:>10.0f} {e['seconds']:>6.2f} {e['pages_per_s']:>7.1f} "
              f"{e['peak_rss_mib']:>5.0f} |",
              "",
              f"RATIO evidence/bare pages/s (median): {ratio:.3f}   target >= {TARGET_RATIO:.2f}: "
              f"{'MET' if result['target_met'] else 'NOT MET'}",
              f"RATIO evidence/(bare+freeze) pages/s (median): {ratio_freeze:.3f}   (what the evidence work "
              f"costs; bare+freeze/bare {result['ratio_bare_freeze_vs_bare_pages_per_s']:.3f}, CPU s "
              f"{result['bare_freeze']['cpu_s']:.2f})",
              (f"RATIO scrapy-webarchive/bare pages/s (median, the peer): "
               f"{result['ratio_webarchive_vs_bare_pages_per_s']:.3f}  (peak RSS "
               f"{result['webarchive']['peak_rss_mib']:.0f} MiB, CPU {result['webarchive']['cpu_s']:.2f} s)"
               if peers else "scrapy-webarchive peer: not run (bench/.venv could not be set up)"),
              f"machine load average (1 min, median at run start): {result['loadavg_1m_median']:.2f} on "
              f"{os.cpu_count()} cores" + ("  -- shared machine: trust ratios, not absolute figures"
                                           if result["loadavg_1m_median"] > 1.0 else ""),
              f"  best round of each: {result['ratio_best_of_rounds']:.3f}; CPU-time ratio bare/evidence: "
              f"{result['cpu_ratio_bare_vs_evidence']:.3f} (both crawls are CPU-bound: the ratio on an idle machine)",
              f"peak RSS (median of rounds, kernel ru_maxrss): bare {b['peak_rss_mib']:.0f} MiB, "
              f"evidence {e['peak_rss_mib']:.0f} MiB, bare+freeze {result['bare_freeze']['peak_rss_mib']:.0f} MiB"
              f"  (psutil 50 ms poll: {b['polled_peak_rss_mib']:.0f} / "
              f"{e['polled_peak_rss_mib']:.0f} MiB)",
              f"items (median): bare {b['items']:.0f}, evidence {e['items']:.0f}; crawler CPU s per run (median): "
              f"bare {b['cpu_s']:.2f}, evidence {e['cpu_s']:.2f}; nginx CPU s: {b['nginx_cpu_s']:.2f} / "
              f"{e['nginx_cpu_s']:.2f}",
              "phases, median s (startup = spawn to spider open; crawl; seal; exit):",
              "  bare     " + _phases(b["phases"]), "  evidence " + _phases(e["phases"]),
              f"in-crawl pages/s (crawl phase only): bare {b['crawl_pages_per_s']:.1f}, evidence "
              f"{e['crawl_pages_per_s']:.1f}, ratio {result['ratio_in_crawl_pages_per_s']:.3f}"]
    noisy = result["other_load_cores_max"]
    lines.append(f"other load during runs: up to {noisy:.2f} cores busy with other processes (median CPU-s "
                 f"per run: bare {b['other_cpu_s']:.1f}, evidence {e['other_cpu_s']:.1f}; steal "
                 f"{b['steal_s']:.1f}/{e['steal_s']:.1f})"
                 + ("\n  NOISY: another workload shared the 2 cores; wall-clock ratios are unreliable, "
                    "the CPU-time ratio is not" if noisy > 0.25 else ""))
    if hashing:
        h = hashing
        lines += ["", f"hashing {h['bytes'] / 2**20:.0f} MiB (WARC bytes, page cache warm, median of {h['reps']}):",
                  f"  digest_file sha256+blake3 : {h['ours_sha256_blake3_MBps']:8.0f} MB/s",
                  f"  hashlib sha256 alone      : {h['hashlib_sha256_MBps']:8.0f} MB/s",
                  f"  blake3 alone (1 thread)   : {h['blake3_1thread_MBps']:8.0f} MB/s",
                  f"  openssl dgst -sha256      : {h['openssl_sha256_MBps']:8.0f} MB/s",
                  f"  RATIO ours/openssl        : {h['ratio_ours_vs_openssl']:.3f}   "
                  f"(hashlib sha256/openssl {h['ratio_hashlib_sha256_vs_openssl']:.3f}); digests agree: "
                  f"{h['digests_agree']}"]
    problems = [f"round {r['round']} {k}: {r[k]['error'].splitlines()[0]}" for r in rounds
                for k in ORDER_TAG if k in r and r[k].get("error")]
    checked = sum(1 for r in rounds if r["evidence"].get("checked"))
    lines.append(f"correctness: {checked}/{len(rounds)} evidence captures passed warcio check + captures verify")
    if problems:
        lines += ["", "PROBLEMS:"] + [f"  {p}" for p in problems]
    lines.append("=" * 78)
    result["hashing"] = hashing
    return "\n".join(lines), result


def _phases(ph: dict) -> str:
    return "  ".join(f"{k[:-2]} {v:5.2f}" for k, v in ph.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hash-mib", type=int, default=512)
    ap.add_argument("--hash-reps", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (stores, logs)")
    ap.add_argument("--profile", action="store_true", help="also cProfile one evidence crawl")
    args = ap.parse_args()
    started = time.monotonic()

    if not (CORPUS / "index.html").is_file():
        print(f"bench: SKIPPED: corpus not found at {CORPUS} (expected ../shared/corpus/books.toscrape.com "
              "next to the project root)")
        return 0
    nginx_bin = ensure_nginx()
    import scrapy

    tmp = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    server = Nginx(nginx_bin, CORPUS, tmp / "nginx")
    rounds: list[dict] = []
    hashing = None
    prof_text = ""
    try:
        url = server.start()
        import psutil

        master = psutil.Process(server.proc.pid)
        NGINX_PIDS[:] = [master.pid, *(c.pid for c in master.children(recursive=True))]
        log(f"nginx {server.version()} serving {CORPUS} at {url} (prefix {server.prefix})")
        for p in CORPUS.rglob("*.html"):  # page cache: the first timed run must not pay for disk reads
            p.read_bytes()
        subprocess.run([sys.executable, "-c", "import scrapy.crawler, evidence_crawler.cli, spiders.storefront"],
                       cwd=ROOT, check=False)
        kinds = ["bare", "evidence", "bare_freeze"] + (["webarchive"] if peer.ensure_bench_venv(log) else [])
        runners = {"bare": run_bare, "evidence": run_evidence, "webarchive": run_webarchive,
                   "bare_freeze": run_bare_freeze}
        for i in range(1, args.rounds + 1):
            order = kinds[(i - 1) % len(kinds):] + kinds[:(i - 1) % len(kinds)]  # A B C, B C A, C A B
            if i % 2 == 0:
                order.reverse()
            row: dict = {"round": i, "order": "->".join(ORDER_TAG[k] for k in order)}
            for kind in order:
                log(f"round {i}: {kind} crawl")
                load = os.getloadavg()[0]
                res = runners[kind](url, tmp, f"r{i}-{kind}")
                res["loadavg_1m"] = load
                res["pages_per_s"] = res["pages"] / res["seconds"] if res["seconds"] else 0.0
                log(f"round {i}: {kind}: {res['pages']} pages in {res['seconds']:.2f} s "
                    f"({res['pages_per_s']:.1f}/s), CPU {res['cpu_s']:.2f} s, peak RSS {res['peak_rss_mib']:.0f} MiB, "
                    f"other load {res['other_cpu_s']:.1f} CPU-s"
                    + (f"  ERROR: {res['error']}" if res.get("error") else ""))
                row[kind] = res
            row["ratio"] = per(row["evidence"]["pages_per_s"], row["bare"]["pages_per_s"])
            row["ratio_freeze"] = per(row["evidence"]["pages_per_s"], row["bare_freeze"]["pages_per_s"])
            if "webarchive" in row:
                row["ratio_webarchive"] = per(row["webarchive"]["pages_per_s"], row["bare"]["pages_per_s"])
            rounds.append(row)
            if time.monotonic() - started > DEADLINE_S * 0.7 and i < args.rounds:
                log("running out of time budget: stopping after this round")
                break
        if args.profile:
            log("cProfile of one evidence crawl")
            prof_text = profile_evidence(url, tmp)
        server.stop()

        warcs = [Path(w) for r in rounds for w in r["evidence"].get("warc_files", [])]
        hash_file = tmp / "hash-input.bin"
        n = build_hash_file(hash_file, warcs, args.hash_mib * 2**20)
        log(f"hashing {n / 2**20:.0f} MiB from {len(warcs)} WARC file(s)")
        hashing = hash_bench(hash_file, args.hash_reps)
        hash_file.unlink()
    finally:
        finish(server, tmp, args.keep)

    ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "?")
    meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpus": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "scrapy": scrapy.__version__, "nginx": server.version(),
            "openssl": " ".join(ossl.split()[:2]), "corpus": str(CORPUS), "concurrency": CONCURRENCY,
            "bare_disabled": bare_settings()[1]}
    text, result = summarize(rounds, hashing, meta)
    result.update(meta=meta, rounds=[{**r, "evidence": {k: v for k, v in r["evidence"].items() if k != "warc_files"}}
                                     for r in rounds], total_seconds=time.monotonic() - started)
    if prof_text:
        print(prof_text)
        result["profile_top"] = prof_text
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"bench: wrote {OUT.relative_to(ROOT)} in {result['total_seconds']:.0f} s total")
    failed = [r for r in rounds for k in ORDER_TAG if k in r and r[k].get("error")]
    return 1 if failed or not rounds else 0


if __name__ == "__main__":
    sys.exit(main())
