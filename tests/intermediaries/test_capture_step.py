"""The intermediaries step in a real crawl: the demo shop over https, reached BY NAME through dnsmasq
(``EVIDENCE_DNS_RESOLVERS``), RDAP from the loopback fixture; every role found, raw records parse back."""

from __future__ import annotations

import json
import zipfile

import dns.message
import pytest
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.demo.server import DemoSite
from tests.conftest import Cli
from tests.intermediaries.certs import server_context
from tests.intermediaries.conftest import write_bootstrap
from tests.servers.rdap import DOMAIN

pytestmark = pytest.mark.slow
HOST = f"www.{DOMAIN}"
PROFILE = """\
name: allofmp3-by-name
start_urls: [{url}]
allowed_domains: [{host}]
item_pages: '/release/\\d+$'
fields: {{title: h1.album::text}}
limits: {{max_pages: 6, max_depth: 2}}
"""


@pytest.fixture(scope="module")
def captured(tmp_path_factory, dns_port, rdap_base):
    tmp = tmp_path_factory.mktemp("step")
    bootstrap = write_bootstrap(tmp / "bootstrap", rdap_base + "rdap/")
    cli = Cli(tmp / "store", env={"EVIDENCE_DNS_RESOLVERS": f"127.0.0.1:{dns_port}",
                                  "EVIDENCE_RDAP_BOOTSTRAP": str(bootstrap),
                                  "EVIDENCE_INTERMEDIARIES_TIMEOUT_S": "40"})
    with DemoSite("allofmp3", tls=server_context(DOMAIN, tmp)) as site:
        profile = tmp / "profile.yaml"
        profile.write_text(PROFILE.format(url=f"https://{HOST}:{site.port}/", host=HOST), encoding="utf-8")
        summary = cli.crawl(profile)
    assert summary["state"] == "sealed", summary
    return cli, summary


def manifest(cli: Cli, cid: str) -> dict:
    return json.loads((cli.store / "captures" / cid / "manifest.json").read_text())


def test_every_role_is_found_with_its_proof(captured):
    cli, summary = captured
    out = cli.json("intermediaries", summary["capture_id"], "--json")
    by_role: dict[str, dict[str, dict]] = {}
    for entry in out["intermediaries"]:
        by_role.setdefault(entry["role"], {})[entry["name"]] = entry
    assert set(by_role) == {"hosting", "registrar", "registrant", "dns", "cdn", "certificate_authority", "payment",
                            "advertising", "analytics", "email"}, by_role.keys()
    assert by_role["registrar"]["Demo Registrar LLC"]["abuse_contact"] == "abuse@registrar-demo.ru"
    assert by_role["hosting"]["Demo Hosting LLC"]["abuse_contact"] == "abuse@hosting-demo.ru"
    assert by_role["hosting"]["Demo Hosting LLC"]["country"] == "RU"
    assert "dnshost-demo.net" in by_role["dns"] and "mail-demo.net" in by_role["email"]
    assert "Cloudflare" in by_role["cdn"]
    kinds = {e["kind"] for e in by_role["cdn"]["Cloudflare"]["evidence"]}
    assert kinds == {"dns", "header"}  # CNAME chain and cf-ray
    assert "Demo Trust CA Ltd" in " ".join(by_role["certificate_authority"])
    assert {"PayPal", "WebMoney", "Bitcoin", "Visa"} <= set(by_role["payment"])
    assert "Yandex Metrica" in by_role["analytics"] and "Yandex Advertising Network" in by_role["advertising"]
    assert by_role["registrant"]  # as far as RDAP publishes it
    assert out["resolvers"] == [f"127.0.0.1:{cli.env['EVIDENCE_DNS_RESOLVERS'].split(':')[1]}"]
    home = next(e for e in by_role["payment"]["Bitcoin"]["evidence"])
    assert home["kind"] == "page" and home["page_sha256"] and "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" in home["detail"]
    # the human table prints the same entries
    proc = cli.run("intermediaries", summary["capture_id"], env={"COLUMNS": "250"})
    assert proc.returncode == 0 and "Demo Registrar LLC" in proc.stdout and "abuse@hosting-demo.ru" in proc.stdout


