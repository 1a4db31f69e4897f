"""One sha256 over the tool's installed source files: a tool modified since release shows in the manifest.

Each Python package the project installs (``evidence_crawler``, ``spiders``, ``pipelines``, ``storage``)
is walked from where it is imported; every file except those under ``__pycache__`` is hashed. The
digest is the sha256 of ``sha256sum``'s output over those files sorted by path: one line
``<hex>  <path>`` each, the path relative to the package's parent folder (``evidence_crawler/cli.py``),
so anyone can redo it with coreutils (:data:`METHOD` says how). Computed once per process.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from pathlib import Path

from evidence_crawler.models import ToolFiles

PACKAGES = ("evidence_crawler", "pipelines", "spiders", "storage")
METHOD = ("sha256 of `sha256sum` output (\"<sha256>  <path>\\n\" per file, paths sorted bytewise) over every "
          "file of the packages " + ", ".join(PACKAGES) + " as installed, paths relative to their parent "
          "folder, __pycache__ excluded; redo: cd <parent> && find " + " ".join(PACKAGES) +
          " -type f -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum | sha256sum")
CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def package_files(name: str) -> list[tuple[str, Path]]:
    """(path relative to the package's parent, absolute path) of every file of an imported package."""
    root = Path(importlib.import_module(name).__file__).resolve().parent
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root.parent)
        if path.is_file() and "__pycache__" not in rel.parts:
            out.append((rel.as_posix(), path))
    return out


def listing(packages: tuple[str, ...] = PACKAGES) -> bytes:
    """What ``sha256sum`` prints for the files, sorted by path (bytewise: UTF-8 sorts like code points)."""
    files = sorted((rel, path) for name in packages for rel, path in package_files(name))
    return "".join(f"{_file_sha256(path)}  {rel}\n" for rel, path in files).encode()


@functools.cache
def tool_files() -> ToolFiles:
    text = listing()
    return ToolFiles(sha256=hashlib.sha256(text).hexdigest(), files=text.count(b"\n"), method=METHOD)
