"""Seal a distributed capture: merge the workers' sealed parts into one capture like any other.

Each worker's part is a sealed capture in its own store. The merged capture holds every part's WARC files
(re-hashed here and compared with the part's manifest), the part manifests themselves (role
``part_manifest``: each worker's environment statement, settings and custody anchor), and merged
``pages.jsonl`` / ``items.jsonl`` / ``errors.jsonl``: every page line says which worker on which host
fetched it; the same URL with identical bytes fetched twice is flagged ``duplicate_of`` (first record id)
and an identical item is counted once, exactly as within one crawl. ``captures verify``, ``export``,
``diff`` and ``archive`` therefore need nothing distributed-specific.

Parts are read from their store folder (one machine, or a store shared between machines); a part whose
store this machine cannot read is fetched from the S3 archive when S3 is configured (the worker archived it
when it sealed), otherwise the merge stops and says so.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from w3lib.url import canonicalize_url

from evidence_crawler.capture.anchor import SealAnchor
from evidence_crawler.capture.conditions import static_conditions
from evidence_crawler.capture.intermediaries import run_for_merge
from evidence_crawler.capture.linefiles import write_jsonl
from evidence_crawler.capture.seal import seal_manifest, store_artifact
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.environment import environment_statement
from evidence_crawler.hashing import digest_file
from evidence_crawler.intermediaries.settings import IntermediariesSettings
from evidence_crawler.models import (
    MANIFEST_FORMAT,
    Artifact,
    CaptureManifest,
    CaptureState,
    Digests,
    DistributedCapture,
    Item,
    RenderRecord,
    WorkerEntry,
)
from evidence_crawler.profile import LoadedProfile
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

MERGED = ("pages", "items", "errors", "profile", "renders")


class MergeError(Exception):
    """The parts cannot be merged into a trustworthy capture; nothing was sealed."""


class PartReader:
    """One worker's sealed part: its manifest (hash checked against what the worker announced) and files."""

    def __init__(self, config: EvidenceConfig, worker: str, part: dict[str, Any], tmp: Path) -> None:
        self.worker, self.part, self.host = worker, part, part.get("host", "")
        self.config, self.tmp = config, tmp
        self.store = LocalStore(part["store"])
        self.local = (self.store.capture_dir(part["part_id"]) / "manifest.json").exists()
        manifest_path = self._manifest_path()
        digests = digest_file(manifest_path)
        if digests.sha256 != part["manifest_sha256"]:
            raise MergeError(f"worker {worker}: part manifest {manifest_path} has sha256 {digests.sha256}, "
                             f"the worker announced {part['manifest_sha256']}")
        self.manifest_path = manifest_path
        self.manifest = CaptureManifest.read(manifest_path)

    def _manifest_path(self) -> Path:
        if self.local:
            return self.store.capture_dir(self.part["part_id"]) / "manifest.json"
        return self._download(None, "manifest.json")

    def _download(self, sha256: str | None, name: str) -> Path:
        """A file of a part this machine cannot read locally, from the S3 archive the worker filled."""
        if not self.config.s3_bucket:
            raise MergeError(f"worker {self.worker} on {self.host}: its part {self.part['part_id']} is in store "
                             f"{self.part['store']}, which this machine cannot read; share that store "
                             "(same machine or a shared file system) or configure S3 (EVIDENCE_S3_BUCKET) "
                             "so parts are archived where the coordinator can fetch them")
        from evidence_crawler.services.archive import s3_store

        s3 = s3_store(self.config, LocalStore(self.config.store))
        dest = self.tmp / self.worker / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        body = s3.open(sha256) if sha256 else s3.open_key(s3.manifest_key(self.part["part_id"]))
        with open(dest, "wb") as fh:
            shutil.copyfileobj(body, fh, 1024 * 1024)
        return dest

    def verified(self, art: Artifact) -> tuple[Path, Digests]:
        """The artifact's bytes on this machine and their digests, checked against the part manifest."""
        path = self.store.root / art.path if self.local else self._download(art.sha256, art.name)
        digests = digest_file(path)
        if (digests.sha256, digests.size) != (art.sha256, art.size):
            raise MergeError(f"worker {self.worker}: {art.name} does not match its part manifest "
                             f"(sha256 {digests.sha256}, manifest {art.sha256})")
        return path, digests

    def file(self, art: Artifact) -> Path:
        return self.verified(art)[0]

    def artifacts(self, role: str) -> list[Artifact]:
        return self.manifest.of_role(role)


