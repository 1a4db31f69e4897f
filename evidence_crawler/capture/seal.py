"""Sealing: working files become content-addressed, read-only artifacts described by a manifest.

Order matters for a crash at any point: artifacts are stored and announced first, then the manifest
is written atomically and stored, then the ``capture_sealed`` custody event names the manifest's hash,
then the manifest is anchored (``capture.anchor``: seal-time token and signature, beside it), and only
then does ``state.json`` say "sealed". A capture is sealed when (and only when) the ledger has that event
(a state.json a crash left behind is repaired from it: ``capture.sealstate``); ``captures verify``
checks the manifest against it. :func:`store_artifact` and
:func:`seal_manifest` are also how the distributed merge seals a capture that no session wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from evidence_crawler.capture.anchor import AnchorResult, SealAnchor, anchor_manifest
from evidence_crawler.capture.states import RESERVE
from evidence_crawler.config import parse_resolvers
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import atomic_write
from evidence_crawler.environment import environment_statement
from evidence_crawler.models import MANIFEST_FORMAT, Artifact, CaptureManifest, CaptureState, Digests, EventKind
from evidence_crawler.redact import redact_text
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

if TYPE_CHECKING:
    from evidence_crawler.capture.session import CaptureSession


def store_artifact(store: LocalStore, ledger: CustodyLedger, capture_id: str, path, name: str,
                   role: str, digests: Digests | None = None) -> Artifact:
    """Hash and store one file as a read-only object, name it in the capture, announce it in custody.
    ``digests``: already computed by the caller for these exact bytes (not hashed a second time)."""
    obj = store.put_file(path, digests)
    store.link_artifact(capture_id, name, obj.digests.sha256)
    art = Artifact(name=name, role=role, path=obj.key, sha256=obj.digests.sha256,
                   blake3=obj.digests.blake3, size=obj.digests.size)
    ledger.append(EventKind.ARTIFACT_WRITTEN, capture_id, name=name, role=role,
                  sha256=art.sha256, blake3=art.blake3, size=art.size)
    return art


def _store_artifact(session: CaptureSession, path, name: str, role: str) -> Artifact:
    return store_artifact(session.store, session.ledger, session.capture_id, path, name, role)


class Sealed(NamedTuple):
    path: Any
    obj: Any
    event: Any
    anchor: AnchorResult


def seal_manifest(store: LocalStore, ledger: CustodyLedger, capture_id: str,
                  manifest: CaptureManifest, anchor: SealAnchor) -> Sealed:
    """Write manifest.json (atomic, read-only), store it, then the ``capture_sealed`` event naming its hash,
    then anchor it (token, signature)."""
    manifest_path = store.capture_dir(capture_id) / "manifest.json"
    data = manifest.dump_bytes()
    atomic_write(manifest_path, data, read_only=True)
    obj = store.put_file(manifest_path)
    event = ledger.append(EventKind.CAPTURE_SEALED, capture_id, manifest_sha256=obj.digests.sha256,
                          manifest_blake3=obj.digests.blake3, manifest_size=len(data),
                          artifacts=len(manifest.artifacts), pages=manifest.counts.pages, items=manifest.counts.items)
    return Sealed(manifest_path, obj, event, anchor_manifest(store, ledger, capture_id, data, anchor))


def seal_capture(session: CaptureSession, finish_reason: str) -> CaptureManifest:
    session.close_files()
    finished_at = iso()
    work = session.work
    artifacts = [_store_artifact(session, p, p.name, "warc") for p in sorted((work / "warc").glob("*.warc.gz"))]
    for name, role in (("profile.yaml", "profile"), ("pages.jsonl", "pages"), ("items.jsonl", "items"),
                       ("errors.jsonl", "errors")):
        artifacts.append(_store_artifact(session, work / name, name, role))
    for path, role in session.extra_artifacts:
        artifacts.append(_store_artifact(session, path, path.name, role))

    profile = session.loaded.profile
    settings = {k: redact_text(v) if isinstance(v, str) else v for k, v in session.settings.items()
                if not k.startswith("_")}
    manifest = CaptureManifest(
        format=MANIFEST_FORMAT,
        capture_id=session.capture_id,
        state=CaptureState.SEALED,
        started_at=session.started_at,
        finished_at=finished_at,
        finish_reason=finish_reason,
        profile={"name": profile.name, "path": session.loaded.path, "sha256": session.loaded.sha256,
                 "start_urls": profile.start_urls, "allowed_domains": profile.allowed_domains},
        settings=settings,
        environment=environment_statement(session.settings.get("EVIDENCE_OPERATOR", ""),
                                          session.settings.get("USER_AGENT", ""), session.dns,
                                          parse_resolvers(str(session.settings.get("EVIDENCE_DNS_RESOLVERS") or ""))),
        navigation_path={"artifact": "pages.jsonl",
                         "fields": ["url", "referrer", "depth", "redirect_to", "fetched_at"]},
        counts={"pages": session.pages.count, "items": session.items_counted,
                "offers": session.offers_counted, "p2p": session.p2p_counted,
                "errors": len(session.errors)},
        **session.extra_manifest,
        artifacts=artifacts,
    )
    manifest_path, obj, event, anchored = seal_manifest(session.store, session.ledger, session.capture_id,
                                                        manifest, session.anchor)
    session.seal_result = {"manifest": str(manifest_path), "manifest_sha256": obj.digests.sha256,
                           "warc_files": [str(session.dir / "artifacts" / a.name)
                                          for a in artifacts if a.role == "warc"],
                           "finished_at": finished_at, "seal_anchor": anchored.as_dict()}
    session.transition(CaptureState.SEALED, finished_at=finished_at, manifest_sha256=obj.digests.sha256,
                       sealed_event=event.seq, counts=manifest.counts.model_dump(), seal_anchor=anchored.as_dict())
    _drop_work_copies(session)
    return manifest


def _drop_work_copies(session: CaptureSession) -> None:
    """The work files are now hard links to (or copies of) sealed objects; keep only the jobdir log."""
    for path in list((session.work / "warc").glob("*.warc.gz")) + [
            session.work / n for n in ("profile.yaml", "pages.jsonl", "items.jsonl", "errors.jsonl")] + [
            path for path, _role in session.extra_artifacts] + [session.dir / RESERVE]:
        if path.exists():
            path.unlink()
