"""``export``: sealed captures into one signed, RFC 3161-timestamped WACZ evidence bundle.

The steps, in order (each later one depends on the hashes of the earlier ones):

1. refuse unknown or unsealed captures, and any capture whose sealed files no longer match their
   hashes in the store (fail closed: we never package evidence we cannot vouch for);
2. check the key, the TSAs and Chromium before any work;
3. stream the sealed files into the zip (WARCs to ``archive/``, the rest to ``evidence/``), hashing
   each as it is written and comparing it with its sealed hash; add the CDXJ index, the page list,
   the custody lines and the public key;
4. write ``evidence/manifest.json`` (every hash so far), sign it, timestamp its sha256 at every TSA;
5. write the report (HTML, then PDF through Chromium), VERIFY.txt and SHA256SUMS;
6. write ``datapackage.json`` and ``datapackage-digest.json`` (WACZ signature), rename the zip into
   place, and append one ``exported`` custody event per capture with the bundle's sha256.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler import __version__
from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.package import DATAPACKAGE, DIGEST, WaczWriter, digest_bytes
from evidence_crawler.bundle.pages import page_entries, pages_jsonl
from evidence_crawler.bundle.pdf import PdfError, find_chromium, html_to_pdf
from evidence_crawler.bundle.report import render_report
from evidence_crawler.bundle.sign import SigningKey, SigningKeyError, create_key, load_key, signed_data
from evidence_crawler.bundle.strings import LANGS
from evidence_crawler.bundle.timestamp import TimestampError, inspect_token, request_token
from evidence_crawler.bundle.verifytext import verify_text
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import EventKind
from evidence_crawler.services.captures import iter_jsonl, require_sealed
from evidence_crawler.services.diff import DiffUnusable, diff_captures
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

SOFTWARE = f"evidence-crawler {__version__}"


class ExportUnusable(Exception):
    """Bad input or configuration (exit 2): unknown/unsealed capture, bad regex, no key, no TSA."""


class ExportFailed(Exception):
    """The export could not be completed (exit 1): no timestamp token, no PDF, damaged store copy."""


@dataclass
class ExportRequest:
    capture_ids: list[str]
    output: Path
    case_ref: str = ""
    title: str = ""
    lang: str = "en"
    items_only: str | None = None
    timestamp: bool = True
    diff: bool = False  # include evidence/diff.json + a report section: first capture vs last
    force: bool = False  # replace an existing file at ``output`` (atomically, once the new bundle is complete)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Capture:
    id: str
    dir: Path
    manifest_bytes: bytes
    manifest: dict[str, Any]
    sealed: dict[str, Any]


def _load_capture(store: LocalStore, ledger_events: list[dict], capture_id: str) -> _Capture:
    require_sealed(store, capture_id, ExportUnusable, "only sealed captures can be exported")
    d = store.capture_dir(capture_id)
    data = (d / "manifest.json").read_bytes()
    sealed = [e for e in ledger_events if e["capture_id"] == capture_id and e["event"] == EventKind.CAPTURE_SEALED]
    if not sealed or sealed[-1]["data"].get("manifest_sha256") != hashlib.sha256(data).hexdigest():
        raise ExportFailed(f"capture {capture_id}: its manifest does not match the capture_sealed custody event; "
                           f"run `evidence-crawler captures verify {capture_id}`")
    return _Capture(capture_id, d, data, json.loads(data), sealed[-1])


def _ledger(store: LocalStore) -> tuple[list[bytes], list[dict]]:
    path = CustodyLedger(store.root).path
    lines = [line for line in path.read_bytes().splitlines(keepends=True) if line.endswith(b"\n")] \
        if path.exists() else []
    return lines, [json.loads(line) for line in lines]


def _add_sealed(w: WaczWriter, store: LocalStore, cap: _Capture) -> list[dict[str, Any]]:
    """Every sealed artifact into the zip, byte for byte; a copy that differs from its sealed hash stops the export."""
    out = []
    for art in cap.manifest["artifacts"]:
        member = f"archive/{art['name']}" if art["role"] == "warc" else ev.capture_member(cap.id, art["name"])
        m = w.add_file(member, store.root / art["path"])
        if (m.sha256, m.blake3, m.size) != (art["sha256"], art["blake3"], art["size"]):
            raise ExportFailed(f"capture {cap.id}: {art['name']} in the store no longer matches its sealed hash; "
                               f"run `evidence-crawler captures verify {cap.id}`")
        out.append({"name": art["name"], "role": art["role"], "member": member, "sha256": m.sha256,
                    "blake3": m.blake3, "size": m.size})
    return out


def _cdxj(warcs: list[tuple[str, Path]]) -> bytes:
    """CDXJ over every WARC, ``filename`` as named in ``archive/``, lines sorted (cdxj-indexer, on warcio)."""
    from cdxj_indexer.main import write_cdx_index

    lines: list[str] = []
    for name, path in warcs:
        buf = io.StringIO()
        write_cdx_index(buf, [str(path)], {"filename": name})
        lines += buf.getvalue().splitlines(keepends=True)
    return "".join(sorted(lines)).encode()


def _select(entries: list[dict], items: list[dict], regex: re.Pattern | None) -> tuple[list[dict], list[dict]]:
    """``--items-only``: items whose URL matches, and the pages that lead to them (their referrer chain)."""
    if regex is None:
        return entries, items
    items = [i for i in items if regex.search(i["url"])]
    by_url = {e["url"]: e for e in entries}
    keep: set[str] = set()
    for url in [e["url"] for e in entries if regex.search(e["url"])]:
        while url and url not in keep:
            keep.add(url)
            url = (by_url.get(url) or {}).get("referrer")
    return [e for e in entries if e["url"] in keep], items


def _add_capture(w: WaczWriter, store: LocalStore, cap: _Capture, regex: re.Pattern | None
                 ) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """One capture's sealed files into the zip; its summary for the manifest, its pages and items."""
    arts = _add_sealed(w, store, cap)
    w.add_bytes(ev.capture_member(cap.id, "manifest.json"), cap.manifest_bytes)
    by_name = {a["name"]: a for a in cap.manifest["artifacts"]}
    entries = page_entries(cap.id, iter_jsonl(store.root / by_name["pages.jsonl"]["path"]), cap.dir / "artifacts")
    _link_screenshots(store, by_name, entries)
    items = [{"capture_id": cap.id, **i} for i in iter_jsonl(store.root / by_name["items.jsonl"]["path"])]
    entries, items = _select(entries, items, regex)
    m = cap.manifest
    summary = {"capture_id": cap.id, "profile": m["profile"], "started_at": m["started_at"],
               "finished_at": m["finished_at"], "finish_reason": m.get("finish_reason"), "counts": m.get("counts"),
               "settings": m.get("settings"), "environment": m.get("environment"),
               "manifest": {"member": ev.capture_member(cap.id, "manifest.json"),
                            "sha256": hashlib.sha256(cap.manifest_bytes).hexdigest(), "size": len(cap.manifest_bytes)},
               "sealed_event": {"seq": cap.sealed["seq"], "hash": cap.sealed["hash"]},
               "artifacts": arts, "pages_in_report": len(entries)}
    return summary, entries, items


