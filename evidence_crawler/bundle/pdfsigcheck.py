"""``verify``: the PAdES signature of each ``evidence/report*.pdf``, with pyHanko, offline.

For every report PDF of a bundle whose manifest declares a PDF signer (``pdf_signer``):

* exactly one signature, cryptographically intact, whose signed byte range covers the **whole file**
  (an incremental update appended after signing, even one pyHanko would call harmless, is refused:
  the exporter writes one revision, DSS included);
* its signer certificate is the one the signed manifest declares (sha256 of the DER), and chains to
  the declared chain (``evidence/pdf-signer.pem``);
* unless the bundle was exported with ``--no-timestamp`` (B-B: a warning): a signature timestamp token,
  intact, whose genTime is no earlier than the bundle's own tokens (:data:`EARLY_S` of clock slack
  between TSAs) and no later than :data:`LATE_S` after them (one export); with ``--tsa-ca`` its TSA
  must chain to that root too.

Problems name the member (``evidence/report.pdf: ...``). ``info["pdf_signatures"]`` lists what was
found (level B-B/B-T/B-LT, signer, signing and timestamp times).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evidence_crawler.bundle.pdfsigworker import (
    PdfUnreadable,
    PdfValidations,
    certificates,
    error_line,
    start,
    validate,
)

PDF_SIGNER_PEM = "evidence/pdf-signer.pem"
EARLY_S = 5  # TSAs state genTime to the second, and two TSAs' clocks differ a little
LATE_S = 6 * 3600  # printing and signing the report of a very large capture takes minutes, not hours


def report_pdfs(members: list[str]) -> list[str]:
    return sorted(n for n in members if n.startswith("evidence/report") and n.endswith(".pdf"))


def _gen_times(tokens: list[dict]) -> list[datetime]:
    out = []
    for t in tokens:
        try:
            out.append(datetime.fromisoformat(str(t.get("gen_time", "")).replace("Z", "+00:00")))
        except ValueError:
            continue
    return out


def chain_member(declared: dict) -> str:
    """The member holding the PDF signer's chain: as the manifest's ``pdf_signer`` names it, else the default."""
    return declared.get("certificate") or PDF_SIGNER_PEM


def check_one(name: str, data: bytes, declared: dict, chain_pem: bytes, tsa_ca: Path | None,
              bundle_tokens: list[dict], disabled: bool) -> tuple[list[str], list[str], dict[str, Any]]:
    """(problems, warnings, info) for one PDF."""
    return judge(name, validate(data, chain_pem, tsa_ca), declared, tsa_ca, bundle_tokens, disabled)


def judge(name: str, facts: dict[str, Any], declared: dict, tsa_ca: Path | None, bundle_tokens: list[dict],
          disabled: bool) -> tuple[list[str], list[str], dict[str, Any]]:
    """(problems, warnings, info) for one PDF from what :func:`validate` found."""
    problems: list[str] = []
    warnings: list[str] = []
    if facts["signatures"] != 1:
        return [f"{name}: {facts['signatures']} PDF signatures (the exporter writes exactly one)"], [], {"path": name}
    cert_sha256 = facts["certificate_sha256"]
    info: dict[str, Any] = {"path": name, "level": facts["level"], "intact": facts["intact"],
                            "signer": facts["signer"], "certificate_sha256": cert_sha256,
                            "signing_time": facts["signing_time"]}
    if not facts["intact"]:
        problems.append(f"{name}: the PDF signature does not verify (content altered)")
    if not facts["entire_file"]:
        problems.append(f"{name}: the PDF signature does not cover the whole file (bytes added or changed after "
                        "signing)")
    if cert_sha256 != declared.get("sha256"):
        problems.append(f"{name}: signed with certificate sha256:{cert_sha256}, not the one declared in "
                        "evidence/manifest.json")
    elif not facts["trusted"]:
        problems.append(f"{name}: the signer certificate does not chain to {PDF_SIGNER_PEM}")
    ts = facts["timestamp"]
    if ts is None:
        if disabled:
            warnings.append(f"{name}: PDF signature without timestamp (PAdES B-B: exported with --no-timestamp)")
        else:
            problems.append(f"{name}: the PDF signature carries no timestamp token (removed?)")
        return problems, warnings, info
    info["timestamp"] = {"gen_time": ts["gen_time"], "tsa": ts["tsa"], "intact": ts["intact"],
                         "chain_checked": tsa_ca is not None}
    if not ts["intact"]:
        problems.append(f"{name}: the PDF signature's timestamp token does not verify")
    if tsa_ca is not None and not ts["trusted"]:
        problems.append(f"{name}: the PDF signature's TSA does not chain to a root in {tsa_ca.name}")
    times = _gen_times(bundle_tokens)
    stamped = datetime.fromisoformat(ts["gen_time"])
    early, late = (min(times) - timedelta(seconds=EARLY_S), max(times) + timedelta(seconds=LATE_S)) if times else (0, 0)
    if times and not early <= stamped <= late:
        problems.append(f"{name}: the PDF signature's timestamp {ts['gen_time']} is not within the "
                        f"export of the bundle (tokens {min(times).isoformat()} .. {max(times).isoformat()})")
    return problems, warnings, info


def check_pdf_signatures(z, manifest_bytes: bytes | None, tokens: list[dict], tsa_ca: Path | None,
                         problems: list[str], warnings: list[str], info: dict[str, Any],
                         validations: PdfValidations | None = None) -> int:
    """The call site of ``verify``: each report PDF in the zip ``z`` (``members``, ``open``); how many.
    An unreadable manifest is named by the manifest check; then the PDFs are not checked here.
    ``validations``: what a worker started by :func:`start_validations` found, used for the PDFs whose
    bytes it was given (the others, or all when it has no answer, are validated here)."""
    try:
        manifest = json.loads(manifest_bytes or b"")
    except ValueError:
        return 0
    if not isinstance(manifest, dict):
        return 0
    declared = manifest.get("pdf_signer")
    pdfs = report_pdfs(list(z.members))
    if declared is not None and not isinstance(declared, dict):
        problems.append("evidence/manifest.json: pdf_signer is not an object")
        return 0
    if not declared:
        if pdfs:
            warnings.append(f"{', '.join(pdfs)}: not signed (bundle made before report PDFs were signed)")
        return 0
    try:
        with z.open(chain_member(declared)) as fh:
            chain_pem = fh.read()
        certificates(chain_pem)[0]  # noqa: B018 - at least one certificate
    except Exception as exc:  # noqa: BLE001 - missing or unreadable: named, and the PDFs cannot be checked
        problems.append(f"{declared.get('certificate')}: the declared PDF signer certificate is missing or "
                        f"unreadable ({type(exc).__name__})")
        return 0
    if not pdfs:
        problems.append("evidence/report.pdf: missing (the manifest declares a PDF signer)")
    found = []
    for name in pdfs:
        try:
            with z.open(name) as fh:
                data = fh.read()
            facts = validations.facts(name, chain_pem, data) if validations is not None else None
            p, w, one = judge(name, facts if facts is not None else validate(data, chain_pem, tsa_ca), declared,
                              tsa_ca, tokens, bool((manifest.get("timestamps") or {}).get("disabled")))
        except PdfUnreadable as exc:  # what the worker's pyHanko raised, worded as below
            p, w, one = [f"{name}: the PDF signature cannot be read ({exc.type_name}: {exc.why})"], [], {"path": name}
        except Exception as exc:  # noqa: BLE001 - a PDF pyHanko cannot parse is an altered one, named
            why = error_line(exc)
            p, w, one = [f"{name}: the PDF signature cannot be read ({type(exc).__name__}: {why})"], [], {"path": name}
        problems.extend(p)
        warnings.extend(w)
        found.append(one)
    info["pdf_signatures"] = found
    return len(found)


def start_validations(z, manifest_bytes: bytes | None, tsa_ca: Path | None) -> PdfValidations | None:
    """Start validating the report PDFs in a worker process (``pdfsigworker``), to be collected by
    :func:`check_pdf_signatures`; None when there is nothing to hand over (no PDF, no declared signer,
    an unreadable manifest or member: the check itself then says what is wrong)."""
    pdfs = report_pdfs(list(z.members))
    try:
        declared = json.loads(manifest_bytes or b"").get("pdf_signer") if pdfs else None
        if not isinstance(declared, dict):
            return None
        with z.open(chain_member(declared)) as fh:
            chain_pem = fh.read()
        data = []
        for name in pdfs:
            with z.open(name) as fh:
                data.append((name, fh.read()))
    except Exception:  # noqa: BLE001 - named by the check itself, in order
        return None
    return start(chain_pem, data, tsa_ca)
