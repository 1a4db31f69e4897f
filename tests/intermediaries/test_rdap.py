"""RDAP lookups against the loopback fixture: facts read, failures recorded, hostile servers bounded."""

from __future__ import annotations

import json
import time

import h11
import pytest

from evidence_crawler.intermediaries.bootstrap import load_bootstrap
from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.http import FetchLimits, system_resolve
from evidence_crawler.intermediaries.rdap import lookup_autnum, lookup_domain, lookup_ip
from evidence_crawler.intermediaries.run import _crawl_resolver
from evidence_crawler.intermediaries.settings import IntermediariesSettings
from tests.intermediaries.conftest import write_bootstrap
from tests.servers.rdap import DOMAIN, DOMAIN_JSON


def _tools(settings: IntermediariesSettings, seconds: float | None = None):
    limits = FetchLimits(max_bytes=settings.rdap_max_bytes, request_timeout_s=settings.rdap_request_timeout_s,
                         max_redirects=settings.rdap_max_redirects, allow_private=settings.allow_private,
                         user_agent=settings.user_agent)
    deadline = Deadline(seconds or settings.timeout_s)
    resolve = _crawl_resolver(settings.dns_resolvers, settings)
    return load_bootstrap(settings.rdap_bootstrap, limits, deadline, resolve), limits, deadline, resolve


def _parse_http(raw: bytes) -> tuple[int, bytes]:
    conn, status, body = h11.Connection(h11.CLIENT), None, b""
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    conn.receive_data(b"")
    while (event := conn.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
        if isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            break
    return status, body


def test_domain_lookup_reads_registrar_registrant_dates_and_nameservers(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for()))
    assert lk.outcome == "ok", lk.error
    d = lk.domain
    assert (d.registrar.display, d.registrar_iana_id, d.registrar.country) == ("Demo Registrar LLC", "9999", "RU")
    assert d.registrar_abuse.email == "abuse@registrar-demo.ru"
    assert (d.registrant.display, d.registrant.published) == ("Allofmp3 Demo Operator Ltd", True)
    assert (d.registered_at, d.expires_at) == ("2004-03-01T00:00:00Z", "2027-03-01T00:00:00Z")
    assert d.status == ("active", "client transfer prohibited")
    assert d.nameservers == ("ns1.dnshost-demo.net", "ns2.dnshost-demo.net")


def test_raw_rdap_exchange_parses_back_to_the_same_json(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for()))
    (ex,) = lk.exchanges
    assert ex.request_bytes.startswith(f"GET /rdap/domain/{DOMAIN} HTTP/1.1\r\n".encode())
    status, body = _parse_http(ex.response_bytes)
    assert status == 200 and json.loads(body) == DOMAIN_JSON
    assert ex.ip == "127.0.0.1" and ex.body == body


def test_ip_and_autnum_lookups_read_holder_abuse_country_and_asn(settings_for):
    tools = _tools(settings_for())
    net = lookup_ip("127.0.0.1", *tools).network
    assert (net.name, net.holder.display, net.country, net.abuse.email, net.origin_asns) == (
        "DEMO-HOSTING-NET", "Demo Hosting LLC", "RU", "abuse@hosting-demo.ru", (64500,))
    assert (net.start_address, net.end_address) == ("127.0.0.0", "127.255.255.255")
    asn = lookup_autnum(64500, *tools)
    assert (asn.outcome, asn.autnum.name, asn.autnum.holder.display) == ("ok", "DEMO-HOSTING-AS", "Demo Hosting LLC")


def test_404_and_429_are_recorded_as_such(settings_for):
    missing = lookup_ip("::1", *_tools(settings_for()))
    assert missing.outcome == "not_found" and "HTTP 404" in missing.error
    assert missing.exchanges[0].status == 404  # the server's answer is kept
    busy = lookup_domain(DOMAIN, *_tools(settings_for("busy/")))
    assert busy.outcome == "rate_limited" and "Retry-After 3600" in busy.error


def test_loopback_rdap_is_refused_unless_private_destinations_are_allowed(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for(allow_private=False)))
    assert lk.outcome == "refused"
    assert "127.0.0.1 (loopback)" in lk.error and "--allow-private" in lk.error
    assert lk.exchanges[0].request_bytes == b""  # nothing was sent


def test_a_tld_the_bootstrap_does_not_cover_is_no_bootstrap(settings_for):
    lk = lookup_domain("shop.example", *_tools(settings_for()))
    assert lk.outcome == "no_bootstrap" and lk.exchanges == ()


