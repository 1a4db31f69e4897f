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

import importlib
import io
import json
import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PDF_SIGNER_PEM = "evidence/pdf-signer.pem"
EARLY_S = 5  # TSAs state genTime to the second, and two TSAs' clocks differ a little
LATE_S = 6 * 3600  # printing and signing the report of a very large capture takes minutes, not hours


# What check_one imports. pyHanko takes ~0.3-0.5 s to import (its signing side pulls in aiohttp), as long
# as the rest of verify on a realistic bundle; preload() imports it on a thread while verify reads the
# bundle, whose WARC inflating and hashing mostly run outside the GIL.
_PYHANKO = ("pyhanko.pdf_utils.reader", "pyhanko.sign.validation", "pyhanko.sign.validation.status",
            "pyhanko_certvalidator")


def preload(members: list[str]) -> None:
    """Start importing pyHanko in the background when the bundle has a report PDF to check. Python's
    import locks make a later ``import`` of the same modules wait for this one, never run it twice."""
    if report_pdfs(members):
        threading.Thread(target=_import_pyhanko, name="pyhanko-import", daemon=True).start()


def _import_pyhanko() -> None:
    for name in _PYHANKO:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - check_one imports again and reports what failed
            return


def report_pdfs(members: list[str]) -> list[str]:
    return sorted(n for n in members if n.startswith("evidence/report") and n.endswith(".pdf"))


def _certs(pem: bytes):
    from asn1crypto import pem as apem
    from asn1crypto import x509 as ax509

    return [ax509.Certificate.load(der) for _kind, _hdr, der in apem.unarmor(pem, multiple=True)]


def _contexts(chain_pem: bytes, tsa_ca: Path | None):
    from pyhanko_certvalidator import ValidationContext

    chain = _certs(chain_pem)
    signer_vc = ValidationContext(trust_roots=chain[-1:], other_certs=chain[:-1], allow_fetching=False,
                                  revocation_mode="soft-fail")
    ts_roots = _certs(tsa_ca.read_bytes()) if tsa_ca is not None else []
    ts_vc = ValidationContext(trust_roots=ts_roots, allow_fetching=False, revocation_mode="soft-fail")
    return signer_vc, ts_vc


def _level(reader, status) -> str:
    if status.timestamp_validity is None:
        return "B-B"
    return "B-LT" if "/DSS" in reader.root else "B-T"


def _gen_times(tokens: list[dict]) -> list[datetime]:
    out = []
    for t in tokens:
        try:
            out.append(datetime.fromisoformat(str(t.get("gen_time", "")).replace("Z", "+00:00")))
        except ValueError:
            continue
    return out


def check_one(name: str, data: bytes, declared: dict, chain_pem: bytes, tsa_ca: Path | None,
              bundle_tokens: list[dict], disabled: bool) -> tuple[list[str], list[str], dict[str, Any]]:
    """(problems, warnings, info) for one PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems: list[str] = []
    warnings: list[str] = []
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # our own messages say what failed
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    sigs = reader.embedded_signatures
    if len(sigs) != 1:
        return [f"{name}: {len(sigs)} PDF signatures (the exporter writes exactly one)"], [], {"path": name}
    signer_vc, ts_vc = _contexts(chain_pem, tsa_ca)
    status = validate_pdf_signature(sigs[0], signer_vc, ts_vc)
    cert_sha256 = sigs[0].signer_cert.sha256.hex()
    when = status.signer_reported_dt
    info: dict[str, Any] = {"path": name, "level": _level(reader, status), "intact": status.intact and status.valid,
                            "signer": sigs[0].signer_cert.subject.human_friendly, "certificate_sha256": cert_sha256,
                            "signing_time": when.isoformat() if when else None}
    if not (status.intact and status.valid):
        problems.append(f"{name}: the PDF signature does not verify (content altered)")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(f"{name}: the PDF signature does not cover the whole file (bytes added or changed after "
                        "signing)")
    if cert_sha256 != declared.get("sha256"):
        problems.append(f"{name}: signed with certificate sha256:{cert_sha256}, not the one declared in "
                        "evidence/manifest.json")
    elif not status.trusted:
        problems.append(f"{name}: the signer certificate does not chain to {PDF_SIGNER_PEM}")
    ts = status.timestamp_validity
    if ts is None:
        if disabled:
            warnings.append(f"{name}: PDF signature without timestamp (PAdES B-B: exported with --no-timestamp)")
        else:
            problems.append(f"{name}: the PDF signature carries no timestamp token (removed?)")
        return problems, warnings, info
    info["timestamp"] = {"gen_time": ts.timestamp.isoformat(), "tsa": ts.signing_cert.subject.human_friendly,
                         "intact": ts.intact and ts.valid, "chain_checked": tsa_ca is not None}
    if not (ts.intact and ts.valid):
        problems.append(f"{name}: the PDF signature's timestamp token does not verify")
    if tsa_ca is not None and not ts.trusted:
        problems.append(f"{name}: the PDF signature's TSA does not chain to a root in {tsa_ca.name}")
    times = _gen_times(bundle_tokens)
    early, late = (min(times) - timedelta(seconds=EARLY_S), max(times) + timedelta(seconds=LATE_S)) if times else (0, 0)
    if times and not early <= ts.timestamp <= late:
        problems.append(f"{name}: the PDF signature's timestamp {ts.timestamp.isoformat()} is not within the "
                        f"export of the bundle (tokens {min(times).isoformat()} .. {max(times).isoformat()})")
    return problems, warnings, info


def check_pdf_signatures(z, manifest_bytes: bytes | None, tokens: list[dict], tsa_ca: Path | None,
                         problems: list[str], warnings: list[str], info: dict[str, Any]) -> int:
    """The call site of ``verify``: each report PDF in the zip ``z`` (``members``, ``open``); how many.
    An unreadable manifest is named by the manifest check; then the PDFs are not checked here."""
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
        with z.open(declared.get("certificate") or PDF_SIGNER_PEM) as fh:
            chain_pem = fh.read()
        _certs(chain_pem)[0]  # noqa: B018 - at least one certificate
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
            p, w, one = check_one(name, data, declared, chain_pem, tsa_ca, tokens,
                                  bool((manifest.get("timestamps") or {}).get("disabled")))
        except Exception as exc:  # noqa: BLE001 - a PDF pyHanko cannot parse is an altered one, named
            why = (str(exc).splitlines() or [""])[0][:200]
            p, w, one = [f"{name}: the PDF signature cannot be read ({type(exc).__name__}: {why})"], [], {"path": name}
        problems.extend(p)
        warnings.extend(w)
        found.append(one)
    info["pdf_signatures"] = found
    return len(found)
