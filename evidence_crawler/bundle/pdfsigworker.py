"""The pyHanko half of the report PDF check (:func:`validate`), and the process it runs in for ``verify``.

Why a process: importing pyHanko takes ~0.5 s of pure Python (its signing side pulls in aiohttp), and
validating the signature a little more. In ``verify``'s own process that time holds the GIL and so adds
to the rest of the checks, which on a bundle of small pages are Python too (books bundle: 1.2 s of
in-process work, 0.4 s of it the PDF). In a second process it runs on the other core while the bundle
is read; ``pdfsigcheck.check_pdf_signatures`` then judges the facts this process found exactly as it
judges those found in-process (:func:`validate` runs in both).

The parent hands over the bytes it read (chain PEM, each PDF) on stdin, so both sides see the same
bytes; it checks their sha256 again before using an answer. If this process cannot start, crashes,
answers garbage or takes too long, the parent validates in-process: never a different verdict, only
a slower one.

Protocol: stdin is one JSON line ``{"tsa_ca": path|null, "chain": n, "pdfs": [[name, n], ...]}`` and then
the chain's ``n`` bytes and each PDF's bytes in order; stdout is one JSON object, name -> ``{"facts": ...}``
or ``{"error": [type name, first line of the message]}``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WAIT_S = 300  # a worker still busy after this is abandoned; the parent validates in-process


@dataclass
class PdfValidations:
    """Started by :func:`start`; :meth:`facts` gives one PDF's facts, or None (validate in-process)."""

    proc: subprocess.Popen
    inputs: dict[str, str]  # PDF name -> sha256 of (chain + PDF) as handed over
    _answer: dict[str, Any] | None = None
    _done: bool = False
    _feeder: threading.Thread | None = field(default=None, repr=False)

    @staticmethod
    def key(chain_pem: bytes, data: bytes) -> str:
        return hashlib.sha256(hashlib.sha256(chain_pem).digest() + data).hexdigest()

    def facts(self, name: str, chain_pem: bytes, data: bytes) -> dict[str, Any] | None:
        """The worker's answer for ``name`` when it was given these very bytes; raises ``PdfUnreadable`` with
        the worker's error; None when there is no usable answer."""
        if self.inputs.get(name) != self.key(chain_pem, data):
            return None
        answer = self._collect().get(name)
        if not isinstance(answer, dict):
            return None
        facts = answer.get("facts")
        if isinstance(facts, dict) and _well_formed(facts):
            return facts
        error = answer.get("error")
        if isinstance(error, list) and len(error) == 2 and all(isinstance(e, str) for e in error):
            raise PdfUnreadable(*error)
        return None

    def _collect(self) -> dict[str, Any]:
        if not self._done:
            self._done = True
            if self._feeder is not None:
                self._feeder.join(WAIT_S)
            try:
                if self._feeder is not None and self._feeder.is_alive():
                    raise subprocess.TimeoutExpired(self.proc.args, WAIT_S)
                self.proc.stdin = None  # closed by the feeder; communicate() would flush it
                out, _ = self.proc.communicate(timeout=WAIT_S)
                answer = json.loads(out) if self.proc.returncode == 0 else None
                self._answer = answer if isinstance(answer, dict) else None
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self.close()
        return self._answer or {}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_FACT_KEYS = {"signatures", "level", "intact", "entire_file", "signer", "certificate_sha256", "trusted",
              "signing_time", "timestamp"}
_TIMESTAMP_KEYS = {"gen_time", "tsa", "intact", "trusted"}


def _well_formed(facts: dict[str, Any]) -> bool:
    """The shape :func:`validate` returns (else the answer is not used: the parent validates itself)."""
    if not isinstance(facts.get("signatures"), int):
        return False
    if facts["signatures"] != 1:
        return True
    ts = facts.get("timestamp")
    return facts.keys() >= _FACT_KEYS and (ts is None or (isinstance(ts, dict) and ts.keys() >= _TIMESTAMP_KEYS))


def error_line(exc: BaseException) -> str:
    """How a PDF pyHanko cannot read is worded, in both processes: the first line of the error, capped."""
    return (str(exc).splitlines() or [""])[0][:200]


