"""Issue 19 item 5: documents of the wrong shape and zip-bomb documents → exit 2 with a message naming the
member (``--json``: a JSON object carrying the error), never a traceback; a bomb is never inflated into
memory (the verifier's peak RSS is measured in a subprocess of its own)."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from evidence_crawler.bundle.verify.listing import MAX_JSON_BYTES
from tests.conftest import ROOT


def _replaced(src: Path, dest: Path, member: str, data: bytes) -> Path:
    """``member`` replaced by ``data``, and datapackage.json's listing made to agree (as a forger would: the
    listing is checked first, so a member whose size differs from it is named as altered and never parsed)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            content = data if info.filename == member else zin.read(info)
            if info.filename == "datapackage.json" and member != "datapackage.json":
                package = json.loads(content)
                for res in package["resources"]:
                    if res["path"] == member:
                        res.update(bytes=len(data), hash="sha256:" + hashlib.sha256(data).hexdigest())
                content = json.dumps(package, indent=2).encode()
            zout.writestr(info, content)
    return dest


def _patched(src: Path, dest: Path, member: str, patch) -> Path:
    with zipfile.ZipFile(src) as z:
        doc = json.loads(z.read(member))
    patch(doc)
    return _replaced(src, dest, member, json.dumps(doc).encode())


SHAPES = {"a list": b"[1, 2, 3]\n", "a string": b'"datapackage"\n', "a number": b"42\n", "null": b"null\n"}
MEMBERS = ["datapackage.json", "datapackage-digest.json", "evidence/manifest.json"]


@pytest.mark.parametrize("member", MEMBERS)
def test_documents_of_another_shape_exit_2_naming_the_member(sealed, bundle_en, tmp_path, member):
    cli, _ = sealed
    wrong = []
    for kind, data in SHAPES.items():
        bad = _replaced(bundle_en, tmp_path / "bad.wacz", member, data)
        proc = cli.run("verify", str(bad), "--json")
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
        if (proc.returncode != 2 or "Traceback" in proc.stderr or f"{member}: the document is {kind}" not in proc.stderr
                or not isinstance(out, dict) or out.get("valid") is not False or member not in out.get("unusable", "")):
            wrong.append((kind, proc.returncode, proc.stderr[-500:], proc.stdout[-300:]))
    assert wrong == []


