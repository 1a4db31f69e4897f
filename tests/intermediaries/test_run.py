"""The whole step against dnsmasq + the RDAP fixture: every role found, raw records round-trip through WARC."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import dns.message
import dns.name
import dns.rdatatype
import pytest
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.intermediaries.records import write_records
from evidence_crawler.intermediaries.run import IntermediariesRequest, run
from evidence_crawler.warc.digest import warc_digest as sha256_b32
from evidence_crawler.warc.recordbuilder import Sha256WARCWriter
from tests.intermediaries.shop_page import payment_page
from tests.servers.rdap import DOMAIN, DOMAIN_JSON, NETWORK_JSON

ROLES = ["hosting", "registrar", "registrant", "dns", "cdn", "certificate_authority", "payment", "advertising",
         "analytics", "email"]


@pytest.fixture
def report(settings_for):
    request = IntermediariesRequest(hosts=(f"www.{DOMAIN}", f"www.{DOMAIN}"), ips=("127.0.0.1",),
                                    pages=(payment_page(),))
    return run(request, settings_for())


def _entry(report, role, name):
    return next(i for i in report.intermediaries if (i.role, i.name) == (role, name))


def test_every_role_is_found_with_its_evidence(report):
    assert [r for r in ROLES if r in {i.role for i in report.intermediaries}] == ROLES
    hosting = _entry(report, "hosting", "Demo Hosting LLC")
    assert (hosting.abuse_contact, hosting.country) == ("abuse@hosting-demo.ru", "RU")
    assert {e.kind for e in hosting.evidence} == {"rdap", "dns"}  # the RDAP network and the A answer
    registrar = _entry(report, "registrar", "Demo Registrar LLC")
    assert registrar.abuse_contact == "abuse@registrar-demo.ru"
    assert registrar.evidence[0].target.endswith(f"/rdap/domain/{DOMAIN}")
    assert _entry(report, "registrant", "Allofmp3 Demo Operator Ltd").country == "RU"
    ns = _entry(report, "dns", "dnshost-demo.net")
    assert ns.evidence[0].target == f"dns:{DOMAIN}?type=NS" and ns.evidence[0].record_id
    assert {e.kind for e in _entry(report, "cdn", "Cloudflare").evidence} == {"dns", "header"}
    assert _entry(report, "certificate_authority", "Demo Trust CA Ltd").country == "BE"
    assert _entry(report, "email", "mail-demo.net").evidence[0].detail == f"{DOMAIN} MX 10 mx.mail-demo.net."
    assert {"Visa", "Mastercard", "PayPal", "WebMoney", "YooMoney", "QIWI", "Bitcoin", "Ethereum", "Voucher"} <= {
        i.name for i in report.intermediaries if i.role == "payment"}
    assert _entry(report, "analytics", "Yandex Metrica").evidence[0].page_sha256 == payment_page().sha256
    assert _entry(report, "advertising", "Google Ads (DoubleClick)")


def test_the_list_order_is_deterministic(report, settings_for):
    again = run(IntermediariesRequest(hosts=(f"www.{DOMAIN}",), ips=("127.0.0.1",), pages=(payment_page(),)),
                settings_for())
    key = [(i.role, i.name, i.abuse_contact, i.country, [(e.kind, e.target, e.detail) for e in i.evidence])
           for i in report.intermediaries]
    assert key == [(i.role, i.name, i.abuse_contact, i.country, [(e.kind, e.target, e.detail) for e in i.evidence])
                   for i in again.intermediaries]
    assert [i.role for i in report.intermediaries] == sorted((i.role for i in report.intermediaries), key=ROLES.index)


def test_lookups_that_fail_are_recorded_and_the_rest_goes_on(report):
    v6 = next(lk for lk in report.rdap if lk.query == "::1")
    assert v6.outcome == "not_found"
    assert {lk.query: lk.outcome for lk in report.rdap} == {DOMAIN: "ok", "127.0.0.1": "ok", "::1": "not_found",
                                                            "AS64500": "ok"}
    assert not report.budget_exhausted


def test_special_purpose_ips_are_looked_up_only_when_private_is_allowed(settings_for):
    out = run(IntermediariesRequest(hosts=(DOMAIN,)), settings_for(allow_private=False))
    ip = next(lk for lk in out.rdap if lk.query == "127.0.0.1")
    assert ip.outcome == "refused" and "special-purpose" in ip.error and ip.exchanges == ()


def test_raw_records_round_trip_through_a_warc_and_pass_warcio_check(report, tmp_path):
    path = tmp_path / "intermediaries.warc.gz"
    with path.open("wb") as fh:
        ids = write_records(Sha256WARCWriter(fh, gzip=True, warc_version="1.1"), report.warc_records())
    cited = {e.record_id for i in report.intermediaries for e in i.evidence if e.record_id}
    assert cited <= set(ids)  # every record the list cites is in the WARC

    answers = {a.record_id: a for a in report.dns if a.record_id}
    http = {ex.record_id: ex for lk in report.rdap for ex in lk.exchanges}
    seen_dns = seen_http = 0
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            rid, uri = rec.rec_headers.get_header("WARC-Record-ID"), rec.rec_headers.get_header("WARC-Target-URI")
            block = rec.raw_stream.read() if rec.http_headers is None else None
            if rid in answers:
                a = answers[rid]
                assert rec.rec_type == "response" and uri == a.target_uri
                assert rec.rec_headers.get_header("Content-Type") == "application/dns-message"
                assert rec.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
                msg = dns.message.from_wire(block)
                owner = dns.name.from_text((a.cname_chain or (a.name,))[-1])
                rdtype = dns.rdatatype.from_text(a.rdtype)
                assert tuple(sorted(rd.to_text() for rr in msg.answer if rr.rdtype == rdtype and rr.name == owner
                                    for rd in rr)) == a.records
                seen_dns += 1
            elif rid in http and rec.rec_type == "response":
                body = rec.content_stream().read()
                assert body == http[rid].body
                if uri.endswith(f"/domain/{DOMAIN}"):
                    assert json.loads(body) == DOMAIN_JSON
                if uri.endswith("/ip/127.0.0.1"):
                    assert json.loads(body) == NETWORK_JSON
                seen_http += 1
    assert seen_dns == len(answers) and seen_http == sum(1 for ex in http.values() if ex.response_bytes)
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_blocks_are_the_exact_bytes_on_the_wire(report):
    buf = io.BytesIO()
    write_records(Sha256WARCWriter(buf, gzip=False, warc_version="1.1"), report.warc_records())
    buf.seek(0)
    wire = {ex.record_id: ex.response_bytes for lk in report.rdap for ex in lk.exchanges}
    wire |= {a.record_id: a.exchanges[-1].response_wire for a in report.dns if a.record_id}
    checked = 0
    for rec in ArchiveIterator(buf):
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        if rec.rec_type == "response" and rid in wire:
            assert rec.rec_headers.get_header("WARC-Block-Digest") == sha256_b32(hashlib.sha256(wire[rid]).hexdigest())
            checked += 1
    assert checked == len([b for b in wire.values() if b])