def _link_screenshots(store: LocalStore, by_name: dict[str, dict], entries: list[dict]) -> None:
    """Browser renders (``renders.jsonl``) name the full-page screenshot of each document they rendered."""
    renders = next((a for a in by_name.values() if a["role"] == "renders"), None)
    if renders is None:
        return
    shots = {}
    for line in iter_jsonl(store.root / renders["path"]):
        shot = (line.get("artifacts") or {}).get("screenshot")
        if shot and line.get("document_record_id"):
            shots[line["document_record_id"]] = shot["name"]
    for e in entries:
        e["screenshot"] = shots.get(e["record_id"], e.get("screenshot"))


def _timestamps(config: EvidenceConfig, digest: bytes) -> tuple[list[bytes], list[str]]:
    tokens, failures = [], []
    for url in config.tsa_urls:
        try:
            tokens.append((url, request_token(url, digest, config.tsa_timeout_s)))
        except TimestampError as exc:
            failures.append(str(exc))
    return tokens, failures


def _key(config: EvidenceConfig, req: ExportRequest) -> SigningKey:
    try:
        if not config.key_path.exists():
            key = create_key(config.key_path)
            req.notes.append(f"created a new signing key at {key.path} (fingerprint {key.fingerprint})")
            return key
        return load_key(config.key_path)
    except SigningKeyError as exc:
        raise ExportUnusable(str(exc)) from None