def test_a_missing_bootstrap_file_disables_only_its_kind(settings_for, tmp_path):
    settings = settings_for()
    folder = write_bootstrap(tmp_path / "partial", "http://127.0.0.1:1/")
    (folder / "ipv4.json").unlink()
    (folder / "asn.json").write_text("{not json")
    boot, *_ = _tools(settings.model_copy(update={"rdap_bootstrap": str(folder)}))
    assert "ipv4.json" in boot.problem("ipv4") and "No such file" in boot.problem("ipv4")
    assert "not an IANA bootstrap file" in boot.problem("autnum")
    assert boot.problem("domain") is None and boot.bases_for_domain(DOMAIN) == ("http://127.0.0.1:1/",)
    lk = lookup_ip("127.0.0.1", boot, *_tools(settings)[1:])
    assert lk.outcome == "no_bootstrap" and "ipv4.json" in lk.error


def test_bootstrap_over_http_is_kept_as_exchanges(settings_for, rdap_base, tmp_path):
    # the RDAP fixture serves no bootstrap files: every fetch is a recorded 404, not an exception
    settings = settings_for(rdap_bootstrap=rdap_base + "rdap/bootstrap")
    boot, *_ = _tools(settings)
    assert [ex.url.rsplit("/", 1)[-1] for ex in boot.exchanges] == ["dns.json", "ipv4.json", "ipv6.json", "asn.json"]
    assert all(ex.status == 404 for ex in boot.exchanges)
    assert "HTTP 404" in boot.problem("domain")


def test_bootstrap_prefers_https_and_the_longest_match(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    for name in ("dns.json", "ipv6.json", "asn.json"):
        (folder / name).write_text('{"services": []}')
    (folder / "ipv4.json").write_text(json.dumps({"services": [
        [["10.0.0.0/8"], ["http://wide.example/", "https://wide.example/"]], [["10.1.0.0/16"], ["http://narrow.example/"]]]}))
    limits = FetchLimits(max_bytes=1 << 20, request_timeout_s=1, max_redirects=0, allow_private=False, user_agent="t")
    boot = load_bootstrap(str(folder), limits, Deadline(1), system_resolve)
    assert boot.bases_for_ip("10.2.3.4") == ("https://wide.example/", "http://wide.example/")
    assert boot.bases_for_ip("10.1.3.4") == ("http://narrow.example/",)
    assert boot.bases_for_ip("192.0.2.1") == ()


# --- hostile RDAP servers --------------------------------------------------------------------------


def test_huge_json_stops_at_the_size_cap(settings_for):
    settings = settings_for("huge/", rdap_max_bytes=256 * 1024)
    start = time.monotonic()
    lk = lookup_domain(DOMAIN, *_tools(settings))
    assert time.monotonic() - start < 5
    assert lk.outcome == "too_large" and "262144 bytes" in lk.error
    ex = lk.exchanges[-1]
    assert len(ex.response_bytes) == 256 * 1024 and ex.truncated == "length"
    assert ex.response_bytes.startswith(b"HTTP/1.0 200") or ex.response_bytes.startswith(b"HTTP/1.1 200")


def test_a_trickling_server_is_cut_by_the_time_budget(settings_for):
    settings = settings_for("slow/", timeout_s=1.5)
    boot, limits, _, resolve = _tools(settings)
    start = time.monotonic()
    lk = lookup_domain(DOMAIN, boot, limits, Deadline(1.5), resolve)
    elapsed = time.monotonic() - start
    assert 1.2 < elapsed < 3.0
    assert lk.outcome == "timeout" and lk.exchanges[-1].truncated == "time"
    assert lk.exchanges[-1].response_bytes.startswith(b"HTTP/1.")  # what did arrive is kept


def test_redirect_to_the_metadata_address_is_refused_without_connecting(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for("to-metadata/")))
    assert lk.outcome == "refused"
    assert "169.254.169.254 (metadata); never allowed" in lk.error
    first, second = lk.exchanges
    assert first.status == 302 and first.redirect_to == "http://169.254.169.254/latest/meta-data/"
    assert second.request_bytes == b"" and second.ip is None


def test_redirect_to_a_name_is_resolved_through_the_configured_resolver_and_refused(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for(f"to-name/metadata.{DOMAIN}/")))
    assert lk.outcome == "refused"
    assert f"metadata.{DOMAIN} resolves to 169.254.169.254" in lk.error


def test_redirect_loop_stops_at_the_limit(settings_for):
    lk = lookup_domain(DOMAIN, *_tools(settings_for("loop/", rdap_max_redirects=3)))
    assert lk.outcome == "redirect_limit" and len(lk.exchanges) == 4


@pytest.mark.parametrize(("prefix", "outcome"), [("nested/", "bad_json"), ("garbage/", "protocol")])
def test_broken_answers_are_outcomes_not_exceptions(settings_for, prefix, outcome):
    lk = lookup_domain(DOMAIN, *_tools(settings_for(prefix)))
    assert lk.outcome == outcome, lk.error
    assert lk.exchanges[-1].response_bytes  # the bytes that broke it are kept
