"""The report PDF check run in a second process (``pdfsigworker``): the same verdict as in-process, and the
in-process check whenever the worker has no usable answer (cannot start, crashes, other bytes, garbage)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.bundle import pdfsigcheck, pdfsigworker
from evidence_crawler.bundle.pdfsigcheck import check_pdf_signatures, start_validations
from evidence_crawler.bundle.pdfsign import sign_pdf
from evidence_crawler.bundle.safezip import SafeZip
from evidence_crawler.bundle.sign import create_key
from evidence_crawler.bundle.signcert import operator_signer
from tests.bundle.pdfcerts import minimal_pdf

REPORT, CHAIN = "evidence/report.pdf", "evidence/pdf-signer.pem"


@pytest.fixture(scope="module")
def signed(tmp_path_factory, tsa):
    tmp = tmp_path_factory.mktemp("worker")
    signer = operator_signer(create_key(tmp / "keys" / "signing-key.pem"), "Test Investigator", "Rights Society", [])
    (tmp / "report.pdf").write_bytes(minimal_pdf())
    sign_pdf(tmp / "report.pdf", tmp / "signed.pdf", signer, [tsa.url])
    return signer, (tmp / "signed.pdf").read_bytes()


def _bundle(path: Path, pdf: bytes, chain: bytes, sha256: str) -> tuple[Path, bytes]:
    manifest = json.dumps({"pdf_signer": {"certificate": CHAIN, "sha256": sha256}}).encode()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(REPORT, pdf)
        z.writestr(CHAIN, chain)
    return path, manifest


def _check(path: Path, manifest: bytes, use_worker: bool = True):
    problems, warnings, info = [], [], {}
    with SafeZip(path) as z:
        validations = start_validations(z, manifest, None) if use_worker else None
        try:
            n = check_pdf_signatures(z, manifest, [], None, problems, warnings, info, validations)
        finally:
            if validations is not None:
                validations.close()
    return n, problems, warnings, info


def test_worker_answer_is_used_and_judged_as_in_process(signed, tmp_path, monkeypatch):
    signer, pdf = signed
    path, manifest = _bundle(tmp_path / "b.zip", pdf, signer.chain_pem, signer.cert_sha256)
    inline = _check(path, manifest, use_worker=False)
    assert inline[:3] == (1, [], []) and inline[3]["pdf_signatures"][0]["level"] == "B-LT"

    def not_here(*_args):
        raise AssertionError("validated in-process although the worker answered")

    monkeypatch.setattr(pdfsigcheck, "validate", not_here)
    assert _check(path, manifest) == inline


def test_altered_pdf_is_named_the_same_by_the_worker(signed, tmp_path):
    signer, pdf = signed
    cut = pdf[:len(pdf) // 2]  # a truncated PDF: pyHanko cannot read its signature
    flipped = bytearray(pdf)
    flipped[len(pdf) // 3] ^= 0x01  # one bit inside the signed range
    for name, data in (("cut", cut), ("flipped", bytes(flipped))):
        path, manifest = _bundle(tmp_path / f"{name}.zip", data, signer.chain_pem, signer.cert_sha256)
        by_worker, in_process = _check(path, manifest), _check(path, manifest, use_worker=False)
        assert by_worker == in_process, name
        assert by_worker[1], name  # named as a problem


def test_no_worker_or_a_broken_one_falls_back_to_in_process(signed, tmp_path, monkeypatch):
    signer, pdf = signed
    path, manifest = _bundle(tmp_path / "b.zip", pdf, signer.chain_pem, signer.cert_sha256)
    expected = _check(path, manifest, use_worker=False)

    def cannot_start(*_args, **_kw):
        raise OSError("no python here")

    with monkeypatch.context() as m:
        m.setattr(subprocess, "Popen", cannot_start)
        assert _check(path, manifest) == expected
    real = subprocess.Popen
    for broken in ("import sys; sys.exit(3)", "print('not json')", "print('{\"evidence/report.pdf\": 7}')",
                   "print('{\"evidence/report.pdf\": {\"facts\": {\"signatures\": 1}}}')"):
        with monkeypatch.context() as m:
            m.setattr(pdfsigworker.subprocess, "Popen",
                      lambda _cmd, code=broken, **kw: real(["python3", "-c", code], **kw))
            assert _check(path, manifest) == expected, broken


def test_answer_for_other_bytes_is_not_used(signed, tmp_path):
    signer, pdf = signed
    validations = pdfsigworker.start(signer.chain_pem, [(REPORT, pdf)], None)
    try:
        assert validations.facts(REPORT, signer.chain_pem, pdf + b"\n") is None
        assert validations.facts(REPORT, signer.chain_pem, pdf)["signatures"] == 1
    finally:
        validations.close()
