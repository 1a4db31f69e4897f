"""What every check of ``verify`` shares: the options, the report it fills, and the open bundle (the
scanned members, the small documents read into memory, the listing of datapackage.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler.bundle.memberscan import MemberScan
from evidence_crawler.bundle.pdfsigworker import PdfValidations
from evidence_crawler.bundle.safezip import SafeZip
from evidence_crawler.models import BundleManifest, CaptureManifest


@dataclass(frozen=True)
class VerifyOptions:
    tsa_ca: Path | None = None  # also check each token's certificate chain to these roots
    expect_keys: frozenset[str] = frozenset()  # pinned signer fingerprints (``sha256:<hex>``); empty: unpinned
    pin_source: str = ""  # where the pins came from (``--expect-key``, ``EVIDENCE_TRUSTED_KEYS=...``)
    accept_untimestamped: bool = False  # a bundle exported with --no-timestamp is accepted (with a warning)


@dataclass
class BundleReport:
    bundle: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "valid": self.ok, "problems": self.problems, "warnings": self.warnings,
                "checked": self.checked, **self.info}


class Bundle:
    """The open bundle, shared by the checks: members scanned, small documents kept, what was found."""

    def __init__(self, z: SafeZip, report: BundleReport, options: VerifyOptions) -> None:
        self.z, self.report, self.options = z, report, options
        self.scans: dict[str, MemberScan] = {}
        self.docs: dict[str, bytes] = {}
        self.listed: dict[str, dict] = {}  # datapackage.json's resources by path
        self.package: dict | None = None  # datapackage.json, an object (``shape``)
        self.digest: dict | None = None  # datapackage-digest.json, an object
        self.manifest: BundleManifest | None = None  # evidence/manifest.json, typed
        self.manifest_raw: dict | None = None
        self.manifest_digest = b""  # sha256 of evidence/manifest.json's bytes
        self.events: list[dict] = []  # the custody lines that hash and link
        self.sealed: dict[str, CaptureManifest] = {}  # each capture's sealed manifest, typed
        self.pdf_validations: PdfValidations | None = None  # the report PDFs' worker (checks._start_pdf_checks)

    def doc(self, name: str) -> bytes | None:
        return self.docs.get(name)

    def json(self, name: str) -> Any:
        data = self.docs.get(name)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            self.report.problems.append(f"{name}: not valid JSON ({exc})")
            return None

    def problem(self, text: str) -> None:
        self.report.problems.append(text)
