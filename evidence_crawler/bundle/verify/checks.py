"""THE place where verify's checks are registered.

``STEPS`` run in order over the whole bundle (each reads what the earlier ones left on the ``Bundle``:
the listing, the scans, the typed manifest, the custody lines, the sealed capture manifests).
``MEMBER_CHECKS`` run once per member whose name matches their pattern (``fnmatch``), after the steps up
to ``run_member_checks``; a new per-member check (e.g. the report PDF's signature) is one line here::

    MemberCheck("evidence/report.pdf", check_pdf_signature)   # def check_pdf_signature(b, name) -> None

A check names every problem with ``b.problem(text)`` (exit 1), adds warnings to ``b.report.warnings``,
facts to ``b.report.info``; it raises ``UnusableBundle`` only for input that cannot be checked (exit 2).
A member check reads its member with ``b.doc(name)`` (small documents, already read and capped) or streams
it with ``b.z.open(name)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.findingscheck import check_findings
from evidence_crawler.bundle.intermediaries import check_intermediaries
from evidence_crawler.bundle.pdfsigcheck import check_pdf_signatures, report_pdfs, start_validations
from evidence_crawler.bundle.verify.captures import check_captures, check_custody
from evidence_crawler.bundle.verify.context import Bundle
from evidence_crawler.bundle.verify.listing import check_package, read_capped, read_listing, scan_all
from evidence_crawler.bundle.verify.manifest import check_manifest
from evidence_crawler.bundle.verify.signer import check_pinning
from evidence_crawler.bundle.verify.tokens import TOKEN_PATTERN, check_export_token, check_times, check_timestamped


@dataclass(frozen=True)
class MemberCheck:
    pattern: str  # fnmatch pattern over member names ("evidence/timestamp-*.tsr")
    run: Callable[[Bundle, str], None]


MEMBER_CHECKS: list[MemberCheck] = [
    MemberCheck(TOKEN_PATTERN, check_export_token),  # each export token: intact, over the manifest, chained
]


def run_member_checks(b: Bundle) -> None:
    for check in MEMBER_CHECKS:
        for name in sorted(b.z.members):
            if fnmatchcase(name, check.pattern):
                check.run(b, name)


def _findings(b: Bundle) -> None:
    if b.manifest is not None:
        check_findings(b, b.manifest, b.events)


def _intermediaries(b: Bundle) -> None:
    if b.manifest is not None:
        check_intermediaries(b, b.manifest)


def _start_pdf_checks(b: Bundle) -> None:
    """The report PDFs' pyHanko validation, started in a second process (``pdfsigworker``) to run while the
    other checks do; nothing is judged here, and any trouble just leaves it to ``_pdf_signatures``."""
    if not report_pdfs(list(b.z.members)) or ev.MANIFEST not in b.z.members:
        return
    try:
        manifest = read_capped(b, ev.MANIFEST)
    except Exception:  # noqa: BLE001 - read again, and named, by the manifest check
        return
    b.pdf_validations = start_validations(b.z, manifest, b.options.tsa_ca)


def _pdf_signatures(b: Bundle) -> None:
    """The PAdES signature of each report PDF (``pdfsigcheck.py``), against the export tokens found."""
    r = b.report
    r.count("pdf_signatures", check_pdf_signatures(b.z, b.doc(ev.MANIFEST), r.info.get("timestamps") or [],
                                                   b.options.tsa_ca, r.problems, r.warnings, r.info,
                                                   b.pdf_validations))


STEPS: list[Callable[[Bundle], None]] = [
    _start_pdf_checks,  # report PDFs: pyHanko's part in a second process, meanwhile (judged by _pdf_signatures)
    read_listing,  # datapackage.json and its digest first (capped, shape-checked): the listing decides
    scan_all,  # every member once: hashes, WARC records; documents read only within the listing and caps
    check_package,  # members against the listing; the listing against its signed digest
    check_manifest,  # evidence/manifest.json: members, operator signature, typed manifest
    check_custody,  # the custody lines hash and link
    check_captures,  # sealed manifests, artifacts, pages, items, seal-time anchors
    _findings,  # repertoire findings (export --repertoire)
    _intermediaries,  # evidence/intermediaries.json against the sealed manifests and their WARC records
    run_member_checks,  # MEMBER_CHECKS (the export tokens among them)
    _pdf_signatures,  # report PDFs: PAdES integrity, signer = declared certificate, its timestamp
    check_timestamped,  # a bundle without an export token: only with --accept-untimestamped
    check_times,  # every token's genTime against the bundle's creation and the captures' ends
    check_pinning,  # the export and seal-time signers against --expect-key / EVIDENCE_TRUSTED_KEYS
]