def _check_request(config: EvidenceConfig, req: ExportRequest) -> re.Pattern | None:
    if req.lang not in LANGS:
        raise ExportUnusable(f"--lang {req.lang}: choose one of {', '.join(LANGS)}")
    if req.output.is_dir():
        raise ExportUnusable(f"-o {req.output}: is a folder; name the bundle file to write (e.g. case.wacz)")
    if req.output.exists() and not req.force:
        raise ExportUnusable(f"-o {req.output}: already exists; nothing was written (pass --force to replace it)")
    if len(set(req.capture_ids)) != len(req.capture_ids) or not req.capture_ids:
        raise ExportUnusable("give each capture id once")
    try:
        regex = re.compile(req.items_only) if req.items_only else None
    except re.error as exc:
        raise ExportUnusable(f"--items-only {req.items_only!r}: not a regular expression ({exc})") from None
    if req.timestamp and not config.tsa_urls:
        raise ExportUnusable("no time-stamping authority configured: set EVIDENCE_TSA_URLS (comma-separated "
                             "RFC 3161 URLs), or pass --no-timestamp to export without a trusted time (the report "
                             "will say so)")
    return regex


def export_bundle(config: EvidenceConfig, store: LocalStore, req: ExportRequest) -> dict[str, Any]:
    regex = _check_request(config, req)
    lines, events = _ledger(store)
    captures = [_load_capture(store, events, cid) for cid in req.capture_ids]
    try:
        chromium = find_chromium(config.chromium)
    except PdfError as exc:
        raise ExportUnusable(str(exc)) from None
    key = _key(config, req)
    created = iso()
    with WaczWriter(req.output) as w, tempfile.TemporaryDirectory(prefix="evidence-export-") as tmp:
        summaries, all_items, report_caps = [], [], []
        for cap in captures:
            summary, entries, items = _add_capture(w, store, cap, regex)
            summaries.append(summary)
            all_items += items
            report_caps.append({"entries": entries, "cap": cap})
        warcs = [(a["name"], store.root / a["path"]) for c in captures for a in c.manifest["artifacts"]
                 if a["role"] == "warc"]
        w.add_bytes("indexes/index.cdx", _cdxj(warcs))
        w.add_bytes("pages/pages.jsonl", pages_jsonl(e for rc in report_caps for e in rc["entries"]))
        diff = _diff(store, req) if req.diff else None
        if diff is not None:
            w.add_bytes(DIFF_MEMBER, json.dumps(diff, indent=2, ensure_ascii=False).encode() + b"\n")
        ids = set(req.capture_ids)
        mine = [line for line, e in zip(lines, events, strict=True) if e.get("capture_id") in ids]
        w.add_bytes(ev.CUSTODY, b"".join(mine))
        head = (events[-1]["seq"], events[-1]["hash"]) if events else (0, ev.GENESIS)
        custody = ev.custody_links(mine, head)
        w.add_bytes(ev.PUBLIC_KEY, key.public_pem)

        manifest = {"format": ev.BUNDLE_FORMAT, "created": created, "software": SOFTWARE,
                    "case": {"reference": req.case_ref, "title": req.title, "lang": req.lang,
                             "exported_by": config.operator},
                    "items_only": req.items_only, "captures": summaries, "items": all_items, "custody": custody,
                    "diff": {"member": DIFF_MEMBER, "old": diff["old"], "new": diff["new"],
                             "added": len(diff["added"]), "removed": len(diff["removed"]),
                             "changed": len(diff["changed"]), "unchanged": diff["unchanged"]} if diff else None,
                    "signing_key": {"fingerprint": key.fingerprint, "public_key": ev.PUBLIC_KEY},
                    "timestamps": {"requested_from": config.tsa_urls if req.timestamp else [],
                                   "disabled": not req.timestamp, "over": "sha256 of evidence/manifest.json"},
                    "members": {p: {"sha256": m.sha256, "blake3": m.blake3, "size": m.size}
                                for p, m in w.members.items()}}
        mbytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
        w.add_bytes(ev.MANIFEST, mbytes)
        digest = hashlib.sha256(mbytes).digest()
        w.add_bytes(ev.SIGNATURE, key.sign_der(mbytes))

        tokens, failures = _timestamps(config, digest) if req.timestamp else ([], [])
        if req.timestamp and not tokens:
            raise ExportFailed("no timestamp token could be obtained, so no bundle was written: "
                               + "; ".join(failures) + " (pass --no-timestamp to export without one)")
        token_info = []
        for n, (url, der) in enumerate(tokens):
            w.add_bytes(ev.token_path(n), der)
            token_info.append({"path": ev.token_path(n), "url": url, **inspect_token(der, digest).as_dict()})

        report_ctx = {
            "case": {"reference": req.case_ref, "title": req.title}, "created": created,
            "exporter": config.operator, "software": SOFTWARE, "items": all_items, "tokens": token_info,
            "tsa_failures": failures, "timestamped": bool(tokens), "fingerprint": key.fingerprint,
            "manifest_sha256": digest.hex(), "custody": custody, "items_only": req.items_only, "diff": diff,
            "captures": [_report_capture(rc["cap"], rc["entries"], s) for rc, s in zip(report_caps, summaries,
                                                                                       strict=True)]}
        html = render_report(req.lang, report_ctx)
        w.add_bytes(ev.REPORT_HTML, html)
        html_path, pdf_path = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        html_path.write_bytes(html)
        for rc in report_ctx["captures"]:  # thumbnails resolve next to the report, as in evidence/
            for p in rc["pages"]:
                if p["screenshot_src"]:
                    art = next(a for a in rc["artifacts"] if a["member"] == f"evidence/{p['screenshot_src']}")
                    shutil.copyfile(store.root / art["path"], Path(tmp) / p["screenshot_src"])
        try:
            html_to_pdf(html_path, pdf_path, chromium)
        except PdfError as exc:
            raise ExportFailed(str(exc)) from None
        w.add_file(ev.REPORT_PDF, pdf_path)
        w.add_bytes(ev.VERIFY_TXT, verify_text(
            lang=req.lang, bundle_format=ev.BUNDLE_FORMAT, software=SOFTWARE, created=created,
            captures=req.capture_ids, fingerprint=key.fingerprint,
            manifest_sha256=digest.hex(), tokens=token_info, timestamped=bool(tokens)))
        w.add_bytes(ev.SUMS, ev.sha256sums(w.members))
        title = req.title or req.case_ref or ", ".join(req.capture_ids)
        data = w.add_datapackage(title, f"evidence bundle of {', '.join(req.capture_ids)}", created, SOFTWARE)
        hash_text = "sha256:" + data.sha256
        w.add_bytes(DIGEST, digest_bytes({"path": DATAPACKAGE, "hash": hash_text,
                                          "signedData": signed_data(key, hash_text, created, SOFTWARE)}))
        try:
            w.commit(replace=req.force)
        except FileExistsError:
            raise ExportUnusable(f"-o {req.output}: appeared while exporting; nothing was written (pass --force "
                                 "to replace it)") from None
    bundle = digest_file(req.output)
    ledger = CustodyLedger(store.root)
    for cid in req.capture_ids:
        ledger.append(EventKind.EXPORTED, cid, bundle=str(req.output.absolute()), bundle_sha256=bundle.sha256,
                      bundle_blake3=bundle.blake3, size=bundle.size, evidence_manifest_sha256=digest.hex(),
                      captures=req.capture_ids, timestamps=len(tokens), signed_by=key.fingerprint,
                      case_ref=req.case_ref)
    return {"bundle": str(req.output.absolute()), "sha256": bundle.sha256, "blake3": bundle.blake3,
            "size": bundle.size, "captures": req.capture_ids, "timestamps": [
                {k: t[k] for k in ("path", "url", "gen_time", "serial")} for t in token_info],
            "timestamp_failures": failures, "timestamped": bool(tokens), "signed": True,
            "key_fingerprint": key.fingerprint, "evidence_manifest_sha256": digest.hex(), "lang": req.lang,
            "items": len(all_items), "items_only": req.items_only, "notes": req.notes}


