#!/usr/bin/env python3
"""The bench's own peers and per-round correctness checks, kept out of the product's venv.

``bench/.venv`` (``python bench/peer.py --setup``, run by ``make bench``) is a venv of its own whose
site-packages come first and which sees the product's venv through a ``.pth`` line, so that the peer
runs the *same* Scrapy, spider and twisted as the evidence crawl. ``bench/requirements.txt`` pins the
peer (scrapy-webarchive) and is installed there with ``--no-deps``: scrapy-webarchive 0.5.3 declares
Scrapy<2.12 and warcio==1.7.4, which would replace the product's; it runs on the product's pins.

Every round's evidence capture is checked: ``warcio check`` on its WARC files and
``evidence-crawler captures verify`` on the capture; a failure is a bench problem (exit 1).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
VENV_BIN = Path(sys.executable).parent
WACZ_EXPORTER = "scrapy_webarchive.extensions.WaczExporter"


def bench_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def bench_scrapy() -> list[str]:
    """``scrapy`` run by bench/.venv's interpreter (Scrapy itself comes from the product's venv, so the
    bench venv has no ``scrapy`` script of its own)."""
    return [str(bench_python()), "-m", "scrapy"]


def ensure_bench_venv(log=print) -> Path | None:
    """``bench/.venv`` with the peer installed; its python, or None (with a reason logged)."""
    stamp = BENCH_VENV / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= REQUIREMENTS.stat().st_mtime and bench_python().exists():
        return bench_python()
    base = getattr(sys, "_base_executable", sys.executable)
    try:
        subprocess.run([base, "-m", "venv", str(BENCH_VENV)], check=True, capture_output=True)
        purelib = Path(subprocess.run([str(BENCH_VENV / "bin" / "python"), "-c",
                                       "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                      check=True, capture_output=True, text=True).stdout.strip())
        (purelib / "product-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
        subprocess.run([str(BENCH_VENV / "bin" / "pip"), "install", "-q", "--no-deps", "-r", str(REQUIREMENTS)],
                       check=True, capture_output=True, text=True)
        subprocess.run([str(BENCH_VENV / "bin" / "python"), "-c", f"import {WACZ_EXPORTER.rsplit('.', 1)[0]}"],
                       check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        log(f"bench venv: could not set up {BENCH_VENV} ({exc}); {str(detail).strip()[-300:]}")
        return None
    stamp.touch()
    return bench_python()


def webarchive_settings(tmp: Path, tag: str, extensions_json: str) -> dict[str, str]:
    """``-s`` settings that add scrapy-webarchive's WACZ exporter to a bare run's (JSON) EXTENSIONS."""
    import json

    extensions = {**json.loads(extensions_json or "{}"), WACZ_EXPORTER: 543}
    return {"EXTENSIONS": json.dumps(extensions), "SW_EXPORT_URI": f"file://{tmp / (tag + '-wacz')}/",
            "SW_WACZ_TITLE": "bench", "SW_WACZ_DESCRIPTION": "bench peer"}


def webarchive_output(tmp: Path, tag: str) -> list[Path]:
    return sorted((tmp / f"{tag}-wacz").glob("*.wacz"))


def check_capture(store: Path, capture_id: str | None, warc_files: list[str], env: dict) -> str | None:
    """None when the capture's WARCs pass ``warcio check`` and ``captures verify`` passes; else why not."""
    if not capture_id or not warc_files:
        return "no capture id or no WARC file to check"
    warcio = subprocess.run([str(VENV_BIN / "warcio"), "check", *warc_files], capture_output=True, text=True)
    if warcio.returncode != 0:
        return f"warcio check failed: {(warcio.stdout + warcio.stderr).strip()[-300:]}"
    verify = subprocess.run([str(VENV_BIN / "evidence-crawler"), "--store", str(store), "captures", "verify",
                             capture_id], capture_output=True, text=True, env=env, cwd=ROOT)
    if verify.returncode != 0:
        return f"captures verify exit {verify.returncode}: {(verify.stdout + verify.stderr).strip()[-300:]}"
    return None


if __name__ == "__main__":
    if sys.argv[1:] != ["--setup"]:
        sys.exit("usage: bench/peer.py --setup")
    found = ensure_bench_venv()
    print(f"bench venv: {found or 'NOT set up (the scrapy-webarchive peer will be skipped)'}")