@pytest.mark.parametrize("member, patch, field", [
    ("datapackage.json", lambda d: d.update(resources={"path": "x"}), "resources"),
    ("datapackage.json", lambda d: d["resources"][0].update(bytes="12"), "resources.0.bytes"),
    ("datapackage-digest.json", lambda d: d.update(signedData=["sig"]), "signedData"),
    ("evidence/manifest.json", lambda d: d.update(members=[1]), "members"),
    ("evidence/manifest.json", lambda d: d.update(timestamps="none"), "timestamps"),
    ("evidence/manifest.json", lambda d: d.update(signing_key=7), "signing_key"),
])
def test_fields_of_another_type_exit_2_naming_member_and_field(sealed, bundle_en, tmp_path, member, patch, field):
    cli, _ = sealed
    proc = cli.run("verify", str(_patched(bundle_en, tmp_path / "bad.wacz", member, patch)), "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{member}: field {field}" in " ".join(proc.stderr.split())
    assert json.loads(proc.stdout)["valid"] is False


def test_a_custody_line_of_another_shape_is_named(sealed, bundle_en, tmp_path):
    """A line whose hash holds but whose fields are not a custody event's: named, exit 1, no traceback."""
    from evidence_crawler.custody import canonical, event_hash

    cli, _ = sealed
    with zipfile.ZipFile(bundle_en) as z:
        lines = z.read("evidence/custody.jsonl").splitlines()
    odd = {"seq": "one", "event": ["x"], "prev": 0}
    odd["hash"] = event_hash(odd)
    bad = _replaced(bundle_en, tmp_path / "custody.wacz", "evidence/custody.jsonl",
                    b"\n".join([*lines[:-1], canonical(odd)]) + b"\n")
    proc = cli.run("verify", str(bad))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"custody.jsonl line {len(lines)}: not a custody event" in proc.stderr


# --- zip bombs of JSON -------------------------------------------------------------------------------------


def _deflate_chunk(chunk: bytes) -> tuple[bytes, bytes]:
    """``chunk`` deflated after a full flush (so the same bytes deflate the same each time), and the end."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH), c.flush(zlib.Z_FINISH)


def _bomb_zip(path: Path, member: str, chunk: bytes, copies: int, others: dict[str, bytes]) -> Path:
    """A zip whose ``member`` inflates to ``copies`` times ``chunk`` (written by hand: nothing is inflated
    here; its CRC is left 0, never reached) plus small stored ``others``."""
    body, end = _deflate_chunk(chunk)
    entries, out = [], open(path, "wb")
    with out:
        for name, data, method, csize, usize, crc in (
                [(n, d, 0, len(d), len(d), zlib.crc32(d)) for n, d in others.items()]
                + [(member, None, 8, len(body) * copies + len(end), len(chunk) * copies, 0)]):
            offset, raw = out.tell(), name.encode()
            out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, csize, usize, len(raw), 0))
            out.write(raw)
            if data is None:
                for _ in range(copies):
                    out.write(body)
                out.write(end)
            else:
                out.write(data)
            entries.append((raw, method, crc, csize, usize, offset))
        cd = out.tell()
        for raw, method, crc, csize, usize, offset in entries:
            out.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, 0, method, 0, 0x21, crc, csize, usize,
                                  len(raw), 0, 0, 0, 0, 0o100644 << 16, offset))
            out.write(raw)
        size = out.tell() - cd
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), size, cd, 0))
    return path


def _json_chunk() -> bytes:
    """1 MiB of JSON-ish text that deflates about 150:1 (under SafeZip's 200:1 zip-bomb ratio)."""
    import random

    rnd = random.Random(19)
    return b"".join(b'{"k":"' + rnd.randbytes(2).hex().encode() + b'"}' + b" " * 1010 for _ in range(1024))[:1 << 20]


# VmHWM (this process's own peak RSS), not getrusage's ru_maxrss: Linux carries ru_maxrss over fork + exec,
# so in a long test run it holds the (large) pytest parent's RSS rather than the verifier's
MEASURE = """
import json, re, sys
from pathlib import Path
from evidence_crawler.bundle.verify import UnusableBundle, verify_bundle
try:
    verify_bundle(Path(sys.argv[1]))
    message = None
except UnusableBundle as exc:
    message = str(exc)
hwm = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
print(json.dumps({"message": message, "max_rss_kib": hwm}))
"""


def _measured(bundle: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(bundle)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("member, listed", [("evidence/manifest.json", True), ("datapackage.json", False),
                                            ("evidence/manifest.json", False)])
def test_an_8_mb_zip_of_a_huge_json_member_is_refused_without_inflating_it(bundle_en, tmp_path, member, listed):
    """1.2 GB of JSON deflated into 8 MB (150:1, past the ratio check): refused at the cap, memory bounded."""
    chunk, copies = _json_chunk(), 1200
    with zipfile.ZipFile(bundle_en) as z:
        others = {n: z.read(n) for n in z.namelist() if n != member}
    if listed:  # the listing agrees with the bomb: the cap alone stops it
        package = json.loads(others["datapackage.json"])
        next(r for r in package["resources"] if r["path"] == member)["bytes"] = len(chunk) * copies
        others["datapackage.json"] = json.dumps(package).encode()
    bomb = _bomb_zip(tmp_path / "bomb.wacz", member, chunk, copies, others)
    assert bomb.stat().st_size < 16 << 20
    result = _measured(bomb)
    assert result["message"] and member in result["message"] and f"{MAX_JSON_BYTES >> 20} MiB cap" in result["message"]
    assert result["max_rss_kib"] < 300 << 10, result  # the member alone is 1.2 GB


def test_a_bomb_past_the_ratio_is_refused_as_a_zip_bomb(bundle_en, tmp_path):
    with zipfile.ZipFile(bundle_en) as z:
        others = {n: z.read(n) for n in z.namelist() if n != "evidence/manifest.json"}
    bomb = _bomb_zip(tmp_path / "zeros.wacz", "evidence/manifest.json", b" " * (1 << 20), 3000, others)
    result = _measured(bomb)
    assert "zip bomb" in result["message"] and result["max_rss_kib"] < 300 << 10
