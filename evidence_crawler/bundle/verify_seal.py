"""Bundle ``verify``'s check of each capture's seal-time anchor (``capture.anchor``): the token(s) and
signature exported beside the capture's manifest, named by the bundle's own custody lines, checked by the
same code as ``captures verify`` (``bundle.sealcheck``), the TSA chain with ``--tsa-ca``. A capture sealed
without a token is a warning (best-effort sealing, or an older capture), and the output says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from evidence_crawler.bundle.sealcheck import check_signature, check_tokens
from evidence_crawler.models import BundleCapture, EventKind


class BundleDocs(Protocol):
    """What verify gives this check: the small members' bytes, and where to put what it finds."""

    report: Any

    def doc(self, name: str) -> bytes | None: ...

    def problem(self, text: str) -> None: ...


def check_capture_anchor(b: BundleDocs, cap: BundleCapture, events: list[dict], tsa_ca: Path | None) -> None:
    cid = cap.capture_id
    manifest = b.doc(cap.manifest.member)
    if manifest is None:
        return  # named already as a missing sealed manifest
    members = {f.name: f.member for f in cap.seal_anchor}

    def read(name: str) -> bytes | None:
        return b.doc(members[name]) if name in members else None

    mine = [e for e in events if e.get("capture_id") == cid]
    tokens = [e["data"] for e in mine if e.get("event") == EventKind.CAPTURE_TIMESTAMPED]
    signatures = [e["data"] for e in mine if e.get("event") == EventKind.CAPTURE_SIGNED]
    try:
        problems = check_tokens(manifest, tokens, read, tsa_ca)
        for sig in signatures:
            problems += check_signature(manifest, sig, read)
    except (KeyError, TypeError, AttributeError) as exc:  # a custody line without the fields these events have
        problems = [f"custody line of the seal anchor is malformed ({type(exc).__name__}: {exc})"]
    for p in problems:
        b.problem(f"capture {cid}: {p}")
    b.report.count("seal_timestamps", len(tokens))
    b.report.count("seal_signatures", len(signatures))
    if not tokens:
        b.report.warnings.append(f"capture {cid} was sealed without a seal-time timestamp: only the export's "
                                 "token dates it")
    b.report.info.setdefault("seal_anchors", {})[cid] = {
        "timestamps": [{"gen_time": t.get("gen_time"), "tsa": t.get("tsa")} for t in tokens],
        "signed_by": [s.get("fingerprint") for s in signatures]}