def _records(cli: Cli, cid: str) -> dict[str, tuple[str, int, object, bytes]]:
    out = {}
    for warc in sorted((cli.store / "captures" / cid / "artifacts").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                rid, block = record.rec_headers.get_header("WARC-Record-ID"), record.content_stream().read()
                out[rid] = (warc.name, it.get_record_offset(), record, block)  # offset: once the record is read
    return out


def test_raw_dns_and_rdap_records_parse_back_to_the_same_answers(captured):
    cli, summary = captured
    cid = summary["capture_id"]
    section = manifest(cli, cid)["intermediaries"]
    records = _records(cli, cid)
    dns_ok = [lk for lk in section["lookups"] if lk["kind"] == "dns" and lk["outcome"] == "ok"]
    assert dns_ok
    for lk in dns_ok:
        name, offset, record, block = records[lk["record_id"]]
        assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI").startswith("dns:")
        msg = dns.message.from_wire(block)
        qname, rdtype = lk["query"].split()
        assert msg.question[0].name.to_text(omit_final_dot=True) == qname
        assert dns.rdatatype.to_text(msg.question[0].rdtype) == rdtype and msg.answer
    # every piece of evidence citing a record names the file and offset where that record starts
    cited = [ev for entry in section["intermediaries"] for ev in entry["evidence"] if ev.get("record_id")]
    assert cited
    for ev in cited:
        name, offset, record, block = records[ev["record_id"]]
        assert (ev["warc_file"], ev["warc_offset"]) == (name, offset)
        if ev["kind"] == "rdap":
            assert record.http_headers.get_statuscode() == "200"  # warcio parsed the raw HTTP; block is the body
            assert json.loads(block)["objectClassName"] in ("domain", "ip network", "autnum")
    # the crawl's own resolution went through EVIDENCE_DNS_RESOLVERS and is in the WARC too
    env = manifest(cli, cid)["environment"]
    assert env["dns_resolvers"]["source"] == "EVIDENCE_DNS_RESOLVERS"
    assert env["dns"][HOST]["addresses"] == ["127.0.0.1", "::1"]
    for rid in env["dns"][HOST]["record_ids"]:
        assert dns.message.from_wire(records[rid][3]).answer
    assert cli.run("captures", "verify", cid).returncode == 0


def test_export_carries_the_section_and_verify_checks_it(captured, tmp_path):
    from evidence_crawler.demo.tsa import LocalTSA

    cli, summary = captured
    out = tmp_path / "case.wacz"
    with LocalTSA(tmp_path / "tsa") as tsa:
        proc = cli.run("export", summary["capture_id"], "-o", str(out), env={"EVIDENCE_TSA_URLS": tsa.url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        member = next(n for n in names if n.endswith("intermediaries.json"))
        doc = json.loads(z.read(member))
        report = z.read(next(n for n in names if n.endswith("report.html"))).decode()
        package = json.loads(z.read("datapackage.json"))
    [entry] = doc["captures"]
    assert entry["capture_id"] == summary["capture_id"]
    assert {e["role"] for e in entry["section"]["intermediaries"]} >= {"registrar", "hosting", "payment"}
    assert member in {r["path"] for r in package["resources"]}
    assert "Technical intermediaries" in report and "Demo Registrar LLC" in report
    proc = cli.run("verify", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_no_intermediaries_flag_skips_the_step(captured, tmp_path):
    cli, _ = captured
    with DemoSite("allofmp3") as site:
        profile = tmp_path / "p.yaml"
        profile.write_text(PROFILE.format(url=site.base_url, host="127.0.0.1").replace("max_pages: 6", "max_pages: 2"))
        summary = cli.crawl(profile, "--no-intermediaries")
    assert "intermediaries" not in manifest(cli, summary["capture_id"])
    proc = cli.run("intermediaries", summary["capture_id"])
    assert proc.returncode == 2 and "no intermediaries section" in proc.stderr


def test_a_hostile_rdap_server_is_bounded_and_never_fatal(dns_port, rdap_base, tmp_path):
    """Domain -> 50 MB of JSON, IPv4 -> a redirect to the metadata address, IPv6 -> a trickling server:
    the crawl is sealed, each failure is recorded as such, and nothing reached 169.254.169.254."""
    folder = tmp_path / "bootstrap"
    folder.mkdir()

    def doc(entries, base):
        return json.dumps({"version": "1.0", "services": [[entries, [rdap_base + base]]]})
    (folder / "dns.json").write_text(doc(["ru"], "huge/"))
    (folder / "ipv4.json").write_text(doc(["127.0.0.0/8"], "to-metadata/"))
    (folder / "ipv6.json").write_text(doc(["::1/128"], "slow/"))
    (folder / "asn.json").write_text("not json")
    cli = Cli(tmp_path / "store", env={"EVIDENCE_DNS_RESOLVERS": f"127.0.0.1:{dns_port}",
                                       "EVIDENCE_RDAP_BOOTSTRAP": str(folder),
                                       "EVIDENCE_INTERMEDIARIES_TIMEOUT_S": "8"})
    with DemoSite("allofmp3") as site:
        profile = tmp_path / "p.yaml"
        profile.write_text(PROFILE.format(url=f"http://{HOST}:{site.port}/", host=HOST)
                           .replace("max_pages: 6", "max_pages: 2"))
        summary = cli.crawl(profile)
    assert summary["state"] == "sealed"
    section = manifest(cli, summary["capture_id"])["intermediaries"]
    outcomes = {(lk["kind"], lk["query"]): lk["outcome"] for lk in section["lookups"]}
    assert outcomes[("domain", DOMAIN)] == "too_large"
    assert outcomes[("ip", "127.0.0.1")] == "refused"  # the redirect to 169.254.169.254 was not followed
    assert outcomes[("ip", "::1")] == "timeout" and section["budget_exhausted"]
    assert outcomes[("bootstrap", "asn.json")] == "no_bootstrap"
    # DNS still named the DNS host, the mail host and the CDN, and the pages their payment methods
    roles = {e["role"] for e in section["intermediaries"]}
    assert {"dns", "email", "cdn", "payment"} <= roles and "registrar" not in roles
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0

