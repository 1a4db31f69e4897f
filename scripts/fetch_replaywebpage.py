"""Fetch the pinned ReplayWeb.page (npm ``replaywebpage``) the workbench serves for replay; never a CDN.

The tarball comes from the npm registry and is checked against the registry's ``integrity`` (sha512,
pinned here) before anything is unpacked; only ``ui.js``, ``sw.js`` and ``LICENSE`` are kept, in
``<venv>/share/replaywebpage-<version>/`` (outside git; ``make setup`` runs this). Already there: nothing
is fetched. Usage: ``python scripts/fetch_replaywebpage.py [DEST]``; exit 1 with one line on failure.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "2.5.3"
TARBALL = f"https://registry.npmjs.org/replaywebpage/-/replaywebpage-{VERSION}.tgz"
INTEGRITY = "sha512-nCj2PSON3BxeSJKE8AsYPyULv0XPZKJWfy4l9PyQre9SqwLZ+WKZVs/sfLqPOQ4GrH+0YkjbwOhr8cSTH08gsQ=="
KEEP = ("ui.js", "sw.js", "LICENSE")
MAX_TARBALL = 64 << 20


def default_dest() -> Path:
    return Path(sys.prefix) / "share" / f"replaywebpage-{VERSION}"


def check_integrity(data: bytes, integrity: str = INTEGRITY) -> None:
    algo, _, expected = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != expected:
        raise ValueError(f"replaywebpage {VERSION}: {algo} {got} is not the registry's {expected}; nothing unpacked")


def unpack(data: bytes, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for name in KEEP:
            member = tar.getmember(f"package/{name}")
            if not member.isfile():
                raise ValueError(f"replaywebpage {VERSION}: package/{name} is not a file")
            (tmp / name).write_bytes(tar.extractfile(member).read())
    (tmp / "VERSION").write_text(f"{VERSION}\n{TARBALL}\n{INTEGRITY}\n")
    tmp.chmod(0o755)
    os.replace(tmp, dest)  # whole or not at all


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else default_dest()
    if all((dest / n).is_file() for n in KEEP):
        print(f"replaywebpage {VERSION}: already in {dest}")
        return 0
    try:
        with urllib.request.urlopen(TARBALL, timeout=120) as r:
            data = r.read(MAX_TARBALL + 1)
        if len(data) > MAX_TARBALL:
            raise ValueError(f"{TARBALL}: larger than {MAX_TARBALL >> 20} MiB")
        check_integrity(data)
        unpack(data, dest)
    except (OSError, ValueError, KeyError, tarfile.TarError) as exc:
        print(f"fetch_replaywebpage: {exc}", file=sys.stderr)
        return 1
    print(f"replaywebpage {VERSION}: integrity checked, unpacked in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