@dataclass
class Merged:
    manifest: CaptureManifest
    manifest_sha256: str
    sealed_event: int
    errors: list[dict[str, Any]]  # as written to errors.jsonl
    seal_anchor: dict[str, Any]  # the seal-time token(s) and signature (capture.anchor)


def _merge_lines(parts: list[PartReader], work: Path) -> tuple[dict[str, int], list[dict[str, Any]]]:
    pages, items, errors = [], [], []
    first_fetch: dict[tuple[str, str], str] = {}
    seen_items: dict[tuple[str, str], str] = {}
    counts = {"pages": 0, "items": 0, "offers": 0, "p2p": 0, "errors": 0, "duplicate_pages": 0}
    for part in parts:
        for art in part.artifacts("pages"):
            for page in iter_jsonl(part.file(art)):
                page.update(worker=part.worker, host=part.host)
                key = (canonicalize_url(page["url"]), page["sha256"])
                if key in first_fetch:
                    page["duplicate_of"] = first_fetch[key]
                    counts["duplicate_pages"] += 1
                else:
                    first_fetch[key] = page["record_id"]
                pages.append(page)
        for art in part.artifacts("errors"):
            errors += [{**e, "worker": part.worker} for e in iter_jsonl(part.file(art))]
        for art in part.artifacts("items"):
            for line in iter_jsonl(part.file(art)):
                item = Item(**line)
                first = seen_items.get(item.identity())
                if first == item.url:
                    continue  # the same page fetched by two workers: recorded once
                if first is not None:
                    item = item.model_copy(update={"duplicate_of": item.duplicate_of or first})
                else:
                    seen_items[item.identity()] = item.duplicate_of or item.url
                items.append(item.model_dump(exclude_none=True))
                if not item.duplicate_of:
                    counts["p2p" if item.kind == "p2p" else "items"] += 1
                    counts["offers"] += len(item.offers) if item.kind != "p2p" else 0
    counts["pages"], counts["errors"] = len(pages), len(errors)
    write_jsonl(work / "pages.jsonl", pages)
    write_jsonl(work / "items.jsonl", items)
    write_jsonl(work / "errors.jsonl", errors)
    return counts, errors


def merge_and_seal(config: EvidenceConfig, store: LocalStore, capture_id: str, loaded: LoadedProfile,
                   started_at: str, settings: dict[str, Any], parts: dict[str, dict[str, Any]],
                   workers: dict[str, dict[str, str]], redis_note: str) -> Merged:
    """Merge the sealed parts (``{worker: part}``) and seal ``capture_id``."""
    ledger = CustodyLedger(store.root)
    work = store.capture_dir(capture_id) / "work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="merge-", dir=store.root) as tmp:
        readers = [PartReader(config, w, parts[w], Path(tmp)) for w in sorted(parts)]
        (work / "profile.yaml").write_text(loaded.text, encoding="utf-8")
        counts, errors = _merge_lines(readers, work)
        artifacts: list[Artifact] = []
        names: dict[tuple[str, str], str] = {}  # (worker, name in its part) -> name in the capture
        for part in readers:
            for art in part.manifest.artifacts:
                if art.role in MERGED:
                    continue
                name = art.name if art.name not in names.values() else f"{part.worker}-{art.name}"
                names[(part.worker, art.name)] = name
                path, digests = part.verified(art)  # hashed once: the store takes the checked digests
                artifacts.append(store_artifact(store, ledger, capture_id, path, name, art.role, digests))
            artifacts.append(store_artifact(store, ledger, capture_id, part.manifest_path,
                                            f"part-{part.worker}.manifest.json", "part_manifest"))
        merged = [("profile.yaml", "profile"), ("pages.jsonl", "pages"), ("items.jsonl", "items"),
                  ("errors.jsonl", "errors")]
        if _merge_renders(readers, names, work / "renders.jsonl"):
            merged.append(("renders.jsonl", "renders"))
        intermediaries = _intermediaries(config, store, capture_id, work, artifacts) if config.intermediaries else None
        for path in (intermediaries or {}).get("warcs", []):
            artifacts.append(store_artifact(store, ledger, capture_id, path, path.name, "warc"))
        for name, role in merged:
            artifacts.append(store_artifact(store, ledger, capture_id, work / name, name, role))
    profile = loaded.profile
    manifest = CaptureManifest(
        format=MANIFEST_FORMAT, capture_id=capture_id, state=CaptureState.SEALED,
        started_at=started_at, finished_at=iso(), finish_reason="finished",
        profile={"name": profile.name, "path": loaded.path, "sha256": loaded.sha256,
                 "start_urls": profile.start_urls, "allowed_domains": profile.allowed_domains},
        settings=settings,
        # the coordinator's own facts; each worker's network checks and clean state are in its part manifest
        environment=environment_statement(config.operator, settings.get("USER_AGENT", ""), {},
                                          static_conditions({**settings, "EVIDENCE_DNS_RESOLVERS": [
                                              s.label for s in config.dns_resolvers]})),
        navigation_path={"artifact": "pages.jsonl",
                         "fields": ["url", "referrer", "depth", "redirect_to", "fetched_at", "worker", "host"]},
        counts={k: counts[k] for k in ("pages", "items", "offers", "p2p", "errors")},
        distributed=DistributedCapture(
            frontier=redis_note, engine="scrapy-redis",
            duplicate_pages=counts["duplicate_pages"],
            workers=[_worker_entry(w, workers.get(w, {}), parts.get(w)) for w in sorted(workers)],
        ),
        **({"intermediaries": intermediaries["section"]} if intermediaries else {}),
        artifacts=artifacts,
    )
    _path, obj, event, anchored = seal_manifest(store, ledger, capture_id, manifest,
                                                SealAnchor.from_settings(config.scrapy_settings().get))
    for name in ("profile.yaml", "pages.jsonl", "items.jsonl", "errors.jsonl", "renders.jsonl"):
        (work / name).unlink(missing_ok=True)
    for path in (intermediaries or {}).get("warcs", []):
        path.unlink(missing_ok=True)
    return Merged(manifest, obj.digests.sha256, event.seq, errors, anchored.as_dict())