DIFF_MEMBER = "evidence/diff.json"


def _diff(store: LocalStore, req: ExportRequest) -> dict[str, Any]:
    """What changed between the first and the last capture given (same rules as ``evidence-crawler diff``)."""
    if len(req.capture_ids) < 2:
        raise ExportUnusable("--diff needs two captures: export OLD_ID NEW_ID --diff")
    try:
        return diff_captures(store, req.capture_ids[0], req.capture_ids[-1])
    except DiffUnusable as exc:
        raise ExportUnusable(f"--diff: {exc}") from None


def _report_capture(cap: _Capture, entries: list[dict], summary: dict) -> dict[str, Any]:
    m = cap.manifest
    shots = {a["name"]: a["member"] for a in summary["artifacts"] if a["role"] == "screenshot"}
    pages = [{**e, "screenshot_src": shots[e["screenshot"]].removeprefix("evidence/")
              if e.get("screenshot") in shots else None} for e in entries]
    return {"id": cap.id, "profile": m["profile"]["name"], "start_urls": m["profile"].get("start_urls", []),
            "started_at": m["started_at"], "finished_at": m["finished_at"],
            "finish_reason": m.get("finish_reason", ""), "counts": m.get("counts") or {},
            "manifest_sha256": summary["manifest"]["sha256"], "sealed_seq": cap.sealed["seq"],
            "sealed_hash": cap.sealed["hash"], "environment": m.get("environment") or {},
            "settings": m.get("settings") or {}, "pages": pages,
            "artifacts": [{**a, "path": s["path"]} for a, s in zip(summary["artifacts"], m["artifacts"], strict=True)]}
