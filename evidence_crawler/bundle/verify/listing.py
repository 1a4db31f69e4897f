"""Members against the listing: datapackage.json is read first (capped, shape-checked), then every member
is scanned once (sha256, blake3, WARC records) and compared with its listed sha256 and size; finally
datapackage.json against its signed digest.

A document member (``.json``, ``.jsonl``, a token, a key...) is read into memory only after its declared
size was checked against the listing and only up to a cap: ``MAX_JSON_BYTES`` for ``.json`` and the
small binary files, ``MAX_LINES_BYTES`` for JSON-lines files. One whose size differs from the listing is
named as altered and streamed, never loaded; one that declares more than its cap is refused before
anything is read (exit 2, the cap in the message), and the reader never asks the zip for more than the cap:
a highly compressed member is never inflated into memory.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import Executor, ThreadPoolExecutor
from zipfile import ZipInfo

from evidence_crawler.bundle.memberscan import scan_member
from evidence_crawler.bundle.package import DATAPACKAGE, DIGEST, digest_bytes
from evidence_crawler.bundle.safezip import UnusableBundle
from evidence_crawler.bundle.sign import fingerprint, verify_signed_data
from evidence_crawler.bundle.verify.context import Bundle
from evidence_crawler.bundle.verify.shape import DigestShape, PackageShape, load_shaped

MAX_JSON_BYTES = 64 << 20  # a .json member (or token, key, signature, text) parsed in memory
MAX_LINES_BYTES = 512 << 20  # a .jsonl member (pages, items, custody lines of a big capture)
DOC_SUFFIXES = (".json", ".pem", ".sig", ".tsr", ".yaml", ".txt")
LINES_SUFFIX = ".jsonl"


def _mib(n: int) -> str:
    return f"{n >> 20} MiB"


def doc_cap(name: str) -> int | None:
    """The in-memory cap of a document member; None for members only streamed (WARCs, report, images)."""
    if name.startswith("archive/"):
        return None
    if name.endswith(LINES_SUFFIX):
        return MAX_LINES_BYTES
    return MAX_JSON_BYTES if name.endswith(DOC_SUFFIXES) else None


def refuse_over_cap(info: ZipInfo, cap: int | None) -> None:
    if cap is not None and info.file_size > cap:
        raise UnusableBundle(f"{info.filename}: {info.file_size} bytes once inflated, over the {_mib(cap)} cap "
                             f"for a document read into memory ({info.compress_size} bytes in the zip): refused")


def read_capped(b: Bundle, name: str) -> bytes:
    """A document member whole, refused (exit 2) when it declares more than its cap; the reader never
    asks the zip for more than the cap plus one byte."""
    cap = doc_cap(name) or MAX_JSON_BYTES
    refuse_over_cap(b.z.members[name], cap)
    with b.z.open(name) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise UnusableBundle(f"{name}: inflates past the {_mib(cap)} cap for a document read into memory: refused")
    return data


def read_listing(b: Bundle) -> None:
    """datapackage.json and its digest, before any other member: the listing decides what is read."""
    for name in (DATAPACKAGE, DIGEST):
        if name in b.z.members:
            b.docs[name] = read_capped(b, name)
    b.package = package = load_shaped(b.docs, DATAPACKAGE, PackageShape, b.report.problems)
    b.digest = load_shaped(b.docs, DIGEST, DigestShape, b.report.problems)
    names: set[str | None] = set()
    for res in (package or {}).get("resources", []):
        path = res.get("path")
        if path in b.listed:
            b.problem(f"{DATAPACKAGE}: {path} listed twice")
        if res.get("name") in names:
            b.problem(f"{DATAPACKAGE}: resource name {res.get('name')!r} used twice")
        names.add(res.get("name"))
        b.listed[path] = res


def scan_all(b: Bundle) -> None:
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="warc-records") as pool:
        for name, info in b.z.members.items():
            _scan_one(b, name, info, pool)


def _scan_one(b: Bundle, name: str, info: ZipInfo, pool: Executor) -> None:
    is_warc = name.startswith("archive/") and name.endswith((".warc.gz", ".warc"))
    listed, cap = b.listed.get(name), doc_cap(name)
    refuse_over_cap(info, cap)  # before the listing: a document this large is not one this tool wrote
    keep = cap is not None and (listed is None or listed.get("bytes") == info.file_size)
    try:
        if name in b.docs:
            scan = scan_member(_Bytes(b.docs[name]), name, False)
        elif keep:
            data = read_capped(b, name)
            b.docs[name] = data
            scan = scan_member(_Bytes(data), name, False)
        else:
            with b.z.open(name) as raw:
                scan = scan_member(raw, name, is_warc, pool)
    except UnusableBundle:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile errors on one member name that member
        b.problem(f"{name}: unreadable member ({type(exc).__name__}: {exc}); content altered?")
        return
    b.scans[name] = scan
    b.report.problems.extend(scan.problems)
    b.report.count("members")
    b.report.count("bytes", scan.size)
    b.report.count("warc_records", scan.records)


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        out, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return out


def check_package(b: Bundle) -> None:
    """Members against datapackage.json, and datapackage.json against its signed digest."""
    package = b.package
    if package is None:
        b.problem(f"{DATAPACKAGE}: missing or unreadable: no member can be checked against it")
    for name, scan in b.scans.items():
        if name in (DATAPACKAGE, DIGEST):
            continue
        res = b.listed.get(name)
        if res is None:
            if package is not None:
                b.problem(f"{name}: not listed in {DATAPACKAGE} (member added)")
        elif res.get("hash") != f"sha256:{scan.sha256}" or res.get("bytes") != scan.size:
            b.problem(f"{name}: sha256/size differ from {DATAPACKAGE} (content altered)")
    for path in b.listed:
        if path not in b.z.members:
            b.problem(f"{path}: listed in {DATAPACKAGE} but missing from the bundle (member removed)")
    b.report.count("listed", len(b.listed))
    _check_digest(b, package)


def _check_digest(b: Bundle, package: dict | None) -> None:
    digest = b.digest
    if digest is None:
        b.problem(f"{DIGEST}: missing or unreadable: the package is not signed")
        return
    if digest_bytes(digest) != b.doc(DIGEST):
        b.problem(f"{DIGEST}: not as written by the exporter (altered)")
    sd = digest.get("signedData") or {}
    dp = b.scans.get(DATAPACKAGE)
    if dp is not None and digest.get("hash") != f"sha256:{dp.sha256}":
        b.problem(f"{DATAPACKAGE}: its sha256 differs from the hash in {DIGEST} (altered)")
    if digest.get("path") != DATAPACKAGE or sd.get("hash") != digest.get("hash"):
        b.problem(f"{DIGEST}: signed hash and package hash differ")
    why = verify_signed_data(sd)
    if why:
        b.problem(f"{DIGEST}: WACZ signature: {why}")
    if package is not None and (sd.get("created") != package.get("created")
                                or sd.get("software") != package.get("software")):
        b.problem(f"{DIGEST}: created/software differ from {DATAPACKAGE}")
    b.report.info["signature"] = {"public_key_fingerprint": _fp(sd.get("publicKey")), "created": sd.get("created"),
                                  "software": sd.get("software")}


def _fp(public_b64: str | None) -> str | None:
    try:
        return fingerprint(base64.b64decode(public_b64 or "", validate=True)) if public_b64 else None
    except ValueError:
        return None
