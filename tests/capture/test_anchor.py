"""Seal-time anchoring: a local TSA's token over the sealed manifest, the operator's signature, both
named in custody, kept beside the manifest and checked by ``captures verify``."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess

import pytest

from evidence_crawler.bundle.sign import create_key
from evidence_crawler.capture.anchor import SealAnchor
from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.demo.tsa import LocalTSA
from evidence_crawler.models import EventKind, Item
from evidence_crawler.services.verify import verify_capture
from tests.capture.conftest import record_page
from tests.servers.tinyshop import PROFILE, TinyShop


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as t:
        yield t


def seal(new_session, anchor: SealAnchor):
    session = new_session()
    session.anchor = anchor
    session.open()
    sha = record_page(session, "http://shop/a", b"<html>a</html>")
    session.record_item(Item(url="http://shop/a", key="a", fields={"t": "a"}, page_sha256=sha))
    seal_capture(session, finish_reason="finished")
    return session


def events(store, capture_id, kind):
    return [e for e in CustodyLedger(store.root).events(capture_id) if e.event == kind]


def test_a_sealed_manifest_gets_a_token_and_a_signature_named_in_custody(new_session, store, tsa, tmp_path):
    key = create_key(tmp_path / "key.pem")
    session = seal(new_session, SealAnchor("best-effort", (tsa.url,), 10.0, key.path))
    manifest_sha = hashlib.sha256((session.dir / "manifest.json").read_bytes()).hexdigest()
    [stamped] = events(store, session.capture_id, EventKind.CAPTURE_TIMESTAMPED)
    [signed] = events(store, session.capture_id, EventKind.CAPTURE_SIGNED)
    token = session.dir / stamped.data["name"]
    assert stamped.data["manifest_sha256"] == manifest_sha and stamped.data["tsa"] == tsa.url
    assert hashlib.sha256(token.read_bytes()).hexdigest() == stamped.data["sha256"]
    assert store.object_path(stamped.data["sha256"]).exists()  # content-addressed like every object
    assert not token.stat().st_mode & stat.S_IWUSR
    assert signed.data["fingerprint"] == key.fingerprint
    sealed_seq = events(store, session.capture_id, EventKind.CAPTURE_SEALED)[0].seq
    assert sealed_seq < stamped.seq < signed.seq  # the token covers a manifest already sealed
    state = store.read_state(session.capture_id)["seal_anchor"]
    assert (state["tokens"][0]["gen_time"], state["signature"]["fingerprint"]) == \
        (stamped.data["gen_time"], key.fingerprint)
    report = verify_capture(store, session.capture_id)
    assert report.ok, report.problems
    assert (report.checked["seal_timestamps"], report.checked["seal_signatures"]) == (1, 1)


def test_captures_verify_names_a_changed_token_and_a_signature_that_does_not_verify(new_session, store, tsa,
                                                                                   tmp_path):
    key = create_key(tmp_path / "key.pem")
    session = seal(new_session, SealAnchor("best-effort", (tsa.url,), 10.0, key.path))
    token = session.dir / "seal" / "manifest.1.tsr"
    os.chmod(token, 0o644)
    data = bytearray(token.read_bytes())
    data[len(data) // 2] ^= 1
    token.unlink()  # the store's object keeps the original bytes; the capture folder's copy is changed
    token.write_bytes(bytes(data))
    sig = session.dir / "seal" / "manifest.sig"
    other = key.sign_der(b"another manifest")
    sig.unlink()
    sig.write_bytes(other)
    problems = verify_capture(store, session.capture_id).problems
    assert any("seal-time token seal/manifest.1.tsr: sha256 differs" in p for p in problems), problems
    assert any("seal signature seal/manifest.sig: sha256 differs" in p for p in problems), problems


def test_a_token_over_another_manifest_is_refused(new_session, store, tsa):
    from evidence_crawler.bundle.sealcheck import check_tokens, file_reader

    session = seal(new_session, SealAnchor("best-effort", (tsa.url,), 10.0, None))
    [stamped] = events(store, session.capture_id, EventKind.CAPTURE_TIMESTAMPED)
    forged = (session.dir / "manifest.json").read_bytes().replace(b'"finished"', b'"forged"')
    problems = check_tokens(forged, [stamped.data], file_reader(session.dir))
    assert any("is not the digest that was timestamped" in p for p in problems), problems


def test_required_without_a_token_seals_and_says_the_token_is_missing(new_session, store, tsa):
    tsa.fail = True
    try:
        session = seal(new_session, SealAnchor("required", (tsa.url,), 10.0, None))
    finally:
        tsa.fail = False
    state = store.read_state(session.capture_id)
    assert state["state"] == "sealed" and state["seal_anchor"]["required_missing"] is True
    assert "HTTP 500" in state["seal_anchor"]["problems"][0]
    [failed] = events(store, session.capture_id, EventKind.SEAL_TIMESTAMP_FAILED)
    assert failed.data["required"] is True and failed.data["tsa"] == tsa.url
    assert not events(store, session.capture_id, EventKind.CAPTURE_TIMESTAMPED)


def test_off_asks_no_tsa_and_no_key_means_unsigned(new_session, store, tsa, tmp_path):
    before = tsa.requests
    session = seal(new_session, SealAnchor("off", (tsa.url,), 10.0, tmp_path / "no-key.pem"))
    assert tsa.requests == before
    anchor = store.read_state(session.capture_id)["seal_anchor"]
    assert (anchor["tokens"], anchor["signature"], anchor["problems"]) == ([], None, [])
    assert verify_capture(store, session.capture_id).ok


def test_the_seal_files_check_with_openssl_as_documented(new_session, store, tsa, tmp_path):
    key = create_key(tmp_path / "key.pem")
    session = seal(new_session, SealAnchor("best-effort", (tsa.url,), 10.0, key.path))
    d = session.dir
    digest = hashlib.sha256((d / "manifest.json").read_bytes()).hexdigest()
    ts = subprocess.run(["openssl", "ts", "-verify", "-digest", digest, "-in", "seal/manifest.1.tsr",
                         "-CAfile", str(tsa.ca_path)], cwd=d, capture_output=True, text=True)
    assert "Verification: OK" in ts.stdout, ts
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "seal/signer.pub.pem", "-signature",
                          "seal/manifest.sig", "manifest.json"], cwd=d, capture_output=True, text=True)
    assert "Verified OK" in sig.stdout, sig


def test_crawl_with_a_required_seal_timestamp_and_no_token_exits_1_and_stays_sealed(cli, write_profile, tsa):
    with TinyShop(items=2) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        tsa.fail = True
        try:
            proc = cli.run("crawl", str(profile), "--allow-private", "--json",
                           env={"EVIDENCE_TSA_URLS": tsa.url, "EVIDENCE_SEAL_TIMESTAMP": "required"})
        finally:
            tsa.fail = False
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["state"] == "sealed" and summary["seal_anchor"]["required_missing"]
    assert "is sealed without a seal-time timestamp, which EVIDENCE_SEAL_TIMESTAMP=required asks for" \
        in proc.stderr
    assert [c["state"] for c in cli.json("captures", "list", "--json")] == ["sealed"]
