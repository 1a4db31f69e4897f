"""A forger with no access to the operator's key: rebuild a real bundle around a changed price.

The first item's first offer gets another price in items.jsonl and in the bundle manifest; then every
hash that covers it is rebuilt, in the order the exporter writes: the sealed capture manifest, a fresh
seal-time token (from the test TSA) and a seal signature with the forger's key, the custody lines (data,
links, hashes), evidence/manifest.json, its signature and a fresh export token, the report PDF's PAdES
signature (its unsigned first revision re-signed with a certificate of the forger's key, same subject,
freshly timestamped; ``evidence/pdf-signer.pem`` replaced), SHA256SUMS, datapackage.json and its signed
digest. Only the key differs from a genuine bundle: without a pinned key,
``verify`` has nothing to tell them apart by.

The bundle is re-dated to the forging time (its fresh tokens are dated then). Options move the story's times
(``created``: the bundle's creation; ``finished_at``: the capture's end) or
strip the export token and mark the bundle ``--no-timestamp`` (``strip_tokens``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import DATAPACKAGE, DIGEST, WaczWriter
from evidence_crawler.bundle.pdfsigcheck import PDF_SIGNER_PEM
from evidence_crawler.bundle.pdfsign import sign_pdf
from evidence_crawler.bundle.sign import SigningKey, signed_data
from evidence_crawler.bundle.signcert import operator_signer
from evidence_crawler.bundle.timestamp import inspect_token, request_token
from evidence_crawler.custody import canonical, event_hash
from evidence_crawler.hashing import DualDigester
from evidence_crawler.timeutil import iso


def _digests(data: bytes) -> dict[str, Any]:
    d = DualDigester()
    d.update(data)
    r = d.result()
    return {"sha256": r.sha256, "blake3": r.blake3, "size": r.size}


def _replace(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, str):
        return table.get(value, value)
    if isinstance(value, list):
        return [_replace(v, table) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, table) for k, v in value.items()}
    return value


def _new_price(item: dict) -> None:
    offer = item["offers"][0]
    offer["amount"], offer["price"] = "0.01", "0,01 €"


class Forger:
    def __init__(self, src: Path, key: SigningKey, tsa_url: str, *, created: str | None = None,
                 finished_at: str | None = None, strip_tokens: bool = False) -> None:
        self.key, self.tsa_url, self.strip = key, tsa_url, strip_tokens
        with zipfile.ZipFile(src) as z:
            self.order = [i.filename for i in z.infolist()]
            self.data = {n: z.read(n) for n in self.order}
        self.manifest = json.loads(self.data[ev.MANIFEST])
        self.package = json.loads(self.data[DATAPACKAGE])
        self.created = created or iso()  # re-dated to now, as the fresh tokens are
        self.finished_at = finished_at
        self.table: dict[str, str] = {}  # old hash / fingerprint -> new
        self.sizes: dict[str, int] = {}  # custody fields to set, by (event, name)
        self.old_fp = self.manifest["signing_key"]["fingerprint"]
        self.table[self.old_fp] = key.fingerprint
        caps = self.manifest["captures"]
        self.items_members = {a["member"] for c in caps for a in c["artifacts"] if a["name"] == "items.jsonl"}
        self.cap_manifests = {c["capture_id"]: c["manifest"]["member"] for c in caps}
        self.anchor_files = {f["member"]: (c["capture_id"], f["name"]) for c in caps for f in c["seal_anchor"]}
        declared = self.manifest.get("pdf_signer")
        self.pdf_signer = None
        if declared:  # the forger's own certificate, with the subject the operator's had
            subject = dict(x.split("=", 1) for x in declared["subject"].split(",") if "=" in x)
            self.pdf_signer = operator_signer(key, subject.get("CN", ""), subject.get("O", ""), [])
            self.table[declared["sha256"]] = self.pdf_signer.cert_sha256

    def _resign_pdf(self, data: bytes) -> bytes:
        """The printed PDF (the revision before the signature's incremental update), signed again."""
        end = data.index(b"%%EOF") + len(b"%%EOF")
        end += len(data[end:end + 2]) - len(data[end:end + 2].lstrip(b"\r\n"))
        with tempfile.TemporaryDirectory() as tmp:
            src, dest = Path(tmp) / "printed.pdf", Path(tmp) / "signed.pdf"
            src.write_bytes(data[:end])
            sign_pdf(src, dest, self.pdf_signer, [] if self.strip else [self.tsa_url], timestamp=not self.strip)
            return dest.read_bytes()

    def _changed(self, w: WaczWriter, name: str, data: bytes) -> None:
        old = _digests(self.data[name])
        m = w.add_bytes(name, data)
        self.table[old["sha256"]], self.table[old["blake3"]] = m.sha256, m.blake3

    def _items(self, data: bytes) -> bytes:
        lines = [json.loads(x) for x in data.splitlines() if x.strip()]
        _new_price(lines[0])
        return b"".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for x in lines)

    def _capture_manifest(self, w: WaczWriter, data: bytes) -> bytes:
        cm = json.loads(data)
        for art in cm["artifacts"]:
            for member in self.items_members:
                if member in w.members and member.endswith("." + art["name"]):
                    new = w.members[member]
                    art.update(sha256=new.sha256, blake3=new.blake3, size=new.size)
        if self.finished_at:
            cm["finished_at"] = self.finished_at
        return json.dumps(cm, indent=2, ensure_ascii=False).encode() + b"\n"

    def _anchor_file(self, w: WaczWriter, name: str) -> bytes:
        cid, seal_name = self.anchor_files[name]
        manifest = w.members[self.cap_manifests[cid]]
        cm_bytes = self._cap_bytes[cid]
        if seal_name.endswith(".tsr"):
            der = request_token(self.tsa_url, bytes.fromhex(manifest.sha256))
            info = inspect_token(der, bytes.fromhex(manifest.sha256))
            self.sizes[seal_name] = len(der)
            self.gen_times = {**getattr(self, "gen_times", {}), seal_name: (info.gen_time, info.tsa_name)}
            return der
        if seal_name.endswith(".sig"):
            return self.key.sign_der(cm_bytes)
        return self.key.public_pem

    def _custody(self) -> bytes:
        out, prev = [], None
        for line in self.data[ev.CUSTODY].splitlines():
            e = json.loads(line)
            old_hash = e["hash"]
            e["data"] = _replace(e["data"], self.table)
            d = e["data"]
            if e["event"] == "artifact_written" and d.get("name") == "items.jsonl":
                d["size"] = next(self._new_sizes[m] for m in self.items_members if m in self._new_sizes)
            if e["event"] == "capture_sealed":
                d["manifest_size"] = self._new_sizes[self.cap_manifests[e["capture_id"]]]
            if e["event"] == "capture_timestamped" and d.get("name") in self.sizes:
                d["size"] = self.sizes[d["name"]]
                d["gen_time"], d["tsa_name"] = self.gen_times[d["name"]]
            if prev is not None and e["seq"] == prev["seq"] + 1:
                e["prev"] = prev["hash"]
            e["hash"] = event_hash(e)
            self.table[old_hash] = e["hash"]
            out.append(canonical(e) + b"\n")
            prev = e
        return b"".join(out)

    def _bundle_manifest(self, w: WaczWriter) -> bytes:
        m = _replace(self.manifest, self.table)
        m["created"] = self.created
        _new_price(next(i for i in m["items"]))
        for cap in m["captures"]:
            refs = [cap["manifest"], *cap["artifacts"], *cap["seal_anchor"]]
            for ref in refs:
                new = w.members[ref["member"]]
                ref.update(sha256=new.sha256, size=new.size, **({"blake3": new.blake3} if "blake3" in ref else {}))
            if self.finished_at:
                cap["finished_at"] = self.finished_at
        m["members"] = {p: {"sha256": x.sha256, "blake3": x.blake3, "size": x.size} for p, x in w.members.items()}
        if self.strip:
            m["timestamps"] = {**m["timestamps"], "disabled": True, "requested_from": []}
        return json.dumps(m, indent=2, ensure_ascii=False).encode() + b"\n"

    def write(self, dest: Path) -> Path:
        self._cap_bytes: dict[str, bytes] = {}
        self._new_sizes: dict[str, int] = {}
        mbytes = b""
        with WaczWriter(dest) as w:
            for name in self.order:
                data = self.data[name]
                if name in (DATAPACKAGE, DIGEST):
                    continue
                if name in self.items_members:
                    data = self._items(data)
                elif name in self.cap_manifests.values():
                    data = self._capture_manifest(w, data)
                    cid = next(c for c, n in self.cap_manifests.items() if n == name)
                    self._cap_bytes[cid] = data
                elif name in self.anchor_files:
                    data = self._anchor_file(w, name)
                elif name == ev.CUSTODY:
                    data = self._custody()
                elif name == ev.PUBLIC_KEY:
                    data = self.key.public_pem
                elif name == PDF_SIGNER_PEM and self.pdf_signer is not None:
                    data = self.pdf_signer.chain_pem
                elif name.startswith("evidence/report") and name.endswith(".pdf") and self.pdf_signer is not None:
                    data = self._resign_pdf(data)
                elif name == ev.MANIFEST:
                    data = mbytes = self._bundle_manifest(w)
                elif name == ev.SIGNATURE:
                    data = self.key.sign_der(mbytes)
                elif name.startswith("evidence/timestamp-"):
                    if self.strip:
                        continue
                    data = request_token(self.tsa_url, hashlib.sha256(mbytes).digest())
                elif name == ev.VERIFY_TXT:
                    data = data.replace(self.old_fp.encode(), self.key.fingerprint.encode())
                elif name == ev.SUMS:
                    data = ev.sha256sums(w.members)
                if data != self.data[name]:
                    self._changed(w, name, data)
                else:
                    w.add_bytes(name, data)
                self._new_sizes[name] = w.members[name].size
            created, software = self.created, self.package["software"]
            w.add_signed_datapackage(self.package["title"], self.package["description"], created, software,
                                     lambda h: signed_data(self.key, h, created, software))
            w.commit()
        return dest


def forge(src: Path, dest: Path, key: SigningKey, tsa_url: str, **options: Any) -> Path:
    return Forger(src, key, tsa_url, **options).write(dest)
