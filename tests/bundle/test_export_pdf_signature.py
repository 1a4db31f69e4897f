"""export signs report.pdf PAdES (B-LT with the local TSA), pdfsig and verify agree; a flipped byte, another
certificate chain (EVIDENCE_SIGNING_CERT) and a bad certificate file, end to end through the CLI."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.bundle.conftest import corrupt, export, unzip
from tests.bundle.pdfcerts import make_chain, write_pem

pytestmark = pytest.mark.slow  # each export prints a PDF with Chromium


def extract(bundle: Path, dest: Path, member: str = "evidence/report.pdf") -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / Path(member).name
    with zipfile.ZipFile(bundle) as z:
        out.write_bytes(z.read(member))
    return out


def pdfsig(path: Path, *args: str) -> str:
    proc = subprocess.run(["pdfsig", "-no-ocsp", *args, str(path)], capture_output=True, text=True, timeout=60,
                          cwd=path.parent)
    return proc.stdout + proc.stderr


def manifest(bundle: Path) -> dict:
    with zipfile.ZipFile(bundle) as z:
        return json.loads(z.read("evidence/manifest.json"))


def test_pdfsig_says_valid_with_signing_time_and_the_timestamp_verifies(bundle_en, tsa, tmp_path):
    pdf = extract(bundle_en, tmp_path)
    text = pdfsig(pdf)
    assert "Signature Validation: Signature is Valid." in text, text
    assert "Total document signed" in text and "Signing Time:" in text
    assert "Signer Certificate Common Name: Test Investigator" in text
    assert "Signature Type: ETSI.CAdES.detached" in text  # PAdES
    # pdfsig 22 does not print the signature timestamp: take the CMS out and check its token with openssl ts
    pdfsig(pdf, "-dump")
    signer_info = cms.ContentInfo.load((tmp_path / "report.pdf.sig0").read_bytes())["content"]["signer_infos"][0]
    token = next(a["values"][0] for a in signer_info["unsigned_attrs"]
                 if a["type"].native == "signature_time_stamp_token")
    (tmp_path / "token.der").write_bytes(token.dump())
    (tmp_path / "signature.bin").write_bytes(signer_info["signature"].native)
    check = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-data", "signature.bin",
                            "-CAfile", str(tsa.ca_path)], capture_output=True, text=True, cwd=tmp_path)
    assert "Verification: OK" in check.stdout, check.stdout + check.stderr


def test_the_pdfsig_step_of_verify_txt_passes_as_written(bundle_fr, tmp_path):
    root = unzip(bundle_fr, tmp_path / "case")
    [cmd] = re.findall(r"^\s+(pdfsig .*)$", (root / "evidence" / "VERIFY.txt").read_text(), re.M)
    out = subprocess.run(cmd.split(), cwd=root, capture_output=True, text=True, timeout=60)
    assert "Signature is Valid." in out.stdout and "Total document signed" in out.stdout, out


def test_verify_checks_the_pdf_signature_against_the_declared_certificate(bundle_en, sealed, tsa):
    cli, _ = sealed
    result = cli.json("verify", str(bundle_en), "--tsa-ca", str(tsa.ca_path), "--json")
    assert result["valid"] and not result["warnings"], result
    declared = manifest(bundle_en)["pdf_signer"]
    assert declared["source"] == "operator key" and declared["pades"] == "B-T"
    assert declared["subject"] == "CN=Test Investigator"
    [sig] = result["pdf_signatures"]
    assert sig["path"] == "evidence/report.pdf" and sig["level"] == "B-LT" and sig["intact"]
    assert sig["certificate_sha256"] == declared["sha256"] and sig["signing_time"]
    assert sig["timestamp"]["chain_checked"]
    assert sig["timestamp"]["gen_time"][:19] >= result["timestamps"][0]["gen_time"][:19]
    assert result["checked"]["pdf_signatures"] == 1
    with zipfile.ZipFile(bundle_en) as z:  # the report's integrity section names the PDF's own signature
        html = z.read("evidence/report.html").decode()
    assert "Signature of this PDF" in html and declared["sha256"] in html and "CN=Test Investigator" in html
    key_cert = x509.load_pem_x509_certificate((cli.store / "keys" / "signing-key.cert.pem").read_bytes())
    assert hashlib.sha256(key_cert.public_bytes(serialization.Encoding.DER)).hexdigest() == declared["sha256"]


def test_flipped_byte_in_report_pdf_fails_verify_and_pdfsig(bundle_en, sealed, tmp_path):
    cli, _ = sealed
    bad = corrupt(bundle_en, tmp_path / "bad.wacz", "evidence/report.pdf", flip_at=0.3)
    proc = cli.run("verify", str(bad), "--json")
    assert proc.returncode == 1, proc.stderr
    problems = json.loads(proc.stdout)["problems"]
    pdf_problems = [p for p in problems if p.startswith("evidence/report.pdf:")]
    assert any("sha256" in p for p in pdf_problems), problems  # the member hash check
    assert any("PDF signature" in p for p in pdf_problems), problems  # and the signature itself
    assert "Signature is Valid." not in pdfsig(extract(bad, tmp_path / "x"))


def test_organisation_certificate_chain_signs_the_pdf(sealed, tsa, tmp_path):
    cli, cid = sealed
    key, chain = make_chain()
    org = write_pem(tmp_path / "org.pem", key, chain)
    out = tmp_path / "org.wacz"
    proc = cli.run("export", cid, "-o", str(out), "--json",
                   env={"EVIDENCE_TSA_URLS": tsa.url, "EVIDENCE_SIGNING_CERT": str(org)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    leaf_sha = hashlib.sha256(chain[0].public_bytes(serialization.Encoding.DER)).hexdigest()
    assert result["pdf_signer"] == {"sha256": leaf_sha, "subject": chain[0].subject.rfc4514_string(),
                                    "source": "EVIDENCE_SIGNING_CERT"}
    assert result["pdf_signatures"][0]["level"] == "B-LT"
    with zipfile.ZipFile(out) as z:
        carried = x509.load_pem_x509_certificates(z.read("evidence/pdf-signer.pem"))
    assert carried == chain  # leaf, issuing CA, root: the given chain
    text = pdfsig(extract(out, tmp_path))
    assert "Signature is Valid." in text and "Signer Certificate Common Name: Jeanne Dupont" in text
    verified = cli.json("verify", str(out), "--tsa-ca", str(tsa.ca_path), "--json")
    assert verified["valid"] and verified["pdf_signatures"][0]["certificate_sha256"] == leaf_sha
    assert verified["key_fingerprint"] == result["key_fingerprint"]  # the bundle itself: the operator key


@pytest.mark.parametrize("content", [b"garbage, not a certificate", None])
def test_unusable_signing_cert_is_exit_2_and_writes_nothing(sealed, tsa, tmp_path, content):
    cli, cid = sealed
    path = tmp_path / "org.pem"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out" / "case.wacz"
    out.parent.mkdir()
    proc = cli.run("export", cid, "-o", str(out),
                   env={"EVIDENCE_TSA_URLS": tsa.url, "EVIDENCE_SIGNING_CERT": str(path)})
    assert proc.returncode == 2, proc.stderr
    assert f"EVIDENCE_SIGNING_CERT {path}" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2
    assert not list(out.parent.iterdir())


def test_no_timestamp_signs_b_b_and_verify_says_so(sealed, tmp_path):
    cli, cid = sealed
    out = tmp_path / "unstamped.wacz"
    export(cli, cid, out, None, "--no-timestamp")
    assert manifest(out)["pdf_signer"]["pades"] == "B-B"
    with zipfile.ZipFile(out) as z:
        assert "PAdES B-B" in z.read("evidence/report.html").decode()
    assert "Signature is Valid." in pdfsig(extract(out, tmp_path))
    result = cli.json("verify", str(out), "--accept-untimestamped", "--json")
    assert result["valid"] and result["pdf_signatures"][0]["level"] == "B-B"
    assert any("B-B" in w and "--no-timestamp" in w for w in result["warnings"])


def test_keys_init_makes_the_certificate_from_operator_and_organisation(tmp_path):
    from tests.conftest import Cli

    cli = Cli(tmp_path / "store")
    env = {"EVIDENCE_OPERATOR": "Marie Curie", "EVIDENCE_ORGANISATION": "Société des auteurs"}
    made = cli.json("keys", "init", "--json", env=env)
    cert = made["certificate"]
    assert cert["subject"] == "O=Société des auteurs,CN=Marie Curie" and cert["matches_key"]
    assert Path(cert["path"]).name == "signing-key.cert.pem" and cert["not_after"] > cert["not_before"]
    shown = cli.json("keys", "show", "--json")
    assert shown["certificate"] == cert


def test_a_key_without_certificate_gets_one_at_first_export_and_is_kept(sealed, tsa, tmp_path):
    from evidence_crawler.bundle.sign import create_key

    cli, cid = sealed
    key = create_key(tmp_path / "old" / "key.pem")  # as `keys init` made keys before certificates existed
    before = key.path.read_bytes()
    env = {"EVIDENCE_TSA_URLS": tsa.url, "EVIDENCE_KEY": str(key.path), "EVIDENCE_OPERATOR": "Old Hand"}
    proc = cli.run("export", cid, "-o", str(tmp_path / "case.wacz"), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    cert_path = tmp_path / "old" / "key.cert.pem"
    assert f"created the PDF-signing certificate {cert_path}" in proc.stderr
    assert key.path.read_bytes() == before
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=Old Hand"
    assert json.loads(proc.stdout)["pdf_signer"]["sha256"] == hashlib.sha256(
        cert.public_bytes(serialization.Encoding.DER)).hexdigest()
