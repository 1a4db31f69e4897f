"""report.pdf's PAdES signature, signed and checked on a small PDF (no Chromium): pyHanko against the
local TSA, poppler's pdfsig as the independent reader, and the verifier's own check (pdfsigcheck)."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from evidence_crawler.bundle.pdfsigcheck import check_one
from evidence_crawler.bundle.pdfsign import PdfSignError, sign_pdf
from evidence_crawler.bundle.sign import SigningKeyError, create_key
from evidence_crawler.bundle.signcert import (
    CERT_VALIDITY_DAYS,
    cert_path_for,
    load_signing_cert,
    make_certificate,
    operator_signer,
)
from tests.bundle.pdfcerts import make_chain, minimal_pdf, write_p12, write_pem
from tests.servers.moto import free_port


def pdfsig(path: Path) -> str:
    proc = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


@pytest.fixture
def operator(tmp_path):
    key = create_key(tmp_path / "keys" / "signing-key.pem")
    notes: list[str] = []
    signer = operator_signer(key, "Test Investigator", "Rights Society", notes)
    assert notes and "created the PDF-signing certificate" in notes[0]
    return signer


@pytest.fixture
def printed(tmp_path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf())
    return path


def declared(signer) -> dict:
    return {"sha256": signer.cert_sha256}


def test_operator_certificate_is_self_signed_for_the_key_with_document_signing_usage(operator):
    cert = operator.cert
    assert cert.subject.rfc4514_string() == "O=Rights Society,CN=Test Investigator" == cert.issuer.rfc4514_string()
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (CERT_VALIDITY_DAYS, CERT_VALIDITY_DAYS - 1)
    assert cert.public_key() == operator.private.public_key()
    assert operator.cert_path == cert_path_for(operator.cert_path.parent / "signing-key.pem")
    assert (operator.cert_path.stat().st_mode & 0o777) == 0o644


def test_b_lt_signature_pdfsig_valid_whole_file_and_checked(operator, printed, tmp_path, tsa):
    out = tmp_path / "signed.pdf"
    sig = sign_pdf(printed, out, operator, [tsa.url])
    assert sig.level == "B-LT" and sig.tsa_url == tsa.url
    text = pdfsig(out)
    assert "Signature Validation: Signature is Valid." in text, text
    assert "Total document signed" in text and "Signing Time:" in text
    assert "Signer Certificate Common Name: Test Investigator" in text
    problems, warnings, info = check_one("evidence/report.pdf", out.read_bytes(), declared(operator),
                                         operator.chain_pem, tsa.ca_path, [], False)
    assert problems == [] and warnings == []
    assert info["level"] == "B-LT" and info["timestamp"]["chain_checked"] and info["timestamp"]["intact"]
    assert info["certificate_sha256"] == operator.cert_sha256


def test_flipped_byte_fails_pdfsig_and_the_check(operator, printed, tmp_path, tsa):
    out = tmp_path / "signed.pdf"
    sign_pdf(printed, out, operator, [tsa.url])
    data = bytearray(out.read_bytes())
    pos = data.index(b"Evidence report")
    data[pos] ^= 0x01
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    assert "Signature is Valid." not in pdfsig(flipped)
    problems, _, _ = check_one("evidence/report.pdf", bytes(data), declared(operator), operator.chain_pem, None, [],
                               False)
    assert any("does not verify" in p for p in problems), problems


def test_incremental_update_after_signing_is_refused(operator, printed, tmp_path, tsa):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    out = tmp_path / "signed.pdf"
    sign_pdf(printed, out, operator, [tsa.url])
    writer = IncrementalPdfFileWriter(io.BytesIO(out.read_bytes()))
    writer.root["/Lang"] = generic.TextStringObject("fr")
    writer.update_root()
    buf = io.BytesIO()
    writer.write(buf)
    problems, _, _ = check_one("evidence/report.pdf", buf.getvalue(), declared(operator), operator.chain_pem, None,
                               [], False)
    assert any("does not cover the whole file" in p for p in problems), problems


def test_another_certificate_than_the_declared_one_is_named(operator, printed, tmp_path, tsa):
    out = tmp_path / "signed.pdf"
    sign_pdf(printed, out, operator, [tsa.url])
    problems, _, _ = check_one("evidence/report.pdf", out.read_bytes(), {"sha256": "0" * 64}, operator.chain_pem,
                               None, [], False)
    assert any("not the one declared" in p for p in problems), problems


def test_timestamp_far_from_the_bundle_tokens_is_named(operator, printed, tmp_path, tsa):
    out = tmp_path / "signed.pdf"
    sign_pdf(printed, out, operator, [tsa.url])
    problems, _, _ = check_one("evidence/report.pdf", out.read_bytes(), declared(operator), operator.chain_pem,
                               None, [{"gen_time": "2020-01-01T00:00:00.000000Z"}], False)
    assert any("not within the export" in p for p in problems), problems


def test_no_timestamp_is_b_b_a_warning_only_when_disabled(operator, printed, tmp_path):
    out = tmp_path / "signed.pdf"
    assert sign_pdf(printed, out, operator, [], timestamp=False).level == "B-B"
    assert "Signature is Valid." in pdfsig(out)
    args = ("evidence/report.pdf", out.read_bytes(), declared(operator), operator.chain_pem, None, [])
    problems, warnings, info = check_one(*args, True)
    assert problems == [] and "B-B" in warnings[0] and info["level"] == "B-B"
    problems, _, _ = check_one(*args, False)
    assert any("no timestamp token" in p for p in problems)


def test_no_tsa_answer_fails_closed(operator, printed, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/tsr"
    with pytest.raises(PdfSignError, match="no TSA gave a timestamp") as exc:
        sign_pdf(printed, tmp_path / "signed.pdf", operator, [dead], timeout_s=5)
    assert dead in str(exc.value)


def test_organisation_chain_pem_signs_with_its_chain(printed, tmp_path, tsa):
    key, chain = make_chain()
    signer = load_signing_cert(write_pem(tmp_path / "org.pem", key, chain))
    assert signer.cert == chain[0] and list(signer.chain) == chain[1:] and signer.source == "EVIDENCE_SIGNING_CERT"
    out = tmp_path / "signed.pdf"
    assert sign_pdf(printed, out, signer, [tsa.url]).level == "B-LT"
    assert "Signature is Valid." in pdfsig(out)
    problems, _, info = check_one("evidence/report.pdf", out.read_bytes(), declared(signer), signer.chain_pem,
                                  tsa.ca_path, [], False)
    assert problems == [] and "Common Name: Jeanne Dupont" in info["signer"]
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(out.read_bytes())).embedded_signatures[0]
    carried = {c.sha256 for c in embedded.other_embedded_certs} | {embedded.signer_cert.sha256}
    wanted = {hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).digest() for c in chain[:2]}
    assert wanted <= carried


def test_organisation_pkcs12_with_password(tmp_path):
    key, chain = make_chain()
    p12 = write_p12(tmp_path / "org.p12", key, chain, "s3cret")
    assert load_signing_cert(p12, "s3cret").cert == chain[0]
    with pytest.raises(SigningKeyError, match="PKCS#12"):
        load_signing_cert(p12, "wrong")


@pytest.mark.parametrize("content,message", [
    (b"not a certificate at all", "neither PEM nor a readable PKCS#12"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no PEM certificate"),
])
def test_unusable_signing_cert_files_say_why(tmp_path, content, message):
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(SigningKeyError, match=message):
        load_signing_cert(path)
    with pytest.raises(SigningKeyError, match="cannot be read"):
        load_signing_cert(tmp_path / "missing.pem")


def test_pem_without_key_or_with_a_foreign_or_ed25519_key_is_refused(tmp_path):
    key, chain = make_chain()
    certs_only = tmp_path / "certs.pem"
    certs_only.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    with pytest.raises(SigningKeyError, match="no private key"):
        load_signing_cert(certs_only)
    other, _ = make_chain()
    with pytest.raises(SigningKeyError, match="matches its private key"):
        load_signing_cert(write_pem(tmp_path / "foreign.pem", other, chain))
    with pytest.raises(SigningKeyError, match="RSA or ECDSA"):
        load_signing_cert(write_pem(tmp_path / "ed.pem", ed25519.Ed25519PrivateKey.generate(), chain))


def test_certificate_of_another_key_is_refused_not_replaced(tmp_path):
    key = create_key(tmp_path / "k.pem")
    other = create_key(tmp_path / "other.pem")
    path = cert_path_for(key.path)
    path.write_bytes(make_certificate(other.private, "x", "").public_bytes(serialization.Encoding.PEM))
    before = path.read_bytes()
    with pytest.raises(SigningKeyError, match="not for the key"):
        operator_signer(key, "x", "", [])
    assert path.read_bytes() == before


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_bundle_level_check_old_bundles_warn_and_missing_signer_chain_is_named(operator, printed, tmp_path, tsa):
    import json

    from evidence_crawler.bundle.pdfsigcheck import check_pdf_signatures
    from evidence_crawler.bundle.safezip import SafeZip

    out = tmp_path / "signed.pdf"
    sign_pdf(printed, out, operator, [tsa.url])
    ref = {"certificate": "evidence/pdf-signer.pem", "sha256": operator.cert_sha256}
    cases = {
        "old": ({"evidence/report.pdf": printed.read_bytes()}, {}),
        "no-chain": ({"evidence/report.pdf": out.read_bytes()}, {"pdf_signer": ref}),
        "good": ({"evidence/report.pdf": out.read_bytes(), "evidence/pdf-signer.pem": operator.chain_pem},
                 {"pdf_signer": ref}),
        "no-pdf": ({"evidence/pdf-signer.pem": operator.chain_pem}, {"pdf_signer": ref}),
    }
    seen = {}
    for case, (members, manifest) in cases.items():
        problems, warnings, info = [], [], {}
        with SafeZip(_zip(tmp_path / f"{case}.zip", {**members, "x.json": b"{}"})) as z:
            n = check_pdf_signatures(z, json.dumps(manifest).encode(), [], None, problems, warnings, info)
        seen[case] = (n, problems, warnings)
    assert seen["old"][0] == 0 and not seen["old"][1] and "not signed" in seen["old"][2][0]
    assert seen["no-chain"][0] == 0 and "evidence/pdf-signer.pem" in seen["no-chain"][1][0]
    assert seen["good"] == (1, [], [])
    assert seen["no-pdf"][1] == ["evidence/report.pdf: missing (the manifest declares a PDF signer)"]


def test_organisation_chain_without_its_root_is_b_t_and_still_checks(printed, tmp_path, tsa):
    key, chain = make_chain()
    signer = load_signing_cert(write_pem(tmp_path / "org.pem", key, chain[:2]))  # leaf + issuing CA, no root
    out = tmp_path / "signed.pdf"
    assert sign_pdf(printed, out, signer, [tsa.url]).level == "B-T"
    assert "Signature is Valid." in pdfsig(out)
    problems, _, info = check_one("evidence/report.pdf", out.read_bytes(), declared(signer), signer.chain_pem,
                                  tsa.ca_path, [], False)
    assert problems == [] and info["level"] == "B-T"