class PdfUnreadable(Exception):
    """What pyHanko raised in the worker: its type name and the first line of its message."""

    def __init__(self, type_name: str, why: str) -> None:
        super().__init__(why)
        self.type_name, self.why = type_name, why


def start(chain_pem: bytes, pdfs: list[tuple[str, bytes]], tsa_ca: Path | None) -> PdfValidations | None:
    """A worker validating ``pdfs`` against ``chain_pem``; None when it cannot be started."""
    header = {"tsa_ca": str(tsa_ca) if tsa_ca is not None else None, "chain": len(chain_pem),
              "pdfs": [[name, len(data)] for name, data in pdfs]}
    try:
        proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except OSError:
        return None

    def feed() -> None:  # the PDFs may be larger than the pipe: written while the caller goes on
        try:
            proc.stdin.write(json.dumps(header).encode() + b"\n" + chain_pem)
            for _name, data in pdfs:
                proc.stdin.write(data)
            proc.stdin.close()
        except OSError:
            pass  # the worker died: its answer is unusable, the parent validates in-process

    feeder = threading.Thread(target=feed, name="pdf-check-feed", daemon=True)
    feeder.start()
    return PdfValidations(proc, {name: PdfValidations.key(chain_pem, data) for name, data in pdfs},
                          _feeder=feeder)


def certificates(pem: bytes):
    from asn1crypto import pem as apem
    from asn1crypto import x509 as ax509

    return [ax509.Certificate.load(der) for _kind, _hdr, der in apem.unarmor(pem, multiple=True)]


def _contexts(chain_pem: bytes, tsa_ca: Path | None):
    from pyhanko_certvalidator import ValidationContext

    chain = certificates(chain_pem)
    signer_vc = ValidationContext(trust_roots=chain[-1:], other_certs=chain[:-1], allow_fetching=False,
                                  revocation_mode="soft-fail")
    ts_roots = certificates(tsa_ca.read_bytes()) if tsa_ca is not None else []
    ts_vc = ValidationContext(trust_roots=ts_roots, allow_fetching=False, revocation_mode="soft-fail")
    return signer_vc, ts_vc


def _level(reader, status) -> str:
    if status.timestamp_validity is None:
        return "B-B"
    return "B-LT" if "/DSS" in reader.root else "B-T"


def validate(data: bytes, chain_pem: bytes, tsa_ca: Path | None) -> dict[str, Any]:
    """What pyHanko finds in one PDF, as plain values (JSON: also the answer of ``pdfsigworker``)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # our own messages say what failed
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    sigs = reader.embedded_signatures
    if len(sigs) != 1:
        return {"signatures": len(sigs)}
    signer_vc, ts_vc = _contexts(chain_pem, tsa_ca)
    status = validate_pdf_signature(sigs[0], signer_vc, ts_vc)
    when = status.signer_reported_dt
    ts = status.timestamp_validity
    return {"signatures": 1, "level": _level(reader, status), "intact": bool(status.intact and status.valid),
            "entire_file": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            "signer": sigs[0].signer_cert.subject.human_friendly,
            "certificate_sha256": sigs[0].signer_cert.sha256.hex(),
            "trusted": bool(status.trusted), "signing_time": when.isoformat() if when else None,
            "timestamp": None if ts is None else {
                "gen_time": ts.timestamp.isoformat(), "tsa": ts.signing_cert.subject.human_friendly,
                "intact": bool(ts.intact and ts.valid), "trusted": bool(ts.trusted)}}


def _read_exactly(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError(f"{n} bytes announced, {len(data)} given")
    return data


def main() -> int:
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    chain_pem = _read_exactly(stdin, int(header["chain"]))
    pdfs = [(str(name), _read_exactly(stdin, int(size))) for name, size in header["pdfs"]]
    tsa_ca = Path(header["tsa_ca"]) if header.get("tsa_ca") else None
    out: dict[str, Any] = {}
    for name, data in pdfs:
        try:
            out[name] = {"facts": validate(data, chain_pem, tsa_ca)}
        except Exception as exc:  # noqa: BLE001 - reported to the parent as the in-process check reports it
            out[name] = {"error": [type(exc).__name__, error_line(exc)]}
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