def _intermediaries(config: EvidenceConfig, store: LocalStore, capture_id: str, work: Path,
                    artifacts: list[Artifact]) -> dict[str, Any]:
    """The intermediaries step once for the whole capture (the workers' parts skip it), over the merged
    pages and every part's WARC; its DNS/RDAP records go into a WARC file of their own."""
    warcs = [store.capture_dir(capture_id) / "artifacts" / a.name for a in artifacts if a.role == "warc"]
    info = {"software": "evidence-crawler (distributed merge)", "format": "WARC File Format 1.1",
            "isPartOf": capture_id, "operator": config.operator}
    section, paths = run_for_merge(IntermediariesSettings.from_config(config), capture_id, work, warcs,
                                   config.warc_rotate_bytes, info)
    return {"section": section, "warcs": paths}


def _merge_renders(parts: list[PartReader], names: dict[tuple[str, str], str], dest: Path) -> bool:
    """Browser renders of every part in one ``renders.jsonl``, naming their files as the capture names them."""
    rows = []
    for part in parts:
        for art in part.artifacts("renders"):
            for row in iter_jsonl(part.file(art)):
                render = RenderRecord(**row)
                files = {role: f.model_copy(update={"name": names.get((part.worker, f.name), f.name)})
                         for role, f in render.artifacts.items()}
                rows.append(render.model_copy(update={"artifacts": files, "worker": part.worker}).dump())
    if rows:
        write_jsonl(dest, rows)
    return bool(rows)


def _worker_entry(wid: str, info: dict[str, str], part: dict[str, Any] | None) -> WorkerEntry:
    entry: dict[str, Any] = {"worker": wid, "host": info.get("host"), "pid": info.get("pid"),
                             "started_at": info.get("started_at"), "finished_at": info.get("finished_at")}
    if part:  # merged; "salvaged": the worker died and the coordinator sealed what had reached its disk
        entry.update(state="salvaged" if part.get("salvaged") else "merged", part_capture_id=part["part_id"],
                     part_store=part["store"], part_manifest_sha256=part["manifest_sha256"],
                     pages=part.get("pages"), items=part.get("items"))
        if part.get("salvaged"):
            entry["requeued_requests"] = int(info.get("requeued", 0))
    else:  # its work went back to the queue and was done by the others; its files were left out
        entry.update(state=info.get("state", "unknown"), part_capture_id=info.get("part"),
                     requeued_requests=int(info.get("requeued", 0)), merged=False,
                     part_discarded=bool(info.get("part_discarded")))
    return WorkerEntry(**entry)
